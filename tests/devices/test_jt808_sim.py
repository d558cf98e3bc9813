"""The simulated JT/T 808 terminal against a minimal platform written here (real TCP on 127.0.0.1)."""

from __future__ import annotations

import socket
import threading

from devices.errors import DeviceError
from devices.jt808 import Jt808Stream, encode
from devices.jt808.messages import (
    Authenticate,
    CameraShotReply,
    Fragment,
    Heartbeat,
    LocationBatch,
    LocationReport,
    MediaUpload,
    PositionReply,
    Register,
    TerminalResponse,
)
from devices.sim.fleet import SimTrack
from devices.sim.jt808 import CAMERA_JPEG, Jt808Fleet, SimTerminal, camera_photo, truck_phone
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


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """The marker segments of a JPEG up to its scan (SOS), each (marker, payload); asserts the structure."""
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    out, pos = [], 2
    while True:
        assert data[pos] == 0xFF, f"no marker at {pos}"
        marker, n = data[pos + 1], int.from_bytes(data[pos + 2:pos + 4], "big")
        out.append((marker, data[pos + 4:pos + 2 + n]))
        pos += 2 + n
        if marker == 0xDA:
            return out


def test_camera_photo_is_a_valid_jpeg_that_names_its_terminal_and_id():
    assert CAMERA_JPEG.is_absolute() and len(CAMERA_JPEG.read_bytes()) < 40_000
    one = camera_photo("013900000007", 1, 1_800_000_000.0)
    two = camera_photo("013900000007", 2, 1_800_000_000.0)
    segments = jpeg_segments(one)
    assert segments[0] == (0xFE, b"SIM CAMERA terminal=013900000007 media=1 utc=2027-01-15T08:00:00Z")
    sof = next(p for m, p in segments if m == 0xC0)
    assert (int.from_bytes(sof[1:3], "big"), int.from_bytes(sof[3:5], "big")) == (480, 640)
    assert one != two and jpeg_segments(two)[0][1].endswith(b"media=2 utc=2027-01-15T08:00:00Z")
    assert one[6 + len(segments[0][1]):] == CAMERA_JPEG.read_bytes()[2:]  # the comment inserted, nothing else


def test_camera_takes_photos_uploads_them_and_sends_a_missing_package_again():
    platform = MiniPlatform()
    phone = truck_phone(7)
    term = SimTerminal(phone, SimTrack("t", ROUTE, 10.0), interval_s=0.5)
    fleet = Jt808Fleet([term], "127.0.0.1", platform.port).start()
    try:
        h = wait_for(lambda: platform.of(LocationReport), what="a report")[0].header
        asked = platform.send(h, encode.CAMERA_SHOOT, encode.camera_body(1, photos=2))
        uploads = wait_for(lambda: len(platform.of(MediaUpload)) == 2 and platform.of(MediaUpload), what="2 photos")
        reply = platform.of(CameraShotReply)[0]
        assert (reply.reply_serial, reply.result, reply.media_ids) == (asked, 0, (1, 2))
        for media_id, up in zip((1, 2), uploads, strict=True):
            assert (up.media_id, up.kind, up.format_name, up.event_name, up.channel) == (
                media_id, "image", "jpeg", "platform_command", 1)
            com = jpeg_segments(up.data)[0]
            assert com[0] == 0xFE and com[1].startswith(f"SIM CAMERA terminal={phone} media={media_id} utc=".encode())
            assert up.location is not None and 24.29 < up.location.lat < 24.34 and up.location.time is not None
        first = uploads[0].header
        parts = [f for f in platform.of(Fragment) if f.header.serial - f.header.package + 1 == first.serial]
        assert [f.header.package for f in parts] == list(range(1, first.packages + 1))
        assert term.stats.photos_sent == 2 and fleet.totals()["photos_sent"] == 2
        # the platform missed package 2 of photo 1: exactly that package comes again, as it was
        before = len(platform.of(Fragment))
        platform.send(h, encode.MEDIA_UPLOAD_RESPONSE, encode.media_response_body(1, [2]))
        platform.send(h, 0x8201)  # answered after the resent package: when its reply is in, all is
        wait_for(lambda: platform.of(PositionReply), what="the position reply")
        again = platform.of(Fragment)[before:]
        assert again == [parts[1]]
        assert term.stats.media_acks == 1 and fleet.totals()["media_acks"] == 1
        # a camera the truck has not; more photos than it takes at once; video (not supported)
        bad = platform.send(h, encode.CAMERA_SHOOT, encode.camera_body(9))
        many = platform.send(h, encode.CAMERA_SHOOT, encode.camera_body(1, photos=11))
        video = platform.send(h, encode.CAMERA_SHOOT, encode.camera_body(1, photos=0xFFFF, interval_s=10))
        wait_for(lambda: len(platform.of(CameraShotReply)) == 3 and platform.of(TerminalResponse), what="refusals")
        refused = [(r.reply_serial, r.result, r.media_ids) for r in platform.of(CameraShotReply)[1:]]
        assert refused == [(bad, 2, ()), (many, 1, ())]
        unsupported = platform.of(TerminalResponse)[0]
        assert (unsupported.reply_serial, unsupported.reply_id, unsupported.result) == (video, 0x8801, 3)
        assert term.stats.photos_sent == 2
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
