"""The demo city's supervision papers (dispatch/demo/supervision.py): filed once through the ordinary
operations, and on the simulated fleet, run through the ordinary feed pipeline and rules, they make a few
believable alerts (the trucks the papers single out), not a flood."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import Point, shape

from dispatch import ops
from dispatch.city.data import load_city
from dispatch.core import Dispatch
from dispatch.demo.fleet import demo_simulator, trip_route, truck_trip
from dispatch.demo.supervision import file_demo_supervision
from dispatch.feeds.pump import FeedPump
from dispatch.store import EventStore


def _demo(tmp_path: Path, hour: int) -> tuple[Any, Any, list[float]]:
    t0 = datetime(2026, 12, 4, hour, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    now = [t0]
    core = Dispatch(EventStore(f"sqlite:///{tmp_path / f'demo{hour}.db'}"), clock=lambda: now[0])
    units, sim = demo_simulator(t0=t0)
    core.register_units("system:demo", [u.registration() for u in units])
    return core, sim, now


def _alerts_after(tmp_path: Path, hour: int, minutes: int) -> dict[tuple[str, str], int]:
    """The alerts of a demo city started at `hour` (Liuzhou time) with its papers, after `minutes`."""
    core, sim, now = _demo(tmp_path, hour)
    try:
        file_demo_supervision(core)
        return _run(core, sim, now, minutes)
    finally:
        core.close()


def _run(core: Any, sim: Any, now: list[float], minutes: int) -> dict[tuple[str, str], int]:
    """The demo fleet's devices for `minutes` of its time, second by second, through the feed pipeline."""
    pump = FeedPump(core, lambda t: sim.due(t), name="demo")
    t0 = now[0]
    for s in range(minutes * 60):
        now[0] = t0 + s
        pump.pump_once(now[0])
    core.flush()
    raised: dict[tuple[str, str], int] = {}
    for a in ops.call(core, "alerts", {}, actor="dispatcher:test"):
        if a["rule"] != "stale":  # the stale timer runs on the wall clock, not on this fast-forwarded one
            raised[(a["rule"], a["unit_id"])] = raised.get((a["rule"], a["unit_id"]), 0) + 1
    return raised


def test_filed_once_by_the_demo_through_the_operations(tmp_path: Path) -> None:
    core, _sim, _now = _demo(tmp_path, 10)
    try:
        assert file_demo_supervision(core)
        assert not file_demo_supervision(core)  # the next launch on the same store files nothing more
        zones = ops.call(core, "zones", {}, actor="dispatcher:test")
        kinds = sorted({z["kind"] for z in zones})
        assert kinds == ["construction_site", "disposal_site", "restricted", "route"]
        permits = {p["unit_id"]: p for p in ops.call(core, "permits", {}, actor="dispatcher:test")}
        assert len(permits) == 40 and permits["truck-39"]["company_valid_to"] == "2026-11-29"
        actors = {e.actor for e in core.store.events() if e.kind in ("zone.saved", "company.saved",
                                                                     "truck.permit_saved")}
        assert actors == {"system:demo"}
    finally:
        core.close()


def test_every_truck_waits_inside_the_sites_its_permit_names(tmp_path: Path) -> None:
    """A truck dwells at its route's two ends: each inside a site zone of its permit (else every stop would
    look like dumping), and a routed truck's road lies inside its corridor but for truck 5's."""
    core, _sim, _now = _demo(tmp_path, 10)
    city = load_city()
    try:
        file_demo_supervision(core)
        zones = {z["id"]: z for z in ops.call(core, "zones.export", {}, actor="dispatcher:test")["features"]}
        for p in ops.call(core, "permits", {}, actor="dispatcher:test"):
            i = int(p["unit_id"].split("-")[1]) - 1
            route = trip_route(city, *truck_trip(city, i))
            sites = [shape(zones[z]["geometry"]) for z in p["sites"]]
            for lat, lon in (route[0], route[-1]):
                assert any(s.contains(Point(lon, lat)) for s in sites) or p["unit_id"] == "truck-05", p
            for r in p["routes"]:
                corridor = shape(zones[r]["geometry"]).buffer(60 / 101_200)
                inside = all(corridor.contains(Point(lon, lat)) for lat, lon in route)
                assert inside == (p["unit_id"] != "truck-05"), p
    finally:
        core.close()


def test_a_few_believable_alerts_by_day_and_by_night(tmp_path: Path) -> None:
    day = _alerts_after(tmp_path, 10, 20)
    singled_out = {("permit_expired", "truck-39"), ("permit_expired", "truck-40"),
                   ("corridor_deviation", "truck-05"), ("outside_hours", "truck-09")}
    assert singled_out <= set(day)
    assert set(day) - singled_out <= {("restricted_entry", f"truck-{i:02d}") for i in range(1, 41)}
    assert sum(day.values()) <= 10, day  # a few in twenty minutes, not one for every truck

    night = _alerts_after(tmp_path, 23, 10)
    assert ("outside_hours", "truck-21") in night and ("outside_hours", "truck-09") not in night
