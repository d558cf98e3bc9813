"""The simulated JT/T 808 terminal against a minimal platform written here (real TCP on 127.0.0.1)."""

from __future__ import annotations

import socket
import threading

from devices.errors import DeviceError
from devices.jt808 import Jt808Stream, encode
from devices.jt808.messages import (
    Authenticate,
    Heartbeat,
    LocationBatch,
    LocationReport,
    PositionReply,
    Register,
    TerminalResponse,
)
from devices.sim.fleet import SimTrack
from devices.sim.jt808 import Jt808Fleet, SimTerminal, truck_phone
from tests.conftest import wait_for

ROUTE = [(24.30, 109.40), (24.33, 109.43)]


class MiniPlatform:
    """Accepts terminals, registers anyone (code "K1") or no one, answers as the standard says, records all."""

    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.messages: list[object] = []
        self.conns: list[socket.socket] = []
        self.serial = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def send(self, header, msg_id: int, body: bytes = b"", conn: socket.socket | None = None) -> int:  # type: ignore[no-untyped-def]
        with self.lock:
            self.serial += 1
            (conn or self.conns[-1]).sendall(encode.reply(header, msg_id, self.serial, body))
            return self.serial

    def _serve(self, conn: socket.socket) -> None:
        stream = Jt808Stream()
        while True:
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            for m in stream.feed(chunk):
                assert not isinstance(m, DeviceError), m
                self.messages.append(m)
                h = m.header
                if isinstance(m, Register):
                    body = encode.register_response_body(h.serial, 0 if self.accept else 4, "K1")
                    self.send(h, 0x8100, body, conn)
                elif isinstance(m, Authenticate):
                    self.send(h, 0x8001, encode.platform_response_body(h.serial, h.msg_id, 0 if m.code == "K1" else 1),
                              conn)
                elif not isinstance(m, TerminalResponse | PositionReply):
                    self.send(h, 0x8001, encode.platform_response_body(h.serial, h.msg_id, 0), conn)

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [m for m in self.messages if isinstance(m, kind)]

    def close(self) -> None:
        self.server.close()
        for c in self.conns:
            c.close()


def test_register_authenticate_report_lose_signal_catch_up_and_obey():
    platform = MiniPlatform()
    term = SimTerminal(truck_phone(41), SimTrack("t", ROUTE, 10.0), plate="桂B·A1234", interval_s=0.1,
                       heartbeat_s=0.04, blackout=(0.6, 1.2))
    fleet = Jt808Fleet([term], "127.0.0.1", platform.port).start()
    try:
        wait_for(lambda: len(platform.of(LocationReport)) >= 3, what="reports")
        reg = platform.of(Register)[0]
        assert reg.header.phone == "013900000041" and reg.plate == "桂B·A1234" and reg.edition == 2013
        assert platform.of(Authenticate)[0].code == "K1"
        wait_for(lambda: platform.of(Heartbeat), what="a heartbeat between reports")
        first = platform.of(LocationReport)[0].location
        assert 24.29 < first.lat < 24.34 and first.time is not None and "positioned" in first.statuses
        # the signal comes back: the terminal authenticates again (no second registration) and
        # sends the positions it stored as a blind-area batch
        batch = wait_for(lambda: platform.of(LocationBatch), what="blind-area batch")[0]
        assert batch.blind_area and len(batch.locations) >= 3
        assert len(platform.of(Register)) == 1 and len(platform.of(Authenticate)) == 2
        assert term.stats.connects == 2 and term.stats.batched == len(batch.locations)
        # the platform's downlink is obeyed and answered
        h = platform.of(LocationReport)[-1].header
        platform.send(h, 0x8300, encode.text_body("请回场"))
        query = platform.send(h, 0x8201)
        platform.send(h, 0x8F00)
        wait_for(lambda: len(platform.of(TerminalResponse)) >= 2 and platform.of(PositionReply), what="answers")
        assert term.stats.texts == ["请回场"]
        results = {r.reply_id: r.result for r in platform.of(TerminalResponse)}
        assert results == {0x8300: 0, 0x8F00: 3}
        assert platform.of(PositionReply)[0].reply_serial == query
        assert term.stats.nacks == 0 and term.stats.acks >= 4
    finally:
        fleet.stop()
        platform.close()


def test_refused_registration_is_kept_and_nothing_reported():
    platform = MiniPlatform(accept=False)
    term = SimTerminal(truck_phone(1), SimTrack("t", ROUTE, 10.0), interval_s=0.1)
    fleet = Jt808Fleet([term], "127.0.0.1", platform.port).start()
    try:
        wait_for(lambda: term.stats.refused == 4, what="refusal")
        assert not term.stats.authenticated and not platform.of(LocationReport)
        assert fleet.totals()["refused"] == 1
    finally:
        fleet.stop()
        platform.close()


def test_simulate_command_runs_demo_trucks():
    import subprocess
    import sys
    from pathlib import Path

    platform = MiniPlatform()
    try:
        p = subprocess.run([sys.executable, str(Path(__file__).resolve().parents[2] / "main.py"), "simulate", "--jt808",
                            f"tcp://127.0.0.1:{platform.port}", "--trucks", "42", "--interval", "1", "--seconds", "4"],
                           capture_output=True, text=True, timeout=60, check=True)
        lines = p.stdout.splitlines()
        assert lines[0] == "013900000001 truck-01" and lines[41] == "013900000042 truck-42" and len(lines) == 42
        assert "42 authenticated" in p.stderr
        assert {m.header.phone for m in platform.of(LocationReport)} == {truck_phone(i) for i in range(1, 43)}
    finally:
        platform.close()
