"""A small recorded shift: units registered, fixes every 5 s, status changes at known times."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from dispatch.core import Dispatch
from dispatch.fixblocks import as_stored
from dispatch.store import EventStore, FixRow

T0 = 1_790_000_000.0  # 2026-09-21T...Z, a fixed past instant
LAT0, LON0 = 24.326, 109.411


@dataclass
class Shift:
    url: str
    path: str
    store: EventStore
    core: Dispatch
    fixes: list[FixRow]
    units: list[str]
    t_end: float


def build_shift(path: str, n_units: int = 12, minutes: float = 30.0, seed: int = 6) -> Shift:
    return build_shift_at(f"sqlite:///{path}", n_units, minutes, seed, path=path)


def build_shift_at(url: str, n_units: int = 12, minutes: float = 30.0, seed: int = 6, *, path: str = "") -> Shift:
    store = EventStore(url)
    clock = {"t": T0}
    core = Dispatch(store, clock=lambda: clock["t"])
    units = [f"boat-{i:02d}" if i % 2 == 0 else f"truck-{i:02d}" for i in range(n_units)]
    core.register_units("system:test", [{"id": u, "name": u, "kind": "patrol_boat" if u.startswith("boat") else "truck"}
                                        for u in units])
    from dispatch.ops import call

    rng = random.Random(seed)
    fixes: list[FixRow] = []
    steps = int(minutes * 60 / 5)
    for k in range(steps):
        t = T0 + 5.0 * k
        for i, u in enumerate(units):
            if i == 3 and 100 <= k < 160:  # one unit drops out for five minutes
                continue
            ts = t + rng.choice([0.0, 0.25, 1.1234567])
            fixes.append(FixRow(u, ts, LAT0 + 0.0004 * k + 0.001 * i, LON0 + 0.0003 * k - 0.001 * i, 3.0, 45.0, "test"))
        if k == 60:  # an incident filed at T0+300 (for the incident list and the timeline markers)
            clock["t"] = T0 + 300.0
            call(core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": LAT0,
                                           "lon": LON0, "text": "漂浮垃圾"}, actor="dispatcher:wang")
        if k % 40 == 20:
            clock["t"] = t + 0.5
            core.set_unit_status("dispatcher:wang", units[k % n_units], "out_of_service" if k % 80 == 20 else "available")
    # a tie: two fixes of one unit at the same time; the one stored last wins
    tie_t = T0 + 600.0
    fixes.append(FixRow(units[0], tie_t, 1.0, 1.0))
    fixes.append(FixRow(units[0], tie_t, LAT0 + 0.5, LON0 + 0.5))
    store.add_fixes(fixes)
    store.flush()
    # what the store gives back: times to the millisecond, positions to 1e-7 degree (dispatch/fixes.py)
    fixes = [FixRow(*as_stored((f.unit_id, f.ts, f.lat, f.lon, f.speed, f.course, f.source))) for f in fixes]
    return Shift(url, path, store, core, fixes, units, T0 + 5.0 * steps)


def expected_positions(fixes: list[FixRow], t: float) -> dict[str, FixRow]:
    """Independent of the engine: the latest fix at or before t, the last stored winning ties."""
    want: dict[str, FixRow] = {}
    for f in fixes:
        if f.ts <= t and (f.unit_id not in want or f.ts >= want[f.unit_id].ts):
            want[f.unit_id] = f
    return want


@pytest.fixture
def shift(tmp_path) -> Shift:  # type: ignore[no-untyped-def]
    s = build_shift(str(tmp_path / "shift.db"))
    yield s
    s.core.close()
