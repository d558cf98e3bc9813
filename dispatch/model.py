"""Domain types of the core: units, their kinds and statuses, and live positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class UnitKind(StrEnum):
    PATROL_BOAT = "patrol_boat"
    CLEANING_VESSEL = "cleaning_vessel"
    OFFICER = "officer"
    TRUCK = "truck"

    @property
    def on_water(self) -> bool:
        return self in (UnitKind.PATROL_BOAT, UnitKind.CLEANING_VESSEL)


class UnitStatus(StrEnum):
    """What the dispatcher can count on a unit for (presence is separate: online/stale)."""

    AVAILABLE = "available"
    ASSIGNED = "assigned"  # an assignment sent, not yet accepted
    BUSY = "busy"  # working an incident or task
    OUT_OF_SERVICE = "out_of_service"


@dataclass(slots=True)
class Position:
    lat: float
    lon: float
    ts: float  # UTC epoch seconds of the fix
    speed: float | None = None  # m/s
    course: float | None = None  # degrees true
    source: str | None = None


@dataclass(slots=True)
class Unit:
    id: str
    name: str
    kind: UnitKind
    status: UnitStatus = UnitStatus.AVAILABLE
    callsign: str | None = None
    mmsi: int | None = None
    home: str | None = None  # dock, station or depot id
    position: Position | None = None
    online: bool | None = None  # field link presence; None: unit has no field client
    current: str | None = None  # "incident:12" or "task:3" it works on
    attributes: dict[str, object] = field(default_factory=dict)

    def as_dict(self, now: float | None = None) -> dict[str, object]:
        d: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "status": self.status.value,
            "callsign": self.callsign,
            "mmsi": self.mmsi,
            "online": self.online,
            "current": self.current,
            "lat": None,
            "lon": None,
            "time": None,
        }
        if self.position is not None:
            p = self.position
            d.update(lat=p.lat, lon=p.lon, time=p.ts, speed=p.speed, course=p.course)
            if now is not None:
                d["fix_age_s"] = round(now - p.ts, 1)
        return d
