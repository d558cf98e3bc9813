"""Where the demo fleet's boats, vessels and officers were in the past week (dispatch/demo/week.py).

Replaying a day of the week should show the units the reports were sent to going there, not incidents alone.
Each boat and vessel stands at its dock and each officer at their patrol zone from the week's start; a unit sent
to a report goes there when it sets off (en route), by the river or by the roads, arriving when the week says it
arrived, stays on the scene until the report is resolved, and goes back at its kind's pace. A unit sent again on
the way back sets off from where it is then. The fixes come as a receiver's would on the move (every
`MOVING_S`, with speed and course) and sparser while standing (`STANDING_S`).

Trucks have none: nobody dispatches them, and their week would be a construction site's. A week of the whole
fleet's patrols, every few seconds, would be hundreds of thousands of fixes filed at every first start; these
are about ten thousand. They go to the store only (the units' live positions come from the simulator that
starts after), so nothing that watches live fixes (the rules) sees them.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any

from dispatch.city.data import City
from dispatch.geo import bearing_deg, haversine_m

MOVING_S = 20.0  # a fix every this many seconds on the move
STANDING_S = 600.0  # and while standing, at the scene or back at base
PACE_M_S = {"patrol_boat": 6.0, "cleaning_vessel": 3.0, "officer": 1.3}  # going back to base
Row = tuple[str, float, float, float, float | None, float | None, str | None]


def _bases(city: City, units: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Each boat's, vessel's and officer's base: its dock, or its patrol zone's middle."""
    places = {p.id: p.geometry for p in [*city.docks, *city.patrol_zones]}
    out = {}
    for u in units:
        if u["kind"] not in PACE_M_S or u.get("home") not in places:
            continue
        p = places[u["home"]].representative_point()
        out[u["id"]] = (p.y, p.x)
    return out


class WeekTracks:
    """The fixes of the week's units, built as `_Week` files its steps (in time order per unit)."""

    def __init__(self, city: City, units: list[dict[str, Any]], start: float) -> None:
        self.city = city
        self.kind = {u["id"]: u["kind"] for u in units}
        self.base = _bases(city, units)
        self.rows: dict[str, list[Row]] = {u: [] for u in self.base}
        for u, (lat, lon) in self.base.items():
            self.rows[u].append((u, start, lat, lon, 0.0, None, f"demo:{u}"))

    def set_off(self, unit: str, t0: float, t1: float, dest: tuple[float, float]) -> None:
        """`unit` leaves where it is at `t0` for `dest` and is there at `t1`."""
        if unit in self.rows:
            self._move(unit, t0, t1, self._route(unit, self._where(unit, t0), dest))

    def stay_and_return(self, unit: str, t1: float) -> None:
        """`unit`, arrived where it was going, stays until `t1`, then goes back to its base at its kind's pace."""
        if unit not in self.rows:
            return
        *_, t0, lat, lon, _speed, _course, _source = self.rows[unit][-1]
        here = (lat, lon)
        self._stand(unit, t0, t1, here)
        path = self._route(unit, here, self.base[unit])
        metres = sum(haversine_m(*a, *b) for a, b in zip(path, path[1:], strict=False))
        back = t1 + max(MOVING_S, metres / PACE_M_S[self.kind[unit]])
        self._move(unit, t1, back, path)

    def all_rows(self, end: float) -> list[Row]:
        """Every fix up to `end`, in time order; a unit back at base gets a fix at `end`, as receivers
        standing still keep reporting."""
        out = []
        for unit, rows in self.rows.items():
            kept = [r for r in rows if r[1] <= end]
            last = kept[-1]
            if last[1] < end:
                kept.append((unit, end, last[2], last[3], 0.0, None, last[6]))
            out.extend(kept)
        out.sort(key=lambda r: r[1])
        return out

    # ------------------------------------------------------------------------------------------- inside
    def _where(self, unit: str, t: float) -> tuple[float, float]:
        """Where `unit` is at `t`; what it had planned after `t` (the way back) is dropped."""
        rows = self.rows[unit]
        i = bisect_right([r[1] for r in rows], t)
        del rows[max(i, 1):]
        return rows[-1][2], rows[-1][3]

    def _route(self, unit: str, a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
        if self.kind[unit] == "officer":
            middle = self.city.road_route(a, b)
        else:
            middle = self.city.river_path_between(a, b)
        return [a, *middle, b]

    def _stand(self, unit: str, t0: float, t1: float, at: tuple[float, float]) -> None:
        rows = self.rows[unit]
        t = t0 + STANDING_S
        while t < t1:
            rows.append((unit, t, at[0], at[1], 0.0, None, f"demo:{unit}"))
            t += STANDING_S

    def _move(self, unit: str, t0: float, t1: float, path: list[tuple[float, float]]) -> None:
        """Fixes along `path` from `t0` to `t1`, evenly in distance, every `MOVING_S` or so."""
        legs = [haversine_m(*a, *b) for a, b in zip(path, path[1:], strict=False)]
        total = sum(legs)
        rows, source = self.rows[unit], f"demo:{unit}"
        if total < 1.0 or t1 <= t0:
            rows.append((unit, max(t0, t1), path[-1][0], path[-1][1], 0.0, None, source))
            return
        speed = round(total / (t1 - t0), 2)
        courses = [round(bearing_deg(*a, *b), 1) for a, b in zip(path, path[1:], strict=False)]
        n = max(2, math.ceil((t1 - t0) / MOVING_S))
        rows.append((unit, t0, path[0][0], path[0][1], speed, courses[0], source))  # sets off
        leg, done = 0, 0.0  # the leg the next point falls in, and the metres before it
        for k in range(1, n + 1):
            s = total * k / n
            while leg < len(legs) - 1 and done + legs[leg] < s:
                done += legs[leg]
                leg += 1
            (la, oa), (lb, ob) = path[leg], path[leg + 1]
            f = 0.0 if legs[leg] == 0 else min(1.0, (s - done) / legs[leg])
            moving = k < n
            rows.append((unit, t0 + (t1 - t0) * k / n, round(la + (lb - la) * f, 7), round(oa + (ob - oa) * f, 7),
                         speed if moving else 0.0, courses[leg] if moving else None, source))
