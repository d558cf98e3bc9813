"""A live serial feed over a real pty pair against what real receivers do to it: a firmware that lost its GPS
week count, a burst of binary, a 10 MB line, a cable pulled in the middle of a sentence. The feed goes on,
memory stays bounded, and each is counted where the device bench shows it."""

from __future__ import annotations

import random
import threading
import time
import tracemalloc

from devices.nmea import encode
from dispatch.feeds.config import FeedSpec
from dispatch.feeds.feed import WEEKS_1024
from dispatch.feeds.manager import FeedManager
from tests.conftest import wait_for
from tests.feeds.conftest import Pty

LIUZHOU = (24.3264, 109.4281)


class Writer(threading.Thread):
    """A receiver: RMC+GGA every 0.1 s with its date `lag` seconds behind the clock, and whatever else the
    test queues (`send`) written between two fixes, in 64 KiB pieces (a 10 MB line never exists whole)."""

    def __init__(self, pty: Pty, lag: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.pty, self.lag = pty, lag
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.queue: list[tuple[bytes, int]] = []
        self.i = 0

    def send(self, piece: bytes, times: int = 1) -> None:
        with self.lock:
            self.queue.append((piece, times))

    def run(self) -> None:
        while not self.stop.is_set():
            with self.lock:  # held while writing: the test can write between two fixes
                extra, self.queue = self.queue, []
                try:
                    for piece, times in extra:
                        for _ in range(times):
                            self.pty.write(piece)
                    t = time.time() - self.lag
                    lat = LIUZHOU[0] + self.i * 1e-5
                    self.i += 1
                    self.pty.write((encode.rmc("GP", t, lat, LIUZHOU[1], 2.0, 90.0) + "\r\n"
                                    + encode.gga("GP", t, lat, LIUZHOU[1], 80.0, sats=8, hdop=1.1) + "\r\n").encode())
                except OSError:
                    pass  # the cable is out: the next pty comes with the replug
            self.stop.wait(0.1)


def test_a_receiver_that_lost_its_week_count_is_dated_today_and_said_so(core) -> None:  # type: ignore[no-untyped-def]
    pty = Pty(9600)
    rx = Writer(pty, lag=WEEKS_1024)  # the 2019 rollover: today's time of day, a date 19.6 years back
    mgr = FeedManager(core, [FeedSpec("gps0", "serial", port=pty.name, baud=9600, unit="boat-01")])
    feed = mgr.feeds["gps0"]
    rx.start()
    mgr.start()
    try:
        wait_for(lambda: core.state.units["boat-01"].position is not None, 15, what="a fix from the pty")
        pos = core.state.units["boat-01"].position
        assert abs(pos.ts - time.time()) < 30, "the fix kept its date 1,024 weeks back"
        snap = feed.snapshot(time.time())
        assert snap.week_rollover >= 1 and snap.as_dict()["week_rollover"] == snap.week_rollover
        from console.device_bench.feed_table import detail_text

        assert "1024" in detail_text(snap)
        # a receiver merely three days late is not a rollover: its time is kept as sent
        n = feed.week_rollover
        assert feed.rollover(time.time() - 3 * 86400, time.time()) < time.time() - 2 * 86400
        assert feed.week_rollover == n
        # two periods back (the 1999 and the 2019 rollovers both missed)
        now = time.time()
        assert abs(feed.rollover(now - 2 * WEEKS_1024 - 5, now) - (now - 5)) < 1e-6
    finally:
        rx.stop.set()
        mgr.stop()
        pty.close()


def test_binary_bursts_a_10_mb_line_and_a_cable_pulled_mid_sentence(core) -> None:  # type: ignore[no-untyped-def]
    pty = Pty(115200)
    rx = Writer(pty)
    mgr = FeedManager(core, [FeedSpec("gps0", "serial", port=pty.name, baud=115200, unit="boat-01")])
    feed = mgr.feeds["gps0"]
    feed.transport.backoff = (0.1, 0.3)
    rx.start()
    mgr.start()

    def fixes_go_on(what: str) -> None:
        before = core.fixes_ingested
        wait_for(lambda: core.fixes_ingested >= before + 3, 20, what=f"fixes after {what}")

    try:
        fixes_go_on("the start")
        # a receiver switched to its binary protocol: 256 KiB of UBX-like bytes, newlines and '$' included
        rng = random.Random(808)
        burst = bytes(rng.getrandbits(8) for _ in range(256 * 1024))
        g0 = feed.snapshot(time.time()).garbage
        rx.send(b"\xb5\x62" + burst)
        wait_for(lambda: feed.snapshot(time.time()).garbage > g0, 20, what="the binary burst counted as noise")
        fixes_go_on("a binary burst")

        # a 10 MB line: discarded as it streams, never held whole
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            t0 = feed.snapshot(time.time()).too_long
            rx.send(b"$GPTXT," + b"A" * 65536, times=160)
            wait_for(lambda: feed.snapshot(time.time()).too_long > t0, 60, what="the 10 MB line counted")
            fixes_go_on("a 10 MB line")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 4 * 1024 * 1024, f"{peak / 1e6:.1f} MB held while a 10 MB line went by"

        # the cable pulled in the middle of a sentence, then plugged in again
        cut0 = feed.snapshot(time.time()).garbage
        with rx.lock:
            b0 = feed.transport.stats.bytes
            pty.write(b"$GPRMC,0812")
            wait_for(lambda: feed.transport.stats.bytes >= b0 + 11, 10, what="half a sentence read")
            pty.close()
        wait_for(lambda: feed.transport.stats.disconnects >= 1, 10, what="the pulled cable noticed")
        pty2 = Pty(115200)
        feed.transport.port = pty2.name  # the same receiver on its new device node
        with rx.lock:
            rx.pty = pty2
        wait_for(lambda: feed.transport.stats.connects >= 2, 20, what="the port reopened")
        fixes_go_on("a replug")
        snap = feed.snapshot(time.time())
        assert snap.garbage > cut0 and snap.disconnects >= 1 and snap.connected
        assert core.state.units["boat-01"].position is not None
    finally:
        rx.stop.set()
        mgr.stop()
        rx.pty.close()
