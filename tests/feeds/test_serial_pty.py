"""Serial feeds over real pty pairs at real baud settings: autodetect, fixes, a cable pulled and replugged."""

from __future__ import annotations

import os
import threading
import time

from devices.checksum import append
from devices.nmea import encode
from devices.serial_ports import detect_baud, list_serial_ports
from devices.sim.fleet import SimTrack
from devices.sim.pty import GpsReceiver, PtySimulator, VirtualSerialPort
from devices.transports import SerialTransport
from dispatch.feeds.config import FeedSpec
from dispatch.feeds.manager import FeedManager
from tests.conftest import wait_for
from tests.feeds.conftest import Pty

LIUZHOU = (24.3264, 109.4281)


class Receiver(threading.Thread):
    """Writes RMC+GGA once a second, paced at 4800 baud (10 bits a byte), into whichever pty is current."""

    def __init__(self, pty: Pty, baud: int = 4800) -> None:
        super().__init__(daemon=True)
        self.pty = pty
        self.baud = baud
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.i = 0

    def run(self) -> None:
        while not self.stop.is_set():
            t = time.time()
            lat, lon = LIUZHOU[0] + self.i * 1e-4, LIUZHOU[1]
            self.i += 1
            data = (encode.rmc("GP", t, lat, lon, 3.0, 90.0) + "\r\n" + encode.gga("GP", t, lat, lon, 80.0, sats=9,
                    hdop=0.9) + "\r\n" + append("GPZZZ,1,2") + "\r\n$GPRMC,1*00\r\n\x00\xff\xfe garbage\r\n").encode()
            with self.lock:
                try:
                    self.pty.write(data)
                except OSError:
                    pass
            self.stop.wait(len(data) * 10 / self.baud + 0.2)


def test_autodetect_finds_4800_and_fixes_arrive_then_survive_a_replug(core, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pty = Pty(4800)
    link = tmp_path / "gps0"  # a stable name, as udev's /dev/serial/by-id gives a replugged device
    os.symlink(pty.name, link)
    rx = Receiver(pty)
    rx.start()
    res = detect_baud(str(link), window=2.0)
    assert res is not None and res.baud == 4800 and res.valid >= 3

    mgr = FeedManager(core, [FeedSpec("gps0", "serial", port=str(link), baud="auto", unit="boat-01")])
    feed = mgr.feeds["gps0"]
    feed.transport.backoff = (0.1, 0.3)
    mgr.start()
    try:
        wait_for(lambda: core.state.units["boat-01"].position is not None, 15, what="a fix from the pty")
        assert feed.transport.stats.baud == 4800
        snap = wait_for(lambda: (s := feed.snapshot(time.time())).unknown and s.checksum_errors and s, 5,
                        what="the unknown sentence and the bad checksum counted")
        assert snap.garbage >= 1  # type: ignore[union-attr]
        first = core.state.units["boat-01"].position
        assert first is not None and abs(first.lat - LIUZHOU[0]) < 0.01

        # Pull the cable: the writer end goes away. Replug: a new pty behind the same stable name.
        with rx.lock:
            pty.close()
        wait_for(lambda: feed.transport.stats.disconnects >= 1, 10, what="the feed noticing the pulled cable")
        assert not feed.transport.stats.connected
        pty2 = Pty(4800)
        os.unlink(link)
        os.symlink(pty2.name, link)
        with rx.lock:
            rx.pty = pty2
        seen = rx.i
        wait_for(lambda: feed.transport.stats.connects >= 2, 20, what="the feed reopening the port")
        before = core.fixes_ingested
        wait_for(lambda: core.fixes_ingested > before and rx.i > seen, 10, what="fixes after the replug")
        snap = feed.snapshot(time.time())
        assert snap.connected and snap.baud == 4800 and snap.hdop == 0.9 and snap.satellites == 9
        assert snap.last_fix_age is not None and snap.last_fix_age < 5
    finally:
        rx.stop.set()
        mgr.stop()
        rx.pty.close()
    kinds = [e.kind for e in core.store.events(kinds=["feed.connected", "feed.disconnected"])]
    assert kinds[:3] == ["feed.connected", "feed.disconnected", "feed.connected"]


def test_simulated_port_is_paced_by_its_baud_rate() -> None:
    tr = SimTrack("sim:t", [LIUZHOU, (LIUZHOU[0] + 0.01, LIUZHOU[1])], 5.0, talker="GN", jitter_m=0)
    port = VirtualSerialPort(4800, "t")
    sim = PtySimulator([(port, GpsReceiver(tr))]).start()
    try:
        t = SerialTransport("t", port.name, 4800).start()
        wait_for(lambda: t.stats.lines >= 20, 15, what="lines from the simulated receiver")
        t0, b0 = time.monotonic(), t.stats.bytes
        wait_for(lambda: time.monotonic() - t0 >= 2.0, 5)
        rate = (t.stats.bytes - b0) / (time.monotonic() - t0)
        assert rate <= 480 * 1.1, f"{rate:.0f} bytes/s is faster than 4800 baud allows"
        lines = t.drain()
        assert {ln.line[3:6] for ln in lines} >= {"GGA", "GSA", "GSV", "RMC", "VTG"}
        t.stop()
        assert any(p.device == port.name for p in list_serial_ports(include_pts=True))
    finally:
        sim.stop()


def test_no_sentences_at_any_rate_is_not_found() -> None:
    pty = Pty(9600)
    try:
        pty.write(bytes(range(256)) * 4)
        assert detect_baud(pty.name, rates=[9600, 4800], window=0.3) is None
    finally:
        pty.close()
