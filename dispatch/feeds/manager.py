"""Feeds into the core: decoded records are bound to units and ingested in batches.

`FeedManager` is the multiplexer of real feeds: every configured transport (serial, TCP client
and server, UDP, gpsd, file replay; devices/transports) is one `Feed` whose lines are decoded
(`devices.framing.Decoder`), bound to a unit (by port, talker, peer/device id or MMSI) and
ingested by one pump thread. A unit with two sources takes the better one (fix quality and
HDOP, then the feed's priority) and fails over when that one goes quiet. AIS vessels bound to
no unit are kept as contacts for the map. Each feed keeps live figures and a raw line tap for
the engineer's device bench; connecting and dropping are recorded as events.

`FeedPump` runs the demo simulator the same way: lines -> decoder -> records -> `Binder` ->
`Dispatch.ingest`. Bad lines are counted, never raised: a feed goes on.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from devices.ais.decoder import AisDecoder
from devices.errors import ChecksumError, DeviceError, UnknownSentenceError
from devices.framing import Decoder
from devices.nmea.decoder import NmeaDecoder
from devices.nmea.fast import checksum_flags, fast_position, handles
from devices.records import AisReport, Fix, Record, SkyReport
from devices.sim.fleet import FleetSimulator
from devices.transports.base import RawLine, Transport
from dispatch.core import Dispatch
from dispatch.errors import NotFound, Refused
from dispatch.feed_config import BINDING_KINDS, EditPlan, FeedSpec, plan_edit
from dispatch.ops_feeds import feed_binding_events
from dispatch.store import NewEvent

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
                if uid is not None:
                    speed = None if r.speed is None else r.speed * KNOT
                    course = r.course if r.course is not None else r.heading
                    out.append((uid, r.time, r.lat, r.lon, speed, course, f"mmsi:{r.mmsi}"))
        return out


class FeedPump(threading.Thread):
    """Pulls lines from `source()` every `tick` seconds, decodes, binds and ingests them."""

    def __init__(self, core: Dispatch, source: Callable[[float], list[tuple[str, str]]], *, name: str,
                 tick: float = 0.2) -> None:
        super().__init__(name=f"feed-{name}", daemon=True)
        self.core = core
        self.source = source
        self.tick = tick
        self.binder = Binder(core)
        self.decoders: dict[str, LineDecoder] = {}
        self.stop_event = threading.Event()
        self.lines = 0
        self.errors = 0
        self.last_error: str | None = None

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
        for source, line in self.source(now):
            dec = self.decoders.get(source)
            if dec is None:
                dec = self.decoders[source] = LineDecoder(source)
            records.extend(dec.decode(line))
            self.lines += 1
        rows = self.binder.bind(records)
        n = self.core.ingest(rows) if rows else 0
        if self.core.store.pending_fixes() and now - getattr(self, "_last_flush", 0.0) >= 1.0:
            self._last_flush = now
            self.core.flush()
        return n

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        if self.is_alive():
            self.join(timeout)


def demo_pump(core: Dispatch, sim: FleetSimulator) -> FeedPump:
    return FeedPump(core, sim.due, name="demo")


# ====================================================================== real feeds
QUIET_AFTER = 5.0  # seconds without a fix before a unit fails over to its other source
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
        """Decode a drained batch, one `Decoder.decode_batch` call per peer: [(peer, records)].

        ``full`` (default: while the bench watches, `watched`) parses every sentence; otherwise
        the sentences no consumer uses are checksum-verified and counted, not parsed (see
        `Decoder.decode_batch`). RMC and GGA of one epoch come out merged into one Fix. Every
        line goes to the raw monitor as it is; only bad lines' statuses are kept beside it.
        """
        if full is None:
            full = self.watched
        with self._monitor_lock:
            seq0 = self._seq + 1
            self._seq += len(raws)
            self.monitor.extend(raws)
        peer = raws[0].peer if raws else ""
        if all(r.peer == peer for r in raws):
            groups: list[tuple[str, list[str], list[bool] | None, list[int] | None]] = [
                (peer, [r.line for r in raws], None, None)]
        else:
            lines = [r.line for r in raws]
            ok = checksum_flags(lines)  # the whole batch at once, not per peer
            by_peer: dict[str, tuple[list[str], list[bool], list[int]]] = {}
            for i, r in enumerate(raws):
                g = by_peer.get(r.peer)
                if g is None:
                    g = by_peer[r.peer] = ([], [], [])
                g[0].append(r.line)
                g[1].append(ok[i])
                g[2].append(i)
            groups = [(p, g[0], g[1], g[2]) for p, g in by_peer.items()]
        out = []
        for p, lines_, ok_, index in groups:
            records, errors = self.decoder(p).decode_batch(lines_, full=full, merge=True, ok=ok_)
            if errors:
                with self._monitor_lock:
                    for i, exc in errors:
                        self._status[seq0 + (index[i] if index is not None else i)] = _status(exc)
                    if len(self._status) > 2 * (self.monitor.maxlen or 0):
                        oldest = self._seq - len(self.monitor)
                        self._status = {k: v for k, v in self._status.items() if k > oldest}
            out.append((p, records))
        return out

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
            disconnects=ts.disconnects, bindings=len(self.spec.bind))


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


def fix_score(fix: Fix) -> float:
    """How good a source's fixes are: no fix 0, then better HDOP, DGPS/RTK above plain GPS."""
    if fix.quality == 0 or fix.mode < 2:
        return 0.0
    score = 10.0 - min(9.0, fix.hdop if fix.hdop is not None else 2.5)
    if fix.quality in (2, 4, 5):
        score += 1.0
    return score


class SourceSelector:
    """Per unit, which source's fixes count: the best one that is not quiet.

    A source's score comes from its fixes (`fix_score`; RMC carries no HDOP, so the GGA's score
    sticks) plus a small priority bonus. The current source keeps the unit until it has been
    quiet for `quiet_after` seconds or another source is clearly better (by `margin`).
    """

    def __init__(self, quiet_after: float = QUIET_AFTER, margin: float = 0.5) -> None:
        self.quiet_after = quiet_after
        self.margin = margin
        self.current: dict[str, str] = {}
        self.seen: dict[tuple[str, str], tuple[float, float]] = {}  # (unit, source) -> (last seen, score)
        self.switches = 0

    def accept(self, unit: str, source: str, score: float | None, now: float) -> bool:
        prev = self.seen.get((unit, source))
        if score is None:
            score = prev[1] if prev else 5.0
        self.seen[(unit, source)] = (now, score)
        cur = self.current.get(unit)
        if cur is None or cur == source:
            self.current[unit] = source
            return True
        cur_seen, cur_score = self.seen.get((unit, cur), (0.0, 0.0))
        if now - cur_seen > self.quiet_after or score > cur_score + self.margin:
            log.info("unit %s: source %s -> %s (%s)", unit, cur, source,
                     "quiet" if now - cur_seen > self.quiet_after else "better")
            self.current[unit] = source
            self.switches += 1
            return True
        return False


class FeedManager:
    """The multiplexer: all configured feeds into the core, on one pump thread.

    :param core: the core fixes go to.
    :param specs: feeds to add (enabled ones start with `start()`).
    :param quiet_after: seconds without fixes before a unit fails over to another source.
    """

    def __init__(self, core: Dispatch, specs: Iterable[FeedSpec] = (), *, tick: float = 0.1,
                 quiet_after: float = QUIET_AFTER, contact_ttl: float = 600.0) -> None:
        self.core = core
        self.tick = tick
        self.selector = SourceSelector(quiet_after)
        self.binder = Binder(core)
        self._binder_dirty = False
        self.units_version = 1  # moves when units change (the bench re-reads its unit list)
        self.feeds: dict[str, Feed] = {}
        self.contacts: dict[int, dict[str, Any]] = {}  # unbound AIS vessels, by MMSI
        self.contacts_version = 0
        self.contact_ttl = contact_ttl
        self.lock = threading.RLock()
        self._edit_lock = threading.Lock()  # one edit at a time (an edit may stop a transport: not under `lock`)
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.pump_errors = 0
        self._last_flush = 0.0
        core.subscribe(self._on_changes)
        for s in specs:
            self.add(s, start=False)

    def _on_changes(self, ch: Any) -> None:
        if getattr(ch, "units", False):
            self._binder_dirty = True
            self.units_version += 1

    # ----------------------------------------------------------- feeds
    def add(self, spec: FeedSpec, *, start: bool = True, transport: Transport | None = None) -> Feed:
        """Add a feed (and start it if enabled). :raises Refused: bad spec or a name already used."""
        spec.validate()
        with self.lock:
            if spec.name in self.feeds:
                raise Refused(f"a feed named {spec.name!r} exists already", "feed_exists")
            feed = Feed(spec, transport)
            self.feeds[spec.name] = feed
        if start and spec.enabled and self.running:
            feed.transport.start()
        return feed

    def remove(self, name: str) -> None:
        with self.lock:
            feed = self.feeds.pop(name, None)
        if feed is None:
            raise NotFound(f"no feed named {name!r}")
        feed.transport.stop()
        self._record_events(feed)

    def feed(self, name: str) -> Feed:
        f = self.feeds.get(name)
        if f is None:
            raise NotFound(f"no feed named {name!r}")
        return f

    def connect(self, name: str) -> None:
        f = self.feed(name)
        f.spec.enabled = True
        f.transport.start()

    def disconnect(self, name: str) -> None:
        f = self.feed(name)
        f.spec.enabled = False
        f.transport.stop()

    def specs(self) -> list[FeedSpec]:
        with self.lock:
            return [f.spec for f in self.feeds.values()]

    def plan(self, name: str, spec: FeedSpec) -> EditPlan:
        """Check an edit of feed `name` against the other feeds and the core's units (changes nothing).

        :raises dispatch.feed_config.FeedRefused: what is wrong (a clashing name, a bad setting or binding).
        """
        with self.core.lock:
            units = set(self.core.state.units)
            unit_mmsi = {u.mmsi: u.id for u in self.core.state.units.values() if u.mmsi}
        return plan_edit(self.specs(), name, spec, units=units, unit_mmsi=unit_mmsi)

    def update(self, name: str, spec: FeedSpec, *, actor: str = "system:feeds") -> EditPlan:
        """Apply an edited spec to the running feed `name`; the other feeds go on untouched.

        A change of transport settings (`TRANSPORT_FIELDS`) gives the feed a new transport (it
        reconnects); anything else (name, unit, bindings, priority) is applied to the running feed
        without dropping its connection. A change of bindings is recorded first, as a
        ``feed.bindings_changed`` event by `actor` (the core checks the units under its write
        transaction): if that is refused, nothing changes. ``enabled`` stays as it was.

        :raises dispatch.feed_config.FeedRefused: see `plan`. :raises NotFound: no such feed.
        """
        with self._edit_lock:
            plan = self.plan(name, spec)
            new = plan.spec
            if plan.bindings_changed or (plan.renamed and (new.unit or new.bind)):
                self.core.command(actor, lambda st: feed_binding_events(
                    st, new.name, new.unit, new.bind, previous_unit=plan.old.unit, previous_bind=plan.old.bind,
                    renamed_from=name if plan.renamed else None))
            old_feed: Feed | None = None
            with self.lock:
                feed = self.feed(name)
                if plan.restart:
                    old_feed, feed = feed, Feed(new)
                else:
                    feed.spec = new  # the pump reads feed.spec once per group: bindings switch at a batch
                    if plan.renamed:
                        feed.transport.name = new.name
                        feed.decoders = {}  # source keys carry the feed's name
                if plan.renamed or old_feed is not None:
                    self.feeds = {(new.name if k == name else k): (feed if k == name else f)
                                  for k, f in self.feeds.items()}
            if old_feed is not None:
                old_feed.transport.stop()
                self._record_events(old_feed)
                if new.enabled and self.running:
                    feed.transport.start()
            log.info("feed %s edited%s%s%s", name, " (restarted)" if plan.restart else "",
                     f", renamed {new.name}" if plan.renamed else "", ", bindings changed" if plan.bindings_changed else "")
            return plan

    def units(self) -> list[dict[str, Any]]:
        """The core's units for a binding picker: id, name, kind, MMSI (sorted by id)."""
        with self.core.lock:
            return [{"id": u.id, "name": u.name, "kind": u.kind.value, "mmsi": u.mmsi}
                    for u in sorted(self.core.state.units.values(), key=lambda u: u.id)]

    def unbound_sources(self, name: str, *, max_age: float = 3600.0) -> list[UnboundSource]:
        """The sources feed `name` heard lately that no binding covers now, as keys the bench can bind.

        For a fix: its talker, its peer's address and its device id (where the feed reports them);
        for AIS: the MMSI (not bound by the feed nor to any unit). Sorted by kind, then value.
        """
        feed = self.feed(name)
        now = self.core.clock()
        found: dict[tuple[str, str], list[Any]] = {}

        def add(kind: str, value: str, detail: str, s: SeenSource) -> None:
            row = found.get((kind, value))
            if row is None:
                found[(kind, value)] = [detail, s.last, s.count]
            else:
                row[1] = max(row[1], s.last)
                row[2] += s.count

        for s in feed.seen_sources():
            if now - s.last > max_age:
                continue
            if s.mmsi is not None:
                if not (feed.spec.bind.get(f"mmsi:{s.mmsi}") or self.binder.by_mmsi.get(s.mmsi)):
                    add("mmsi", str(s.mmsi), s.name or "", s)
                continue
            if self._unit_for(feed, s.peer, s.source, s.talker) is not None:
                continue
            if s.talker:
                add("talker", s.talker, s.peer, s)
            if s.peer:
                add("peer", s.peer, s.talker or "", s)
            if s.device:
                add("device", s.device, s.talker or "", s)
        order = {k: i for i, k in enumerate(BINDING_KINDS)}
        return [UnboundSource(k, v, d, round(max(0.0, now - last), 1), n)
                for (k, v), (d, last, n) in sorted(found.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))]

    # ----------------------------------------------------------- running
    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> FeedManager:
        if self.running:
            return self
        self.stop_event.clear()
        for f in list(self.feeds.values()):
            if f.spec.enabled:
                f.transport.start()
        self.thread = threading.Thread(target=self._run, name="feed-manager", daemon=True)
        self.thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        for f in list(self.feeds.values()):
            f.transport.stop(timeout)
        if self.thread is not None and self.thread.is_alive():
            self.thread.join(timeout)
        self.core.unsubscribe(self._on_changes)
        try:
            self.pump_once()  # what arrived last, and the disconnect events
            self.core.flush()
        except Exception:
            log.exception("final feed flush failed")

    def _run(self) -> None:
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                self.pump_once()
            except Exception:  # one bad batch must never end the feeds
                self.pump_errors += 1
                log.exception("feed pump failed a tick")
            self.stop_event.wait(max(0.0, self.tick - (time.monotonic() - started)))

    def pump_once(self) -> int:
        """Decode, bind and ingest whatever every feed received since the last call."""
        if self._binder_dirty:
            self._binder_dirty = False
            self.binder.rebuild()
        now = self.core.clock()
        rows: list[IngestRow] = []
        for feed in list(self.feeds.values()):
            self._record_events(feed)
            raws = feed.transport.drain(20_000)
            if not raws:
                continue
            try:
                groups = feed.decode_batch(raws)
            except Exception:  # a decoder bug must not end the feed
                self.pump_errors += 1
                log.exception("decoding a batch of %s failed", feed.name)
                continue
            for peer, records in groups:
                if records:
                    self._bind_group(feed, peer, records, now, rows)
        n = self.core.ingest(rows) if rows else 0
        if self.core.store.pending_fixes() and now - self._last_flush >= 1.0:
            self._last_flush = now
            self.core.flush()
        return n

    def _bind_group(self, feed: Feed, peer: str, records: list[Record], now: float, rows: list[IngestRow]) -> None:
        """Bind one peer's records of a batch and append the accepted fixes to ``rows``."""
        key: tuple[str, str | None] | None = None
        uid: str | None = None
        last_fix: Fix | None = None
        last_q: Fix | None = None  # the last one with a fix quality (a GGA's or a merged one)
        accept = self.selector.accept
        bonus = 0.01 * feed.spec.priority
        prefix = f"{feed.name}:"
        for r in records:
            if type(r) is Fix:
                last_fix = r
                if r.quality is not None:
                    last_q = r
                k = (r.source, r.talker)
                if k != key:  # a peer's fixes share their source (and nearly always the talker)
                    key = k
                    uid = self._unit_for(feed, peer, r.source, r.talker)
                    src = (prefix + r.source)[:64]
                    seen = feed.see(peer, r.source, r.talker, now) if uid is None else None
                if uid is None:
                    feed.unbound += 1
                    seen.count += 1  # type: ignore[union-attr]
                    continue
                score = fix_score(r) + bonus if r.hdop is not None or r.quality is not None else None
                if accept(uid, src, score, now):
                    feed.fixes += 1
                    rows.append((uid, r.time, r.lat, r.lon, r.speed, r.course, src))
            else:
                feed.note(r, now)
                row = self._bind(feed, peer, r, now)
                if row is not None:
                    rows.append(row)
        if last_q is not None and last_q is not last_fix:
            feed.note(last_q, now)
        if last_fix is not None:
            feed.note(last_fix, now)

    def _record_events(self, feed: Feed) -> None:
        for connected, detail in feed.take_events():
            kind = "feed.connected" if connected else "feed.disconnected"
            try:
                self.core.record("system:feeds", [NewEvent(kind, {"feed": feed.name, "kind": feed.spec.kind,
                                                                  "detail": detail[:200]}, f"feed:{feed.name}")])
            except Exception:
                log.exception("recording %s of %s failed", kind, feed.name)

    def _unit_for(self, feed: Feed, peer: str, source: str, talker: str | None) -> str | None:
        """The unit a fix belongs to: the feed's `bind` table by peer address, peer host, source key,
        device id or talker (the first that matches), else the feed's unit, else a unit whose
        "source" attribute names the source or the feed."""
        bind = feed.spec.bind
        if bind:
            for key in (peer, peer.rsplit(":", 1)[0] if peer else "", source, feed.device_of(peer, source) or "",
                        talker or ""):
                if key and key in bind:
                    return bind[key]
        if feed.spec.unit:
            return feed.spec.unit
        return self.binder.by_source.get(source) or self.binder.by_source.get(feed.name)

    def _bind(self, feed: Feed, peer: str, r: Record, now: float) -> IngestRow | None:
        if isinstance(r, Fix):
            uid = self._unit_for(feed, peer, r.source, r.talker)
            if uid is None:
                feed.unbound += 1
                feed.see(peer, r.source, r.talker, now).count += 1
                return None
            src = f"{feed.name}:{r.source}"
            score = fix_score(r) + 0.01 * feed.spec.priority if r.hdop is not None or r.quality is not None else None
            if not self.selector.accept(uid, src, score, now):
                return None
            feed.fixes += 1
            return (uid, r.time, r.lat, r.lon, r.speed, r.course, src[:64])
        if isinstance(r, AisReport):
            uid = feed.spec.bind.get(f"mmsi:{r.mmsi}") or self.binder.by_mmsi.get(r.mmsi)
            if uid is None:
                self._contact(r, now)
                feed.see(peer, r.source, None, now, mmsi=r.mmsi, name=r.shipname).count += 1
                return None
            if r.lat is None or r.lon is None:
                return None
            src = f"{feed.name}:mmsi:{r.mmsi}"
            if not self.selector.accept(uid, src, None, now):
                return None
            feed.fixes += 1
            speed = None if r.speed is None else r.speed * KNOT
            course = r.course if r.course is not None else r.heading
            return (uid, r.time, r.lat, r.lon, speed, course, src[:64])
        return None

    def _contact(self, r: AisReport, now: float) -> None:
        with self.lock:
            c = self.contacts.get(r.mmsi)
            if c is None:
                c = self.contacts[r.mmsi] = {"mmsi": r.mmsi, "name": None, "lat": None, "lon": None,
                                             "course": None, "speed": None, "heading": None, "time": None}
            if r.shipname:
                c["name"] = r.shipname.strip() or c["name"]
            if r.lat is not None and r.lon is not None:
                c.update(lat=r.lat, lon=r.lon, time=r.time, speed=r.speed,
                         course=r.course if r.course is not None else c["course"],
                         heading=r.heading if r.heading is not None else c["heading"])
            c["seen"] = now
            c["version"] = self.contacts_version = self.contacts_version + 1
            if len(self.contacts) > 5000 or self.contacts_version % 1000 == 0:
                for m in [m for m, v in self.contacts.items() if now - v["seen"] > self.contact_ttl]:
                    del self.contacts[m]

    # ----------------------------------------------------------- views
    def stats(self) -> list[FeedStats]:
        now = self.core.clock()
        known = self.core.state.units
        out = []
        for f in list(self.feeds.values()):
            st = f.snapshot(now)
            bound = ([f.spec.unit] if f.spec.unit else []) + sorted(set(f.spec.bind.values()))
            missing = tuple(u for u in bound if u not in known)
            out.append(dataclasses.replace(st, unknown_units=missing) if missing else st)
        return out

    def contacts_since(self, version: int) -> tuple[int, list[dict[str, Any]]]:
        """Unbound AIS contacts changed after `version` (with a position), and the version to ask with next."""
        with self.lock:
            changed = [dict(c) for c in self.contacts.values() if c["version"] > version and c["lat"] is not None]
            return self.contacts_version, changed
