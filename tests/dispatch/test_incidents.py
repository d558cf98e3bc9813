"""The incident lifecycle on a real store: every legal and illegal transition, assignment rules,
unit authorisation, deadlines with an injected clock, duplicates and merge, attachments."""

from __future__ import annotations

import hashlib

import pytest

from dispatch import ops
from dispatch.errors import NotFound, Refused
from dispatch.incidents.workflow import ASSIGNABLE, TRANSITIONS, UNASSIGNABLE, State
from tests.dispatch.incident_helpers import Clock, add_unit, make_core, river_point

LAT, LON = river_point(0.3)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def core(tmp_path, clock):
    c = make_core(tmp_path, clock)
    add_unit(c, "boat-01", "patrol_boat", LAT, LON)
    add_unit(c, "boat-02", "patrol_boat", *river_point(0.35))
    add_unit(c, "officer-01", "officer", 24.33, 109.41)
    yield c
    c.close()


def call(core, name, actor="dispatcher:wang", **args):
    return ops.call(core, name, args, actor=actor)


def new(core, category="floating_garbage", priority="P2", lat=LAT, lon=LON, **kw):
    return call(core, "incident.create", category=category, priority=priority, lat=lat, lon=lon, **kw)


def walk_to(core, iid, target: State, unit="boat-01"):
    """Drive incident iid from reported to `target` along the main path."""
    path = [State.VERIFIED, State.DISPATCHED, State.ACCEPTED, State.EN_ROUTE, State.ON_SCENE, State.RESOLVED,
            State.CLOSED, State.EVALUATED]
    if target is State.REPORTED:
        return
    for s in path:
        if s is State.DISPATCHED:
            call(core, "incident.assign", incident_id=iid, unit_id=unit)
        elif s is State.EVALUATED:
            call(core, "incident.evaluate", incident_id=iid, satisfaction=4)
        else:
            call(core, "incident.transition", incident_id=iid, state=s.value)
        if s is target:
            return
    if target is State.REJECTED:
        raise AssertionError
    if target is State.REOPENED:
        call(core, "incident.transition", incident_id=iid, state="reopened")


def put_in(core, target: State) -> int:
    iid = new(core)["id"]
    if target is State.REJECTED:
        call(core, "incident.transition", incident_id=iid, state="rejected")
    elif target is State.REOPENED:
        walk_to(core, iid, State.CLOSED)
        call(core, "incident.transition", incident_id=iid, state="reopened")
    else:
        walk_to(core, iid, target)
    assert call(core, "incident.show", incident_id=iid)["state"] == target.value
    return iid


def test_create_then_full_walk_with_history(core):
    inc = new(core, text="plastic bottles", source="app", reporter="Ms Li", contact="138...")
    assert inc["state"] == "reported" and inc["id"] == 1 and inc["source"] == "app"
    walk_to(core, 1, State.EVALUATED)
    d = call(core, "incident.show", incident_id="incident:1")
    assert d["state"] == "evaluated" and d["satisfaction"] == 4
    tos = [h["to"] for h in d["history"]]
    assert tos == ["reported", "verified", "dispatched", "accepted", "en_route", "on_scene", "resolved", "closed",
                   "evaluated"]
    assert all(h["actor"] == "dispatcher:wang" and h["time"] for h in d["history"])


@pytest.mark.parametrize("current", [s for s in State])
@pytest.mark.parametrize("target", [s for s in State])
def test_every_transition(tmp_path, current, target):
    c = make_core(tmp_path)
    add_unit(c, "boat-01", "patrol_boat", LAT, LON)
    try:
        iid = put_in(c, current)
        args = {"incident_id": iid, "state": target.value}
        if target is State.EVALUATED:
            args["satisfaction"] = 5
        legal = target in TRANSITIONS[current]
        before = c.store.last_seq()
        if legal:
            assert call(c, "incident.transition", **args)["state"] == target.value
        else:
            with pytest.raises(Refused) as e:
                call(c, "incident.transition", **args)
            assert e.value.code == "illegal_transition"
            assert f"allowed from {current.value}" in str(e.value)
            assert c.store.last_seq() == before  # nothing half-done
        # assign / unassign only from their states
        if current in ASSIGNABLE:
            assert current is not State.DISPATCHED
        if current in UNASSIGNABLE:
            assert call(c, "incident.show", incident_id=iid)["unit_id"] == "boat-01"
    finally:
        c.close()


def test_jump_after_assign_refused_names_allowed(core):
    iid = new(core)["id"]
    call(core, "incident.assign", incident_id=iid, unit_id="boat-01")
    with pytest.raises(Refused, match="allowed from dispatched: accepted"):
        call(core, "incident.transition", incident_id=iid, state="closed")


def test_assignment_drives_unit_status(core):
    iid = new(core)["id"]
    call(core, "incident.assign", incident_id=iid, unit_id="boat-01")
    u = core.state.units["boat-01"]
    assert u.status.value == "assigned" and u.current == f"incident:{iid}"
    call(core, "incident.transition", incident_id=iid, state="accepted", actor="unit:boat-01")
    assert u.status.value == "busy"
    call(core, "incident.transition", incident_id=iid, state="on_scene", actor="unit:boat-01")
    call(core, "incident.transition", incident_id=iid, state="resolved", actor="unit:boat-01")
    assert u.status.value == "available" and u.current is None


def test_assign_refusals(core):
    a, b = new(core)["id"], new(core, category="illegal_fishing")["id"]
    with pytest.raises(NotFound):
        call(core, "incident.assign", incident_id=a, unit_id="boat-99")
    with pytest.raises(NotFound):
        call(core, "incident.assign", incident_id=99, unit_id="boat-01")
    call(core, "incident.assign", incident_id=a, unit_id="boat-01")
    # the console's one-click assignment wants a free unit
    with pytest.raises(Refused, match="no longer free") as e:
        call(core, "incident.assign", incident_id=b, unit_id="boat-01", exclusive=True)
    assert e.value.code == "unit_busy"
    with pytest.raises(Refused, match="already assigned") as e:
        call(core, "incident.assign", incident_id=a, unit_id="boat-02")
    # a unit out on a job (en route, on scene) takes no new work
    call(core, "incident.transition", incident_id=a, state="accepted", actor="unit:boat-01")
    call(core, "incident.transition", incident_id=a, state="en_route", actor="unit:boat-01")
    with pytest.raises(Refused, match="busy: en_route on incident") as e:
        call(core, "incident.assign", incident_id=b, unit_id="boat-01")
    assert e.value.code == "unit_busy"
    call(core, "unit.status", unit_id="officer-01", status="out_of_service")
    with pytest.raises(Refused, match="offline") as e:
        call(core, "incident.assign", incident_id=b, unit_id="officer-01")
    assert e.value.code == "unit_offline"
    assert call(core, "incident.show", incident_id=b)["state"] == "reported"  # nothing half-done


def test_assignments_queue_behind_work_not_yet_started(core):
    """A unit that has accepted but not set out takes more work in its queue, as a CAD stacks calls."""
    a, b = new(core)["id"], new(core, category="illegal_fishing")["id"]
    call(core, "incident.assign", incident_id=a, unit_id="boat-01")
    call(core, "incident.transition", incident_id=a, state="accepted", actor="unit:boat-01")
    res = call(core, "incident.assign", incident_id=b, unit_id="boat-01")
    assert res["state"] == "dispatched" and res["queued_behind"] == [a]
    u = core.state.units["boat-01"]
    assert u.current == f"incident:{a}" and u.status.value == "busy"
    call(core, "incident.transition", incident_id=b, state="accepted", actor="unit:boat-01")
    for st in ("en_route", "on_scene", "resolved"):
        call(core, "incident.transition", incident_id=a, state=st, actor="unit:boat-01")
    assert u.current == f"incident:{b}" and u.status.value == "busy"  # on to the next in its queue
    for st in ("en_route", "on_scene", "resolved"):
        call(core, "incident.transition", incident_id=b, state=st, actor="unit:boat-01")
    assert u.current is None and u.status.value == "available"


def test_a_unit_out_of_reach_of_the_field_link_still_gets_its_assignment(core):
    a = new(core)["id"]
    core.state.units["boat-02"].online = False  # under a bridge: presence says offline
    res = call(core, "incident.assign", incident_id=a, unit_id="boat-02")
    assert res["state"] == "dispatched" and "outbox" in res["delivery"]


def test_two_dispatchers_same_unit(tmp_path, clock):
    c1 = make_core(tmp_path, clock)
    add_unit(c1, "boat-01", "patrol_boat", LAT, LON)
    c2 = make_core(tmp_path, clock)  # a second seat on the same store
    try:
        a = new(c1)["id"]
        b = new(c2, category="illegal_fishing")["id"]
        call(c1, "incident.assign", incident_id=a, unit_id="boat-01", exclusive=True)
        with pytest.raises(Refused, match="boat-01 is no longer free"):
            call(c2, "incident.assign", incident_id=b, unit_id="boat-01", actor="dispatcher:li", exclusive=True)
        assert call(c2, "incident.show", incident_id=b)["state"] == "reported"
    finally:
        c1.close()
        c2.close()


def test_unit_moves_only_its_own(core):
    a, b = new(core)["id"], new(core, category="illegal_fishing")["id"]
    call(core, "incident.assign", incident_id=a, unit_id="boat-01")
    call(core, "incident.assign", incident_id=b, unit_id="boat-02")
    with pytest.raises(Refused) as e:
        call(core, "incident.transition", incident_id=a, state="accepted", actor="unit:boat-02")
    assert e.value.code == "not_your_assignment"
    call(core, "incident.transition", incident_id=a, state="accepted", actor="unit:boat-01")
    with pytest.raises(Refused) as e:
        call(core, "incident.transition", incident_id=a, state="closed", actor="unit:boat-01")
    assert e.value.code in ("not_allowed_for_unit", "illegal_transition")
    from dispatch.incidents.book import unit_may_move

    assert unit_may_move(core.state, a, "boat-01") and not unit_may_move(core.state, a, "boat-02")


def test_unassign_back_to_verified_and_reassign(core):
    iid = new(core)["id"]
    call(core, "incident.assign", incident_id=iid, unit_id="boat-01")
    d = call(core, "incident.unassign", incident_id=iid, note="engine trouble")
    assert d["state"] == "verified" and d["unit_id"] is None
    assert core.state.units["boat-01"].status.value == "available"
    assert call(core, "incident.assign", incident_id=iid, unit_id="boat-02")["unit_id"] == "boat-02"


def test_reopen_rework_then_dispatch_again(core):
    iid = put_in(core, State.CLOSED)
    d = call(core, "incident.transition", incident_id=iid, state="reopened", note="check failed: still floating")
    assert d["state"] == "reopened" and d["round"] == 2
    assert call(core, "incident.assign", incident_id=iid, unit_id="boat-02")["state"] == "dispatched"


def test_bad_input_refused(core):
    for kw, code in (({"category": "alien"}, "bad_category"), ({"priority": "P9"}, "bad_priority"),
                     ({"lat": 95.0}, "bad_coordinates"), ({"source": "pigeon"}, "bad_source")):
        with pytest.raises(Refused) as e:
            new(core, **kw)
        assert e.value.code == code
    iid = put_in(core, State.CLOSED)
    with pytest.raises(Refused, match="satisfaction"):
        call(core, "incident.evaluate", incident_id=iid, satisfaction=7)
    assert core.store.last_seq() == max(e.seq for e in core.store.events())


def test_deadlines_with_injected_clock(core, clock):
    call(core, "incidents.config_set", config={"limits": {"P2": {"dispatch": 600, "arrive": 1200}},
                                               "overrides": {"illegal_fishing": {"P2": {"dispatch": 60}}}})
    a = new(core)["id"]
    b = new(core, category="illegal_fishing", lat=LAT + 0.01)["id"]
    assert call(core, "incidents.check_deadlines") == []
    clock.t += 61
    alerts = call(core, "incidents.check_deadlines")
    assert [(x["id"], x["stage"]) for x in alerts] == [(b, "dispatch")]
    assert call(core, "incidents.check_deadlines") == []  # once only
    clock.t += 600
    assert [(x["id"], x["stage"]) for x in call(core, "incidents.check_deadlines")] == [(a, "dispatch")]
    rows = {r["id"]: r for r in call(core, "incidents")}
    assert rows[a]["overdue"] and rows[a]["deadline"]["remaining_s"] < 0
    call(core, "incident.assign", incident_id=a, unit_id="boat-01")
    assert call(core, "incident.show", incident_id=a)["deadline"]["stage"] == "arrive"
    assert call(core, "incident.show", incident_id=a)["overdue"]  # stays marked
    clock.t += 1201
    assert [(x["id"], x["stage"]) for x in call(core, "incidents.check_deadlines")] == [(a, "arrive")]
    overdue_events = [e for e in core.store.events(kinds=["incident.overdue"])]
    assert len(overdue_events) == 3 and all(e.payload["notify"] == "shift_lead" for e in overdue_events)
    for s in ("accepted", "on_scene", "resolved", "closed"):
        call(core, "incident.transition", incident_id=a, state=s)
    assert not call(core, "incident.show", incident_id=a)["overdue"]


def test_shift_lead_alerts_are_state_kept_until_acknowledged(core, clock, tmp_path):
    """Issue 19, item 2: the alerts were widget contents, gone after a restart though nobody saw them."""
    a = new(core, priority="P1")["id"]
    b = new(core, priority="P1", lat=LAT + 0.01)["id"]
    clock.t += 301
    call(core, "incidents.check_deadlines", actor="system:console")
    alerts = call(core, "incidents.alerts")
    assert sorted((x["incident_id"], x["stage"]) for x in alerts) == [(a, "dispatch"), (b, "dispatch")]
    assert all(x["acknowledged_at"] is None and x["priority"] == "P1" for x in alerts)
    core.close()
    again = make_core(tmp_path, clock)  # a restart: the state is the log's
    assert [x["seq"] for x in call(again, "incidents.alerts")] == [x["seq"] for x in alerts]
    first = alerts[-1]["seq"]
    assert call(again, "incidents.acknowledge_alerts", actor="dispatcher:li", alerts=[first]) == {"acknowledged": 1}
    assert call(again, "incidents.acknowledge_alerts", alerts=[first]) == {"acknowledged": 0}  # once
    with pytest.raises(NotFound, match="no such alert: 999999"):
        call(again, "incidents.acknowledge_alerts", alerts=[999999])
    left = call(again, "incidents.alerts")
    assert [x["seq"] for x in left] == [alerts[0]["seq"]]
    acked = next(x for x in call(again, "incidents.alerts", all=True) if x["seq"] == first)
    assert acked["acknowledged_by"] == "dispatcher:li" and acked["acknowledged_at"] == clock.t
    assert call(again, "incidents.acknowledge_alerts") == {"acknowledged": 1}  # every one left
    assert call(again, "incidents.alerts") == []
    again.close()
    last = make_core(tmp_path, clock)
    assert call(last, "incidents.alerts") == []
    last.close()


def test_duplicates_flagged_and_merged(core, clock, tmp_path):
    call(core, "incidents.config_set", config={"duplicate_radius_m": 200, "duplicate_window_s": 3600})
    a = new(core, text="first call")["id"]
    near = new(core, lat=LAT + 0.001, text="second call", reporter="Mr Zhang")  # ~110 m
    assert near["possible_duplicates"] == [a]
    far = new(core, lat=LAT + 0.01)  # ~1.1 km
    other_cat = new(core, category="water_pollution")
    assert far["possible_duplicates"] == [] and other_cat["possible_duplicates"] == []
    clock.t += 3601
    assert new(core)["possible_duplicates"] == []  # outside the window
    f = tmp_path / "photo.jpg"
    f.write_bytes(b"\xff\xd8 not really a jpeg")
    call(core, "incident.attach", incident_id=near["id"], path=str(f))
    kept = call(core, "incident.merge", incident_id=a, duplicate_id=near["id"])
    assert kept["merged"] == [near["id"]]
    assert kept["reports"][0]["text"] == "second call" and kept["reports"][0]["reporter"] == "Mr Zhang"
    assert kept["attachments"][0]["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
    dup = call(core, "incident.show", incident_id=near["id"])
    assert dup["state"] == "rejected" and dup["reject_reason"] == "duplicate" and dup["merged_into"] == a
    with pytest.raises(Refused):
        call(core, "incident.merge", incident_id=a, duplicate_id=near["id"])
    with pytest.raises(Refused):
        call(core, "incident.merge", incident_id=a, duplicate_id=a)


def test_attachment_kept_unaltered(core, tmp_path):
    iid = new(core)["id"]
    f = tmp_path / "clip.mp4"
    data = bytes(range(256)) * 1000
    f.write_bytes(data)
    r = call(core, "incident.attach", incident_id=iid, path=str(f))
    assert r["size"] == len(data) and r["sha256"] == hashlib.sha256(data).hexdigest()
    f.write_bytes(b"edited later")  # the original changes: what is stored does not
    from pathlib import Path

    from dispatch.blobs import verify

    assert Path(r["path"]).read_bytes() == data and verify(core, r["sha256"])
    att = call(core, "incident.show", incident_id=iid)["attachments"][0]
    assert att["name"] == "clip.mp4" and att["media_type"] == "video/mp4"
    before = core.store.last_seq()
    with pytest.raises(Refused) as e:
        call(core, "incident.attach", incident_id=iid, path=str(tmp_path / "missing.jpg"))
    assert e.value.code == "attachment_unreadable" and core.store.last_seq() == before
    with pytest.raises(NotFound):
        call(core, "incident.attach", incident_id=42, path=str(f))


def test_state_replayed_from_log(tmp_path, clock):
    c = make_core(tmp_path, clock)
    add_unit(c, "boat-01", "patrol_boat", LAT, LON)
    iid = put_in(c, State.ON_SCENE)
    before = call(c, "incident.show", incident_id=iid)
    c.close()
    c2 = make_core(tmp_path, clock)
    try:
        after = call(c2, "incident.show", incident_id=iid)
        assert after == before
        assert c2.state.units["boat-01"].current == f"incident:{iid}"
    finally:
        c2.close()


def test_duplicate_search_by_grid_cell_finds_what_a_full_scan_finds(core, clock):
    """Reports scattered over cell borders: the cell index answers exactly as comparing every open incident."""
    import random

    from dispatch.geo import haversine_m
    from dispatch.incidents.book import DUP_CELL_DEG, book

    call(core, "incidents.config_set", config={"duplicate_radius_m": 300, "duplicate_window_s": 86400})
    rng = random.Random(7)
    # around a corner where four grid cells meet, and in the city's river
    corner = (round(LAT / DUP_CELL_DEG) * DUP_CELL_DEG, round(LON / DUP_CELL_DEG) * DUP_CELL_DEG)
    made = []
    for _ in range(60):
        lat = corner[0] + rng.uniform(-0.004, 0.004)
        lon = corner[1] + rng.uniform(-0.004, 0.004)
        made.append(new(core, category=rng.choice(["floating_garbage", "water_pollution"]), lat=lat, lon=lon)["id"])
    call(core, "incident.merge", incident_id=made[0], duplicate_id=made[1])
    walk_to(core, made[2], State.CLOSED)

    def brute(category, lat, lon, radius=300):
        b = book(core.state)
        return sorted(i.id for i in b.items.values() if i.is_open and i.merged_into is None
                      and i.category == category and haversine_m(lat, lon, i.lat, i.lon) <= radius)

    for _ in range(40):
        cat = rng.choice(["floating_garbage", "water_pollution"])
        lat = corner[0] + rng.uniform(-0.005, 0.005)
        lon = corner[1] + rng.uniform(-0.005, 0.005)
        expected = brute(cat, lat, lon)
        assert new(core, category=cat, lat=lat, lon=lon)["possible_duplicates"] == expected
    got = new(core, lat=corner[0], lon=corner[1])["possible_duplicates"]
    assert made[1] not in got and made[2] not in got
    # a radius wider than the whole grid looks at every open incident of the category
    call(core, "incidents.config_set", config={"duplicate_radius_m": 5_000_000})
    expected = brute("water_pollution", corner[0], corner[1], 5_000_000)
    assert len(expected) > 30
    assert new(core, category="water_pollution", lat=corner[0], lon=corner[1])["possible_duplicates"] == expected
