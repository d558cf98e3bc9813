"""Hotspots to plans, and supervision notices that reach the crew's conversation and are answered."""

from __future__ import annotations

import pytest

from dispatch import ops
from dispatch.errors import NotFound, Refused
from dispatch.store import NewEvent
from tests.dispatch.incident_helpers import Clock, add_unit, make_core, river_point

T0 = 1_760_000_000.0  # 2025-10-09 16:53 Beijing
LAT, LON = river_point(0.3)


def call(core, name, actor="dispatcher:wang", **args):
    return ops.call(core, name, args, actor=actor)


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def core(tmp_path, clock):
    c = make_core(tmp_path, clock)
    add_unit(c, "boat-01", "patrol_boat", LAT, LON)
    add_unit(c, "vessel-01", "cleaning_vessel", LAT, LON)
    yield c
    c.close()


def test_a_recurring_hotspot_becomes_a_plan_that_follows_new_cases(core, clock):
    for day in range(3):  # floating garbage at the same spot every evening, 3 days running
        clock.t = T0 + day * 86400 + 600
        call(core, "incident.create", category="floating_garbage", priority="P3", lat=LAT + day * 1e-4, lon=LON)
    clock.t = T0 + 2 * 86400 + 3600
    call(core, "incident.create", category="street_vending", priority="P3", lat=24.33, lon=109.41)  # once only
    spots = call(core, "analytics.hotspots", start=T0 - 86400, end=clock.t + 1)
    assert len(spots) == 1
    h = spots[0]
    assert (h["category"], h["count"], h["days"], h["band"]) == ("floating_garbage", 3, 3, "15:00-18:00")
    assert h["incident_ids"] == [1, 2, 3]
    with pytest.raises(Refused):
        call(core, "plan.create", category=h["category"], lat=h["lat"], lon=h["lon"], band=h["band"], note=" ")
    plan = call(core, "plan.create", category=h["category"], lat=h["lat"], lon=h["lon"], band=h["band"],
                note="先派保洁船, 再查上游排口", task_units=["vessel-01"])
    assert plan["task_id"] is not None
    task = call(core, "task.show", task_id=plan["task_id"])
    assert task["every_day"] == "15:00" and task["units"] == ["vessel-01"]
    clock.t += 86400
    near = call(core, "incident.create", category="floating_garbage", priority="P3", lat=LAT, lon=LON)["id"]
    far = call(core, "incident.create", category="floating_garbage", priority="P3", lat=24.20, lon=109.30)["id"]
    assert [p["note"] for p in call(core, "plans", incident_id=near)] == ["先派保洁船, 再查上游排口"]
    assert call(core, "plans", incident_id=far) == []


def test_supervision_notice_reaches_the_crew_and_is_answered(core, clock):
    iid = call(core, "incident.create", category="floating_garbage", priority="P1", lat=LAT, lon=LON)["id"]
    call(core, "incident.transition", incident_id=iid, state="verified")
    call(core, "incident.assign", incident_id=iid, unit_id="boat-01")
    clock.t += 3 * 3600
    call(core, "incidents.check_deadlines")
    flagged = call(core, "supervision.flagged", start=T0 - 1, end=clock.t + 1)
    assert [(f["incident_id"], f["reasons"], f["unit_id"], f["noticed"]) for f in flagged] == \
        [(iid, ["overdue"], "boat-01", False)]
    with pytest.raises(NotFound):
        call(core, "supervision.notice", incident_id=iid, text="x", unit_id="boat-99")
    n = call(core, "supervision.notice", actor="shift_lead:li", incident_id=iid, text="请说明超时原因")
    assert n["unit_id"] == "boat-01" and not n["answered"]
    out = call(core, "field.messages", unit_id="boat-01")
    assert out[-1]["dir"] == "out" and "督办通知 #1" in out[-1]["text"] and "请说明超时原因" in out[-1]["text"]
    clock.t += 60
    core.record("unit:boat-01", [NewEvent("field.message_received", {"unit_id": "boat-01", "text": "船机故障, 已修复"},
                                          "unit:boat-01")])
    n = call(core, "supervision.notices")[0]
    assert n["answered"] and n["answer"]["text"] == "船机故障, 已修复"
    assert call(core, "supervision.flagged", start=T0 - 1, end=clock.t + 1)[0]["noticed"] is True


def test_utilisation_counts_status_time_and_distance_without_gaps(core, clock):
    from dispatch.geo import destination

    t = clock.t
    lat, lon = LAT, LON
    rows = []
    for k in range(11):  # boat-01 moves 100 m every 10 s for 100 s: 1 km
        rows.append(("boat-01", t + 10 * k, lat, lon, 10.0, 0.0, "t"))
        lat, lon = destination(lat, lon, 90.0, 100.0)
    rows.append(("boat-01", t + 110 + 3600, lat + 0.05, lon, 0.0, 0.0, "t"))  # after a long gap: not travel
    core.ingest(rows)
    iid = call(core, "incident.create", category="floating_garbage", priority="P2", lat=LAT, lon=LON)["id"]
    call(core, "incident.transition", incident_id=iid, state="verified")
    clock.t = t + 600
    call(core, "incident.assign", incident_id=iid, unit_id="boat-01")  # assigned from t+600
    clock.t = t + 1200
    call(core, "incident.transition", incident_id=iid, state="accepted")  # busy from t+1200
    clock.t = t + 7200
    got = {r["unit_id"]: r for r in call(core, "analytics.units", start=t, end=t + 7200)}
    b = got["boat-01"]
    assert abs(b["distance_km"] - 1.0) < 0.01
    assert b["status_s"]["available"] == 600 and b["status_s"]["assigned"] == 600 and b["status_s"]["busy"] == 6000
    assert b["busy_share"] == round(6600 / 7200, 4)
    assert got["vessel-01"]["status_s"] == {"available": 7200} and got["vessel-01"]["distance_km"] == 0.0


def test_truck_alerts_by_company(core, clock):
    call(core, "companies.import", companies=[{"id": "c1", "name": "柳运渣土"}, {"id": "c2", "name": "鱼峰运输"}])
    call(core, "trucks.import", trucks=[{"plate": "桂B12345", "unit_id": "truck-01", "company": "c1"},
                                        {"plate": "桂B67890", "unit_id": "truck-02", "company": "c2"}])
    add_unit(core, "truck-03", "truck", 24.33, 109.41)  # no papers
    t = clock.t

    def raise_(unit, rule, dt, key):
        core.record("system:rules", [NewEvent("alert.raised", {"rule": rule, "unit_id": unit, "lat": 24.33, "lon": 109.41,
                                                               "ts": t + dt, "severity": "warning", "key": key},
                                              f"unit:{unit}")])

    raise_("truck-01", "suspected_dumping", 10, "a")
    raise_("truck-01", "corridor_deviation", 20, "b")
    raise_("truck-02", "speeding", 30, "c")
    raise_("truck-03", "stale", 40, "d")
    raise_("boat-01", "left_patrol_area", 50, "e")  # a boat: no company's
    raise_("truck-02", "speeding", 5000, "f")  # after the period
    rows = call(core, "analytics.alerts_by_company", start=t, end=t + 100)
    assert [(r["name"], r["count"]) for r in rows] == [("柳运渣土", 2), ("鱼峰运输", 1), (None, 1)]
    assert rows[0]["by_rule"] == {"suspected_dumping": 1, "corridor_deviation": 1}
    assert call(core, "analytics.dashboard", start=t, end=t + 100)["alerts_by_company"] == rows
