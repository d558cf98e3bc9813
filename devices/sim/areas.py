"""The polygon areas a simulated truck's terminal keeps (0x8604 / 0x8605, devices/jt808/areas.py) and the area
alarm it raises on its own: crossing into an area set to alarm the platform on entering (or out of one set to alarm
on leaving) sets alarm bit 20 with additional item 0x12 in that report; the bit stays on until the platform
confirms it (0x8203), as the standard has the area alarms."""

from __future__ import annotations

from devices.jt808.areas import ATTRIBUTES, DeleteAreas, PolygonArea
from devices.jt808.messages import AreaCrossing

MAX_AREAS = 24  # what a terminal keeps; more is refused (result 1), as a full terminal's memory would
_ENTER, _LEAVE = 1 << ATTRIBUTES["enter_to_platform"], 1 << ATTRIBUTES["leave_to_platform"]


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


class TerminalAreas:
    """The areas set, which ones the truck is in, and the area alarm until confirmed."""

    def __init__(self) -> None:
        self.areas: dict[int, PolygonArea] = {}
        self.within: set[int] = set()
        self.alarm = False  # bit 20 on, until the platform confirms it
        self._new: set[int] = set()  # areas set since the last report: where the truck is decides, no alarm

    def apply(self, msg: PolygonArea | DeleteAreas) -> int:
        """A 0x8604 or 0x8605: the 0x0001 result (0 done, 1 no room for another area)."""
        if isinstance(msg, DeleteAreas):
            for area_id in msg.area_ids or list(self.areas):
                self.areas.pop(area_id, None)
                self.within.discard(area_id)
            return 0
        if msg.area_id not in self.areas and len(self.areas) >= MAX_AREAS:
            return 1
        self.areas[msg.area_id] = msg
        self.within.discard(msg.area_id)
        self._new.add(msg.area_id)
        return 0

    def crossing(self, lat: float, lon: float) -> AreaCrossing | None:
        """The report at (lat, lon): the area entered or left that alarms the platform, if one was."""
        found = None
        for area_id, area in self.areas.items():
            now_in, was_in = inside(lat, lon, area.points), area_id in self.within
            if now_in:
                self.within.add(area_id)
            else:
                self.within.discard(area_id)
            if area_id in self._new or now_in == was_in:
                continue
            if (now_in and area.attributes & _ENTER) or (not now_in and area.attributes & _LEAVE):
                found = AreaCrossing("polygon", area_id, now_in)
                self.alarm = True
        self._new.clear()
        return found

    def confirm(self, mask: int) -> None:
        """0x8203 confirming alarm bit 20 (or every alarm: a zero mask) clears it."""
        if not mask or mask >> 20 & 1:
            self.alarm = False
