"""Where the control room sees a unit: the hub tells a field client that asked for it (login with
"where": true) the unit's position as the core has it from the unit's own receivers (AIS, NMEA feeds),
so a crew without GPS on its tablet still sees its boat on the map. Unsequenced, best effort."""

from __future__ import annotations

from typing import Any

WHERE_EVERY_S = 2.0  # at most this often per unit, and only when the core has a newer fix


def where_messages(core: Any, units: list[str], last: dict[str, float]) -> list[tuple[str, dict[str, Any]]]:
    """(unit, message) for each unit whose position is newer than the one last sent (`last`: unit -> fix
    time, updated). A position the unit reported itself ("field") is not sent back to it."""
    out = []
    with core.lock:
        for unit in units:
            u = core.state.units.get(unit)
            p = u.position if u is not None else None
            if p is None or p.source == "field" or p.ts <= last.get(unit, 0.0):
                continue
            last[unit] = p.ts
            msg: dict[str, Any] = {"type": "where", "lat": round(p.lat, 7), "lon": round(p.lon, 7), "ts": p.ts}
            if p.course is not None:
                msg["course"] = round(float(p.course), 1)
            out.append((unit, msg))
    return out
