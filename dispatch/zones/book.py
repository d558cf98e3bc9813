"""The zone book: zones, transport companies and truck permits as the events left them (state.ext["zones"]).

Events: `zone.saved` (a whole definition: a new zone or its next version), `zone.removed`,
`company.saved`, `truck.permit_saved`. The replay applies the same events, so it shows the
zones as they were at any time. `version` counts changes; the spatial index is rebuilt when it moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dispatch.changes import Changes
from dispatch.state import State, applies
from dispatch.store import Event
from dispatch.zones.model import DEFAULT_TZ


@dataclass
class ZoneBook:
    zones: dict[str, dict[str, Any]] = field(default_factory=dict)
    companies: dict[str, dict[str, Any]] = field(default_factory=dict)
    permits: dict[str, dict[str, Any]] = field(default_factory=dict)  # by unit id (the truck)
    version: int = 0  # any change of zones
    permits_version: int = 0  # any change of companies or permits
    next_n: int = 1  # for zone ids the import makes up ("zone-7")
    tz: str = DEFAULT_TZ  # the bureau's time zone: hours of zones and permits are read in it

    def by_name(self, kind: str, name: str) -> dict[str, Any] | None:
        for z in self.zones.values():
            if z["kind"] == kind and z["name"] == name:
                return z
        return None


def zone_book(state: State) -> ZoneBook:
    b = state.ext.get("zones")
    if b is None:
        b = state.ext["zones"] = ZoneBook()
    return b


def _touch(ch: Changes, entity: str) -> None:
    ch.entities.add(entity)  # "zone:..." / "company:...": the map's zone layer and the alert views watch these


@applies("zone.saved")
def _zone_saved(state: State, ev: Event, ch: Changes) -> None:
    b = zone_book(state)
    z = dict(ev.payload)
    old = b.zones.get(z["id"])
    z["version"] = (old or {}).get("version", 0) + 1
    z["updated"] = ev.ts
    z["by"] = ev.actor
    b.zones[z["id"]] = z
    b.version += 1
    tail = z["id"].rsplit("-", 1)
    if z["id"].startswith("zone-") and len(tail) == 2 and tail[1].isdigit():
        b.next_n = max(b.next_n, int(tail[1]) + 1)
    _touch(ch, f"zone:{z['id']}")


@applies("zone.removed")
def _zone_removed(state: State, ev: Event, ch: Changes) -> None:
    b = zone_book(state)
    if b.zones.pop(ev.payload["id"], None) is not None:
        b.version += 1
        _touch(ch, f"zone:{ev.payload['id']}")


@applies("company.saved")
def _company_saved(state: State, ev: Event, ch: Changes) -> None:
    b = zone_book(state)
    b.companies[ev.payload["id"]] = dict(ev.payload, updated=ev.ts)
    b.permits_version += 1
    _touch(ch, f"company:{ev.payload['id']}")


@applies("truck.permit_saved")
def _permit_saved(state: State, ev: Event, ch: Changes) -> None:
    b = zone_book(state)
    b.permits[ev.payload["unit_id"]] = dict(ev.payload, updated=ev.ts)
    b.permits_version += 1
    ch.units = True
    _touch(ch, f"unit:{ev.payload['unit_id']}")


@applies("zones.tz_set")
def _tz_set(state: State, ev: Event, ch: Changes) -> None:
    b = zone_book(state)
    b.tz = ev.payload["tz"]
    b.version += 1
    b.permits_version += 1
    _touch(ch, "zones")
