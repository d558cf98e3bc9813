"""Control sessions: CURVE seat keys, login bound to the connection, roles enforced by the hub, refusals
recorded; the operator is the session's, never the request's."""

from __future__ import annotations

import io
import threading

import pytest

from console.cli import main
from dispatch.errors import Refused
from dispatch.ops import call
from tests.hub.conftest import PASSWORD, add_operator


def new_incident(core) -> int:  # type: ignore[no-untyped-def]
    return call(core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.33,
                                          "lon": 109.41, "verified": True}, actor="ctl:test")["id"]


def test_a_viewers_assign_with_a_forged_actor_is_refused_and_the_log_names_the_viewer(link) -> None:  # type: ignore[no-untyped-def]
    iid = new_incident(link.core)
    viewer = link.control("zhao", "viewer")
    try:
        viewer.login("zhao", PASSWORD)
        with pytest.raises(Refused) as exc:
            viewer.send_raw({"op": "incident.assign", "args": {"incident_id": iid, "unit_id": "boat-01"},
                             "actor": "dispatcher:wang"})
        assert exc.value.code == "forbidden" and "viewer may not run incident.assign" in str(exc.value)
        assert viewer.call("incidents")  # reading is fine
    finally:
        viewer.close()
    refused = [e for e in link.core.store.events() if e.kind == "account.command_refused"]
    assert len(refused) == 1
    ev = refused[0]
    assert ev.actor == "viewer:zhao" and ev.payload["op"] == "incident.assign"
    assert ev.payload["claimed_actor"] == "dispatcher:wang" and ev.payload["seat"] == "seat-zhao"
    assert not [e for e in link.core.store.events() if e.kind.startswith("incident.assigned")]
    assert not [e for e in link.core.store.events() if e.actor == "dispatcher:wang"]


def test_the_operator_is_the_sessions_not_the_requests(link) -> None:  # type: ignore[no-untyped-def]
    iid = new_incident(link.core)
    c = link.control("wang", "dispatcher")
    try:
        c.login("wang", PASSWORD)
        c.send_raw({"op": "incident.assign", "args": {"incident_id": iid, "unit_id": "boat-01"},
                    "actor": "administrator:boss"})
        with pytest.raises(Refused, match="shift_lead"):
            c.call("incident.evaluate", {"incident_id": iid, "satisfaction": 5})
    finally:
        c.close()
    last = [e for e in link.core.store.events() if e.entity == f"incident:{iid}"][-1]
    assert last.actor == "dispatcher:wang"
    acc = [(e.kind, e.actor) for e in link.core.store.events() if e.kind.startswith("account.")]
    assert acc[-2:] == [("account.login", "dispatcher:wang"), ("account.command_refused", "dispatcher:wang")]


def test_no_login_no_operation_and_an_unknown_seat_key_gets_no_answer(link) -> None:  # type: ignore[no-untyped-def]
    import zmq

    from dispatch.hub.control import ControlClient

    keys = add_operator(link.core, link.keys, "li", "dispatcher")
    c = ControlClient(link.hub.control_endpoint, keys=keys, timeout=5)
    try:
        with pytest.raises(Refused) as exc:
            c.call("units")
        assert exc.value.code == "login_required"
        with pytest.raises(Refused) as exc:
            c.login("li", "not-the-password")
        assert exc.value.code == "login_failed"
    finally:
        c.close()
    stranger = {"public_key": "", "secret_key": "", "hub_public_key": link.hub.public_key}
    stranger["public_key"], stranger["secret_key"] = (k.decode() for k in zmq.curve_keypair())
    s = ControlClient(link.hub.control_endpoint, keys=stranger, login=("li", PASSWORD), timeout=0.5)
    try:
        with pytest.raises(ConnectionError):
            s.call("units")
    finally:
        s.close()
    assert any(e.kind == "account.login_failed" and e.payload["reason"] == "wrong_password"
               for e in link.core.store.events())


def test_ctl_hub_logs_in_and_refuses_actor(link, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    add_operator(link.core, link.keys, "chen", "shift_lead")
    key = str(link.keys / "seat-chen.seat.json")
    hub = ["ctl", "--hub", link.hub.control_endpoint, "--key", key, "--user", "chen", "--login-stdin"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*hub, "unit", "status", "boat-02", "out_of_service"]) == 0
    assert [e.actor for e in link.core.store.events() if e.kind == "unit.status_set"] == ["shift_lead:chen"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*hub, "--actor", "dispatcher:x", "units"]) == 2
    assert "--actor is not accepted" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong-password\n"))
    assert main([*hub, "units"]) == 1
    assert "wrong name or password" in capsys.readouterr().err


def test_two_seats_assigning_one_unit_at_once_exactly_one_wins(link) -> None:  # type: ignore[no-untyped-def]
    iids = [new_incident(link.core), new_incident(link.core)]
    seats = [link.control("wang", "dispatcher"), link.control("li", "dispatcher")]
    for s in seats:
        s.call("units")  # logged in
    go = threading.Barrier(2)
    results: list[object] = [None, None]

    def take(i: int) -> None:
        go.wait(10)
        try:
            results[i] = seats[i].call("incident.assign", {"incident_id": iids[i], "unit_id": "boat-01",
                                                           "exclusive": True})
        except Refused as exc:
            results[i] = exc

    threads = [threading.Thread(target=take, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for s in seats:
        s.close()
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(refused) == 1, results
    assert "boat-01" in str(refused[0])  # the loser is told which unit and why
