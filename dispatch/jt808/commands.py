"""The platform's commands to a terminal: what each is, how its arguments are checked, its message.

- ``position_query``: 0x8201; the terminal answers with its position (0x0201), which goes into the
  position pipeline like a 0x0200.
- ``tracking``: 0x8202, temporary tracking: report every ``interval_s`` seconds for ``duration_s``.
- ``parameters``: 0x8103, parameter setting: the heartbeat interval, the report intervals and any
  other parameter by name (devices/jt808/params.py) or by id with a typed value.
- ``alarm_confirm``: 0x8203, manual alarm confirmation of ``alarms`` (names): what lets a terminal clear
  the alarms it keeps until the platform confirms them (emergency...); sent when a dispatcher
  acknowledges such an alarm's alert (dispatch/rules/terminal.py).
- ``upload_photos``: 0x8803, upload the photos the terminal keeps that were taken from ``from`` to ``to`` (epoch
  seconds) by camera ``channel`` (0 every one): the terminal answers 0x0001, then uploads each (0x0801).
- ``read_params``: 0x8104 (every parameter) or 0x8106 (those of ``ids``): the terminal answers 0x0104, whose
  values are the outcome's ``values`` ({name: value}; bytes of an unknown type in hex).
- ``read_attributes``: 0x8107; the terminal answers 0x0107 (maker, model, ICCID, hardware and firmware versions,
  GNSS and network modules), the outcome's ``values``.
- ``find_photos``: 0x8802, which photos the terminal keeps that were taken from ``from`` to ``to`` by camera
  ``channel`` (0 every one); it answers 0x0802, the outcome's ``found`` (media id, camera, why, when, where).
- ``set_area``: 0x8604, a polygon zone of the bureau's that applies at every hour (its outline, at most 110 vertices: a finer one is
  simplified) kept by the terminal as area ``area_id`` (`area_id_of` the zone's id), alarming the platform on
  entering and/or leaving (``alarm``) and limiting the speed inside where the zone has a ``speed_limit_kmh``: the
  terminal then raises the area alarm itself (0x0200 alarm bit 20 with item 0x12), signal or not.
- ``set_route``: 0x8606, a route corridor of the bureau's (its line, at most 40 turning points: a finer one is
  simplified; each section the corridor's width, at most 255 m) kept as route ``area_id``, alarming the platform on
  leaving it (by default) or coming back: the terminal's route alarm (bit 21 with item 0x12).
- ``delete_areas``: 0x8605, the areas of ``area_ids`` (none: every polygon area the terminal keeps); with
  ``routes`` 0x8607, the same for routes.
- ``photo``: 0x8801, take ``photos`` photos now with camera ``channel`` and upload them at once; the
  terminal answers 0x0805 with the photos' media ids, then uploads each (0x0801, dispatch/jt808/media.py).

The outcome of a command is the terminal's answer: ``acked`` (0x0001 result 0, the 0x0201 of a
position query, a 0x0805 result 0 with its ``media_ids``), ``failed`` (result 1, or 2: it could not read
the message), ``not_supported`` (result 3; a 0x0805 result 2, no such camera) or ``timeout`` (no answer
within `ANSWER_TIMEOUT` of sending, or the terminal did not come online within `COMMAND_TTL`).
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from devices.jt808 import areas, encode
from devices.jt808.bits import ALARM_BITS
from devices.jt808.params import BY_NAME, PARAMS, TYPES, pack_typed
from dispatch.errors import Refused
from dispatch.zones.model import part_of_day

COMMANDS = ("position_query", "tracking", "parameters", "alarm_confirm", "photo", "read_params", "upload_photos",
            "read_attributes", "find_photos", "set_area", "set_route", "delete_areas")
AREA_ALARMS = ("enter", "leave", "both")
# which crossing of a zone alarms by default, by its kind: into a restricted or protected area, out of a site
# (where a truck must stay while it loads or tips) or a boat's patrol area
DEFAULT_AREA_ALARM = {"restricted": "enter", "protection_zone": "enter", "construction_site": "leave",
                      "disposal_site": "leave", "patrol_area": "leave", "route": "leave"}
OVERSPEED_S = 10  # seconds over an area's speed limit before the terminal alarms
MAX_UPLOAD_SPAN_S = 7 * 24 * 3600  # the photos of at most a week asked for at once
COMMAND_TTL = 120.0  # seconds a command waits for its terminal to come online
ANSWER_TIMEOUT = 30.0  # seconds a sent command waits for the terminal's answer
OUTCOMES = {0: "acked", 1: "failed", 2: "failed", 3: "not_supported"}
CAMERA_OUTCOMES = {0: "acked", 1: "failed", 2: "not_supported"}  # 0x0805: ok, failure, no such channel
MAX_PHOTOS = 10  # photos one command asks for
MAX_TRACK_S = 24 * 3600  # a temporary tracking of at most a day
ALIASES = {"heartbeat": "heartbeat_interval_s", "report_interval": "report_interval_s"}


def check_tracking(interval_s: Any, duration_s: Any) -> tuple[int, int]:
    """:raises Refused: an interval outside 1..65535 s (0 stops tracking) or a duration outside 1 s..a day."""
    try:
        i, d = int(interval_s), int(duration_s)
    except (TypeError, ValueError):
        raise Refused("tracking needs whole seconds: an interval and a duration", "bad_arguments") from None
    if not 0 <= i <= 0xFFFF:
        raise Refused(f"a tracking interval is 0 (stop) to 65535 s, not {i}", "bad_arguments")
    if not 0 < d <= MAX_TRACK_S:
        raise Refused(f"a tracking duration is 1 s to {MAX_TRACK_S} s, not {d}", "bad_arguments")
    return i, d


def check_channel(channel: Any, *, every: bool = False) -> int:
    """A camera channel, 1 to 255 (0 too, for every camera, with `every`). :raises Refused: anything else."""
    try:
        c = int(channel)
    except (TypeError, ValueError):
        raise Refused(f"channel: {channel!r} is not a camera number", "bad_arguments") from None
    if not (0 if every else 1) <= c <= 0xFF:
        raise Refused(f"a camera channel is {'0 (every one)' if every else '1'} to 255, not {c}", "bad_arguments")
    return c


def check_photo(channel: Any, photos: Any) -> tuple[int, int]:
    """:raises Refused: a camera channel outside 1..255 or a number of photos outside 1..MAX_PHOTOS."""
    c = check_channel(channel)
    try:
        n = int(photos)
    except (TypeError, ValueError):
        raise Refused(f"photos: {photos!r} is not a whole number", "bad_arguments") from None
    if not 0 < n <= MAX_PHOTOS:
        raise Refused(f"ask for 1 to {MAX_PHOTOS} photos at a time, not {n}", "bad_arguments")
    return c, n


def _param_id(key: Any) -> int:
    if isinstance(key, int) and not isinstance(key, bool):
        pid = key
    else:
        k = str(key).strip()
        k = ALIASES.get(k, k)
        if k in BY_NAME:
            return BY_NAME[k]
        try:
            pid = int(k, 0)
        except ValueError:
            raise Refused(f"unknown parameter {key!r}: a name ({', '.join(sorted(ALIASES))}, "
                          f"{', '.join(list(BY_NAME)[:6])}...) or an id such as 0x0029", "bad_params") from None
    if not 0 <= pid <= 0xFFFFFFFF:
        raise Refused(f"a parameter id is a DWORD, not {pid}", "bad_params")
    return pid


def check_span(start: Any, end: Any) -> tuple[float, float]:
    """Two instants (epoch seconds, or ISO 8601 with its zone) in order, at most `MAX_UPLOAD_SPAN_S` apart.
    :raises Refused: a time that does not parse, a naive one, the end before the start, a span too long."""
    def instant(v: Any, what: str) -> float:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
        try:
            t = datetime.fromisoformat(str(v).strip().replace("Z", "+00:00"))
        except ValueError:
            raise Refused(f"{what}: {v!r} is not a time (ISO 8601 with its zone, or epoch seconds)",
                          "bad_arguments") from None
        if t.tzinfo is None:
            raise Refused(f"{what}: {v!r} has no zone (add +08:00 or Z)", "bad_arguments")
        return t.timestamp()

    a, b = instant(start, "from"), instant(end, "to")
    if b < a:
        raise Refused("the end of the span is before its start", "bad_arguments")
    if b - a > MAX_UPLOAD_SPAN_S:
        raise Refused(f"ask for the photos of at most {MAX_UPLOAD_SPAN_S // 86400} days at a time", "bad_arguments")
    return a, b


def check_param_names(names: Any) -> list[int]:
    """Parameter names or ids (none: every parameter) as ids. :raises Refused: an unknown name, more than 255."""
    items = [names] if isinstance(names, str | int) else list(names or [])
    if len(items) > 0xFF:
        raise Refused("at most 255 parameters in one query", "bad_params")
    return [_param_id(n) for n in items]


def check_params(params: Any) -> list[list[Any]]:
    """{name or id: value} as [[id, type, value], ...], every value checked against its type.

    A known parameter takes a plain value (a number or a text, as its type is). Another id needs a
    typed value: {"type": "dword"|"word"|"byte"|"string"|"bytes", "value": ...} or "TYPE:VALUE".

    :raises Refused: nothing to set, an unknown name, an untyped value for an unknown id, a value
        that is not of its type.
    """
    if not isinstance(params, dict) or not params:
        raise Refused("give parameters to set, e.g. {\"heartbeat_interval_s\": 30, \"report_interval_s\": 10}",
                      "bad_params")
    if len(params) > 64:
        raise Refused("at most 64 parameters in one setting", "bad_params")
    out: list[list[Any]] = []
    for key, value in params.items():
        pid = _param_id(key)
        name = PARAMS[pid][0] if pid in PARAMS else f"0x{pid:04X}"
        kind = None
        if isinstance(value, dict):
            kind, value = value.get("type"), value.get("value")
        elif isinstance(value, str) and ":" in value and value.split(":", 1)[0].strip().lower() in TYPES:
            kind, value = (x.strip() for x in value.split(":", 1))
        if kind is None:
            if pid not in PARAMS:
                raise Refused(f"parameter {name} is not known here: give its type, e.g. \"dword:5\" "
                              f"({', '.join(TYPES)})", "bad_params")
            kind = PARAMS[pid][1]
        else:
            kind = TYPES.get(str(kind).lower(), str(kind))
        try:
            if kind in ("I", "H", "B") and isinstance(value, str):
                value = int(value.strip(), 0)
            raw = pack_typed(kind, value)
        except ValueError as exc:
            raise Refused(f"parameter {name}: {exc}", "bad_params") from None
        if len(raw) > 255:
            raise Refused(f"parameter {name}: at most 255 bytes", "bad_params")
        out.append([pid, kind, value])
    if len(encode.parameters_body({pid: pack_typed(k, v) for pid, k, v in out})) > 1023:
        raise Refused("the parameters do not fit one message (1023 bytes)", "bad_params")
    return out


def said_values(params: Any) -> dict[str, Any]:
    """A 0x0104's parameters by name ({"heartbeat_interval_s": 30, "0xF001": "0a0b"}: bytes in hex)."""
    return {PARAMS[p][0] if p in PARAMS else f"0x{p:04X}": (v.hex() if isinstance(v, bytes) else v) for p, v in params}


def area_id_of(zone_id: str) -> int:
    """The DWORD a zone is known by on terminals: the same for the same zone on every terminal and after a restart
    (a terminal's area alarm names it), from its id."""
    return zlib.crc32(zone_id.encode("utf-8")) & 0x7FFFFFFF or 1


def _simplified(coords: list[tuple[float, float]], most: int, closed: bool) -> list[tuple[float, float]]:
    """(lat, lon) points made coarser until at most `most` are left (shapely's topology-preserving simplification)."""
    from shapely.geometry import LineString, Polygon

    tol = 1e-5
    shape = Polygon if closed else LineString
    geom = shape([(lon, lat) for lat, lon in coords])
    while len(coords) > most:
        simple = geom.simplify(tol, preserve_topology=True)
        coords = [(lat, lon) for lon, lat in (simple.exterior.coords if closed else simple.coords)]
        coords = coords[:-1] if closed else coords
        tol *= 2
    return coords


def route_command(zone: dict[str, Any], alarm: str | None = None) -> dict[str, Any]:
    """The ``set_route`` command of a route corridor (a LineString, or a MultiLineString of one, and its width)."""
    alarm = alarm or "leave"
    geom = zone.get("geometry") or {}
    lines = [geom["coordinates"]] if geom.get("type") == "LineString" else list(geom.get("coordinates") or [])
    if len(lines) != 1:
        raise Refused(f"zone {zone.get('id')} is {len(lines)} lines: a terminal keeps one line as a route",
                      "bad_arguments")
    line = _simplified([(float(lat), float(lon)) for lon, lat, *_ in lines[0]], areas.MAX_TURNS, closed=False)
    speed = zone.get("speed_limit_kmh")
    return {"command": "set_route", "zone": zone["id"], "zone_name": zone.get("name") or zone["id"],
            "area_id": area_id_of(zone["id"]), "alarm": alarm, "points": [[round(a, 6), round(o, 6)] for a, o in line],
            "width_m": max(1, min(255, round(float(zone.get("width_m") or 60)))),
            "max_speed_kmh": int(speed) if isinstance(speed, int | float) and speed > 0 else None}


def area_command(zone: dict[str, Any], alarm: str | None = None) -> dict[str, Any]:
    """The ``set_area`` command of a zone (a definition of dispatch/zones: a Polygon, or a MultiPolygon of one), or
    for a route corridor (a line) its ``set_route``.

    :raises Refused: a zone of several polygons or lines, a zone kept only at some hours of the day, an unknown
        alarm."""
    if part_of_day(zone.get("hours")):
        # A terminal keeps an area all day, or between two dates (its time attribute is one start and one end,
        # not a time of every day): given a zone kept at some hours only, it would alarm at every other hour too.
        raise Refused(f"zone {zone.get('name') or zone.get('id')} applies only during {zone['hours']}: a terminal keeps "
                      "an area at every hour, so it would alarm outside those hours too; the platform's own rule "
                      "keeps the hours", "zone_has_hours")
    alarm = alarm or DEFAULT_AREA_ALARM.get(zone.get("kind", ""), "enter")
    if alarm not in AREA_ALARMS:
        raise Refused(f"an area alarms on {', '.join(AREA_ALARMS)}, not {alarm!r}", "bad_arguments")
    geom = zone.get("geometry") or {}
    if geom.get("type") in ("LineString", "MultiLineString"):
        return route_command(zone, alarm)
    rings = [geom["coordinates"][0]] if geom.get("type") == "Polygon" else \
        [p[0] for p in geom.get("coordinates") or []] if geom.get("type") == "MultiPolygon" else []
    if len(rings) != 1:
        raise Refused(f"zone {zone.get('id')} is {len(rings)} polygons: a terminal keeps one polygon as an area",
                      "bad_arguments")
    ring = [(float(lat), float(lon)) for lon, lat, *_ in rings[0]]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    ring = _simplified(ring, areas.MAX_VERTICES, closed=True)  # a coarser outline until the terminal can take it
    speed = zone.get("speed_limit_kmh")
    return {"command": "set_area", "zone": zone["id"], "zone_name": zone.get("name") or zone["id"],
            "area_id": area_id_of(zone["id"]), "alarm": alarm, "points": [[round(a, 6), round(o, 6)] for a, o in ring],
            "max_speed_kmh": int(speed) if isinstance(speed, int | float) and speed > 0 else None}


def _alarm_flags(cmd: dict[str, Any]) -> list[str]:
    alarm = cmd.get("alarm") or "enter"
    return [f"{e}_to_{w}" for e in (("enter", "leave") if alarm == "both" else (alarm,)) for w in ("platform", "driver")]


def _area_body(cmd: dict[str, Any], edition: int) -> bytes:
    flags = _alarm_flags(cmd)
    return areas.polygon_area_body(int(cmd["area_id"]), [(float(a), float(o)) for a, o in cmd["points"]], flags=flags,
                                   max_speed_kmh=cmd.get("max_speed_kmh"), overspeed_s=OVERSPEED_S,
                                   name=str(cmd.get("zone_name") or "")[:60], edition=edition)


def message(cmd: dict[str, Any], edition: int = 2013) -> tuple[int, bytes]:
    """The message id and body of a recorded command (``jt808.command_sent`` payload), for a terminal speaking
    `edition` (its header's: 2019 bodies carry more)."""
    what = cmd["command"]
    if what == "set_area":
        return encode.SET_POLYGON_AREA, _area_body(cmd, edition)
    if what == "set_route":
        return encode.SET_ROUTE, areas.route_body(
            int(cmd["area_id"]), [(float(a), float(o)) for a, o in cmd["points"]], int(cmd["width_m"]),
            flags=_alarm_flags(cmd), max_speed_kmh=cmd.get("max_speed_kmh"), overspeed_s=OVERSPEED_S,
            name=str(cmd.get("zone_name") or "")[:40], edition=edition)
    if what == "delete_areas":
        return (encode.DELETE_ROUTES if cmd.get("routes") else encode.DELETE_POLYGON_AREAS,
                areas.delete_areas_body([int(i) for i in cmd.get("area_ids") or []]))
    if what == "position_query":
        return encode.POSITION_QUERY, b""
    if what == "tracking":
        return encode.TEMPORARY_TRACKING, encode.tracking_body(int(cmd["interval_s"]), int(cmd["duration_s"]))
    if what == "parameters":
        return encode.SET_PARAMETERS, encode.parameters_body(
            {int(pid): pack_typed(kind, value) for pid, kind, value in cmd["params"]})
    if what == "alarm_confirm":
        return encode.ALARM_CONFIRM, encode.alarm_confirm_body(0, alarm_mask(cmd["alarms"]))
    if what == "photo":
        return encode.CAMERA_SHOOT, encode.camera_body(int(cmd["channel"]), photos=int(cmd["photos"]))
    if what == "upload_photos":
        return encode.STORED_MEDIA_UPLOAD, encode.stored_upload_body(
            datetime.fromtimestamp(float(cmd["from"]), UTC), datetime.fromtimestamp(float(cmd["to"]), UTC),
            channel=int(cmd.get("channel") or 0))
    if what == "find_photos":
        return encode.STORED_MEDIA_QUERY, encode.stored_media_query_body(
            channel=int(cmd.get("channel") or 0), start=datetime.fromtimestamp(float(cmd["from"]), UTC),
            end=datetime.fromtimestamp(float(cmd["to"]), UTC))
    if what == "read_attributes":
        return encode.QUERY_ATTRIBUTES, b""
    if what == "read_params":
        ids = [int(i) for i in cmd.get("ids") or []]
        return (encode.QUERY_SOME_PARAMETERS, encode.query_parameters_body(ids)) if ids else (encode.QUERY_PARAMETERS, b"")
    raise ValueError(f"unknown command {what!r}")


def alarm_mask(names: Any) -> int:
    """The alarm bits of alarm names (``alarm_bit_N`` for a reserved bit). :raises ValueError: an unknown name."""
    mask = 0
    for n in names:
        bit = ALARM_BITS.get(n)
        if bit is None and isinstance(n, str) and n.startswith("alarm_bit_") and n[10:].isdigit():
            bit = int(n[10:])
        if bit is None or not 0 <= bit < 32:
            raise ValueError(f"unknown alarm {n!r}")
        mask |= 1 << bit
    return mask


def describe(cmd: dict[str, Any]) -> str:
    """A command in a few words, for the bench and ``ctl``: ``tracking every 5 s for 600 s``."""
    what = cmd.get("command")
    if what == "tracking":
        return f"tracking every {cmd['interval_s']} s for {cmd['duration_s']} s"
    if what == "parameters":
        names = [PARAMS[p][0] if p in PARAMS else f"0x{p:04X}" for p, _k, _v in cmd.get("params") or []]
        return "parameters " + ", ".join(f"{n}={v}" for n, (_p, _k, v) in zip(names, cmd.get("params") or [],
                                                                                strict=True))
    if what == "alarm_confirm":
        return "alarm confirmation " + ", ".join(cmd.get("alarms") or ())
    if what in ("upload_photos", "find_photos"):
        cam = f"camera {cmd['channel']}" if cmd.get("channel") else "every camera"
        head = "photos kept" if what == "upload_photos" else "search for photos kept"
        return (f"{head} from {datetime.fromtimestamp(cmd['from'], UTC):%Y-%m-%d %H:%M:%S} to "
                f"{datetime.fromtimestamp(cmd['to'], UTC):%H:%M:%S} UTC, {cam}")
    if what == "read_params":
        ids = cmd.get("ids") or []
        return "parameters read" + (": " + ", ".join(PARAMS[p][0] if p in PARAMS else f"0x{p:04X}" for p in ids)
                                    if ids else " (all)")
    if what == "read_attributes":
        return "attributes read"
    if what in ("set_area", "set_route"):
        on = {"enter": "entering", "leave": "leaving", "both": "entering and leaving"}.get(cmd.get("alarm"), cmd.get("alarm"))
        return f"{what[4:]} {cmd.get('zone_name') or cmd.get('zone')} set (alarm on {on})"
    if what == "delete_areas":
        named = ", ".join(cmd.get("zones") or []) or ", ".join(str(i) for i in cmd.get("area_ids") or []) or "all"
        return f"{'routes' if cmd.get('routes') else 'areas'} deleted: {named}"
    if what == "photo":
        n = cmd.get("photos", 1)
        return f"{n} photo{'s' if n != 1 else ''} from camera {cmd.get('channel')}"
    return "position query" if what == "position_query" else str(what)

