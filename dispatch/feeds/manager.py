"""Feeds into the core: decoded records are bound to units and ingested in batches.

`FeedManager` is the multiplexer of real feeds: every configured transport (serial, TCP client
and server, UDP, gpsd, file replay; devices/transports) is one `Feed` whose lines are decoded
(`devices.framing.Decoder`), bound to a unit (by port, talker, peer/device id or MMSI) and
ingested by one pump thread (one feed: dispatch/feeds/feed.py). A unit with two sources takes
the better one (fix quality and HDOP, then the feed's priority; dispatch/feeds/select.py) and
fails over when that one goes quiet. AIS vessels bound to no unit are kept as contacts for the map. Each feed keeps live figures and a raw line tap for
the engineer's device bench; connecting and dropping are recorded as events.

The demo simulator goes the same way through `FeedPump` (dispatch/feeds/pump.py). Bad lines are
counted, never raised: a feed goes on.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from devices.nmea.pairs import Pairs
from devices.records import AisReport, Fix, Record
from devices.transports.base import Transport
from dispatch.core import Dispatch, FixRows
from dispatch.errors import NotFound, Refused
from dispatch.feeds.config import BINDING_KINDS, EditPlan, FeedSpec, plan_edit
from dispatch.feeds.events import feed_binding_events
from dispatch.feeds.feed import ROLLOVER_LAG_S, FastFixes, Feed, FeedStats, SeenSource, UnboundSource
from dispatch.feeds.pump import KNOT, Binder, IngestRow
from dispatch.feeds.select import QUIET_AFTER, fix_score, shared_selector
from dispatch.store import NewEvent

log = logging.getLogger(__name__)


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
        self.selector = shared_selector(core, quiet_after)  # shared with the core's JT/T 808 gateway
        self.binder = Binder(core)
        self._binder_dirty = False
        # per feed: (the spec they hold for, {peer: (talker, its unit or None, source key)}) of _bind_groups
        self._bound: dict[Feed, tuple[FeedSpec, dict[str, tuple[str, str | None, str]]]] = {}
        self.units_version = 1  # moves when units change (the bench re-reads its unit list)
        self.feeds: dict[str, Feed] = {}
        self.contacts: dict[int, dict[str, Any]] = {}  # unbound AIS vessels, by MMSI
        self.contacts_version = 0
        self._contact_rows: list[IngestRow] = []
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
        self._bound.pop(feed, None)
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
                self._bound.pop(old_feed, None)
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
            self._bound.clear()
        now = self.core.clock()
        rows = FixRows()
        cols, feeding = None, 0  # the columns of the one feed that gave every row, when they are exactly the rows
        for feed in list(self.feeds.values()):
            self._record_events(feed)
            raws = feed.transport.drain(20_000)
            if not raws:
                continue
            try:
                groups = feed.decode_split(raws)
            except Exception:  # a decoder bug must not end the feed
                self.pump_errors += 1
                log.exception("decoding a batch of %s failed", feed.name)
                continue
            before = len(rows)
            taken = self._bind_groups(feed, groups, now, rows)
            if len(rows) > before:
                feeding += 1
                cols = taken
        if feeding == 1 and cols is not None and len(cols[0]) == len(rows):
            rows.cols = cols
        n = self.core.ingest(rows) if rows else 0
        if self._contact_rows:  # vessels not ours: shown to the rules (protection zones), never stored
            contacts, self._contact_rows = self._contact_rows, []
            self.core.observe_contacts(contacts)
        if self.core.store.pending_fixes() and now - self._last_flush >= 1.0:
            self._last_flush = now
            self.core.store.flush_soon()  # by the store's writer thread (dispatch/fixbuffer.py)
        return n

    def _bind_groups(self, feed: Feed, groups: list[tuple[str, FastFixes | None, list[Record]]], now: float,
                     rows: list[IngestRow]) -> tuple[list[Any], ...] | None:
        """Bind a decoded batch (`Feed.decode_split`) peer by peer, appending the accepted fixes to ``rows``.

        A peer's leading epochs (``fast``) are bound as a whole when that equals `_bind_group` on their Fix
        records: one talker, a unit whose current source this is (or none yet), no GPS week rollover. Every
        fix is then accepted, the selector keeps the last one's score, the rows are zipped from the columns.
        Otherwise the Fix records are made and bound with the peer's other records (`_bind_group`).
        Returns the rows' columns when the rows appended are exactly those zipped from them (every pair of the
        batch taken whole), else None."""
        cache = self._bound.get(feed)
        if cache is None or cache[0] is not feed.spec:
            cache = self._bound[feed] = (feed.spec, {})
        bound = cache[1]
        accept_run = self.selector.accept_run
        bonus = 0.01 * feed.spec.priority
        # rows in group order: (lo, hi) of the columns for a peer taken whole (made at the end, all at
        # once), else the rows `_bind_group` made
        parts: list[tuple[int, int] | list[IngestRow]] = []
        pairs: Pairs | None = None
        taken: dict[int, tuple[str, str]] = {}  # peer number -> (unit, source key) of the peers taken whole
        for peer, fast, records in groups:
            if fast is None:
                if records:
                    parts.append(self._bound_rows(feed, peer, records, now))
                continue
            p = pairs = fast.pairs
            lo, hi = fast.lo, fast.hi
            n = hi - lo
            talker = p.talker[lo]
            if not (p.one_talker or p.talker[lo:hi].count(talker) == n) or now - p.earliest > ROLLOVER_LAG_S:
                parts.append(self._bound_rows(feed, peer, fast.fixes() + records, now))
                continue
            b = bound.get(peer)
            if b is None or b[0] != talker:
                b = bound[peer] = (talker, self._unit_for(feed, peer, fast.source, talker),
                                   (f"{feed.name}:" + fast.source)[:64])
            _talker, uid, src = b
            i = hi - 1
            if uid is None:
                feed.unbound += n
                feed.see(peer, fast.source, talker, now).count += n
            else:
                # fix_score of the last (quality is never 0 here, mode never below 2)
                hdop = p.hdop[i]
                h = hdop if hdop is not None else 2.5
                score = 10.0 - (h if h < 9.0 else 9.0)
                if p.quality[i] in (2, 4, 5):
                    score += 1.0
                if not accept_run(uid, src, score + bonus, now):
                    parts.append(self._bound_rows(feed, peer, fast.fixes() + records, now))
                    continue
                feed.fixes += n
                taken[fast.peer] = (uid, src)
                parts.append((lo, hi))
            if records:
                parts.append(self._bound_rows(feed, peer, records, now, fast.fix(i)))
                continue
            feed.last_fix_at = now  # Feed.note of the last
            feed.quality = p.quality[i]
            sats, hdop = p.sats[i], p.hdop[i]
            if sats is not None:
                feed.sats = sats
            if hdop is not None:
                feed.hdop = hdop
        whole: list[IngestRow] = []
        cols = None
        if taken and pairs is not None and pairs.peer is not None:
            unit_of: list[Any] = [None] * len(pairs.lo)
            src_of: list[Any] = [None] * len(pairs.lo)
            for k, (uid, src) in taken.items():
                unit_of[k], src_of[k] = uid, src
            peer_of = pairs.peer
            cols = (np.array(unit_of, dtype=object)[peer_of].tolist(), pairs.time, pairs.lat, pairs.lon, pairs.speed,
                    pairs.course, np.array(src_of, dtype=object)[peer_of].tolist())
            whole = list(zip(*cols, strict=True))
        at = 0  # while the parts, in order, are the whole columns (each peer's pairs taken, one after the other)
        for part in parts:
            if type(part) is tuple:
                rows.extend(whole[part[0] : part[1]])
                at = part[1] if at == part[0] else -1
            else:
                rows.extend(part)
                at = -1
        return cols if at == len(whole) else None

    def _bound_rows(self, feed: Feed, peer: str, records: list[Record], now: float, last: Fix | None = None,
                    ) -> list[IngestRow]:
        out: list[IngestRow] = []
        self._bind_group(feed, peer, records, now, out, last)
        return out

    def _bind_group(self, feed: Feed, peer: str, records: list[Record], now: float, rows: list[IngestRow],
                    last: Fix | None = None) -> None:
        """Bind one peer's records of a batch and append the accepted fixes to ``rows`` (``last``: the
        last fix `_bind_groups` bound before them)."""
        key: tuple[str, str | None] | None = None
        uid: str | None = None
        last_fix: Fix | None = last
        last_q: Fix | None = last  # the last one with a fix quality (a GGA's or a merged one)
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
                    t = r.time
                    if t is not None and now - t > ROLLOVER_LAG_S:
                        t = feed.rollover(t, now)
                    rows.append((uid, t, r.lat, r.lon, r.speed, r.course, src))
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
            t = r.time
            if t is not None and now - t > ROLLOVER_LAG_S:
                t = feed.rollover(t, now)
            return (uid, t, r.lat, r.lon, r.speed, r.course, src[:64])
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
            if r.lat is not None and r.lon is not None:
                speed = None if r.speed is None else r.speed * KNOT
                self._contact_rows.append((f"mmsi:{r.mmsi}", r.time, r.lat, r.lon, speed, r.course, r.source))
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
