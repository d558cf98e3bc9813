"""Water-cleaning tasks on a real store: areas, coverage from buffered tracks on known geometry,
schedules and recurrence with an injected clock, refusals."""

from __future__ import annotations

from datetime import datetime

import pytest

from dispatch import ops
from dispatch.bureautime import bureau_tz
from dispatch.errors import NotFound, Refused
from dispatch.geo import destination
from tests.dispatch.incident_helpers import Clock, add_unit, make_core, river_point

CENTER = river_point(0.5)


def square(center, half_m):
    lat, lon = center
    n = destination(lat, lon, 0, half_m)[0]
    s = destination(lat, lon, 180, half_m)[0]
    e = destination(lat, lon, 90, half_m)[1]
    w = destination(lat, lon, 270, half_m)[1]
    return f"{s} {w}; {s} {e}; {n} {e}; {n} {w}"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def core(tmp_path, clock):
    c = make_core(tmp_path, clock)
    add_unit(c, "vessel-01", "cleaning_vessel", *CENTER)
    add_unit(c, "vessel-02", "cleaning_vessel", *CENTER)
    add_unit(c, "officer-01", "officer", 24.33, 109.41)
    clock.t += 10  # these first fixes come before any task starts
    yield c
    c.close()


def call(core, name, **args):
    return ops.call(core, name, args, actor="dispatcher:wang")


def sweep_east_west(core, clock, uid, north_offset_m, half_m=80.0, step_m=10.0):
    """Drive `uid` straight west->east across the square at `north_offset_m` north of the centre."""
    lat, lon = destination(*CENTER, 0, north_offset_m) if north_offset_m >= 0 else destination(
        *CENTER, 180, -north_offset_m)
    start = destination(lat, lon, 270, half_m)
    fixes = []
    for i in range(int(2 * half_m / step_m) + 1):
        clock.t += 5
        p = destination(*start, 90, i * step_m)
        fixes.append((uid, clock.t, p[0], p[1], 2.0, 90.0, "test"))
    core.ingest(fixes)


def test_coverage_of_one_pass_on_a_square(core, clock):
    t = call(core, "task.create", polygon=square(CENTER, 50), units="vessel-01", sweep_width_m=20)
    assert t["state"] == "active" and t["area_m2"] == pytest.approx(10_000, rel=0.02)
    sweep_east_west(core, clock, "vessel-01", 0)
    p = call(core, "task.show", task_id=t["id"])["progress"]
    assert p["coverage"] == pytest.approx(0.20, abs=0.01)  # a 20 m strip across a 100 m square
    assert p["distance_m"] == pytest.approx(160, rel=0.02)


def test_passes_add_up_and_tick_finishes(core, clock):
    t = call(core, "task.create", polygon=square(CENTER, 50), units="vessel-01,vessel-02", sweep_width_m=20)
    for i, off in enumerate((-40, -20, 0, 20, 40)):
        sweep_east_west(core, clock, "vessel-01" if i % 2 else "vessel-02", off)
    p = call(core, "task.show", task_id=t["id"])["progress"]
    assert p["coverage"] >= 0.95
    done = call(core, "tasks.tick")
    assert {"id": t["id"], "action": "finished", "coverage": p["coverage"]} in done
    f = call(core, "task.show", task_id=t["id"])
    assert f["state"] == "finished" and f["result"]["distance_m"] == pytest.approx(5 * 160 + 3 * (160**2 + 40**2) ** 0.5, rel=0.03)
    assert f["result"]["area_m2"] == pytest.approx(10_000, rel=0.02) and f["result"]["duration_s"] > 0


def test_fixes_before_start_do_not_count(core, clock):
    sweep_east_west(core, clock, "vessel-01", 0)
    t = call(core, "task.create", polygon=square(CENTER, 50), units="vessel-01")
    assert call(core, "task.show", task_id=t["id"])["progress"]["coverage"] == 0.0


def test_segment_area_is_water_bank_to_bank(core):
    t = call(core, "task.create", segment="segment-3", units=["vessel-01"])
    assert t["segment"] == "segment-3" and t["area"]["type"] in ("Polygon", "MultiPolygon")
    assert 0.5e6 < t["area_m2"] < 3e6  # a few km of a 300-400 m wide river
    assert call(core, "task.create", segment="3")["segment"] == "segment-3"


def test_refusals(core):
    before = core.store.last_seq()
    with pytest.raises(Refused) as e:
        call(core, "task.create", polygon=square((24.33, 109.41), 100))  # the old city, on land
    assert e.value.code == "on_land"
    with pytest.raises(Refused, match="segments"):
        call(core, "task.create", segment="segment-99")
    with pytest.raises(Refused):
        call(core, "task.create", polygon="24.3 109.4; nonsense")
    with pytest.raises(Refused):
        call(core, "task.create", polygon="95 109; 96 109; 95 110")
    with pytest.raises(NotFound):
        call(core, "task.create", segment="segment-1", units="vessel-99")
    with pytest.raises(Refused, match="officer"):
        call(core, "task.create", segment="segment-1", units="officer-01")
    with pytest.raises(Refused):
        call(core, "task.create", segment="segment-1", every_day="25:00")
    assert core.store.last_seq() == before


def test_scheduled_and_recurring(core, clock):
    # 06:00 Beijing time today
    local = datetime.fromtimestamp(clock.t, bureau_tz()).replace(hour=6, minute=0, second=0, microsecond=0)
    clock.t = local.timestamp()
    later = call(core, "task.create", segment="segment-2", units="vessel-01", at=clock.t + 1800)
    daily = call(core, "task.create", segment="segment-3", units="vessel-02", every_day="07:00")
    assert later["state"] == "scheduled" and daily["state"] == "recurring"
    assert call(core, "tasks.tick") == []
    clock.t += 1801
    assert call(core, "tasks.tick") == [{"id": later["id"], "action": "started"}]
    clock.t = local.timestamp() + 3600 + 5  # 07:00:05
    done = call(core, "tasks.tick")
    assert [d["action"] for d in done] == ["spawned"] and done[0]["parent"] == daily["id"]
    run = call(core, "task.show", task_id=done[0]["id"])
    assert run["state"] == "active" and run["units"] == ["vessel-02"] and run["segment"] == "segment-3"
    assert call(core, "tasks.tick") == []  # once a day
    clock.t += 86400
    assert [d["action"] for d in call(core, "tasks.tick")] == ["spawned"]
    assert len(call(core, "tasks", state="active")) == 3


def test_assign_and_recommend_for_task(core):
    t = call(core, "task.create", polygon=square(CENTER, 50))
    assert call(core, "task.assign", task_id=t["id"], units="vessel-02")["units"] == ["vessel-02"]
    with pytest.raises(Refused):
        call(core, "task.assign", task_id=t["id"], units="vessel-02")
    rec = call(core, "recommend", task_id=t["id"])
    assert {r["unit_id"] for r in rec} == {"vessel-01", "vessel-02"}
    fin = call(core, "task.finish", task_id=t["id"])
    assert fin["state"] == "finished" and fin["result"]["reason"] == "manual"
