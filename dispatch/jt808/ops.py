"""JT/T 808 operations: bind a terminal to a unit, send a text to a truck's display, commands to its
terminal (position query, temporary tracking, parameters; dispatch/jt808/commands.py) and their
outcomes, and what the gateway running in this process sees (terminals connected, terminals refused,
alarms).

``jt808.send_text`` records the text (``jt808.text_sent``); the gateway sends it to the terminal
at once if it is connected, else when it next authenticates (within `TEXT_TTL`), and records the
terminal's answer. Run through the console or ``ctl --hub`` the text leaves at once; through
``ctl --db`` the gateway picks it up within a second. Commands go the same way
(``jt808.command_sent``, then ``jt808.command_answered`` with the outcome).
"""

from __future__ import annotations

import json
from typing import Any

from dispatch.errors import NotFound, Refused
from dispatch.jt808 import state as _state  # noqa: F401  (registers the appliers)
from dispatch.jt808.state import DRIVER_FIELDS, card_read_in, jt808_state
from dispatch.ops import op
from dispatch.store import NewEvent
from dispatch.units.ops import check_terminal, terminal_key

MAX_TEXT = 400  # characters: a terminal's display; the body (GBK, 2 bytes a character) stays under 1023 bytes
TEXT_TTL = 3600.0  # seconds a text waits for its terminal to come online


def unit_of_terminal(state: Any, terminal: str) -> str | None:
    key = terminal_key(terminal)
    for u in state.units.values():
        t = u.attributes.get("terminal")
        if isinstance(t, str) and terminal_key(t) == key:
            return u.id  # type: ignore[no-any-return]
    return None


def bind_terminal_events(state: Any, unit_id: str, terminal: str | None) -> list[NewEvent]:
    """Decide binding ``terminal`` (None/"" unbinds) to ``unit_id``. :raises Refused: a bad number, unknown unit."""
    u = state.units.get(unit_id)
    if u is None:
        raise NotFound(f"unknown unit {unit_id!r}")
    term = None if terminal in (None, "") else check_terminal(terminal)
    if u.attributes.get("terminal") == term:
        return []
    return [NewEvent("unit.terminal_bound", {"id": unit_id, "terminal": term}, f"unit:{unit_id}")]


@op("unit.bind_terminal")
def bind_terminal(core: Any, actor: str, unit_id: str, terminal: str | None) -> dict[str, Any]:
    """Bind a JT/T 808 terminal (its number) to a unit: its positions then move that unit; a terminal
    bound elsewhere moves here. None unbinds."""
    core.command(actor, lambda s: bind_terminal_events(s, unit_id, terminal))
    with core.lock:
        u = core.unit(unit_id)
        return {**u.as_dict(core.clock()), "terminal": u.attributes.get("terminal")}


@op("jt808.send_text")
def send_text(core: Any, actor: str, unit_id: str, text: str, tts: bool = False,
              emergency: bool = False) -> dict[str, Any]:
    """A dispatcher's text to a truck's display (0x8300), read out too with ``tts``."""
    if not isinstance(text, str) or not text.strip():
        raise Refused("a message needs some text", "empty")
    if len(text) > MAX_TEXT:
        raise Refused(f"a message to a terminal's display is at most {MAX_TEXT} characters", "too_long")
    terminal: list[str] = []

    def decide(state: Any) -> list[NewEvent]:
        u = state.units.get(unit_id)
        if u is None:
            raise NotFound(f"unknown unit {unit_id!r}")
        term = u.attributes.get("terminal")
        if not isinstance(term, str):
            raise Refused(f"{unit_id} has no JT/T 808 terminal (ctl unit bind-terminal)", "no_terminal")
        terminal[:] = [term]
        return [NewEvent("jt808.text_sent", {"unit": unit_id, "terminal": term, "text": text, "tts": bool(tts),
                                             "emergency": bool(emergency)}, f"unit:{unit_id}")]

    ch = core.command(actor, decide)
    from dispatch.jt808.registry import gateway_of

    gw = gateway_of(core)
    return {"unit_id": unit_id, "terminal": terminal[0], "event": ch.events[-1].seq,
            "connected": bool(gw is not None and gw.is_connected(terminal[0]))}


@op("jt808.texts")
def texts(core: Any, actor: str, unit_id: str | None = None) -> list[dict[str, Any]]:
    """Texts sent to terminals (newest last) with the terminal's answer: result None while unanswered."""
    core.refresh()
    with core.lock:
        return [dict(t) for t in jt808_state(core.state).texts.values() if unit_id in (None, t["unit"])]


@op("jt808.alarms")
def alarms(core: Any, actor: str, unit_id: str | None = None) -> dict[str, Any]:
    """Alarms terminals raised (the last 500, newest last) and those still on, per unit."""
    core.refresh()
    with core.lock:
        st = jt808_state(core.state)
        return {"recent": [dict(a) for a in st.alarms if unit_id in (None, a["unit"])],
                "active": {u: list(a) for u, a in st.active.items() if unit_id in (None, u)}}


@op("jt808.drivers")
def drivers(core: Any, actor: str, unit_id: str | None = None) -> list[dict[str, Any]]:
    """The drivers on duty: per truck, the last qualification card put in its terminal and read, until taken
    out (``jt808.driver_identity``). The identity card number stays in the event log, not in this list."""
    core.refresh()
    with core.lock:
        on = jt808_state(core.state).drivers
        return [{k: v for k, v in d.items() if k != "id_number"} for u, d in sorted(on.items())
                if unit_id in (None, u)]


@op("jt808.waybills")
def waybills(core: Any, actor: str, unit_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Electronic waybills trucks' terminals sent (0x0701, ``jt808.waybill``), newest last: one truck's from the
    whole log, or the last `limit` of every truck's."""
    n = max(1, min(int(limit), 10_000))
    kinds = ["jt808.waybill"]
    evs = core.store.events(entity=f"unit:{unit_id}", kinds=kinds) if unit_id else core.store.events(kinds=kinds)
    return [{**ev.payload, "seq": ev.seq, "ts": ev.ts} for ev in list(evs)[-n:]]


def driver_at(core: Any, unit_id: str, ts: float) -> dict[str, Any] | None:
    """Who drove `unit_id` at `ts` by its terminal's card reader: the last card event at or before then (its
    terminal's time, else when it was recorded), if it was a card put in and read; None otherwise. From the
    event log (a few card events a day per truck), so it holds for any past time; by the terminal's time, not
    the record's (a terminal that was offline reports its card late)."""
    last, last_when = None, float("-inf")
    for ev in core.store.events(entity=f"unit:{unit_id}", kinds=["jt808.driver_identity"]):
        when = ev.payload.get("time") or ev.ts
        if last_when <= when <= ts:
            last, last_when = ev, when
    if last is None or not card_read_in(last.payload):
        return None
    return {k: last.payload.get(k) for k in DRIVER_FIELDS}


def _gateway(core: Any) -> Any:
    from dispatch.jt808.registry import gateway_of

    gw = gateway_of(core)
    if gw is None:
        raise Refused("no JT/T 808 gateway runs here (start the hub or console with --jt808-bind; "
                      "from another process use ctl --hub)", "no_gateway")
    return gw


@op("jt808.terminals")
def terminals(core: Any, actor: str) -> list[dict[str, Any]]:
    """The gateway's terminal sessions: connected ones and those seen lately, with their figures."""
    return [s.as_dict() for s in _gateway(core).sessions_snapshot()]


@op("jt808.unknown")
def unknown(core: Any, actor: str) -> list[dict[str, Any]]:
    """Terminals refused at registration because no unit has their number (bind one to let it in)."""
    return _gateway(core).unknown_terminals()


# ---------------------------------------------------------------- commands to a terminal
def _command(core: Any, actor: str, unit_id: str, command: dict[str, Any]) -> dict[str, Any]:
    """Record an operator's command to a unit's terminal (``jt808.command_sent``); the gateway sends it."""
    terminal: list[str] = []

    def decide(state: Any) -> list[NewEvent]:
        u = state.units.get(unit_id)
        if u is None:
            raise NotFound(f"unknown unit {unit_id!r}")
        term = u.attributes.get("terminal")
        if not isinstance(term, str):
            raise Refused(f"{unit_id} has no JT/T 808 terminal (ctl unit bind-terminal)", "no_terminal")
        terminal[:] = [term]
        return [NewEvent("jt808.command_sent", {"unit": unit_id, "terminal": term, **command}, f"unit:{unit_id}")]

    ch = core.command(actor, decide)
    from dispatch.jt808.registry import gateway_of

    gw = gateway_of(core)
    return {"unit_id": unit_id, "terminal": terminal[0], "event": ch.events[-1].seq, "command": command["command"],
            "connected": bool(gw is not None and gw.is_connected(terminal[0])), "outcome": None}


@op("jt808.query_position")
def query_position(core: Any, actor: str, unit_id: str) -> dict[str, Any]:
    """Ask a truck's terminal where it is (0x8201); its answer (0x0201) moves the truck like a report."""
    return _command(core, actor, unit_id, {"command": "position_query"})


@op("jt808.track")
def track(core: Any, actor: str, unit_id: str, interval_s: int = 10, duration_s: int | None = None,
          minutes: float | None = None) -> dict[str, Any]:
    """Temporary tracking (0x8202): the terminal reports every `interval_s` seconds for `duration_s`
    seconds (or `minutes`); interval 0 stops it."""
    from dispatch.jt808.commands import check_tracking

    if duration_s is None:
        if minutes is None:
            raise Refused("give how long to track: duration_s or minutes", "bad_arguments")
        try:
            duration_s = round(float(minutes) * 60)
        except (TypeError, ValueError):
            raise Refused(f"minutes: {minutes!r} is not a number", "bad_arguments") from None
    i, d = check_tracking(interval_s, duration_s)
    return _command(core, actor, unit_id, {"command": "tracking", "interval_s": i, "duration_s": d})


@op("jt808.set_params")
def set_params(core: Any, actor: str, unit_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Set terminal parameters (0x8103): {"heartbeat_interval_s": 30, "report_interval_s": 10, ...} by name,
    or another id with a typed value ({"0xF001": "dword:5"})."""
    from dispatch.jt808.commands import check_params

    return _command(core, actor, unit_id, {"command": "parameters", "params": check_params(params)})


@op("jt808.upload_photos")
def upload_photos(core: Any, actor: str, unit_id: str, start: Any, end: Any, channel: int = 0) -> dict[str, Any]:
    """Have a truck's terminal upload the photos it keeps that were taken from `start` to `end` (ISO 8601 with its
    zone, or epoch seconds) by camera `channel` (0: every one) (0x8803): the ones it took on its own (a timer, an
    alarm, a door) and did not send. Each arrives as ``jt808.media_received``; one already recorded is not twice."""
    from dispatch.jt808.commands import check_channel, check_span

    a, b = check_span(start, end)
    c = check_channel(channel, every=True)
    return _command(core, actor, unit_id, {"command": "upload_photos", "from": a, "to": b, "channel": c})


@op("jt808.read_params")
def read_params(core: Any, actor: str, unit_id: str, names: Any = None) -> dict[str, Any]:
    """Read a truck terminal's parameters (0x8104; 0x8106 for those `names`, by name or id): the terminal's 0x0104
    is the outcome's ``values`` ({name: value})."""
    from dispatch.jt808.commands import check_param_names

    ids = check_param_names(names)
    return _command(core, actor, unit_id, {"command": "read_params", "ids": ids})


@op("jt808.read_attributes")
def read_attributes(core: Any, actor: str, unit_id: str) -> dict[str, Any]:
    """Ask a truck's terminal what it is (0x8107): its 0x0107 (maker, model, terminal id, ICCID, hardware and
    firmware versions, GNSS and network modules) is the outcome's ``values``."""
    return _command(core, actor, unit_id, {"command": "read_attributes"})


@op("jt808.find_photos")
def find_photos(core: Any, actor: str, unit_id: str, start: Any, end: Any, channel: int = 0) -> dict[str, Any]:
    """Ask a truck's terminal which photos it keeps that were taken from `start` to `end` (ISO 8601 with its zone,
    or epoch seconds) by camera `channel` (0: every one) (0x8802): its 0x0802 is the outcome's ``found`` (media id,
    camera, why, when, where); nothing is uploaded (``jt808.upload_photos`` asks for them)."""
    from dispatch.jt808.commands import check_channel, check_span

    a, b = check_span(start, end)
    c = check_channel(channel, every=True)
    return _command(core, actor, unit_id, {"command": "find_photos", "from": a, "to": b, "channel": c})


@op("jt808.set_area")
def set_area(core: Any, actor: str, unit_id: str, zone_id: str, alarm: str | None = None) -> dict[str, Any]:
    """Give a truck's terminal one of the bureau's polygon zones to keep (0x8604): it then alarms on entering it
    (``alarm`` "enter"), leaving it ("leave") or both by itself, by default as the zone's kind has it (into a
    restricted or protected area, out of a site), and limits the speed inside to the zone's own limit. A route
    corridor goes as a route (0x8606, its width each section's): the terminal alarms on leaving it. The terminal's
    alarm names the zone in its alert (dispatch/rules/terminal.py)."""
    from dispatch.jt808.commands import area_command
    from dispatch.zones.book import zone_book

    with core.lock:
        zone = zone_book(core.state).zones.get(str(zone_id))
    if zone is None:
        raise NotFound(f"unknown zone {zone_id!r}; `ctl zones` lists them")
    return _command(core, actor, unit_id, area_command(zone, alarm))


@op("jt808.delete_areas")
def delete_areas(core: Any, actor: str, unit_id: str, zone_ids: list[str] | None = None,
                 routes: bool = False) -> dict[str, Any]:
    """Have a truck's terminal forget the areas of these zones (0x8605), or the routes of these route corridors
    (0x8607); none named: every polygon area it keeps, or with `routes` every route."""
    from dispatch.jt808.commands import area_id_of
    from dispatch.zones.book import zone_book

    names = [str(z) for z in zone_ids or []]
    if names:
        with core.lock:
            zones = zone_book(core.state).zones
            lines = {z: (zones.get(z) or {}).get("geometry", {}).get("type", "").endswith("LineString") for z in names}
        if len(set(lines.values())) > 1:
            raise Refused("name areas and routes in two commands: a terminal deletes each kind by its own message",
                          "bad_arguments")
        routes = next(iter(lines.values()))
    if len(names) > 125:
        raise Refused("one command deletes at most 125 areas", "bad_arguments")
    return _command(core, actor, unit_id, {"command": "delete_areas", "area_ids": [area_id_of(z) for z in names],
                                           "zones": names, "routes": bool(routes)})


@op("jt808.confirm_alarms")
def confirm_alarms(core: Any, actor: str, unit_id: str, alarms: list[str]) -> dict[str, Any]:
    """Confirm alarms of a truck's terminal (0x8203, manual alarm confirmation): the terminal may then clear
    those it keeps until the platform confirms them. Acknowledging such an alarm's alert does it too."""
    from dispatch.jt808.commands import alarm_mask

    names = [alarms] if isinstance(alarms, str) else list(alarms or [])
    try:
        if not names or not alarm_mask(names):
            raise ValueError("no alarm named")
    except (TypeError, ValueError) as exc:
        raise Refused(f"give the alarms to confirm by name (emergency, ...): {exc}", "bad_arguments") from None
    return _command(core, actor, unit_id, {"command": "alarm_confirm", "alarms": names})


def confirm_event(state: Any, unit_id: str, alarms: list[str]) -> NewEvent | None:
    """The ``jt808.command_sent`` of an alarm confirmation to the unit's terminal (None: the unit has none);
    for an operation that confirms alarms inside its own decision (an alert acknowledged)."""
    u = state.units.get(unit_id)
    term = u.attributes.get("terminal") if u is not None else None
    if not isinstance(term, str):
        return None
    return NewEvent("jt808.command_sent", {"unit": unit_id, "terminal": term, "command": "alarm_confirm",
                                           "alarms": list(alarms)}, f"unit:{unit_id}")


@op("jt808.commands")
def commands_list(core: Any, actor: str, unit_id: str | None = None, event: int | None = None) -> list[dict[str, Any]]:
    """Commands sent to terminals (newest last, the last 500) with their outcome: None while waiting,
    then acked, failed, not_supported or timeout; `event` picks one by its seq."""
    core.refresh()
    with core.lock:
        cmds = jt808_state(core.state).commands
        rows = [cmds[int(event)]] if event is not None and int(event) in cmds else [] if event is not None else [
            c for c in cmds.values() if unit_id in (None, c["unit"])]
        return [dict(c) for c in rows]


# ---------------------------------------------------------------- photos (dispatch/jt808/media.py)
@op("jt808.take_photo")
def take_photo(core: Any, actor: str, unit_id: str, channel: int = 1, photos: int = 1) -> dict[str, Any]:
    """Have a truck's camera `channel` take `photos` photos now and upload them (0x8801). The command's outcome
    names the media ids the terminal will upload; each arrives as ``jt808.media_received`` (`jt808.photos`)."""
    from dispatch.jt808.commands import check_photo

    c, n = check_photo(channel, photos)
    return _command(core, actor, unit_id, {"command": "photo", "channel": c, "photos": n})


def _photo_row(ev_or_row: Any) -> dict[str, Any]:
    if isinstance(ev_or_row, dict):
        return dict(ev_or_row)
    return {**ev_or_row.payload, "seq": ev_or_row.seq, "ts": ev_or_row.ts}


@op("jt808.photos")
def photos(core: Any, actor: str, unit_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Photos (any media) trucks' terminals uploaded, newest last: the last `limit`; for one unit read from the
    whole log, else from the newest the state keeps. Each with its SHA-256, where and when it was taken, why
    (``event``), the photo command that asked for it (``request``) and the file's ``path`` where the hub keeps it."""
    from dispatch.blobs import attachments_dir, blob_path

    try:
        n = max(1, min(int(limit), 10_000))
    except (TypeError, ValueError):
        raise Refused(f"limit: {limit!r} is not a number", "bad_arguments") from None
    core.refresh()
    if unit_id is not None:
        with core.lock:
            if unit_id not in core.state.units:
                raise NotFound(f"unknown unit {unit_id!r}")
        rows = unit_photos(core, unit_id)[-n:]
    else:
        with core.lock:
            rows = [dict(m) for m in list(jt808_state(core.state).media.values())[-n:]]
    folder = attachments_dir(core)
    return [{**r, "path": str(blob_path(folder, r["sha256"]))} for r in rows]


def photo_event(core: Any, seq: Any) -> dict[str, Any]:
    """The ``jt808.media_received`` of `seq` (from the state, else the log). :raises NotFound: no such upload."""
    try:
        s = int(seq)
    except (TypeError, ValueError):
        raise Refused(f"a photo is named by its event seq, not {seq!r}", "bad_arguments") from None
    core.refresh()
    with core.lock:
        row = jt808_state(core.state).media.get(s)
    if row is not None:
        return dict(row)
    for ev in core.store.events(s - 1, kinds=["jt808.media_received"], limit=1):
        if ev.seq == s:
            return _photo_row(ev)
    raise NotFound(f"no photo was recorded at event {s} (ctl jt808 photos lists them)")


def unit_photos(core: Any, unit_id: str) -> list[dict[str, Any]]:
    """Every upload of `unit_id`'s terminal, from the log, in the order recorded."""
    return [_photo_row(ev) for ev in core.store.events(entity=f"unit:{unit_id}", kinds=["jt808.media_received"])]


def photos_between(core: Any, unit_id: str, t1: float, t2: float) -> list[dict[str, Any]]:
    """The photos `unit_id`'s cameras took between `t1` and `t2` (the terminal's time, else when recorded), oldest
    first, from the log: an alert's evidence."""
    rows = unit_photos(core, unit_id)
    return sorted((r for r in rows if t1 <= (r.get("time") or r["ts"]) <= t2), key=lambda r: r.get("time") or r["ts"])


def photo_recorded(core: Any, sha256: str) -> bool:
    """Whether the log recorded an upload stored under `sha256` (one query, however old the photo: the state keeps
    only the newest)."""
    from sqlalchemy import text

    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        return False
    q = text("SELECT payload FROM events WHERE kind = 'jt808.media_received' AND payload LIKE :pat LIMIT 5")
    with core.store.engine.connect() as conn:
        return any(json.loads(p).get("sha256") == sha256 for (p,) in conn.execute(q, {"pat": f"%{sha256}%"}))


@op("jt808.photo")
def photo(core: Any, actor: str, seq: Any, out: str | None = None) -> dict[str, Any]:
    """One uploaded photo (by the seq of its ``jt808.media_received``), with the file's ``path`` where the hub keeps
    it; with `out` a copy written there once the file is checked against the SHA-256 the log recorded."""
    from dispatch.blobs import attachments_dir, blob_path, copy_checked

    row = photo_event(core, seq)
    folder = attachments_dir(core)
    row["path"] = str(blob_path(folder, row["sha256"]))
    if out:
        row["written"] = copy_checked(folder, row["sha256"], out)
    return row
