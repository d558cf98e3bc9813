"""One real feed: its transport, its decoders per peer, its live figures, the sources it hears and its raw line tap."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from devices.errors import ChecksumError, DeviceError, UnknownSentenceError
from devices.framing import Decoder
from devices.nmea.fast import MERGED, checksum_flags
from devices.nmea.pairs import Pairs, scan_pairs
from devices.records import AisReport, Fix, Record, SkyReport, new_fix
from devices.transports.base import RawLine, Transport
from dispatch.feeds.config import FeedSpec

log = logging.getLogger(__name__)


WEEKS_1024 = 1024 * 7 * 86400  # one GPS week-number period, in seconds
ROLLOVER_SLACK_S = 86400.0  # a fix lagging k x 1,024 weeks give or take a day is a rollover
ROLLOVER_LAG_S = WEEKS_1024 - ROLLOVER_SLACK_S  # below this lag, no fix is looked at twice
_NONE: list[Record] = []  # the records of a peer whose lines were all taken whole (shared: never changed)
WATCH_FOR = 3.0  # seconds a feed decodes every sentence after the device bench last asked about it


@dataclass
class FeedStats:
    """Live figures of one feed for the device bench (a snapshot; see `Feed.snapshot`)."""

    name: str
    kind: str
    enabled: bool
    state: str
    connected: bool
    port: str
    baud: int | None
    sentences_per_s: float
    sentences: int
    checksum_errors: int
    unknown: int
    malformed: int
    too_long: int
    garbage: int
    last_fix_age: float | None
    fix_quality: int | None
    satellites: int | None
    hdop: float | None
    fixes: int
    unbound: int
    unit: str | None
    peers: int
    errors: int
    last_error: str
    disconnects: int
    bindings: int = 0  # entries of the feed's per-source bind table
    week_rollover: int = 0  # fixes whose date came 1,024 GPS weeks (or a multiple) behind the clock: moved on
    unknown_units: tuple[str, ...] = ()  # units this feed is bound to that the store does not know: fixes dropped

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SEEN_MAX = 512  # sources bound to no unit a feed remembers for the bench (the least recent go first)


@dataclass(slots=True)
class SeenSource:
    """A source a feed heard that no binding covered (a fix's peer/source/talker, or an AIS MMSI)."""

    peer: str
    source: str
    talker: str | None
    device: str | None
    mmsi: int | None
    name: str | None  # an AIS vessel's name, when it sent one
    first: float
    last: float
    count: int = 0  # records from it that were bound to no unit


@dataclass(frozen=True, slots=True)
class UnboundSource:
    """One key the bench can bind: (kind, value) as `dispatch.feed_config.binding_key` takes them."""

    kind: str  # "talker", "mmsi", "peer", "device"
    value: str
    detail: str  # what else is known: the peer or talker beside it, a vessel's name
    age: float  # seconds since last heard
    count: int

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _status(exc: DeviceError) -> str:
    return ("checksum" if isinstance(exc, ChecksumError) else
            "unknown" if isinstance(exc, UnknownSentenceError) else "malformed")


@dataclass(frozen=True, slots=True)
class MonitorLine:
    seq: int
    ts: float
    line: str
    peer: str
    status: str  # "ok", "checksum", "unknown", "malformed"


@dataclass(slots=True)
class FastFixes:
    """A peer's leading RMC+GGA epochs of a batch: rows ``lo:hi`` of a `Pairs` (see `Feed.decode_split`)."""

    pairs: Pairs
    lo: int
    hi: int
    source: str  # their records' source key (the peer's decoder's)
    peer: int  # the peer's number in the batch

    def __len__(self) -> int:
        return self.hi - self.lo

    def fix(self, i: int) -> Fix:
        """Row ``i`` as the Fix `devices.nmea.fast.pair_fix` gives."""
        p = self.pairs
        alt = p.alt[i]
        return new_fix(self.source, p.time[i], p.lat[i], p.lon[i], p.speed[i], p.course[i], None, alt,
                       3 if alt is not None else 2, p.quality[i], p.hdop[i], p.sats[i], p.talker[i], MERGED)

    def fixes(self) -> list[Fix]:
        return [self.fix(i) for i in range(self.lo, self.hi)]


class Feed:
    """One configured feed: its transport, decoders (one per peer), figures and raw tap."""

    def __init__(self, spec: FeedSpec, transport: Transport | None = None, *, monitor_size: int = 2000) -> None:
        self.spec = spec
        self.transport = transport or make_transport(spec)
        self.decoders: dict[str, Decoder] = {}
        # The raw monitor's tap: the RawLines themselves (one deque.extend per batch), numbered by
        # `_seq`; a status is kept only for bad lines. MonitorLines are built when the bench asks.
        self.monitor: deque[RawLine] = deque(maxlen=monitor_size)
        self._status: dict[int, str] = {}
        self._monitor_lock = threading.Lock()
        self._seq = 0
        self._watched_until = 0.0
        self._rate: deque[tuple[float, int]] = deque(maxlen=50)
        self.fixes = 0
        self.unbound = 0
        self.week_rollover = 0  # fixes moved on by 1,024 GPS weeks (a receiver that lost its week count)
        self.last_fix_at: float | None = None  # wall clock when the last fix arrived
        self.quality: int | None = None
        self.sats: int | None = None
        self.hdop: float | None = None
        self.events: list[tuple[bool, str]] = []  # connect/disconnect to record (taken by the pump)
        self.seen: dict[tuple[Any, ...], SeenSource] = {}  # sources heard while bound to no unit
        self._seen_lock = threading.Lock()
        self._events_lock = threading.Lock()
        self.transport.state_listeners.append(self._on_state)

    @property
    def name(self) -> str:
        return self.spec.name

    def _on_state(self, _t: Transport, connected: bool, detail: str) -> None:
        with self._events_lock:
            self.events.append((connected, detail))

    def take_events(self) -> list[tuple[bool, str]]:
        with self._events_lock:
            out, self.events = self.events, []
        return out

    def base_source(self, peer: str) -> str:
        """The source key of a peer's records (`Decoder`'s source): the feed's name, "@peer" after it."""
        return self.spec.name if not peer or self.spec.kind == "serial" else f"{self.spec.name}@{peer}"

    def device_of(self, peer: str, source: str) -> str | None:
        """The device part of a record's source key (gpsd's "feed:/dev/ttyUSB0" -> "/dev/ttyUSB0")."""
        base = self.base_source(peer)
        return source[len(base) + 1:] or None if source.startswith(base + ":") else None

    def decoder(self, peer: str) -> Decoder:
        d = self.decoders.get(peer)
        if d is None:
            d = self.decoders[peer] = Decoder(self.base_source(peer), errors="yield")
        return d

    def see(self, peer: str, source: str, talker: str | None, now: float, *, mmsi: int | None = None,
            name: str | None = None) -> SeenSource:
        """Remember a source that no binding covered (the bench lists them; see `unbound_sources`)."""
        key = ("ais", mmsi) if mmsi is not None else ("fix", peer, source, talker)
        s = self.seen.get(key)
        if s is None:
            s = SeenSource(peer, source, talker, None if mmsi is not None else self.device_of(peer, source),
                           mmsi, None, now, now)
            with self._seen_lock:
                if len(self.seen) >= SEEN_MAX:
                    for k in sorted(self.seen, key=lambda k: self.seen[k].last)[: SEEN_MAX // 4]:
                        del self.seen[k]
                self.seen[key] = s
        s.last = now
        if name:
            s.name = name.strip() or s.name
        return s

    def seen_sources(self) -> list[SeenSource]:
        with self._seen_lock:
            return list(self.seen.values())

    @property
    def watched(self) -> bool:
        """True while the device bench looks at this feed (it asked for figures or raw lines lately)."""
        return time.monotonic() < self._watched_until

    def watch(self, seconds: float = WATCH_FOR) -> None:
        self._watched_until = time.monotonic() + seconds

    def decode(self, raw: RawLine) -> list[Record]:
        """Decode one line completely (every sentence parsed), into the raw monitor too."""
        return [r for _peer, records in self.decode_batch([raw], full=True) for r in records]

    def decode_batch(self, raws: list[RawLine], *, full: bool | None = None) -> list[tuple[str, list[Record]]]:
        """Decode a drained batch: [(peer, records)], peers in order of first appearance.

        ``full`` (default: while the bench watches, `watched`) parses every sentence; otherwise
        the sentences no consumer uses are checksum-verified and counted, not parsed (see
        `Decoder.decode_batch`). RMC and GGA of one epoch come out merged into one Fix. Every
        line goes to the raw monitor as it is; only bad lines' statuses are kept beside it.
        The records are those of one `Decoder.decode_batch` call per peer (see `decode_split`).
        """
        return [(p, (fast.fixes() + records) if fast is not None else records)
                for p, fast, records in self.decode_split(raws, full=full)]

    def decode_split(self, raws: list[RawLine], *, full: bool | None = None,
                     ) -> list[tuple[str, FastFixes | None, list[Record]]]:
        """`decode_batch` with each peer's leading RMC+GGA pairs left as columns: [(peer, fast, records)].

        A batch's common epochs (a peer's RMC and GGA side by side, plain fields) are parsed for
        every peer at once (`devices.nmea.pairs.scan_pairs`); a peer's records are its ``fast``
        fixes (`FastFixes.fixes()` makes them Fix records) followed by ``records``: what its
        `Decoder.decode_batch` gives for its other lines, from its first line that was not such a
        pair on. Together they are exactly the records, counters, errors and stream state of one
        `Decoder.decode_batch` call over all the peer's lines.
        """
        if full is None:
            full = self.watched
        with self._monitor_lock:
            seq0 = self._seq + 1
            self._seq += len(raws)
            self.monitor.extend(raws)
        if not raws:
            return []
        _ts, lines, peers = zip(*raws, strict=True)
        names = list(dict.fromkeys(peers))
        decoders = [self.decoder(p) for p in names]
        if len(names) == 1:
            pid = np.zeros(len(raws), dtype=np.int64)
        else:
            number = {p: i for i, p in enumerate(names)}
            pid = np.fromiter(map(number.__getitem__, peers), dtype=np.int64, count=len(raws))

        def dates(ks: list[int], texts: list[str]) -> list[int | None]:
            return [decoders[k].nmea.state.dates.get(t) for k, t in zip(ks, texts, strict=True)]

        pairs = scan_pairs(lines, pid, dates)
        fast_of: list[FastFixes | None] = [None] * len(names)
        rest: dict[int, list[int]] = {}  # peer number -> its lines left to its decoder
        if pairs is None:
            for i, k in enumerate(pid.tolist()):
                rest.setdefault(k, []).append(i)
            ok = None if len(names) == 1 else checksum_flags(lines)  # the whole batch at once, not per peer
        else:
            day, tod, time_ = pairs.day, pairs.tod, pairs.time
            for k, lo, hi in zip(range(len(names)), pairs.lo, pairs.hi, strict=False):
                if hi > lo:
                    # the decoder's counters and stream state move on as decoding the pairs' lines would
                    d = decoders[k]
                    n = hi - lo
                    c = d.counters
                    nc = d.nmea.counters
                    c.by_kind["nmea"] += 2 * n
                    nc.sentences += 2 * n
                    c.sentences += 2 * n
                    c.records += n
                    nc.by_type["RMC"] += n
                    nc.by_type["GGA"] += n
                    st = d.nmea.state  # the last pair's date and time, as devices.nmea.fast.pair_fix sets them
                    st.day_s = day[hi - 1]
                    st.last_tod_us = tod[hi - 1]
                    st.last_time = time_[hi - 1]
                    fast_of[k] = FastFixes(pairs, lo, hi, d.source, k)
            if pairs.other:
                for i, k in zip(pairs.other, pid[pairs.other].tolist(), strict=True):
                    rest.setdefault(k, []).append(i)
            ok = None if len(names) == 1 else pairs.ok
        records_of: list[list[Record]] = [_NONE] * len(names)
        for k, index in rest.items():
            records, errors = decoders[k].decode_batch(
                [lines[i] for i in index], full=full, merge=True, ok=None if ok is None else [ok[i] for i in index])
            records_of[k] = records
            if errors:
                with self._monitor_lock:
                    for i, exc in errors:
                        self._status[seq0 + index[i]] = _status(exc)
                    if len(self._status) > 2 * (self.monitor.maxlen or 0):
                        oldest = self._seq - len(self.monitor)
                        self._status = {k: v for k, v in self._status.items() if k > oldest}
        return list(zip(names, fast_of, records_of, strict=True))

    def note_fix(self, now: float, quality: int | None, sats: int | None, hdop: float | None) -> None:
        """`note` of a Fix with these figures."""
        self.last_fix_at = now
        if quality is not None:
            self.quality = quality
        if sats is not None:
            self.sats = sats
        if hdop is not None:
            self.hdop = hdop

    def note(self, r: Record, now: float) -> None:
        if isinstance(r, Fix):
            self.last_fix_at = now
            if r.quality is not None:
                self.quality = r.quality
            if r.sats is not None:
                self.sats = r.sats
            if r.hdop is not None:
                self.hdop = r.hdop
        elif isinstance(r, SkyReport):
            if r.hdop is not None:
                self.hdop = r.hdop
            if r.used:
                self.sats = len(r.used)
        elif isinstance(r, AisReport) and r.lat is not None:
            self.last_fix_at = now

    def monitor_since(self, seq: int) -> list[MonitorLine]:
        """Raw lines after ``seq`` still held (the newest `monitor_size`), with their status."""
        self.watch()
        with self._monitor_lock:
            items = list(self.monitor)
            last = self._seq
            status = dict(self._status) if self._status else {}
        first = last - len(items) + 1
        start = max(seq + 1, first)
        return [MonitorLine(n, raw.ts, raw.line[:200], raw.peer, status.get(n, "ok"))
                for n, raw in zip(range(start, last + 1), items[start - first :], strict=True)]

    def counters(self) -> dict[str, int]:
        tot = {"sentences": 0, "checksum_errors": 0, "unknown": 0, "malformed": 0}
        for d in list(self.decoders.values()):
            c = d.counters
            tot["sentences"] += c.sentences
            tot["checksum_errors"] += c.checksum_errors
            tot["unknown"] += c.unknown
            tot["malformed"] += c.malformed
        return tot

    def snapshot(self, now: float) -> FeedStats:
        self.watch()
        c = self.counters()
        total = c["sentences"] + c["checksum_errors"] + c["unknown"] + c["malformed"]
        mono = time.monotonic()
        self._rate.append((mono, total))
        while len(self._rate) > 2 and mono - self._rate[0][0] > 5.0:
            self._rate.popleft()
        (t0, n0), (t1, n1) = self._rate[0], self._rate[-1]
        rate = (n1 - n0) / (t1 - t0) if t1 - t0 > 0.2 else 0.0
        ts = self.transport.stats
        t = self.transport
        port = getattr(t, "port", "")
        port_s = str(port) if self.spec.kind == "serial" else t.describe()
        return FeedStats(
            name=self.spec.name, kind=self.spec.kind, enabled=self.spec.enabled, state=ts.state,
            connected=ts.connected, port=port_s, baud=getattr(t, "baud", None) if self.spec.kind == "serial" else None,
            sentences_per_s=round(rate, 1), sentences=c["sentences"], checksum_errors=c["checksum_errors"],
            unknown=c["unknown"], malformed=c["malformed"], too_long=ts.too_long, garbage=ts.garbage,
            last_fix_age=None if self.last_fix_at is None else round(max(0.0, now - self.last_fix_at), 1),
            fix_quality=self.quality, satellites=self.sats, hdop=self.hdop, fixes=self.fixes, unbound=self.unbound,
            unit=self.spec.unit, peers=ts.peers, errors=ts.errors, last_error=ts.last_error,
            disconnects=ts.disconnects, bindings=len(self.spec.bind), week_rollover=self.week_rollover)

    def rollover(self, t: float, now: float) -> float:
        """A live fix's time, moved on by whole 1,024-week periods if it lags the clock by such a period.

        A receiver whose firmware lost its GPS week count (the 1999 and 2019 rollovers) sends today's time of
        day with a date 1,024 weeks (19.6 years) back. Live, the clock says which: a lag of k x 1,024 weeks,
        give or take a day, is a rollover; anything else is the receiver's time as sent. Counted, and said
        once in the log; decoding a recorded log keeps its dates (decode's --rollover is gpsd's guess).
        """
        k = round((now - t) / WEEKS_1024)
        if k < 1 or abs(now - t - k * WEEKS_1024) > ROLLOVER_SLACK_S:
            return t
        if not self.week_rollover:
            log.warning("feed %s: fixes dated %d x 1024 GPS weeks back (%s): a receiver with the week rollover "
                        "bug; its dates are moved on", self.spec.name, k,
                        time.strftime("%Y-%m-%d", time.gmtime(t)))
        self.week_rollover += 1
        return t + k * WEEKS_1024


def make_transport(spec: FeedSpec) -> Transport:
    """The transport a spec declares (not started)."""
    from devices.transports import FileReplay, GpsdClient, SerialTransport, TcpClient, TcpServer, UdpListener

    spec.validate()
    if spec.kind == "serial":
        assert spec.port is not None
        return SerialTransport(spec.name, spec.port, spec.baud)
    if spec.kind == "tcp":
        assert spec.host is not None and spec.tcp_port is not None
        return TcpClient(spec.name, spec.host, spec.tcp_port)
    if spec.kind == "tcp-server":
        return TcpServer(spec.name, spec.host or "0.0.0.0", spec.tcp_port or 0)
    if spec.kind == "udp":
        return UdpListener(spec.name, spec.host or "0.0.0.0", spec.tcp_port or 0)
    if spec.kind == "gpsd":
        return GpsdClient(spec.name, spec.host or "127.0.0.1", spec.tcp_port or 2947)
    assert spec.path is not None
    return FileReplay(spec.name, spec.path, pace=spec.pace)
