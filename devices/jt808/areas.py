"""JT/T 808 polygon areas and routes kept by the terminal itself: the platform sets one (0x8604 an area, 0x8606 a
route) or deletes some or all (0x8605, 0x8607); the terminal answers 0x0001 and from then on raises the area alarm
(alarm bit 20) or the route alarm (bit 21), with additional item 0x12 (which area or route, entered or left), on its
own, also where it has no signal to the platform.

0x8604 body: DWORD area id, WORD attributes (`ATTRIBUTES`: bit 0 only between its start and end time, 1 speed
limited, 2/3 entering alarms to the driver/the platform, 4/5 leaving ones, 6 south, 7 west, 8 doors not to open,
14 radio off inside, 15 GNSS detail collected inside), then with bit 0 BCD[6] start and end (YYMMDDhhmmss), with bit
1 WORD highest speed (km/h) and BYTE seconds over it before the alarm, then WORD vertex count and each vertex DWORD
latitude and longitude (millionths of a degree). 2019 adds, after the vertices, with bit 1 the WORD night-time
highest speed, then WORD name length and the name (GBK). 0x8605 body: BYTE count (0: every polygon area), DWORD ids.

0x8606 body: DWORD route id, WORD attributes (bits 0 and 2-5 as an area's), with bit 0 the two times, WORD count of
turning points, each DWORD point id, DWORD section id (the section from it to the next point), DWORD latitude and
longitude, BYTE the section's width (m), BYTE section attributes (`SECTION_ATTRIBUTES`: bit 0 driving time limits,
1 speed limited, 2 south, 3 west), with bit 0 WORD longest and shortest driving seconds, with bit 1 WORD highest
speed and BYTE seconds over it (2019: and WORD night-time highest speed); 2019 adds WORD name length and the name.
0x8607 as 0x8605, for routes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from devices.errors import BodyError
from devices.jt808.bodyparts import need
from devices.jt808.header import Header
from devices.jt808.text import gbk, strict_text

ATTRIBUTES = {"by_time": 0, "speed_limit": 1, "enter_to_driver": 2, "enter_to_platform": 3, "leave_to_driver": 4,
              "leave_to_platform": 5, "south": 6, "west": 7, "no_door_opening": 8, "radio_off_inside": 14,
              "gnss_detail_inside": 15}
SECTION_ATTRIBUTES = {"time_limits": 0, "speed_limit": 1, "south": 2, "west": 3}
MAX_TURNS = 40  # turning points of one route: 40 of 2019's 23 bytes (with a speed limit) and a 40-character name fit 1023
MAX_VERTICES = 110  # what one 1023-byte body holds with a name of 60 characters: a larger outline is simplified first
MAX_DELETE = 125  # ids one 0x8605 names
_HEAD = struct.Struct(">IH")
_SPEED = struct.Struct(">HB")
_POINT = struct.Struct(">II")
_H = struct.Struct(">H")
_I = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class PolygonArea:
    """0x8604: a polygon area the terminal keeps (see the module's docstring); `points` (lat, lon) in degrees,
    signed as the attributes' bits 6 and 7 say."""

    header: Header
    area_id: int
    attributes: int
    start: str | None  # YYMMDDhhmmss, with attribute bit 0
    end: str | None
    max_speed_kmh: int | None  # with attribute bit 1
    overspeed_s: int | None
    points: tuple[tuple[float, float], ...]
    night_max_speed_kmh: int | None = None  # 2019, with bit 1
    name: str = ""  # 2019

    @property
    def flags(self) -> tuple[str, ...]:
        return flag_names(self.attributes)


@dataclass(frozen=True, slots=True)
class DeleteAreas:
    """0x8605 (polygon areas) or 0x8607 (routes, `routes`): delete these; none named: every one."""

    header: Header
    area_ids: tuple[int, ...]
    routes: bool = False


@dataclass(frozen=True, slots=True)
class TurningPoint:
    """A point of a 0x8606 route and the section from it to the next point."""

    point_id: int
    section_id: int
    lat: float
    lon: float
    width_m: int
    attributes: int  # SECTION_ATTRIBUTES
    longest_s: int | None = None
    shortest_s: int | None = None
    max_speed_kmh: int | None = None
    overspeed_s: int | None = None
    night_max_speed_kmh: int | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """0x8606: a route the terminal keeps (see the module's docstring)."""

    header: Header
    route_id: int
    attributes: int
    start: str | None
    end: str | None
    points: tuple[TurningPoint, ...]
    name: str = ""  # 2019

    @property
    def flags(self) -> tuple[str, ...]:
        return flag_names(self.attributes)


def flag_names(word: int) -> tuple[str, ...]:
    """The attribute names (`ATTRIBUTES`) a WORD sets."""
    return tuple(n for n, bit in ATTRIBUTES.items() if word >> bit & 1)


def attributes_of(flags: Sequence[str]) -> int:
    """The WORD of attribute names. :raises ValueError: a name not in `ATTRIBUTES`."""
    word = 0
    for f in flags:
        if f not in ATTRIBUTES:
            raise ValueError(f"unknown area attribute {f!r}")
        word |= 1 << ATTRIBUTES[f]
    return word


def polygon_area_body(area_id: int, points: Sequence[tuple[float, float]], *, flags: Sequence[str] = (),
                      start: str | None = None, end: str | None = None, max_speed_kmh: int | None = None,
                      overspeed_s: int = 10, night_max_speed_kmh: int | None = None, name: str = "",
                      edition: int = 2013) -> bytes:
    """A 0x8604 body. `flags` name the attributes (`ATTRIBUTES`); `speed_limit` and `by_time` are set by giving
    `max_speed_kmh` and `start`/`end`; south and west by the points' signs.

    :raises ValueError: fewer than 3 or more than `MAX_VERTICES` points, an id or a speed out of range, a time not
        12 digits, a body over 1023 bytes."""
    if not 3 <= len(points) <= MAX_VERTICES:
        raise ValueError(f"a polygon area has 3 to {MAX_VERTICES} vertices, not {len(points)}")
    if not 0 <= area_id <= 0xFFFFFFFF:
        raise ValueError(f"area id {area_id} is not a DWORD")
    names = set(flags) - {"by_time", "speed_limit", "south", "west"}
    if start is not None or end is not None:
        names.add("by_time")
    if max_speed_kmh is not None:
        names.add("speed_limit")
    if any(lat < 0 for lat, _ in points):
        names.add("south")
    if any(lon < 0 for _, lon in points):
        names.add("west")
    attrs = attributes_of(sorted(names))
    out = bytearray(_HEAD.pack(area_id, attrs))
    if "by_time" in names:
        for t in (start or "000000000000", end or "000000000000"):
            if len(t) != 12 or not t.isdigit():
                raise ValueError(f"an area's time is 12 digits YYMMDDhhmmss, not {t!r}")
            out += bytes.fromhex(t)
    if max_speed_kmh is not None:
        if not 0 <= max_speed_kmh <= 0xFFFF or not 0 <= overspeed_s <= 0xFF:
            raise ValueError("a highest speed is 0-65535 km/h held 0-255 s")
        out += _SPEED.pack(max_speed_kmh, overspeed_s)
    out += _H.pack(len(points))
    for lat, lon in points:
        out += _POINT.pack(round(abs(lat) * 1e6), round(abs(lon) * 1e6))
    if edition == 2019:
        if max_speed_kmh is not None:
            out += _H.pack(night_max_speed_kmh if night_max_speed_kmh is not None else max_speed_kmh)
        raw = gbk(name)
        out += _H.pack(len(raw)) + raw
    if len(out) > 1023:
        raise ValueError(f"the area's message is {len(out)} bytes; one message carries 1023 (fewer vertices)")
    return bytes(out)


def route_body(route_id: int, points: Sequence[tuple[float, float]], width_m: int, *, flags: Sequence[str] = (),
               max_speed_kmh: int | None = None, overspeed_s: int = 10, name: str = "", edition: int = 2013) -> bytes:
    """A 0x8606 body: `points` (lat, lon) the route's turning points, each section `width_m` wide (1-255) and limited
    to `max_speed_kmh` if given; `flags` the route's alarms (``leave_to_platform``...: `ATTRIBUTES`).

    :raises ValueError: fewer than 2 or more than `MAX_TURNS` points, a width or a speed out of range, a body over
        1023 bytes."""
    if not 2 <= len(points) <= MAX_TURNS:
        raise ValueError(f"a route has 2 to {MAX_TURNS} turning points, not {len(points)}")
    if not 1 <= width_m <= 0xFF or not 0 <= route_id <= 0xFFFFFFFF:
        raise ValueError("a section is 1-255 m wide; a route id is a DWORD")
    out = bytearray(_HEAD.pack(route_id, attributes_of(sorted(set(flags) - {"by_time", "speed_limit"}))))
    out += _H.pack(len(points))
    for i, (lat, lon) in enumerate(points):
        attrs = (2 if max_speed_kmh is not None else 0) | (4 if lat < 0 else 0) | (8 if lon < 0 else 0)
        out += struct.pack(">IIIIBB", i + 1, i + 1, round(abs(lat) * 1e6), round(abs(lon) * 1e6), width_m, attrs)
        if max_speed_kmh is not None:
            out += _SPEED.pack(max_speed_kmh, overspeed_s) + (_H.pack(max_speed_kmh) if edition == 2019 else b"")
    if edition == 2019:
        raw = gbk(name)
        out += _H.pack(len(raw)) + raw
    if len(out) > 1023:
        raise ValueError(f"the route's message is {len(out)} bytes; one message carries 1023 (fewer points)")
    return bytes(out)


def delete_areas_body(area_ids: Sequence[int] = ()) -> bytes:
    """A 0x8605 body; no ids: every polygon area. :raises ValueError: more than `MAX_DELETE` ids."""
    if len(area_ids) > MAX_DELETE:
        raise ValueError(f"one message deletes at most {MAX_DELETE} areas")
    return bytes((len(area_ids),)) + b"".join(_I.pack(i) for i in area_ids)


def _error(h: Header, body: bytes, what: str) -> BodyError:
    return BodyError(f"0x{h.msg_id:04X}: {what}", raw=bytes(body), header=h)


def _head(h: Header, body: bytes, what: str) -> tuple[int, int, str | None, str | None, int]:
    """An area's or a route's id and attributes, and with attribute bit 0 its two times: (id, attributes, start,
    end, where the rest begins)."""
    need(h, body, _HEAD.size, what)
    some_id, attrs = _HEAD.unpack_from(body)
    if not attrs & 1:
        return some_id, attrs, None, None, _HEAD.size
    need(h, body, _HEAD.size + 12, f"{what} (its times)")
    times = bytes(body[_HEAD.size:_HEAD.size + 12]).hex()
    return some_id, attrs, times[:12], times[12:], _HEAD.size + 12


def _name(h: Header, body: bytes, pos: int, what: str) -> tuple[str, int]:
    """2019's WORD length and GBK name at `pos`: (the name, where it ends)."""
    need(h, body, pos + 2, f"{what} (its name's length)")
    n = _H.unpack_from(body, pos)[0]
    need(h, body, pos + 2 + n, f"{what} (its name)")
    try:
        return strict_text(body[pos + 2:pos + 2 + n]), pos + 2 + n
    except UnicodeDecodeError:
        raise _error(h, body, f"the {what}'s name is not GBK text") from None


def polygon_area(h: Header, body: bytes) -> PolygonArea:
    """0x8604 as the module's docstring lays it out (2019's tail read from a 2019 header)."""
    area_id, attrs, start, end, pos = _head(h, body, "polygon area")
    speed = over = None
    if attrs & 2:
        need(h, body, pos + _SPEED.size, "polygon area (its speed)")
        speed, over = _SPEED.unpack_from(body, pos)
        pos += _SPEED.size
    need(h, body, pos + 2, "polygon area (its vertex count)")
    count = _H.unpack_from(body, pos)[0]
    pos += 2
    need(h, body, pos + count * _POINT.size, f"polygon area ({count} vertices)")
    lat_sign, lon_sign = (-1 if attrs >> 6 & 1 else 1), (-1 if attrs >> 7 & 1 else 1)
    points = tuple((lat_sign * a / 1e6, lon_sign * o / 1e6) for a, o in _POINT.iter_unpack(
        bytes(body[pos:pos + count * _POINT.size])))
    pos += count * _POINT.size
    night, name = None, ""
    if h.edition == 2019:
        if attrs & 2:
            need(h, body, pos + 2, "polygon area (its night speed)")
            night = _H.unpack_from(body, pos)[0]
            pos += 2
        name, pos = _name(h, body, pos, "polygon area")
    if pos != len(body):
        raise _error(h, body, f"{len(body) - pos} bytes after the polygon area")
    return PolygonArea(h, area_id, attrs, start, end, speed, over, points, night, name)


def delete_areas(h: Header, body: bytes) -> DeleteAreas:
    """0x8605 / 0x8607: the count must be the ids that follow."""
    need(h, body, 1, "area deletion")
    if len(body) != 1 + body[0] * 4:
        raise _error(h, body, f"{body[0]} ids announced, {len(body) - 1} bytes follow")
    return DeleteAreas(h, tuple(_I.unpack_from(body, 1 + 4 * i)[0] for i in range(body[0])), h.msg_id == 0x8607)


def route(h: Header, body: bytes) -> Route:
    """0x8606 as the module's docstring lays it out (2019's night speeds and name read from a 2019 header)."""
    route_id, attrs, start, end, pos = _head(h, body, "route")
    need(h, body, pos + 2, "route (its point count)")
    count = _H.unpack_from(body, pos)[0]
    pos += 2
    points = []
    for i in range(count):
        need(h, body, pos + 18, f"route (turning point {i + 1} of {count})")
        pid, sid, lat, lon, width, sattrs = struct.unpack_from(">IIIIBB", body, pos)
        pos += 18
        longest = shortest = speed = over = night = None
        if sattrs & 1:
            need(h, body, pos + 4, f"route (point {i + 1}'s driving times)")
            longest, shortest = struct.unpack_from(">HH", body, pos)
            pos += 4
        if sattrs & 2:
            need(h, body, pos + 3 + (2 if h.edition == 2019 else 0), f"route (point {i + 1}'s speed)")
            speed, over = _SPEED.unpack_from(body, pos)
            pos += 3
            if h.edition == 2019:
                night = _H.unpack_from(body, pos)[0]
                pos += 2
        points.append(TurningPoint(pid, sid, (-lat if sattrs & 4 else lat) / 1e6, (-lon if sattrs & 8 else lon) / 1e6,
                                   width, sattrs, longest, shortest, speed, over, night))
    name = ""
    if h.edition == 2019:
        name, pos = _name(h, body, pos, "route")
    if pos != len(body):
        raise _error(h, body, f"{len(body) - pos} bytes after the route")
    return Route(h, route_id, attrs, start, end, tuple(points), name)


AreaMessage = PolygonArea | DeleteAreas | Route
