"""Zones: what the bureau draws on the map, checked feature by feature before anything is recorded.

A zone is a GeoJSON feature whose properties say what it is: `kind` (one of KINDS), `name`, and as
the kind needs `width_m` (a route: a LineString and the corridor around it), `hours` (a restricted
area: "07:00-09:00", several windows comma-separated, a window may run across midnight), `units`
(a patrol area: the boats that keep to it). Any zone may carry `speed_limit_kmh`. Hours are read in
the bureau's time zone (Asia/Shanghai unless the rules' configuration says otherwise) or the zone's
own `tz`.

`check_feature()` turns one feature into the clean definition a `zone.saved` event carries, or
raises `Refused` naming the feature (its number and name) and what is wrong with it.
"""

from __future__ import annotations

import math
import re
from typing import Any

from dispatch.bureautime import BUREAU_TZ_NAME
from dispatch.errors import Refused

KINDS = ("construction_site", "disposal_site", "route", "restricted", "patrol_area", "protection_zone")
SITE_KINDS = ("construction_site", "disposal_site")
AREA_TYPES = ("Polygon", "MultiPolygon")
LINE_TYPES = ("LineString", "MultiLineString")
DEFAULT_TZ = BUREAU_TZ_NAME  # the zone the rest of the core reckons in (dispatch/bureautime.py)
# Where the bureau works, generously (mainland China): a file whose points all fall in it only once
# each pair is swapped was written (lat, lon), not GeoJSON's (lon, lat).
_CHINA = (73.0, 18.0, 135.5, 54.0)
_ID = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_.:\-\u4e00-\u9fff]{0,63}$")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_hours(text: Any, where: str = "hours") -> list[list[int]]:
    """ "07:00-09:00, 22:00-06:00" -> [[420, 540], [1320, 360]] minutes of the day (start, end).

    A window whose end is not after its start runs across midnight. "24:00" ends a day.
    :raises Refused: anything else, saying what a window looks like.
    """
    if isinstance(text, list):
        text = ",".join(str(t) for t in text)
    if not isinstance(text, str) or not text.strip():
        raise Refused(f"{where}: hours must be windows such as \"07:00-09:00\" or \"22:00-06:00\"", "bad_hours")
    out = []
    for part in text.split(","):
        m = _HOURS.match(part)
        if not m:
            raise Refused(f"{where}: {part.strip()!r} is not a window such as \"07:00-09:00\"", "bad_hours")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
            raise Refused(f"{where}: {part.strip()!r} is not a time of day", "bad_hours")
        a, b = h1 * 60 + m1, h2 * 60 + m2
        if a == b:
            raise Refused(f"{where}: {part.strip()!r} is an empty window", "bad_hours")
        out.append([a % 1440, b if b == 1440 else b % 1440])
    return out


def in_windows(minute: int, windows: list[tuple[int, int]] | list[list[int]]) -> bool:
    """Whether a minute of the day (0..1439) falls in any window (end exclusive; across midnight allowed)."""
    for a, b in windows:
        if (a <= minute < b) if a < b else (minute >= a or minute < b):
            return True
    return False


def part_of_day(hours: Any) -> bool:
    """Whether a zone's or a permit's ``hours`` leave some minute of the day out ("00:00-24:00" and no hours at all
    are every minute)."""
    if not hours:
        return False
    windows = parse_hours(hours)
    return not all(in_windows(m, windows) for m in range(1440))


def check_tz(name: Any, where: str) -> str:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(str(name))
    except Exception:
        raise Refused(f"{where}: unknown time zone {name!r} (e.g. Asia/Shanghai)", "bad_tz") from None
    return str(name)


def _points(geom: dict[str, Any]) -> list[Any]:
    t, c = geom.get("type"), geom.get("coordinates")
    depth = {"Point": 0, "LineString": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}.get(str(t), -1)
    out: list[Any] = []

    def walk(x: Any, d: int) -> None:
        if d == 0:
            out.append(x)
        elif isinstance(x, list):
            for y in x:
                walk(y, d - 1)

    walk(c, depth)
    return out


def _check_coords(geom: dict[str, Any], where: str) -> None:
    pts = _points(geom)
    if not pts:
        raise Refused(f"{where}: empty geometry (no coordinates)", "empty_geometry")
    for p in pts:
        if not (isinstance(p, list) and len(p) >= 2 and all(isinstance(v, (int, float)) and math.isfinite(v)
                                                            for v in p[:2])):
            raise Refused(f"{where}: a position must be [lon, lat] numbers, not {p!r}", "bad_geometry")
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    swapped_hint = "coordinates look like (lat, lon); GeoJSON positions are [lon, lat]"
    if any(abs(y) > 90.0 for y in ys) and all(abs(x) <= 90.0 for x in xs):
        raise Refused(f"{where}: {swapped_hint}", "latlon_order")
    if any(abs(x) > 180.0 or abs(y) > 90.0 for x, y in zip(xs, ys, strict=True)):
        raise Refused(f"{where}: coordinates out of range (lon -180..180, lat -90..90)", "bad_geometry")
    x0, y0, x1, y1 = _CHINA

    def inside(a: list[float], b: list[float]) -> bool:
        return all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in zip(a, b, strict=True))

    if not inside(xs, ys) and inside(ys, xs):
        raise Refused(f"{where}: {swapped_hint}", "latlon_order")


def check_geometry(geom: Any, kind: str, where: str) -> dict[str, Any]:
    """The feature's geometry if it suits the kind and is valid; else Refused saying why."""
    import shapely
    from shapely.geometry import shape

    if not isinstance(geom, dict) or "type" not in geom:
        raise Refused(f"{where}: no geometry", "empty_geometry")
    want = LINE_TYPES if kind == "route" else AREA_TYPES
    if geom["type"] not in want:
        raise Refused(f"{where}: a {kind} must be a {' or '.join(want)}, not a {geom['type']}", "bad_geometry")
    _check_coords(geom, where)
    try:
        g = shape(geom)
    except Exception as exc:
        raise Refused(f"{where}: not a valid {geom['type']}: {exc}", "bad_geometry") from None
    if g.is_empty:
        raise Refused(f"{where}: empty geometry", "empty_geometry")
    if not g.is_valid:
        reason = shapely.is_valid_reason(g)
        what = "self-intersecting" if "Self-intersection" in reason or "Ring" in reason else "invalid"
        raise Refused(f"{where}: {what} {geom['type']} ({reason})", "invalid_geometry")
    if (kind != "route" and g.area == 0.0) or (kind == "route" and g.length == 0.0):
        raise Refused(f"{where}: empty geometry (no area or length)", "empty_geometry")
    return {"type": geom["type"], "coordinates": geom["coordinates"]}


def check_feature(feature: Any, n: int, label: str | None = None) -> dict[str, Any]:
    """One GeoJSON feature -> a zone definition {id, kind, name, geometry, ...}.

    :raises Refused: naming the feature ("feature 3 (东环消纳场)", or `label` and its name) and what is wrong.
    """
    where = label or f"feature {n}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise Refused(f"{where}: not a GeoJSON Feature", "not_geojson")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise Refused(f"{where}: properties must be an object", "bad_zone")
    name = str(props.get("name") or "").strip()
    if name:
        where = f"{label or f'feature {n}'} ({name})"
    kind = str(props.get("kind") or "").strip()
    if kind not in KINDS:
        raise Refused(f"{where}: unknown kind {kind!r}; one of {', '.join(KINDS)}", "unknown_kind")
    if not name:
        raise Refused(f"{where}: a zone needs a name", "bad_zone")
    zid = str(props.get("id") or feature.get("id") or "").strip()
    if zid and not _ID.match(zid):
        raise Refused(f"{where}: id {zid!r} must be letters, digits and - _ . : (at most 64)", "bad_zone")
    zone: dict[str, Any] = {"id": zid, "kind": kind, "name": name[:200],
                            "geometry": check_geometry(feature.get("geometry"), kind, where)}
    if kind == "route":
        w = props.get("width_m")
        if w is None or w == "":
            raise Refused(f"{where}: a route needs width_m, the width of its corridor in metres", "route_width")
        try:
            width = float(w)
        except (TypeError, ValueError):
            raise Refused(f"{where}: width_m {w!r} is not a number of metres", "route_width") from None
        if not (0.0 < width <= 5000.0):
            raise Refused(f"{where}: width_m must be more than 0 and at most 5000 metres", "route_width")
        zone["width_m"] = width
    if props.get("hours") not in (None, ""):
        zone["hours"] = props["hours"] if isinstance(props["hours"], str) else ",".join(props["hours"])
        zone["windows"] = parse_hours(props["hours"], f"{where}: hours")
    if props.get("tz"):
        zone["tz"] = check_tz(props["tz"], where)
    if kind == "patrol_area":
        units = props.get("units") or []
        if isinstance(units, str):
            units = [u.strip() for u in units.split(",")]
        if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
            raise Refused(f"{where}: units must be a list of unit ids", "bad_zone")
        zone["units"] = sorted({u.strip() for u in units if u.strip()})
    if props.get("speed_limit_kmh") not in (None, ""):
        try:
            limit = float(props["speed_limit_kmh"])
        except (TypeError, ValueError):
            raise Refused(f"{where}: speed_limit_kmh is not a number", "bad_zone") from None
        if not 0.0 < limit < 400.0:
            raise Refused(f"{where}: speed_limit_kmh must be between 0 and 400", "bad_zone")
        zone["speed_limit_kmh"] = limit
    return zone


def read_collection(doc: Any, source: str = "the file") -> list[dict[str, Any]]:
    """A FeatureCollection (or one Feature) -> checked zone definitions, all or nothing."""
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise Refused(f"{source} is not GeoJSON (a FeatureCollection of zones)", "not_geojson")
    if not doc["features"]:
        raise Refused(f"{source}: the FeatureCollection has no features", "not_geojson")
    zones = [check_feature(f, n) for n, f in enumerate(doc["features"], 1)]
    ids: dict[str, int] = {}
    for n, z in enumerate(zones, 1):
        if z["id"]:
            if z["id"] in ids:
                raise Refused(f"feature {n} ({z['name']}): the same id as feature {ids[z['id']]}", "bad_zone")
            ids[z["id"]] = n
    return zones


def as_feature(zone: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in zone.items() if k not in ("geometry", "windows", "version", "updated", "by")}
    return {"type": "Feature", "id": zone["id"], "properties": props, "geometry": zone["geometry"]}
