"""The demo city's past week (dispatch/demo/week.py): a new store opens on seven days of handled reports, filed
through the ordinary operations, stamped with the moments they stand for, in the log's order."""

from __future__ import annotations

import statistics
from datetime import datetime

import pytest

from dispatch import ops
from dispatch.bureautime import bureau_tz
from dispatch.demo.cases import HANDLING, file_demo_cases
from dispatch.demo.fleet import build_demo, demo_reports, file_demo_reports
from dispatch.demo.week import file_demo_week
from dispatch.incidents.book import book
from dispatch.incidents.workflow import CLOSED_STATES, WATER_CATEGORIES
from dispatch.record.audit import verify_chain
from tests.dispatch.incident_helpers import Clock, make_core

NOW = 1_764_990_000.0  # 2025-12-06, a Saturday afternoon in Liuzhou


def registrations() -> list[dict]:
    units, _ = build_demo()
    return [u.registration() for u in units]


def test_a_new_store_opens_on_a_week_of_handled_reports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(NOW)
    core = make_core(tmp_path, clock)
    try:
        week = file_demo_week(core, registrations())
        last_of_week = book(core.state).last_id
        assert week.reports == week.last_id == last_of_week >= 40
        opened = file_demo_reports(core, after=last_of_week)  # the open reports come after it, at the real time
        assert len(opened) == len(demo_reports())
        assert core.clock is clock  # the clock set back only while the week was filed

        events = list(core.store.events())
        assert all(a.ts <= b.ts for a, b in zip(events, events[1:], strict=False)), "the log's times out of order"
        assert events[0].kind == "unit.registered" and NOW - 7 * 86400 - 3600 < events[0].ts < NOW - 6 * 86400
        past = [e for e in events if e.entity and e.entity.startswith("incident:")
                and int(e.entity.split(":")[1]) <= last_of_week]
        assert max(e.ts for e in past) < NOW - 60  # all of it before the console opened
        # the bureau's staff (the demo) and the citizens who filed over Open311 (the app, WeChat) and the page
        assert {e.actor for e in past} == {"system:demo", "citizen:lzcg-app", "citizen:wechat-oa", "citizen:web"}
        assert verify_chain(core.store.engine).ok

        b = book(core.state)
        handled = [b.items[i] for i in range(1, last_of_week + 1)]
        assert all(i.state in CLOSED_STATES for i in handled)  # nothing of the week is left for the dispatcher
        assert {i.id for i in b.open_incidents()} == set(opened)
        assert {u.status.value for u in core.state.units.values()} == {"available"}
        assert not [a for a in b.alerts.values() if a.acknowledged_at is None]  # the week's alerts were seen
        days = {datetime.fromtimestamp(i.created_at, bureau_tz()).date() for i in handled}
        assert len(days) >= 6
        cats = {i.category for i in handled}
        assert cats & WATER_CATEGORIES and cats - WATER_CATEGORIES
        # land reports were taken by officers, water ones by boats or cleaning vessels
        for i in handled:
            if i.units:
                kind = core.state.units[i.units[-1]].kind.value
                assert (kind != "officer") == (i.category in WATER_CATEGORIES), (i.id, i.category, kind)

        figures = ops.call(core, "analytics.stats", {"start": NOW - 8 * 86400, "end": NOW}, actor="system:test")
        t = figures["total"]
        assert t["reported"] == last_of_week and t["closure_rate"] == 1.0
        assert 0.6 <= t["on_time_rate"] < 1.0 and t["overdue"] > 0  # some deadlines passed, and were alerted
        assert t["reworked"] >= 1 and t["satisfaction_count"] >= 10 and 3.0 <= t["satisfaction_mean"] <= 5.0
        assert 120 < t["dispatch_s_median"] < 3600 and t["close_s_median"] > t["arrive_s_median"] > 300
        # the citizens see their requests' progress over Open311, rated; a low rating reopened one, worked again
        requests = ops.call(core, "citizens.requests", {}, actor="system:test")
        now_open = [r for r in requests if int(r["service_request_id"]) in opened]  # the page's report of today
        assert [r["status"] for r in now_open] == ["open"] and now_open[0]["service_code"] == "street_vending"
        requests = [r for r in requests if r not in now_open]
        assert len(requests) >= 10 and {r["status"] for r in requests} == {"closed"}
        assert sum(1 for r in requests if r["rating"] is not None) >= 5
        for r in requests:  # received, dispatched, on scene, done... (or received, then not accepted)
            worked = b.items[int(r["service_request_id"])].state.value != "rejected"
            assert len(r["notes"]) >= (6 if worked else 2), r
        rated = ops.call(core, "citizens.satisfaction", {}, actor="system:test")
        assert rated["reopened"] >= 1 and rated["ratings"] >= 5
        spots = ops.call(core, "analytics.hotspots", {"start": NOW - 8 * 86400, "end": NOW}, actor="system:test")
        assert {h["category"] for h in spots} >= {"street_vending", "floating_garbage"}  # problems that come back
        hours = [datetime.fromtimestamp(i.created_at, bureau_tz()).hour for i in handled]
        assert statistics.median(hours) in range(9, 19)  # reports come in by day

        # the demo's cases are opened from reports handled days before, resolved with what the unit found
        assert set(week.for_cases) == {"CSRQ-001", "CSRQ-002", "SWHJ-001"}
        assert len(week.cases) == 3 and file_demo_cases(core) == []  # opened and worked in the week
        cases = week.cases
        for code, iid in week.for_cases.items():
            inc = b.items[iid]
            assert inc.state.value == "closed" and NOW - 5 * 86400 < inc.created_at < NOW - 86400, code
            assert inc.history[-2]["to"] == "resolved" and inc.history[-2].get("note") == HANDLING[code][1]
        shown = [ops.call(core, "case.show", {"case_id": c}, actor="system:test") for c in cases]
        assert {c["incident_id"] for c in shown} == set(week.for_cases.values())
        for c in shown:  # each step at its own moment, after the report it follows was closed
            closed = b.items[c["incident_id"]].history[-1]["time"]
            times = [h["time"] for h in c["acts"]]
            assert closed < times[0] and times == sorted(times) and times[-1] < NOW - 12 * 3600, c["id"]
            assert {datetime.fromtimestamp(t, bureau_tz()).hour for t in times} <= set(range(8, 19))  # office hours
        spill = next(c for c in shown if c["violation"]["code"] == "CSRQ-001")
        assert spill["acts"][-1]["time"] - spill["acts"][0]["time"] > 86400 and len(spill["acts"]) >= 5
    finally:
        core.close()


def test_only_a_store_without_events_gets_the_week(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A store with anything in it (a bureau's own, or an earlier demo) is never given a past: its log would
    go back in time."""
    clock = Clock(NOW)
    core = make_core(tmp_path, clock)
    try:
        core.register_units("system:test", [{"id": "boat-x", "name": "x", "kind": "patrol_boat"}])
        before = core.state.last_seq
        assert file_demo_week(core, registrations()).reports == 0
        assert core.state.last_seq == before and not book(core.state).items
        assert len(file_demo_reports(core)) == len(demo_reports())  # the open reports still are filed once
        assert file_demo_reports(core) == []
    finally:
        core.close()


@pytest.mark.parametrize("k", range(8))
def test_whenever_it_opens_the_week_is_over(tmp_path, k) -> None:  # type: ignore[no-untyped-def]
    """Whatever the hour and weekday the console first opens at, the week leaves nothing under way: every
    report closed or rejected, every unit free, the three cases filed, the log's times in order."""
    now = NOW + k * 37_337  # ten hours and a bit apart: every part of the day, over four days
    core = make_core(tmp_path, Clock(now))
    try:
        week = file_demo_week(core, registrations())
        b = book(core.state)
        assert week.reports >= 40 and all(i.state in CLOSED_STATES for i in b.items.values())
        assert {u.status.value for u in core.state.units.values()} == {"available"}
        assert len(week.cases) == 3
        events = list(core.store.events())
        assert all(a.ts <= c.ts for a, c in zip(events, events[1:], strict=False)) and events[-1].ts < now
    finally:
        core.close()


def test_a_replay_of_the_week_shows_the_units_going_to_their_reports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The week's positions (dispatch/demo/weektracks.py): each boat, vessel and officer at its base from the week's
    start, the unit sent to a report reporting on its way and there when it arrived, on the water for a boat;
    trucks have none. As replay reads them from the store."""
    from dispatch.city.data import load_city
    from dispatch.geo import haversine_m
    from dispatch.record.replay import Recording

    city = load_city()
    core = make_core(tmp_path, Clock(NOW))
    try:
        regs = registrations()
        file_demo_week(core, regs, city)
        core.flush()
        rec = Recording.of_store(core.store)
        kinds = {u["id"]: u["kind"] for u in regs}
        assert {kinds[u] for u in rec.units()} == {"patrol_boat", "cleaning_vessel", "officer"}
        events = list(core.store.events())
        docks = {d.id: d.geometry.representative_point() for d in city.docks}
        at_start = {f.unit_id: f for f in rec.positions_at(events[0].ts + 1)}
        for u in regs:
            if u["kind"] in ("patrol_boat", "cleaning_vessel"):
                p, f = docks[u["home"]], at_start[u["id"]]
                assert haversine_m(f.lat, f.lon, p.y, p.x) < 1.0, u["id"]
        sent: dict[str, str] = {}
        arrivals = 0
        for e in events:
            if e.kind == "incident.assigned":
                sent[e.entity] = e.payload["unit_id"]
            if e.kind != "incident.transitioned" or e.payload.get("to") not in ("en_route", "on_scene"):
                continue
            inc = book(core.state).items[int(e.entity.split(":")[1])]
            if e.payload["to"] == "en_route":
                on_way = rec.track(sent[e.entity], e.ts, e.ts + 600)
                assert on_way and all(f.speed for f in on_way[:-1])  # a fix at least every 20 s on the move
                assert all(b.ts - a.ts <= 21 for a, b in zip(on_way, on_way[1:], strict=False))
            else:
                arrivals += 1
                [fix] = rec.positions_at(e.ts + 0.001, [sent[e.entity]])
                assert haversine_m(fix.lat, fix.lon, inc.lat, inc.lon) < 1.0, (inc.id, sent[e.entity])
                assert fix.speed == 0.0 and e.ts - fix.ts < 1.0
        assert arrivals >= 40
        boats = [u for u in rec.units() if kinds[u] == "patrol_boat"]
        moving = [f for u in boats for f in rec.track(u, NOW - 8 * 86400, NOW) if f.speed]
        assert len(moving) > 500 and sum(city.is_water(f.lat, f.lon) for f in moving) / len(moving) > 0.95
    finally:
        core.close()
