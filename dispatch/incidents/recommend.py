"""Which units to send: rank the available units of suitable kinds by estimated time of arrival.

Boats are measured along the waterway graph (dispatch/city/waterway.py), never across land; officers and
trucks along the road graph (roads and bridges), an officer also straight on foot when that line
does not cross the river. Each kind moves at its own speed (a unit's ``attributes["speed_mps"]``
wins). One Dijkstra per query from the target (cached per graph node), then every candidate is a
vectorised lookup, so ranking thousands of units takes milliseconds.

Units with a stale fix are ranked after those with a fresh one (their position may be wrong);
units without a position, not available, or offline are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import shapely

from dispatch.city.data import City, load_city
from dispatch.city.waterway import road_graph, waterway_graph
from dispatch.errors import Refused
from dispatch.incidents.book import get as get_incident
from dispatch.incidents.workflow import Category
from dispatch.model import Unit, UnitKind, UnitStatus
from dispatch.ops import op

# cruising speeds, m/s: patrol boat ~15 kn, cleaning vessel ~5 kn, officer walking, truck in city traffic
SPEED_MPS: dict[UnitKind, float] = {
    UnitKind.PATROL_BOAT: 7.5,
    UnitKind.CLEANING_VESSEL: 2.5,
    UnitKind.OFFICER: 1.4,
    UnitKind.TRUCK: 8.0,
}
FOOT_DETOUR = 1.3  # straight line on foot -> real walking distance through streets

K = UnitKind
# Who is sent. Construction-waste trucks are regulated vehicles the bureau supervises (their tracks are
# watched for spills and illegal dumping), not its responders: never recommended, whatever the case.
RESPONDERS: tuple[UnitKind, ...] = (K.PATROL_BOAT, K.CLEANING_VESSEL, K.OFFICER)
SUITABLE: dict[str, tuple[UnitKind, ...]] = {
    Category.FLOATING_GARBAGE: (K.CLEANING_VESSEL, K.PATROL_BOAT),
    Category.WATER_POLLUTION: (K.PATROL_BOAT, K.CLEANING_VESSEL, K.OFFICER),
    Category.ILLEGAL_FISHING: (K.PATROL_BOAT,),
    Category.ILLEGAL_SAND_MINING: (K.PATROL_BOAT,),
    Category.ILLEGAL_DUMPING: (K.OFFICER,),
    Category.CONSTRUCTION_WASTE_SPILL: (K.OFFICER,),
    Category.STREET_VENDING: (K.OFFICER,),
    Category.ILLEGAL_CONSTRUCTION: (K.OFFICER,),
    Category.DAMAGED_FACILITY: (K.OFFICER,),
    Category.OTHER: RESPONDERS,
}


_CODE = {UnitKind.PATROL_BOAT: 0, UnitKind.CLEANING_VESSEL: 1, UnitKind.OFFICER: 2, UnitKind.TRUCK: 3}


class Candidate(NamedTuple):
    """A unit that could go (a NamedTuple: thousands are built per query, so it must be cheap)."""

    unit_id: str
    name: str
    kind: UnitKind
    lat: float
    lon: float
    stale: bool = False
    speed_mps: float | None = None
    fix_time: float | None = None


def rank(
    target: tuple[float, float],
    candidates: Sequence[Candidate],
    *,
    city: City | None = None,
    limit: int | None = 3,
) -> list[dict[str, Any]]:
    """Rank candidates by ETA to target (lat, lon). Returns dicts:
    {"unit_id", "name", "kind", "eta_s", "distance_m", "mode" ("water" | "road" | "foot"), "stale", "lat", "lon"}.
    Unreachable units are dropped.
    """
    city = city or load_city()
    if not candidates:
        return []
    water, roads = waterway_graph(city), road_graph(city)
    n = len(candidates)
    cols = np.array([(c.lat, c.lon, c.speed_mps or SPEED_MPS[c.kind], _CODE[c.kind], c.stale) for c in candidates],
                    dtype=float).reshape(n, 5)
    lats, lons, speed, code, stale = cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3], cols[:, 4]
    on_water = code < 2
    dist = np.full(n, np.inf)
    mode = np.where(on_water, "water", "road").astype(object)
    if on_water.any():
        dist[on_water] = water.distances(target, lats[on_water], lons[on_water])
    land = ~on_water
    if land.any():
        dist[land] = roads.distances(target, lats[land], lons[land])
        # on foot, a straight walk beats the arterial grid unless it has to cross the river; only the
        # officers it could bring into the top `limit` are checked against the water
        foot = np.flatnonzero(code == 2)
        if len(foot):
            txy = water.to_xy([target[0]], [target[1]])[0]
            uxy = water.to_xy(lats[foot], lons[foot])
            straight = np.hypot(uxy[:, 0] - txy[0], uxy[:, 1] - txy[1]) * FOOT_DETOUR
            better = straight < dist[foot]
            if limit is not None and better.any():
                # the limit-th best ETA so far (fresh fixes rank first) bounds who can still get in
                fresh = (dist / speed)[stale == 0]
                k = int(limit) - 1
                if 0 <= k < len(fresh):
                    better &= (straight / speed[foot] <= np.partition(fresh, k)[k]) & (stale[foot] == 0)
            if better.any():
                idx = foot[better]
                lines = shapely.linestrings(np.stack([uxy[better], np.broadcast_to(txy, uxy[better].shape)], axis=1))
                dry = ~shapely.intersects(water.water_xy, lines)
                dist[idx[dry]] = straight[better][dry]
                mode[idx[dry]] = "foot"
    eta = dist / speed
    reachable = np.flatnonzero(np.isfinite(eta))
    order = reachable[np.lexsort((eta[reachable], stale[reachable]))]
    if limit is not None:
        order = order[: max(0, int(limit))]
    out = []
    for i in order:
        c = candidates[int(i)]
        out.append({
            "unit_id": c.unit_id, "name": c.name, "kind": c.kind.value,
            "eta_s": round(float(eta[i]), 1), "distance_m": round(float(dist[i]), 1), "mode": mode[i],
            "stale": bool(c.stale), "lat": c.lat, "lon": c.lon, "fix_time": c.fix_time,
        })
    return out


def candidates_of(core: Any, units: Iterable[Unit], kinds: Sequence[UnitKind]) -> list[Candidate]:
    """Available, not offline, positioned units of the given kinds (call under core.lock)."""
    now = core.clock()
    stale_after = core.stale_after
    want = set(kinds)
    available = UnitStatus.AVAILABLE
    out = []
    for u in units:
        p = u.position
        if p is None or u.status is not available or u.kind not in want or u.online is False:
            continue
        sp = u.attributes.get("speed_mps") if u.attributes else None
        out.append(Candidate(u.id, u.name, u.kind, p.lat, p.lon, now - p.ts > stale_after,
                             float(sp) if isinstance(sp, int | float) and sp > 0 else None, p.ts))
    return out


def parse_kinds(kinds: Any) -> tuple[UnitKind, ...] | None:
    if kinds in (None, "", []):
        return None
    names = kinds.split(",") if isinstance(kinds, str) else list(kinds)
    try:
        return tuple(UnitKind(str(k).strip()) for k in names if str(k).strip())
    except ValueError:
        raise Refused(f"unknown unit kind in {kinds!r}; kinds: {', '.join(k.value for k in UnitKind)}",
                      "bad_kind") from None


@op("recommend")
def recommend(
    core: Any,
    actor: str,
    incident_id: Any = None,
    task_id: Any = None,
    limit: int = 3,
    kinds: Any = None,
) -> list[dict[str, Any]]:
    """Top `limit` units for an incident (kinds suitable for its category) or a cleaning task (vessels).

    Give exactly one of incident_id / task_id; ``kinds`` ("patrol_boat,officer") overrides the choice
    (trucks are never suitable: see RESPONDERS; they are only offered when asked for by ``kinds``).
    """
    if (incident_id is None) == (task_id is None):
        raise Refused("give an incident id or a task id to recommend for", "bad_arguments")
    try:
        n = int(limit)
    except (TypeError, ValueError):
        raise Refused(f"bad limit {limit!r}", "bad_arguments") from None
    want = parse_kinds(kinds)
    core.refresh()
    with core.lock:
        if incident_id is not None:
            inc = get_incident(core.state, incident_id)
            target = (inc.lat, inc.lon)
            kinds_t = want or SUITABLE.get(inc.category, RESPONDERS)
        else:
            from dispatch.tasks.model import get as get_task

            task = get_task(core.state, task_id)
            target = task.target
            kinds_t = want or (UnitKind.CLEANING_VESSEL,)
        cands = candidates_of(core, core.state.units.values(), kinds_t)
    return rank(target, cands, limit=n)
