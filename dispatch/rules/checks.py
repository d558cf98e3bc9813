"""The rule checks: each says, for one fix, which conditions hold ((rule, zone) -> Cond); nothing more.

Membership comes from the index (zs: the zones the fix is inside), time-of-day from the engine; raising,
debouncing and clearing are the engine's (dispatch/rules/engine.py). A check that raises is logged by
the engine and the others still run (Traccar's BaseEventHandler).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from dispatch.zones.model import in_windows
from dispatch.zones.permits import issue_text, permit_issue


class Cond(NamedTuple):
    hold: float  # seconds the condition must hold before the alert is raised
    detail: str
    zone_name: str | None = None
    lat: float | None = None  # where the alert is (default: the fix)
    lon: float | None = None
    since: float | None = None  # when the condition began (default: when first seen)
    args: dict[str, Any] | None = None  # the detail's values, for a console to say it in its own language


class Plan(NamedTuple):
    """What applies to one subject, worked out once per change of zones, permits or switches (not per fix)."""

    valid: tuple[float, float] | None  # when its papers are good, [from, to); None: no papers to check
    hours_ok: bytes | None  # 1440 flags, one a minute of the day: may it drive then (None: any time)
    dumping: bool  # a waste truck: its stops are watched
    allowed: frozenset[int]  # zones where a truck is where it may be: its routes' corridors, its sites
    routes: tuple[int, ...]  # its permitted routes (index positions): the corridor check
    areas: frozenset[int]  # the patrol areas it keeps to
    zonal: int  # which zone checks apply (RESTRICTED | SPEEDING | PROTECTION), and CORRIDOR (measured or not)


RESTRICTED, SPEEDING, PROTECTION = 1, 2, 4  # zone flags: what a zone can raise, and what a subject is checked for
CORRIDOR, PERMIT, HOURS, DUMPING, PATROL = 8, 16, 32, 64, 128  # the other checks a fix may need
# The checks a fix needs, by its bits, in the order they run (a check's name, looked up when it runs).
_ORDER = ((PERMIT, "permit_expired"), (HOURS, "outside_hours"), (CORRIDOR, "corridor_deviation"),
          (DUMPING, "suspected_dumping"), (RESTRICTED, "restricted_entry"), (SPEEDING, "speeding"),
          (PROTECTION, "protection_zone_entry"), (PATROL, "left_patrol_area"))
TODO: tuple[tuple[str, ...], ...] = tuple(tuple(name for bit, name in _ORDER if mask & bit) for mask in range(256))


class Fix(NamedTuple):
    k: int  # index in the batch
    uid: str
    ts: float
    lat: float
    lon: float
    speed: float | None
    x: float  # metres in the index's frame
    y: float


Conds = dict[tuple[str, str], Cond]


def permit_expired(eng: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
    lo, hi = plan.valid or (-1e300, 1e300)
    if lo <= f.ts < hi:
        return
    permit = eng.permits[f.uid]
    company = eng.companies.get(permit.get("company") or "")
    issue = permit_issue(permit, company, f.ts)
    if issue:
        conds[("permit_expired", "")] = Cond(0.0, f"{permit['plate']}: {issue_text(issue)}",
                                             args={"plate": permit["plate"], "whose": issue[0], "issue": issue[1],
                                                   "day": issue[2]})


def outside_hours(eng: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
    if f.speed is None or f.speed < eng.th["moving_mps"]:
        return  # parked outside its hours is allowed; driving is not
    permit = eng.permits[f.uid]
    if not in_windows(eng.local_minute(f.ts, None), permit["windows"]):
        conds[("outside_hours", "")] = Cond(eng.th["outside_hours_s"],
                                            f"{permit['plate']} driving outside its hours {permit['hours']}",
                                            args={"plate": permit["plate"], "hours": permit["hours"]})


def corridor_deviation(eng: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
    far = float(eng.far_d[f.k])  # measured for the batch at once: metres outside its nearest route (far_r)
    if far > eng.th["corridor_deviation_m"]:
        z = eng.index.zones[int(eng.far_r[f.k])]
        conds[("corridor_deviation", z["id"])] = Cond(eng.th["corridor_deviation_s"],
                                                      f"{far:.0f} m outside the corridor of {z['name']}",
                                                      z["name"], args={"metres": round(far), "route": z["name"]})


def suspected_dumping(eng: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
    stop = eng.stop_of(f.uid)
    r = eng.th["dumping_radius_m"]
    if stop is None or (f.x - stop[0]) ** 2 + (f.y - stop[1]) ** 2 > r * r:
        eng.set_stop(f.uid, f.x, f.y, (f.uid, f.ts, f.lat, f.lon))  # moving: a stop may begin here
        return
    stopped = f.ts - stop[2]
    if stopped < eng.th["dumping_stop_min"] * 60.0:
        return
    kinds = eng.index.kind
    if any(kinds[z] in ("construction_site", "disposal_site") for z in zs):
        return
    conds[("suspected_dumping", f"{stop[2]:.0f}")] = Cond(
        0.0, f"stopped {stopped / 60.0:.0f} min outside every construction and disposal site",
        None, stop[3], stop[4], stop[2], {"minutes": round(stopped / 60.0)})


def restricted_entry(eng: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
    idx = eng.index
    for z in zs:
        if idx.kind[z] != "restricted":
            continue
        w = idx.windows[z]
        if w is None or in_windows(eng.local_minute(f.ts, idx.tz[z]), w):
            zone = idx.zones[z]
            when = f" during {zone['hours']}" if w else ""
            args = {"zone": zone["name"], "hours": zone.get("hours") if w else None}
            conds[("restricted_entry", zone["id"])] = Cond(eng.th["restricted_entry_s"],
                                                          f"inside {zone['name']}{when}", zone["name"], args=args)


def speeding(eng: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
    if f.speed is None:
        return
    idx = eng.index
    kmh = f.speed * 3.6
    for z in zs:
        limit = idx.limit[z]
        if limit is not None and kmh > limit + eng.th["speeding_tolerance_kmh"]:
            zone = idx.zones[z]
            args = {"kmh": round(kmh), "limit": limit, "zone": zone["name"]}
            conds[("speeding", zone["id"])] = Cond(eng.th["speeding_s"],
                                                  f"{kmh:.0f} km/h where {limit:g} km/h is the limit ({zone['name']})",
                                                  zone["name"], args=args)


def left_patrol_area(eng: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
    areas = plan.areas
    if not any(z in areas for z in zs):
        names = ", ".join(sorted(eng.index.zones[a]["name"] for a in areas))
        conds[("left_patrol_area", "")] = Cond(eng.th["left_patrol_s"], f"outside its patrol area {names}",
                                               args={"areas": names})


def protection_zone_entry(eng: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
    idx = eng.index
    for z in zs:
        if idx.kind[z] == "protection_zone":
            zone = idx.zones[z]
            conds[("protection_zone_entry", zone["id"])] = Cond(eng.th["protection_entry_s"],
                                                               f"{f.uid} inside {zone['name']}", zone["name"],
                                                               args={"zone": zone["name"]})




def hours_flags(windows: list[list[int]]) -> bytes:
    """The 1440 minutes of a day, 1 where one of the windows allows driving."""
    flags = bytearray(1440)
    for a, b in windows:
        a, b = int(a), int(b)
        if not (0 <= a < 1440 and 0 < b <= 1440):
            raise ValueError(f"window {a}-{b} is not minutes of a day")
        if a < b:
            flags[a:b] = b"\x01" * (b - a)
        else:  # across midnight
            flags[a:] = b"\x01" * (1440 - a)
            flags[:b] = b"\x01" * b
    return bytes(flags)
