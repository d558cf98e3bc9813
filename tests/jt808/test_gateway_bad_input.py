"""Bad input at the gateway: each kind counted and logged with the terminal, answered or dropped as the
standard says, and another terminal goes on as if nothing happened."""

from __future__ import annotations

import logging
import socket
import threading

from tests.conftest import wait_for
from tests.devices.jt808_frames import PHONE_2013, frame
from tests.jt808.terminal import RawTerminal
from tests.jt808.test_gateway import login

HEARTBEAT = frame("0002 0000", PHONE_2013, "0100")


def test_bad_frames_are_counted_answered_when_readable_and_the_connection_goes_on(core, gateway, caplog):
    caplog.set_level(logging.WARNING, logger="dispatch.jt808")
    term = RawTerminal(gateway.address)
    try:
        login(term)
        bad = [
            (b"\x7e\x00\x02\x00\x00\x7d\x05\x7e", "bad_escape"),
            (frame("0002 0000", PHONE_2013, "0003", check=0x00), "checksum"),
            (b"\x7e\x00\x02\x00\x00\x01\x7e", "truncated"),
            (b"\x7e" + b"\x11" * 2500 + b"\x7e", "too_long"),
        ]
        for data, _code in bad:
            term.send(data)
        # a body length that lies, in a frame whose check code holds: its header is the terminal's, answered 2
        term.send(frame("0002 0009", PHONE_2013, "0004"))
        term.send(frame("0F99 0000", PHONE_2013, "0005"))  # an id we do not support: answered, result 3
        term.send(frame("0200 0010", PHONE_2013, "0006", "00 00 00 03 00 0C 00 03 01 73 31 00 06 85 BD 84"))  # short: 2
        term.send(frame("0002 0000", PHONE_2013, "0007"))
        acks = term.expect(0x8001, 5)[1:]
        assert [(a.reply_serial, a.reply_id, a.result) for a in acks] == [(4, 2, 2), (5, 0x0F99, 3), (6, 0x0200, 2),
                                                                          (7, 2, 0)]
        s = gateway.session_of("013912345678")
        assert s.connected and s.authenticated
        for _data, code in bad:
            assert s.errors[code] == 1 and gateway.counters[code] == 1, code
        assert s.errors["length"] == 1 and s.errors["unknown"] == 1 and s.errors["malformed"] == 1
        logged = [r.getMessage() for r in caplog.records]
        for _data, code in bad:
            assert any(code in m and "013912345678 (truck-41) from 127.0.0.1" in m for m in logged), code
    finally:
        term.close()


def test_a_terminal_that_sends_nothing_is_dropped(core, gateway, caplog):
    caplog.set_level(logging.WARNING, logger="dispatch.jt808")
    silent = socket.create_connection(gateway.address)
    try:
        wait_for(lambda: gateway.counters["idle"] == 1, what="the idle connection dropped")
        silent.settimeout(5)
        assert silent.recv(100) == b""  # closed by the platform
        assert any("idle: no frame since it connected" in r.getMessage() for r in caplog.records)
    finally:
        silent.close()


def test_a_terminal_that_sends_a_byte_a_second_is_dropped(core, gateway, caplog):
    caplog.set_level(logging.WARNING, logger="dispatch.jt808")
    slow = socket.create_connection(gateway.address)
    stop = threading.Event()

    def trickle() -> None:
        for b in HEARTBEAT:
            if stop.wait(0.4):  # faster than a byte a second: the test need not take the whole frame's time
                return
            try:
                slow.send(bytes((b,)))
            except OSError:
                return

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        wait_for(lambda: gateway.counters["slow"] == 1, what="the slow terminal dropped")
        assert any("slow: a frame still incomplete" in r.getMessage() for r in caplog.records)
        closed = [s for s in gateway.sessions_snapshot() if s.close_reason.startswith("slow")]
        assert len(closed) == 1 and closed[0].errors["slow"] == 1
    finally:
        stop.set()
        slow.close()


def test_garbage_without_end_is_dropped_and_another_terminal_does_not_notice(core, gateway):
    good = RawTerminal(gateway.address)
    hostile = socket.create_connection(gateway.address)
    try:
        login(good)
        cut = False
        for i in range(200):  # 40 x 50 KB of frames that never end, and bad frames in a row
            if i < 40 and not cut:
                try:
                    hostile.sendall(b"\x7e" + bytes(range(1, 126)) * 400)
                except (ConnectionResetError, BrokenPipeError):
                    cut = True  # the gateway may drop the flooding connection while it still sends: that is allowed
            good.send_frame("0002 0000", PHONE_2013, f"{0x10 + i:04X}")
        replies = good.expect(0x8001, 201, timeout=20)[1:]
        assert [r.reply_serial for r in replies] == list(range(0x10, 0x10 + 200))
        assert gateway.counters["too_long"] >= 1
        flood = socket.create_connection(gateway.address)
        flood.sendall(frame("0002 0000", PHONE_2013, "0001", check=0) * 25)  # 20 bad frames in a row: dropped
        wait_for(lambda: gateway.counters["dropped"] >= 1, what="the flooding terminal dropped")
        flood.close()
        good.send_frame("0002 0000", PHONE_2013, "0999")
        assert good.expect(0x8001, 202)[-1].reply_serial == 0x999
        assert gateway.session_of("013912345678").connected
    finally:
        good.close()
        hostile.close()


def test_a_new_connection_of_the_same_terminal_replaces_the_old(core, gateway):
    first, second = RawTerminal(gateway.address), RawTerminal(gateway.address)
    try:
        login(first)
        login(second)
        first.closed()
        assert gateway.session_of("013912345678").connected
        gone = wait_for(lambda: [s for s in gateway.sessions_snapshot() if not s.connected], what="the old session")
        assert [s.close_reason.split(" by")[0] for s in gone] == ["replaced"]
        second.send_frame("0002 0000", PHONE_2013, "0003")
        assert second.expect(0x8001, 2)[-1].reply_serial == 3
    finally:
        first.close()
        second.close()


def test_messages_we_do_not_decode_do_not_cut_a_terminal_off(core, gateway):
    """A terminal sending its vendor's own messages (0x6006, one package after another) sends good frames with an
    id we do not decode: each is answered "unsupported", and the connection stays, however many come in a row;
    bad frames in a row still cut it off."""
    term = RawTerminal(gateway.address)
    try:
        login(term)
        n = gateway.max_bad_frames + 5
        for i in range(n):
            term.send(frame("6006 2004", PHONE_2013, f"{0x10 + i:04X}", f"{n:04X}", f"{i + 1:04X}", "DE AD BE EF"))
        term.send(frame("0002 0000", PHONE_2013, "0100"))
        acks = term.expect(0x8001, n + 2)[1:]
        assert {(a.reply_id, a.result) for a in acks[:-1]} == {(0x6006, 3)} and acks[-1].result == 0
        s = gateway.session_of("013912345678")
        assert s.connected and s.errors["unknown"] == n
        for i in range(gateway.max_bad_frames):
            term.send(frame("0002 0000", PHONE_2013, f"{0x200 + i:04X}", check=0x00))  # wrong check codes
        assert term.closed()
    finally:
        term.close()


def test_a_piece_cut_by_its_own_7e_whose_rest_never_comes_is_a_frame_left_unfinished(core, gateway, caplog):
    """The first piece of a frame that a bare 0x7E of its content cut (a terminal that escapes nothing), then
    silence: the gateway waits for the rest as for any unfinished frame, and drops the terminal as slow."""
    from tests.devices.jt808_frames import FIXED_7E, unescaped

    caplog.set_level(logging.WARNING, logger="dispatch.jt808")
    term = RawTerminal(gateway.address)
    try:
        login(term)
        sent = unescaped("0200 001C", PHONE_2013, "0003", FIXED_7E)
        term.send(sent[:sent.index(b"\x7e", 1) + 1])  # up to the bare 0x7E: a piece shorter than its header says
        wait_for(lambda: gateway.counters["slow"] == 1, what="the terminal dropped as slow")
        [closed] = [s for s in gateway.sessions_snapshot() if s.close_reason.startswith("slow")]
        assert closed.errors["slow"] == 1 and closed.positions == 0
    finally:
        term.close()
