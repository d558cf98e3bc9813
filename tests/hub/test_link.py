"""The field link end to end over real sockets: delivery, once-only, restarts, keys, presence, bad input."""

from __future__ import annotations

import json
import logging
import time

import zmq

from dispatch import ops
from dispatch.hub import protocol as P
from dispatch.hub.keys import load_key_file, revoke
from tests.conftest import wait_for


def sequenced(got, kind=None):  # type: ignore[no-untyped-def]
    return [m for m in got if m.get("type") in P.SEQUENCED and (kind is None or m["type"] == kind)]


def make_incident(core) -> str:  # type: ignore[no-untyped-def]
    r = ops.call(core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.32,
                                           "lon": 109.41}, actor="dispatcher:wang")
    return str(r["id"])


def test_assignment_reaches_the_unit_is_acknowledged_and_accepted(link) -> None:  # type: ignore[no-untyped-def]
    client, got = link.client("boat-01", auto_accept=True)
    wait_for(lambda: client.logged_in, what="login")
    iid = make_incident(link.core)
    ops.call(link.core, "incident.assign", {"incident_id": iid, "unit_id": "boat-01"}, actor="dispatcher:wang")
    wait_for(lambda: sequenced(got, "assignment"), what="assignment")
    a = sequenced(got, "assignment")[0]
    assert a["incident_id"] == iid and a["ref"] == f"incident:{iid}" and a["seq"] == 1
    assert a["category"] == "floating_garbage" and a["lat"] == 24.32
    wait_for(lambda: ops.call(link.core, "incident.show", {"incident_id": iid}, actor="t")["state"] == "accepted",
             what="accepted")
    from dispatch.hub.state import field_state

    view = wait_for(lambda: (v := field_state(link.core.state).assignments["boat-01"][f"incident:{iid}"]).delivered
                    and v.accepted and v)
    assert view.sent <= view.delivered <= view.accepted
    assert link.core.state.units["boat-01"].online is True


def test_auto_accept_takes_an_assignment_left_unanswered_by_an_earlier_run(link) -> None:  # type: ignore[no-untyped-def]
    first, got = link.client("boat-01")  # a crew's window: the assignment arrives, nobody answers it
    wait_for(lambda: first.logged_in, what="login")
    iid = make_incident(link.core)
    ops.call(link.core, "incident.assign", {"incident_id": iid, "unit_id": "boat-01"}, actor="dispatcher:wang")
    wait_for(lambda: sequenced(got, "assignment"), what="assignment")
    link.running.pop().stop()
    assert ops.call(link.core, "incident.show", {"incident_id": iid}, actor="t")["state"] == "dispatched"
    again, got2 = link.client("boat-01", auto_accept=True)  # the same unit's state, now accepting by itself
    wait_for(lambda: ops.call(link.core, "incident.show", {"incident_id": iid}, actor="t")["state"] == "accepted",
             what="accepted after the restart")
    assert not sequenced(got2, "assignment")  # not sent again: it was acknowledged before
    assert again.assignments[f"incident:{iid}"]["progress"] == "accepted"


def test_assignment_to_a_unit_out_of_reach_is_shown_sent_not_delivered(link) -> None:  # type: ignore[no-untyped-def]
    from dispatch.hub.state import field_state

    iid = make_incident(link.core)
    ops.call(link.core, "incident.assign", {"incident_id": iid, "unit_id": "boat-02"}, actor="dispatcher:wang")
    ref = f"incident:{iid}"
    # no acknowledgement will come: the "queued" event is recorded on its own, promptly
    view = wait_for(lambda: field_state(link.core.state).assignments.get("boat-02", {}).get(ref), timeout=2,
                    what="queued recorded")
    assert view.sent is not None and view.delivered is None
    assert [r["seq"] for r in ops.call(link.core, "field.outbox", {"unit_id": "boat-02"}, actor="t")] == [1]
    client, got = link.client("boat-02")  # comes into reach: delivered, in the same log order
    wait_for(lambda: field_state(link.core.state).assignments["boat-02"][ref].delivered, what="delivered")
    assert [m["ref"] for m in sequenced(got, "assignment")] == [ref]


def test_killed_client_gets_everything_once_in_order(link) -> None:  # type: ignore[no-untyped-def]
    client, got1 = link.client("boat-01")
    wait_for(lambda: client.logged_in)
    for i in range(30):  # a stream; the client is killed in the middle of it
        ops.call(link.core, "field.send", {"unit_id": "boat-01", "text": f"m{i}"}, actor="dispatcher:wang")
        if i == 10:
            wait_for(lambda: len(sequenced(got1)) >= 5)
            link.running[-1].stop()  # gone without a goodbye; its socket closes mid-stream
    client2, got2 = link.client("boat-01")
    wait_for(lambda: len(sequenced(got1)) + len(sequenced(got2)) >= 30, what="all 30 texts")
    texts = [m["text"] for m in sequenced(got1) + sequenced(got2)]
    assert texts == [f"m{i}" for i in range(30)]
    seqs = [m["seq"] for m in sequenced(got1) + sequenced(got2)]
    assert seqs == list(range(1, 31))
    wait_for(lambda: link.hub.outbox.acked.get("boat-01") == 30, what="all acknowledged")


def test_duplicates_are_recognised_on_both_sides(link) -> None:  # type: ignore[no-untyped-def]
    client, got = link.client("boat-01")
    wait_for(lambda: client.logged_in)
    ops.call(link.core, "field.send", {"unit_id": "boat-01", "text": "once"}, actor="d")
    wait_for(lambda: sequenced(got))
    rows = wait_for(lambda: ops.call(link.core, "field.outbox", {"unit_id": "boat-01"}, actor="t"),
                    what="the outbox row (written within DEFER_S of the send)")
    first = rows[0]["message"]  # type: ignore[index]
    hub = link.hub  # the hub sends seq 1 again, as after a lost ack (on its own thread: it owns the socket)
    hub.call_soon(lambda: hub._send(hub.routes["boat-01"], P.encode(first)))
    wait_for(lambda: client.duplicates >= 1, what="the client recognised the duplicate")
    client.call_soon(lambda: client._send({"type": "text", "text": "hello", "cseq": client.next_cseq - 1 or 1}))
    client.text("hello")
    from dispatch.hub.state import field_state

    def received_texts() -> list[str]:
        return [m.text for m in field_state(link.core.state).messages.get("boat-01", []) if m.dir == "in"]

    wait_for(lambda: client.next_cseq > 1 and not client.pending and received_texts(), what="text acknowledged")
    ops.call(link.core, "field.send", {"unit_id": "boat-01", "text": "twice?"}, actor="d")
    wait_for(lambda: len(sequenced(got)) == 2)
    assert [m["text"] for m in sequenced(got)] == ["once", "twice?"]
    assert received_texts() == ["hello"]


def test_unknown_key_gets_nothing(link) -> None:  # type: ignore[no-untyped-def]
    from dispatch.hub.client import FieldClient

    pub, sec = (k.decode() for k in zmq.curve_keypair())
    keys = {"public_key": pub, "secret_key": sec, "hub_public_key": link.hub.public_key}
    rogue_got: list = []
    rogue = FieldClient("boat-02", link.hub.field_endpoint, keys, on_message=rogue_got.append)
    from tests.hub.conftest import Running

    link.running.append(Running(rogue))
    good, got = link.client("boat-01")
    wait_for(lambda: good.logged_in)
    ops.call(link.core, "field.broadcast", {"text": "all boats"}, actor="d")
    wait_for(lambda: sequenced(got), what="legit unit got the broadcast")
    t_end = time.monotonic() + 1.0
    wait_for(lambda: time.monotonic() > t_end)  # give the rogue every chance
    assert rogue_got == [] and not rogue.logged_in
    assert "boat-02" not in link.hub.routes


def test_revoked_unit_is_cut_off_while_connected(link) -> None:  # type: ignore[no-untyped-def]
    client, got = link.client("boat-01")
    wait_for(lambda: client.logged_in)
    revoke(link.core, "ctl:test", "boat-01")
    ops.call(link.core, "field.send", {"unit_id": "boat-01", "text": "after revocation"}, actor="d")
    wait_for(lambda: client.revoked, what="client told it is revoked")
    assert not sequenced(got)
    assert "boat-01" not in link.hub.routes


def test_unit_cannot_speak_for_another(link) -> None:  # type: ignore[no-untyped-def]
    b2, got2 = link.client("boat-02", auto_accept=False)
    a, got1 = link.client("boat-01")
    wait_for(lambda: a.logged_in and b2.logged_in)
    iid = make_incident(link.core)
    ops.call(link.core, "incident.assign", {"incident_id": iid, "unit_id": "boat-02"}, actor="dispatcher:wang")
    wait_for(lambda: sequenced(got2, "assignment"))
    # boat-01 claims to be boat-02
    a.call_soon(lambda: a._send({"type": "status", "unit_id": "boat-02", "ref": f"incident:{iid}",
                                 "status": "on_scene", "cseq": 99}))
    wait_for(lambda: any(m.get("code") == "not_you" for m in got1), what="not_you error")
    # boat-01 reports on boat-02's incident as itself
    a.status(f"incident:{iid}", "on_scene")
    wait_for(lambda: any(m.get("code") == "not_assigned" for m in got1), what="not_assigned error")
    assert ops.call(link.core, "incident.show", {"incident_id": iid}, actor="t")["state"] == "dispatched"


def test_bad_input_is_refused_and_the_hub_keeps_serving(link, caplog) -> None:  # type: ignore[no-untyped-def]
    good, got = link.client("boat-02")
    keys = load_key_file(link.keys, "boat-01")
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.curve_serverkey, s.curve_publickey, s.curve_secretkey = (
        keys["hub_public_key"].encode(), keys["public_key"].encode(), keys["secret_key"].encode())
    s.connect(link.hub.field_endpoint)
    replies: list[dict] = []

    def ask(*frames: bytes) -> None:
        s.send_multipart(list(frames))

    def collect() -> bool:
        while s.poll(10):
            replies.append(json.loads(s.recv()))
        return True

    ask(P.encode({"type": "login", "last_seq": 0}))
    wait_for(lambda: collect() and any(r["type"] == "welcome" for r in replies))
    for bad in (b"\xff\xfe", b"[1,2]", b'{"type": "launch_missiles"}', b'{"type": "pos", "lat": 91, "lon": 0}',
                P.encode({"type": "ack", "seq": 50}), P.encode({"type": "text", "text": "x" * (P.MAX_TEXT + 1),
                                                                "cseq": 1})):
        ask(bad)
    ask(b"two", b"frames")
    wait_for(lambda: collect() and sum(r["type"] == "error" for r in replies) >= 7, what="seven refusals")
    codes = {r.get("code") for r in replies if r["type"] == "error"}
    assert {"malformed", "unknown_type", "bad_message", "bad_seq"} <= codes
    before = len(replies)
    with caplog.at_level(logging.WARNING, logger="dispatch.hub.server"):
        ask(b"x" * 400_000)  # oversized: refused, naming the sender, on a connection that stays up
        wait_for(lambda: collect() and any(r.get("code") == "too_big" for r in replies[before:]), what="too_big")
    assert any("boat-01" in r.getMessage() and "400000 bytes" in r.getMessage() for r in caplog.records)
    ask(P.encode({"type": "hb"}))
    wait_for(lambda: collect() and any(r["type"] == "hb" for r in replies[before:]), what="hb on the same session")
    wait_for(lambda: good.logged_in)
    ops.call(link.core, "field.broadcast", {"text": "still here"}, actor="d")
    wait_for(lambda: sequenced(got), what="others still served")
    s.close(0)


def test_presence_offline_within_five_seconds_and_back(link) -> None:  # type: ignore[no-untyped-def]
    client, _ = link.client("officer-01")
    wait_for(lambda: link.core.state.units["officer-01"].online is True, what="online")
    link.running[-1].stop()
    t0 = time.monotonic()
    wait_for(lambda: link.core.state.units["officer-01"].online is False, timeout=8, what="offline")
    assert time.monotonic() - t0 <= 5.0
    link.client("officer-01")
    wait_for(lambda: link.core.state.units["officer-01"].online is True, what="back online")


def test_positions_reach_the_core(link) -> None:  # type: ignore[no-untyped-def]
    client, _ = link.client("boat-01")
    wait_for(lambda: client.logged_in)
    client.position(24.31, 109.42, speed=2.5, course=90)
    p = wait_for(lambda: link.core.state.units["boat-01"].position)
    assert (p.lat, p.lon, p.source) == (24.31, 109.42, "field")


def test_a_client_that_asks_is_told_where_the_control_room_sees_it(link) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 16: a crew without GPS saw the incident on its map but not its own boat."""
    wheres: list[dict] = []  # type: ignore[type-arg]
    asking, _ = link.client("boat-01", on_where=wheres.append)
    plain, got = link.client("boat-02")
    wait_for(lambda: asking.logged_in and plain.logged_in)
    t = time.time()
    link.core.ingest([("boat-01", t, 24.3123, 109.4212, 3.0, 45.0, "ais"),
                      ("boat-02", t, 24.3, 109.4, 3.0, 45.0, "ais")])
    w = wait_for(lambda: wheres and wheres[-1], timeout=10)
    assert (w["type"], w["lat"], w["lon"], w["ts"], w["course"]) == ("where", 24.3123, 109.4212, t, 45.0)
    assert asking.where == w
    link.core.ingest([("boat-01", t + 1, 24.3124, 109.4213, 3.0, 45.0, "ais")])
    wait_for(lambda: wheres[-1]["ts"] == t + 1, timeout=10)
    asking.position(24.4, 109.5)  # its own GPS: not echoed back
    wait_for(lambda: link.core.state.units["boat-01"].position.source == "field")
    at = link.hub._where_at
    wait_for(lambda: link.hub._where_at > at, timeout=10)  # the hub has looked since
    link.core.ingest([("boat-01", time.time() + 5, 24.3125, 109.4214, 3.0, 45.0, "ais")])
    wait_for(lambda: wheres[-1]["lat"] == 24.3125, timeout=10)
    assert all(x["lat"] != 24.4 for x in wheres)
    assert plain.where is None and not any(m.get("type") == "where" for m in got)  # it did not ask


def test_control_endpoint_runs_operations(link) -> None:  # type: ignore[no-untyped-def]
    from dispatch.errors import Refused
    from dispatch.hub.control import ControlClient

    c = link.control()
    try:
        units = c.call("units", {})
        assert {u["id"] for u in units} >= {"boat-01", "boat-02"}
        try:
            c.call("unit.show", {"unit_id": "nope"})
            raise AssertionError("no refusal")
        except Refused as exc:
            assert exc.code == "not_found"
    finally:
        c.close()
    from dispatch.hub.seats import load_seat_file

    dead = ControlClient("tcp://127.0.0.1:1", keys=load_seat_file(link.keys / "seat-tester.seat.json"), timeout=0.3)
    try:
        dead.call("units", {})
        raise AssertionError("no ConnectionError")
    except ConnectionError:
        pass
    finally:
        dead.close()


def test_a_second_device_with_the_same_key_takes_the_session_and_the_first_stops(link) -> None:  # type: ignore[no-untyped-def]
    """One session per unit: the newer login wins, the older client is told `replaced` and stops (it does not
    log in again and take the session back, which had two devices alternating)."""
    first, got1 = link.client("boat-01")
    wait_for(lambda: first.logged_in, what="first logged in")
    second, got2 = link.client("boat-01")
    wait_for(lambda: first.replaced and any(m.get("code") == "replaced" for m in got1),
             what="the first told it was replaced")
    assert not second.ended
    wait_for(lambda: second.logged_in, what="second logged in")
    ops.call(link.core, "field.send", {"unit_id": "boat-01", "text": "to the device in use"}, actor="d")
    wait_for(lambda: sequenced(got2, "text"), what="the text on the second device")
    assert not first.logged_in and first.sock is None
    assert not sequenced(got1, "text")
