"""What the dispatcher sees of an assignment's delivery (field.assignments), as units really answer:
a decline stays a decline, the delivery time is the assignment's own, a cleaning task reaches its vessels."""

from __future__ import annotations

from dispatch import ops
from dispatch.hub import protocol as P
from dispatch.hub.state import field_state
from tests.conftest import wait_for


def sequenced(got, kind=None):  # type: ignore[no-untyped-def]
    return [m for m in got if m.get("type") in P.SEQUENCED and (kind is None or m["type"] == kind)]


def assign_new(core, unit: str) -> str:  # type: ignore[no-untyped-def]
    r = ops.call(core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.32,
                                           "lon": 109.41}, actor="dispatcher:wang")
    ops.call(core, "incident.assign", {"incident_id": r["id"], "unit_id": unit}, actor="dispatcher:wang")
    return f"incident:{r['id']}"


def outbox_types(core, unit: str) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return sorted((r["seq"], r["type"]) for r in ops.call(core, "field.outbox", {"unit_id": unit}, actor="t"))


def test_a_unit_that_declines_is_shown_declined_and_not_sent_a_withdrawal(link) -> None:  # type: ignore[no-untyped-def]
    client, got = link.client("boat-01")
    wait_for(lambda: client.logged_in, what="login")
    ref = assign_new(link.core, "boat-01")
    wait_for(lambda: sequenced(got, "assignment"), what="assignment")
    client.decline(ref, "Equipment fault")
    view = wait_for(lambda: (v := field_state(link.core.state).assignments.get("boat-01", {}).get(ref))
                    and v.declined and v, what="decline recorded")
    # a marker after the decline: the outbox is filled in log order, so anything the decline caused is before it
    ops.call(link.core, "field.send", {"unit_id": "boat-01", "text": "marker"}, actor="dispatcher:wang")
    wait_for(lambda: sequenced(got, "text"), what="marker")
    assert [m["type"] for m in sequenced(got)] == ["assignment", "text"]  # the unit knows it declined
    want = [(1, "assignment"), (2, "text")]  # in the store within DEFER_S of the send (dispatch/hub/outbox.py)
    wait_for(lambda: outbox_types(link.core, "boat-01") == want, 5, what=f"the outbox {want}")
    assert view.cancelled is None and view.reason == "Equipment fault"
    rows = ops.call(link.core, "field.assignments", {"unit_id": "boat-01"}, actor="t")
    a = rows[0]["assignments"][0]
    assert a["declined"] and a["reason"] == "Equipment fault" and a["cancelled"] is None


def test_delivered_stays_the_time_the_assignment_was_acknowledged(link) -> None:  # type: ignore[no-untyped-def]
    client, got = link.client("boat-01")
    wait_for(lambda: client.logged_in, what="login")
    ref = assign_new(link.core, "boat-01")
    view = wait_for(lambda: (v := field_state(link.core.state).assignments.get("boat-01", {}).get(ref))
                    and v.delivered and v, what="delivered")
    delivered = view.delivered
    ops.call(link.core, "incident.unassign", {"incident_id": ref.split(":")[1], "note": "sent another boat"},
             actor="dispatcher:wang")
    wait_for(lambda: sequenced(got, "cancel"), what="cancel")

    def cancel_ack_recorded() -> bool:
        evs = ops.call(link.core, "replay.events", {"kind": "field.delivered"}, actor="t")
        return any(e["payload"].get("seq") == 2 for e in evs)

    wait_for(cancel_ack_recorded, what="the cancel's delivery recorded")
    assert view.cancelled is not None
    assert view.delivered == delivered  # the cancel's acknowledgement is not the assignment's delivery


def test_a_cleaning_task_created_with_vessels_reaches_them(link) -> None:  # type: ignore[no-untyped-def]
    client, got = link.client("boat-02")
    wait_for(lambda: client.logged_in, what="login")
    t = ops.call(link.core, "task.create", {"segment": "segment-3", "units": "boat-02", "name": "sweep 3"},
                 actor="dispatcher:wang")
    wait_for(lambda: sequenced(got, "assignment"), what="task assignment")
    a = sequenced(got, "assignment")[0]
    assert a["ref"] == f"task:{t['id']}" and a["task_id"] == str(t["id"])
    from shapely.geometry import Point, shape

    assert a["name"] == "sweep 3"  # where to go: a point on the water of its area, for any client's map
    assert shape(a["area"]).contains(Point(a["lon"], a["lat"]))
    wait_for(lambda: field_state(link.core.state).assignments.get("boat-02", {}).get(a["ref"]), what="queued")
    # a recurring template is not work by itself: its daily tasks are (each is created with the units)
    ops.call(link.core, "task.create", {"segment": "segment-3", "units": "boat-02", "every_day": "07:00"},
             actor="dispatcher:wang")
    ops.call(link.core, "field.send", {"unit_id": "boat-02", "text": "marker"}, actor="dispatcher:wang")
    wait_for(lambda: sequenced(got, "text"), what="marker")
    assert [m["type"] for m in sequenced(got)] == ["assignment", "text"]


def test_a_cancelled_cleaning_task_is_withdrawn_from_its_vessels(link) -> None:  # type: ignore[no-untyped-def]
    client, got = link.client("boat-02")
    wait_for(lambda: client.logged_in, what="login")
    t = ops.call(link.core, "task.create", {"segment": "segment-3", "name": "sweep 3"}, actor="dispatcher:wang")
    ops.call(link.core, "task.assign", {"task_id": t["id"], "units": "boat-02"}, actor="dispatcher:wang")
    wait_for(lambda: sequenced(got, "assignment"), what="task assignment")
    ops.call(link.core, "task.cancel", {"task_id": t["id"], "note": "storm"}, actor="dispatcher:wang")
    c = wait_for(lambda: sequenced(got, "cancel"), what="cancel")[0]
    assert c["ref"] == f"task:{t['id']}" and c["note"] == "storm"
    view = wait_for(lambda: (v := field_state(link.core.state).assignments.get("boat-02", {}).get(c["ref"]))
                    and v.cancelled and v, what="withdrawal recorded")
    assert view.sent is not None


def test_a_finished_cleaning_task_is_dropped_by_its_vessels_as_done(link) -> None:  # type: ignore[no-untyped-def]
    """task.finished (coverage reached, or the dispatcher ends it) tells the vessels, marked as done: the
    other vessels of the task do not keep working on it, and nothing reads as a withdrawal."""
    client, got = link.client("boat-02")
    wait_for(lambda: client.logged_in, what="login")
    t = ops.call(link.core, "task.create", {"segment": "segment-3", "units": "boat-02", "name": "sweep 3"},
                 actor="dispatcher:wang")
    wait_for(lambda: sequenced(got, "assignment"), what="task assignment")
    ops.call(link.core, "task.finish", {"task_id": t["id"]}, actor="dispatcher:wang")
    c = wait_for(lambda: sequenced(got, "cancel"), what="the task's end")[0]
    assert c["ref"] == f"task:{t['id']}" and c["reason"] == "finished"
    view = wait_for(lambda: (v := field_state(link.core.state).assignments.get("boat-02", {}).get(c["ref"]))
                    and v.finished and v, what="the end recorded")
    assert view.cancelled is None


def test_sent_and_delivered_times_are_their_own_not_the_batched_records(link) -> None:  # type: ignore[no-untyped-def]
    """"queued" and "delivered" are recorded together up to 50 ms later; the times shown are when the hub
    sent the assignment and when the unit's acknowledgement arrived, carried in the events."""
    client, got = link.client("boat-02")
    wait_for(lambda: client.logged_in, what="login")
    ref = assign_new(link.core, 'boat-02')
    view = wait_for(lambda: (v := field_state(link.core.state).assignments.get("boat-02", {}).get(ref))
                    and v.delivered and v, what="delivered")
    evs = {e.kind: e for e in link.core.store.events(kinds=["field.queued", "field.delivered"])
           if e.payload.get("ref") == ref}
    assert view.sent == evs["field.queued"].payload["at"] <= evs["field.queued"].ts
    assert view.delivered == evs["field.delivered"].payload["at"] <= evs["field.delivered"].ts
    assert view.sent <= view.delivered


def test_a_task_scheduled_for_later_reaches_its_vessels_when_it_starts(link) -> None:  # type: ignore[no-untyped-def]
    import time as _time

    client, got = link.client("boat-02")
    wait_for(lambda: client.logged_in, what="login")
    start = _time.time() + 3600
    t = ops.call(link.core, "task.create", {"segment": "segment-3", "units": "boat-02", "name": "evening sweep",
                                            "at": start}, actor="dispatcher:wang")
    ops.call(link.core, "field.send", {"unit_id": "boat-02", "text": "marker"}, actor="dispatcher:wang")
    wait_for(lambda: sequenced(got, "text"), what="marker")
    assert not sequenced(got, "assignment")  # not at its creation: it is not work yet
    ops.call(link.core, "tasks.tick", {"now": start + 1}, actor="system:test")  # its start time comes
    a = wait_for(lambda: sequenced(got, "assignment"), what="the task at its start")[0]
    assert a["ref"] == f"task:{t['id']}" and a["name"] == "evening sweep"
    ops.call(link.core, "field.send", {"unit_id": "boat-02", "text": "marker 2"}, actor="dispatcher:wang")
    wait_for(lambda: len(sequenced(got, "text")) == 2, what="second marker")
    assert len(sequenced(got, "assignment")) == 1
