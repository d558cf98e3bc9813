"""Unit utilisation: time per status and distance covered in a period, from the log and the stored fixes.

Statuses come from the `unit.registered` and `unit.status_set` events (the status a unit had at the period's
start counts from the start); distance is the sum of the steps between a unit's consecutive stored fixes,
leaving out a step across a gap (no fix for `GAP_S`) or an implausible jump (`JUMP_M`), so a restart or a
receiver's glitch is not counted as travel.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dispatch import fixes as stored_fixes

GAP_S = 300.0
JUMP_M = 2000.0
EARTH_M = 6_371_008.8


def status_times(events: Any, t1: float, t2: float) -> dict[str, dict[str, float]]:
    """unit -> {status: seconds} over [t1, t2), from the unit events in log order."""
    current: dict[str, tuple[str, float]] = {}  # unit -> (status, since)
    out: dict[str, dict[str, float]] = {}

    def close(unit: str, until: float) -> None:
        status, since = current[unit]
        a, b = max(since, t1), min(until, t2)
        if b > a:
            out.setdefault(unit, {})
            out[unit][status] = out[unit].get(status, 0.0) + (b - a)

    for ev in events:
        if ev.ts >= t2:
            break
        if ev.kind == "unit.registered":
            for u in ev.payload.get("units") or [ev.payload]:
                uid = u.get("id")
                if uid and uid not in current:
                    current[uid] = (u.get("status") or "available", ev.ts)
        elif ev.kind == "unit.status_set":
            uid = ev.payload.get("id")
            if uid in current:
                close(uid, ev.ts)
            current[uid] = (ev.payload.get("status"), ev.ts)
    for uid in current:
        close(uid, t2)
    return out


def distances_km(conn: Any, t1: float, t2: float, units: list[str] | None = None) -> dict[str, float]:
    """unit -> km covered in [t1, t2) by its stored fixes."""
    out: dict[str, float] = {}
    rows = [r for r in stored_fixes.fixes_between(conn, t1, t2, units or None) if r[1] < t2]
    if not rows:
        return out
    uid = np.array([r[0] for r in rows], dtype=object)
    a = np.array([(r[1], r[2], r[3]) for r in rows], dtype=float)
    ts, lat, lon = a[:, 0], np.radians(a[:, 1]), np.radians(a[:, 2])
    same = uid[1:] == uid[:-1]
    dlat, dlon = lat[1:] - lat[:-1], lon[1:] - lon[:-1]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[1:]) * np.cos(lat[:-1]) * np.sin(dlon / 2) ** 2
    step = 2 * EARTH_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    ok = same & (ts[1:] - ts[:-1] <= GAP_S) & (step <= JUMP_M)
    for u in np.unique(uid):
        m = ok & (uid[1:] == u)
        out[str(u)] = round(float(step[m].sum()) / 1000.0, 3)
    return out


def utilisation(core: Any, t1: float, t2: float) -> list[dict[str, Any]]:
    """Per unit: seconds in each status, the share of the period busy (assigned or busy) and km covered."""
    core.flush()
    events = core.store.events(kinds=["unit.registered", "unit.status_set"], until_ts=t2)
    times = status_times(events, t1, t2)
    with core.store.read() as conn:
        km = distances_km(conn, t1, t2)
    with core.lock:
        units = {u.id: (u.name, u.kind.value) for u in core.state.units.values()}
    rows = []
    for uid in sorted(set(units) | set(times) | set(km)):
        st = times.get(uid, {})
        total = sum(st.values())
        busy = st.get("assigned", 0.0) + st.get("busy", 0.0)
        name, kind = units.get(uid, (uid, ""))
        rows.append({"unit_id": uid, "name": name, "kind": kind, "status_s": {k: round(v, 1) for k, v in st.items()},
                     "busy_share": round(busy / total, 4) if total else None, "distance_km": km.get(uid, 0.0)})
    return rows
