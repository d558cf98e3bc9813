"""The demo city's feed: simulated lines -> decoder -> records -> `Binder` -> `Dispatch.ingest`, on one thread.

Bad lines are counted, never raised: the pump goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from devices.ais.decoder import AisDecoder
from devices.errors import DeviceError
from devices.nmea.decoder import NmeaDecoder
from devices.nmea.fast import fast_position, handles
from devices.records import AisReport, Fix, Record
from devices.sim.fleet import FleetSimulator
from dispatch.core import Dispatch
from dispatch.feeds.feed import WATCH_FOR, FeedStats, MonitorLine
from dispatch.runtime import GilShare

log = logging.getLogger(__name__)


KNOT = 1852.0 / 3600.0
IngestRow = tuple[str, float, float, float, float | None, float | None, str | None]


class LineDecoder:
    """Decodes the lines of one stream: fast path for RMC/GGA, complete decoders for the rest."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.nmea = NmeaDecoder(source)
        self.ais = AisDecoder(source)
        self.errors = 0

    def decode(self, line: str) -> list[Record]:
        try:
            if line[:1] == "!":
                return list(self.ais.decode(line))
            if handles(line):
                fix = fast_position(line, self.source, self.nmea.state)
                return [fix] if fix is not None else []
            return self.nmea.decode(line)
        except DeviceError:
            self.errors += 1
            return []


class Binder:
    """Which unit a record belongs to: by source key, or by MMSI for AIS."""

    def __init__(self, core: Dispatch) -> None:
        self.core = core
        self.by_source: dict[str, str] = {}
        self.by_mmsi: dict[int, str] = {}
        self.contacts: list[IngestRow] = []  # positions of AIS vessels bound to no unit (taken by the pump)
        self.rebuild()

    def rebuild(self) -> None:
        with self.core.lock:
            self.by_source.clear()
            self.by_mmsi.clear()
            for u in self.core.state.units.values():
                src = u.attributes.get("source")
                if isinstance(src, str):
                    self.by_source[src] = u.id
                if u.mmsi:
                    self.by_mmsi[int(u.mmsi)] = u.id

    def bind(self, records: Iterable[Record]) -> list[IngestRow]:
        out: list[IngestRow] = []
        for r in records:
            if isinstance(r, Fix):
                uid = self.by_source.get(r.source)
                if uid is not None:
                    out.append((uid, r.time, r.lat, r.lon, r.speed, r.course, r.source))
            elif isinstance(r, AisReport) and r.lat is not None and r.lon is not None:
                uid = self.by_mmsi.get(r.mmsi)
                speed = None if r.speed is None else r.speed * KNOT
                course = r.course if r.course is not None else r.heading
                if uid is not None:
                    out.append((uid, r.time, r.lat, r.lon, speed, course, f"mmsi:{r.mmsi}"))
                else:
                    self.contacts.append((f"mmsi:{r.mmsi}", r.time, r.lat, r.lon, speed, course, r.source))
        return out


class FeedPump(threading.Thread):
    """Pulls lines from `source()` every `tick` seconds, decodes, binds and ingests them."""

    def __init__(self, core: Dispatch, source: Callable[[float], list[tuple[str, str]]], *, name: str,
                 tick: float = 0.2, receivers: int | None = None, share: GilShare | None = None) -> None:
        super().__init__(name=f"feed-{name}", daemon=True)
        self.core = core
        self.source = source
        self.tick = tick
        self.binder = Binder(core)
        self.share = share or GilShare()  # the GIL handed over between lines: see dispatch/runtime.py
        self.decoders: dict[str, LineDecoder] = {}
        self.stop_event = threading.Event()
        self.lines = 0
        self.errors = 0
        self.last_error: str | None = None
        self.receivers = receivers  # how many devices the source simulates (else: those heard so far)
        self.fixes = 0  # rows ingested
        self.last_fix_at: float | None = None  # the core's clock
        self._rate: deque[tuple[float, int]] = deque(maxlen=26)  # (monotonic, lines): the last ~5 s of ticks
        # the raw monitor's tap, as a feed's (dispatch/feeds/feed.py): filled only while the device bench asks
        self._monitor: deque[tuple[int, float, str, str, str]] = deque(maxlen=2000)  # seq, ts, line, peer, status
        self._monitor_lock = threading.Lock()
        self._watched_until = 0.0

    def run(self) -> None:
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                self.pump_once(self.core.clock())
            except Exception as exc:  # a feed must never die of one bad batch
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("feed %s failed a tick", self.name)
            self.stop_event.wait(max(0.0, self.tick - (time.monotonic() - started)))
        try:
            self.core.flush()
        except Exception:
            log.exception("final flush failed")

    def pump_once(self, now: float) -> int:
        records: list[Any] = []
        share = self.share
        lines = self.source(now)
        share.now()
        tap: list[tuple[int, float, str, str, str]] | None = [] if time.monotonic() < self._watched_until else None
        for source, line in lines:
            dec = self.decoders.get(source)
            if dec is None:
                dec = self.decoders[source] = LineDecoder(source)
            if tap is None:
                records.extend(dec.decode(line))
            else:
                errors = dec.errors
                records.extend(dec.decode(line))
                tap.append((self.lines + 1, now, line, source, "ok" if dec.errors == errors else "malformed"))
            self.lines += 1
            share()
        if tap:
            with self._monitor_lock:
                self._monitor.extend(tap)
        rows = self.binder.bind(records)
        share.now()
        n = self.core.ingest(rows) if rows else 0
        share.now()
        if rows:
            self.fixes += len(rows)
            self.last_fix_at = now
        self._rate.append((time.monotonic(), self.lines))
        if self.binder.contacts:
            contacts, self.binder.contacts = self.binder.contacts, []
            self.core.observe_contacts(contacts)
        if self.core.store.pending_fixes() and now - getattr(self, "_last_flush", 0.0) >= 1.0:
            self._last_flush = now
            self.core.store.flush_soon()  # by the store's writer thread (dispatch/fixbuffer.py)
        return n

    def monitor_since(self, seq: int) -> list[MonitorLine]:
        """The simulated lines after ``seq`` still held (the newest 2,000), for the raw monitor. Asking starts
        the tap for WATCH_FOR seconds: nothing is kept while nobody looks."""
        self._watched_until = time.monotonic() + WATCH_FOR
        with self._monitor_lock:
            return [MonitorLine(n, ts, line[:200], peer, status) for n, ts, line, peer, status in self._monitor if n > seq]

    def snapshot(self, now: float) -> FeedStats:
        """Its figures for the device bench, as a feed's: what feeds the map when the demo city runs."""
        samples = list(self._rate)
        rate = 0.0
        if len(samples) >= 2 and samples[-1][0] > samples[0][0]:
            rate = (samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0])
        bad = sum(d.errors for d in list(self.decoders.values()))
        running = self.is_alive() and not self.stop_event.is_set()
        return FeedStats(
            name=self.name.removeprefix("feed-"), kind="simulated", enabled=running,
            state="running" if running else "stopped", connected=running, port="", baud=None,
            sentences_per_s=rate, sentences=self.lines, checksum_errors=0, unknown=0, malformed=bad, too_long=0,
            garbage=0, last_fix_age=None if self.last_fix_at is None else max(0.0, now - self.last_fix_at),
            fix_quality=None, satellites=None, hdop=None, fixes=self.fixes, unbound=0, unit=None,
            peers=self.receivers or len(self.decoders), errors=self.errors, last_error=self.last_error or "", disconnects=0)

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        if self.is_alive():
            self.join(timeout)


def demo_pump(core: Dispatch, sim: FleetSimulator) -> FeedPump:
    share = GilShare()
    return FeedPump(core, lambda now: sim.due(now, share), name="demo", receivers=len(sim.tracks), share=share)
