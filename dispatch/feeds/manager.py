"""Feeds into the core: decoded records are bound to units and ingested in batches.

`FeedManager` is the multiplexer of real feeds: every configured transport (serial, TCP client
and server, UDP, gpsd, file replay; devices/transports) is one `Feed` whose lines are decoded
(`devices.framing.Decoder`), bound to a unit (by port, talker, peer/device id or MMSI) and
ingested by one pump thread (one feed: dispatch/feeds/feed.py). A unit with two sources takes
the better one (fix quality and HDOP, then the feed's priority; dispatch/feeds/select.py) and
fails over when that one goes quiet (the binding: dispatch/feeds/binding.py). AIS vessels bound to no unit are
kept as contacts for the map. Each feed keeps live figures and a raw line tap for
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

from devices.transports.base import Transport
from dispatch.core import Dispatch, FixRows
from dispatch.errors import NotFound, Refused
from dispatch.feeds.binding import BatchBinding
from dispatch.feeds.config import BINDING_KINDS, EditPlan, FeedSpec, plan_edit
from dispatch.feeds.events import feed_binding_events
from dispatch.feeds.feed import Feed, FeedStats, SeenSource, UnboundSource
from dispatch.feeds.pump import Binder, IngestRow
from dispatch.feeds.select import QUIET_AFTER, shared_selector
from dispatch.store import NewEvent

log = logging.getLogger(__name__)


class FeedManager(BatchBinding):
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

    def _record_events(self, feed: Feed) -> None:
        for connected, detail in feed.take_events():
            kind = "feed.connected" if connected else "feed.disconnected"
            try:
                self.core.record("system:feeds", [NewEvent(kind, {"feed": feed.name, "kind": feed.spec.kind,
                                                                  "detail": detail[:200]}, f"feed:{feed.name}")])
            except Exception:
                log.exception("recording %s of %s failed", kind, feed.name)

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
