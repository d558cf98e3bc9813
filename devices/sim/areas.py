"""The polygon areas and routes a simulated truck's terminal keeps (0x8604-0x8607, devices/jt808/areas.py) and the
alarms it raises on its own: crossing into an area set to alarm the platform on entering (or out of one set to alarm
on leaving) sets alarm bit 20, and leaving a route's corridor (further than half a section's width from it) or
coming back onto it sets bit 21, each with additional item 0x12 in that report; the bit stays on until the platform
confirms it (0x8203), as the standard has those alarms."""

from __future__ import annotations

import math

from devices.jt808.areas import ATTRIBUTES, DeleteAreas, PolygonArea, Route
from devices.jt808.messages import AreaCrossing

MAX_AREAS = 24  # what a terminal keeps of each kind; more is refused (result 1), as a full terminal's memory would
_ENTER, _LEAVE = 1 << ATTRIBUTES["enter_to_platform"], 1 << ATTRIBUTES["leave_to_platform"]
_M_PER_DEG = 111_320.0


def inside(lat: float, lon: float, ring: tuple[tuple[float, float], ...]) -> bool:
    """Whether (lat, lon) is inside the ring (even-odd rule; a point on an edge may fall either way)."""
    hit = False
    j = len(ring) - 1
    for i, (yi, xi) in enumerate(ring):
        yj, xj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            hit = not hit
        j = i
    return hit


def on_route(lat: float, lon: float, route: Route) -> bool:
    """Whether (lat, lon) is within half of a section's width of that section (metres, a flat earth: sections are
    short)."""
    k = math.cos(math.radians(lat)) * _M_PER_DEG
    px, py = lon * k, lat * _M_PER_DEG
    for a, b in zip(route.points, route.points[1:], strict=False):
        ax, ay, bx, by = a.lon * k, a.lat * _M_PER_DEG, b.lon * k, b.lat * _M_PER_DEG
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy or 1.0)))
        if math.hypot(px - ax - t * dx, py - ay - t * dy) <= a.width_m / 2:
            return True
    return False


class TerminalAreas:
    """The areas and routes set, which ones the truck is in, and their alarms until confirmed."""

    def __init__(self) -> None:
        self.areas: dict[int, PolygonArea] = {}
        self.routes: dict[int, Route] = {}
        self.within: set[int] = set()  # areas the truck is in
        self.on: set[int] = set()  # routes it is on
        self.alarm = False  # bit 20 on, until the platform confirms it
        self.route_alarm = False  # bit 21
        self._new: set[tuple[bool, int]] = set()  # set since the last report: where the truck is decides, no alarm

    def apply(self, msg: PolygonArea | Route | DeleteAreas) -> int:
        """A 0x8604-0x8607: the 0x0001 result (0 done, 1 no room for another)."""
        if isinstance(msg, DeleteAreas):
            kept, where = (self.routes, self.on) if msg.routes else (self.areas, self.within)
            for some_id in msg.area_ids or list(kept):
                kept.pop(some_id, None)  # type: ignore[arg-type]
                where.discard(some_id)
            return 0
        is_route = isinstance(msg, Route)
        kept = self.routes if is_route else self.areas
        some_id = msg.route_id if isinstance(msg, Route) else msg.area_id
        if some_id not in kept and len(kept) >= MAX_AREAS:
            return 1
        kept[some_id] = msg  # type: ignore[assignment]
        (self.on if is_route else self.within).discard(some_id)
        self._new.add((is_route, some_id))
        return 0

    def crossing(self, lat: float, lon: float) -> AreaCrossing | None:
        """The report at (lat, lon): the area or route entered or left that alarms the platform, if one was."""
        found = None
        for is_route, kept, where in ((False, self.areas, self.within), (True, self.routes, self.on)):
            for some_id, item in kept.items():
                now_in = on_route(lat, lon, item) if is_route else inside(lat, lon, item.points)  # type: ignore[arg-type]
                was_in = some_id in where
                (where.add if now_in else where.discard)(some_id)
                if (is_route, some_id) in self._new or now_in == was_in:
                    continue
                if (now_in and item.attributes & _ENTER) or (not now_in and item.attributes & _LEAVE):
                    found = AreaCrossing("route" if is_route else "polygon", some_id, now_in)
                    if is_route:
                        self.route_alarm = True
                    else:
                        self.alarm = True
        self._new.clear()
        return found

    def confirm(self, mask: int) -> None:
        """0x8203 confirming alarm bit 20 or 21 (or every alarm: a zero mask) clears it."""
        if not mask or mask >> 20 & 1:
            self.alarm = False
        if not mask or mask >> 21 & 1:
            self.route_alarm = False
