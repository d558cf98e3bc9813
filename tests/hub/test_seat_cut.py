"""A seat whose key is revoked, or whose operator's account is disabled, is cut off at once: the hub ends
its session and its stream, tells it why, and it gets nothing more; a connection with no operator logged
in is never given the stream."""

from __future__ import annotations

import json

import zmq

from dispatch.core import Dispatch
from dispatch.errors import Refused
from dispatch.hub.seats import revoke_seat
from dispatch.ops import call
from dispatch.store import EventStore
from tests.conftest import wait_for
from tests.hub.conftest import add_operator
from tests.hub.test_attached import attach


def _logouts(core, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.payload["reason"] for e in core.store.events() if e.kind == "account.logout"
            and e.payload["name"] == name]


def test_a_revoked_seat_key_and_a_disabled_account_cut_the_open_stream(link, qtbot) -> None:  # type: ignore[no-untyped-def]
    from console.attached import LinkStatus

    wang = add_operator(link.core, link.keys, "wang", "dispatcher")
    zhao = add_operator(link.core, link.keys, "zhao", "viewer")
    li = add_operator(link.core, link.keys, "li", "shift_lead")
    a, b, c = (attach(link.hub.control_endpoint, k, n) for k, n in ((wang, "wang"), (zhao, "zhao"), (li, "li")))
    try:
        wait_for(lambda: len(link.hub.stream.subscribers) == 3, 5, what="three seats following the stream")
        status = LinkStatus(b)  # what zhao's status bar says
        qtbot.addWidget(status)
        call(a, "shift.note", {"text": "everyone sees this"}, actor="ignored")
        wait_for(lambda: b.state.last_seq == c.state.last_seq == link.core.state.last_seq, 5)

        # the key of zhao's seat revoked by an administrator in another process (`keys revoke-seat`)
        other = Dispatch(EventStore(link.url))
        revoke_seat(other, "ctl:boss", "seat-zhao")
        other.close()
        wait_for(lambda: b.link == "cut", 5, what="the revoked seat to be told")
        assert b.cut_reason == "the key of seat seat-zhao was revoked" and b.cut_code == "seat_revoked"
        qtbot.waitUntil(lambda: "cut off by the hub: this seat's key was revoked" in status.text(), timeout=5000)
        assert status.box is not None and "the key of seat seat-zhao was revoked" in status.box.text()
        status.box.close()
        assert "seat-zhao" not in {seat for seat, _ in link.hub.stream.subscribers.values()}
        wait_for(lambda: _logouts(link.core, "zhao") == ["the key of seat seat-zhao was revoked"], 5)
        held = b.state.last_seq
        call(a, "shift.note", {"text": "not for the revoked seat"}, actor="ignored")
        wait_for(lambda: c.state.last_seq == link.core.state.last_seq, 5)
        assert b.state.last_seq < c.state.last_seq and b.state.last_seq <= held + 1  # at most its own logout
        try:  # the control connection that ZAP admitted before the revocation does nothing more either
            call(b, "replay.seats", {}, actor="ignored")
            raise AssertionError("a revoked seat's request was answered")
        except Refused as exc:
            assert exc.code == "seat_revoked" and "revoked" in str(exc)

        # wang's account disabled while wang is at a seat: the session and the stream end, wang is told
        call(c, "shift.note", {"text": "before"}, actor="ignored")
        call(link.core, "account.disable", {"name": "wang"}, actor="administrator:boss")
        wait_for(lambda: a.link == "cut", 5, what="the disabled operator's seat to be told")
        assert a.cut_reason == "the account wang was disabled"
        assert _logouts(link.core, "wang") == ["the account wang was disabled"]
        try:
            call(a, "shift.note", {"text": "after"}, actor="ignored")
            raise AssertionError("a disabled account's request was run")
        except Refused as exc:
            assert exc.code in ("login_required", "account_disabled")
        # the others go on
        call(c, "shift.note", {"text": "still here"}, actor="ignored")
        wait_for(lambda: c.state.last_seq == link.core.state.last_seq, 5)
        assert c.link == "up" and {seat for seat, _ in link.hub.stream.subscribers.values()} == {"seat-li"}
        assert link.hub.stream.cut == 2
    finally:
        for s in (a, b, c):
            s.logout()
            s.close()


def test_the_stream_is_for_a_seat_with_an_operator_logged_in(link) -> None:  # type: ignore[no-untyped-def]
    keys = add_operator(link.core, link.keys, "wang", "dispatcher")
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    sock.curve_serverkey = keys["hub_public_key"].encode()
    sock.curve_publickey = keys["public_key"].encode()
    sock.curve_secretkey = keys["secret_key"].encode()
    sock.connect(link.hub.stream.endpoint)
    try:
        sock.send(b'{"t":"sub"}')
        assert sock.poll(5000)
        msg = json.loads(sock.recv())
        assert msg["t"] == "cut" and msg["code"] == "login_required" and "seat-wang" in msg["reason"]
        assert link.hub.stream.subscribers == {}
    finally:
        sock.close(0)
