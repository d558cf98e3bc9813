"""The core: the one object every front end (console, hub, ctl) drives.

Commands follow one shape: under a serialised write transaction the core first catches up on
events other writers appended, then asks a `decide` function for the events to record (it may
raise `Refused`), appends them, and applies them to the state. Subscribers get a `Changes`.
Positions are not events: `ingest()` updates live positions and buffers fixes for the store.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dispatch.changes import Changes
from dispatch.errors import NotFound, Refused
from dispatch.model import Position, Unit, UnitKind, UnitStatus
from dispatch.runtime import share_gil
from dispatch.state import State
from dispatch.store import EventStore, NewEvent, events_after

log = logging.getLogger(__name__)

Decide = Callable[[State], Sequence[NewEvent]]
Subscriber = Callable[[Changes], None]
IngestRow = tuple[str, float, float, float, float | None, float | None, str | None]
# A fix handler sees every batch of accepted fixes after the live state took them (Traccar's position
# handlers): `fn(rows, contacts)`, where `contacts` is True for vessels that are not ours (AIS contacts,
# unit_id "mmsi:N"). It records what it derives (alerts) itself; one that raises is logged and skipped.
FixHandler = Callable[[list[IngestRow], bool], None]


class FixRows(list):  # type: ignore[type-arg]  # list[IngestRow]
    """Ingest rows that carry themselves as columns too (unit ids, ts, lat, lon, speed, course, source), as the
    feeds' pair scanner parsed them: a fix handler that works on columns (the rules) reads them instead of
    turning the rows back into columns. `cols` is None unless the columns are exactly the rows."""

    __slots__ = ("cols",)

    def __init__(self, rows: Iterable[IngestRow] = (), cols: tuple[Sequence[Any], ...] | None = None) -> None:
        super().__init__(rows)
        self.cols = cols


class Dispatch:
    """Domain core over one EventStore. Thread-safe: one lock guards state and commands."""

    def __init__(self, store: EventStore, *, clock: Callable[[], float] = time.time, stale_after: float = 60.0,
                 snapshots: bool = True) -> None:
        self.store = store
        self.snapshots = snapshots  # load from and save snapshots of the state (dispatch/snapshot.py)
        self.clock = clock
        self.stale_after = stale_after
        self.state = State()
        self.lock = threading.RLock()
        self._subscribers: list[Subscriber] = []
        self._first: list[Subscriber] = []  # called under the lock: see subscribe
        self._pos_version = 0
        self._unit_pos_version: dict[str, int] = {}
        self.fixes_ingested = 0
        self.snapshot_seq = 0  # the newest snapshot's event (0: none)
        self.loaded_from_snapshot = False
        self._snap_saved_at = time.monotonic()
        self._snap_lock = threading.Lock()
        self._snap_stop = threading.Event()
        self._snap_thread: threading.Thread | None = None
        self.fix_handlers: list[FixHandler] = []
        self.ext: dict[str, Any] = {}  # per-feature runtime objects (not state: nothing here is derived from events)
        from dispatch.ops import install_features, load_features

        load_features()  # every feature's appliers before the log is replayed
        self.store.ensure_schema()  # and the tables features keep beside the log
        self._load()
        if snapshots:
            self._snap_thread = threading.Thread(target=self._snapshot_loop, name="state-snapshots", daemon=True)
            self._snap_thread.start()
        install_features(self)  # features that watch the core (e.g. the rules on every fix)

    # ------------------------------------------------------------------ load
    def _load(self) -> None:
        # Loading creates millions of objects that all live on: the collector's passes over the growing heap
        # would find nothing to free (the console and hub freeze this heap once start-up is done: tune_gc).
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._load_state()
        finally:
            if was_enabled:
                gc.enable()

    def _load_state(self) -> None:
        t0 = time.perf_counter()
        if self.snapshots:
            from dispatch import snapshot

            try:
                snap = snapshot.load(self.store)
            except Exception as exc:  # a cache: whatever is wrong with it, the log is the truth
                log.warning("snapshot: cannot be read (%s); replaying the whole log", exc)
                snap = None
            if snap is not None:
                self.state, self.snapshot_seq, self.loaded_from_snapshot = snap, snap.last_seq, True
        since = self.state.last_seq
        ch = Changes()  # nobody listens yet: what changed is dropped as it comes
        with self.store.read() as conn:
            for ev in events_after(conn, since):
                self.state.apply(ev, ch)
                if len(ch.events) >= 1000:
                    ch = Changes()
        if self.loaded_from_snapshot:
            log.info("loaded the snapshot at event %d and %d events after it in %.2f s", since,
                     self.state.last_seq - since, time.perf_counter() - t0)
        latest = self.store.latest_fixes(units=list(self.state.units))
        for uid, f in latest.items():
            u = self.state.units.get(uid)
            if u is not None:
                u.position = Position(f.lat, f.lon, f.ts, f.speed, f.course, f.source)
                self._bump(uid)
        log.info("loaded %d events, %d units, %d positions", self.state.last_seq, len(self.state.units), len(latest))

    # ------------------------------------------------------------- observers
    def subscribe(self, fn: Subscriber, *, first: bool = False) -> None:
        """`fn(changes)` after every commit, on the committing thread, in the order subscribed. `first`: before
        those already subscribed and before the committing thread lets go of the core's lock, the state just as
        the events left it: the hub's field relay, which reads an incident's details for its message and sends
        it on that thread (dispatch/hub/server.py), must not wait there for the lock while another thread
        writes to the store. Such a subscriber is quick and never waits for another lock."""
        if first:
            self._first.insert(0, fn)
        else:
            self._subscribers.append(fn)

    def unsubscribe(self, fn: Subscriber) -> None:
        for subs in (self._first, self._subscribers):
            if fn in subs:
                subs.remove(fn)

    def _publish(self, ch: Changes, subscribers: list[Subscriber] | None = None) -> None:
        """To `subscribers` (all: the first ones, then the others)."""
        if not ch:
            return
        for fn in (self._first + self._subscribers) if subscribers is None else list(subscribers):
            try:
                fn(ch)
            except Exception:
                log.exception("subscriber %r failed", fn)

    # -------------------------------------------------------------- commands
    def command(self, actor: str, decide: Decide, *, initiator: object | None = None) -> Changes:
        """Decide and record events atomically. Raises Refused (nothing stored) if the rules say no."""
        with self.lock:
            caught_up = Changes()
            with self.store.write() as conn:
                self._catch_up(conn, caught_up)
                items = list(decide(self.state))
                # the catch-up just read every event in this transaction: the state's head is the store's
                head = (self.state.last_seq, self.state.last_hash)
                stored = self.store.append_in(conn, actor, items, ts=self.clock(), head=head) if items else []
            ch = Changes(initiator=initiator)
            for ev in stored:
                self.state.apply(ev, ch)
            if caught_up:
                self._publish(caught_up)
            self._publish(ch, self._first)
        self._publish(ch, self._subscribers)
        return ch

    def record(self, actor: str, items: Sequence[NewEvent], *, initiator: object | None = None) -> Changes:
        """Record events that need no decision (a fix-derived alert, a feed connecting...)."""
        return self.command(actor, lambda _s: items, initiator=initiator)

    def refresh(self, *, wait: bool = True) -> Changes:
        """Catch up on events other processes appended (ctl --db, another console). Without `wait` nothing is
        done when another thread holds the core: it is recording (and catches up first itself) or refreshing,
        and it may be waiting for the store (another program's write transaction: up to the busy timeout)."""
        if not self.lock.acquire(blocking=wait):
            return Changes()
        try:
            ch = Changes()
            if self.store.head_seq() == self.state.last_seq:
                return ch  # nobody else wrote: nothing to read
            with self.store.read() as conn:
                self._catch_up(conn, ch)
            self._publish(ch, self._first)
        finally:
            self.lock.release()
        self._publish(ch, self._subscribers)
        return ch

    def _catch_up(self, conn: Any, ch: Changes) -> None:
        for ev in list(events_after(conn, self.state.last_seq)):
            self.state.apply(ev, ch)

    # ----------------------------------------------------------------- units
    def unit(self, unit_id: str) -> Unit:
        u = self.state.units.get(unit_id)
        if u is None:
            raise NotFound(f"unknown unit {unit_id!r}")
        return u

    def register_units(self, actor: str, units: Iterable[dict[str, Any]]) -> Changes:
        wanted = list(units)

        def decide(state: State) -> list[NewEvent]:
            out = []
            for u in wanted:
                UnitKind(u["kind"])  # validates
                if u["id"] not in state.units:
                    out.append(NewEvent("unit.registered", u, f"unit:{u['id']}"))
            return out

        return self.command(actor, decide)

    def set_unit_status(self, actor: str, unit_id: str, status: str) -> Changes:
        def decide(state: State) -> list[NewEvent]:
            u = state.units.get(unit_id)
            if u is None:
                raise NotFound(f"unknown unit {unit_id!r}")
            try:
                st = UnitStatus(status)
            except ValueError:
                raise Refused(
                    f"unknown status {status!r}; one of {', '.join(s.value for s in UnitStatus)}", "bad_status"
                ) from None
            return [NewEvent("unit.status_set", {"id": unit_id, "status": st.value}, f"unit:{unit_id}")]

        return self.command(actor, decide)

    def is_stale(self, u: Unit, now: float | None = None) -> bool:
        now = self.clock() if now is None else now
        return u.position is None or now - u.position.ts > self.stale_after

    # ------------------------------------------------------------- positions
    def ingest(self, fixes: Iterable[tuple[str, float, float, float, float | None, float | None, str | None]]) -> int:
        """Apply fixes (unit_id, ts, lat, lon, speed m/s, course, source) and buffer them for the store.

        Fixes older than the unit's current one update nothing live but are still stored.
        Returns how many were accepted (known units, sane coordinates).
        """
        rows: list[tuple[str, float, float, float, float | None, float | None, str | None]] = []
        append = rows.append
        # Only each unit's newest fix of the batch becomes its live Position (built once, at the
        # end, under the one lock acquisition); every accepted fix is stored (the row as given).
        live: dict[str, tuple[float, float, float, float | None, float | None, str | None]] = {}
        with self.lock:
            units = self.state.units
            for row in fixes:
                uid, ts, lat, lon, speed, course, source = row
                if uid not in units or not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
                    continue
                append(row)
                p = live.get(uid)
                if p is None:
                    pos = units[uid].position
                    p = None if pos is None else (pos.lat, pos.lon, pos.ts, pos.speed, pos.course, pos.source)
                if p is None or ts >= p[2]:
                    if speed is None and p is not None and ts - p[2] < 2.0:
                        # GGA after RMC of the same second: keep the motion the RMC gave
                        speed, course = p[3], p[4]
                    live[uid] = (lat, lon, ts, speed, course, source)
            for uid, (lat, lon, ts, speed, course, source) in live.items():
                units[uid].position = Position(lat, lon, ts, speed, course, source)
                self._pos_version += 1
                self._unit_pos_version[uid] = self._pos_version
            self.fixes_ingested += len(rows)
            # buffered for the store before anyone can see the positions: a reader that sees a unit's new
            # position and then flushes finds its fix stored (the buffer's own lock is only ever held briefly)
            self.store.add_rows(rows)
        share_gil()
        if rows and self.fix_handlers:
            if getattr(fixes, "cols", None) is not None and len(rows) == len(fixes):  # type: ignore[arg-type]
                rows = fixes  # type: ignore[assignment]  # every row taken, in order: the same rows, with the columns
            self._handle(rows, False)
        return len(rows)

    def observe_contacts(self, rows: list[IngestRow]) -> None:
        """Positions of vessels that are not ours (unit_id "mmsi:N"): not stored, only shown to the fix handlers."""
        if rows and self.fix_handlers:
            self._handle(rows, True)

    def _handle(self, rows: list[IngestRow], contacts: bool) -> None:
        for fn in list(self.fix_handlers):
            share_gil()
            try:
                fn(rows, contacts)
            except Exception:  # one failing handler never stops the feed nor the other handlers
                log.exception("fix handler %r failed", fn)

    def _bump(self, uid: str) -> None:
        self._pos_version += 1
        self._unit_pos_version[uid] = self._pos_version

    def positions_since(self, version: int) -> tuple[int, list[Unit]]:
        """Units whose position changed after `version`, and the version to ask with next time."""
        with self.lock:
            changed = [self.state.units[u] for u, v in self._unit_pos_version.items() if v > version]
            return self._pos_version, changed

    def flush(self) -> int:
        return self.store.flush()

    # ------------------------------------------------------------- snapshots
    SNAPSHOT_CHECK_S = 60.0  # how often the background thread looks
    SNAPSHOT_EVERY_EVENTS = 20_000  # a snapshot once this many events were applied since the last
    SNAPSHOT_IDLE_EVENTS = 1_000  # ... or this many and SNAPSHOT_AGE_S passed; and on close
    SNAPSHOT_AGE_S = 1800.0

    def save_snapshot(self) -> int:
        """Snapshot the state now (the state is read under the lock, stored outside it). Returns its seq."""
        from dispatch import snapshot

        with self._snap_lock:
            with self.lock:
                seq, head = self.state.last_seq, self.state.last_hash
                if seq == 0 or seq == self.snapshot_seq:
                    return self.snapshot_seq
                data = snapshot.dumps(self.state)
            snapshot.save(self.store, data, seq, head)
            self.snapshot_seq = seq
            self._snap_saved_at = time.monotonic()
            log.info("snapshot of the state at event %d (%.1f MB)", seq, len(data) / 1e6)
            return seq

    def _snapshot_due(self, *, closing: bool = False) -> bool:
        new = self.state.last_seq - self.snapshot_seq
        if new >= self.SNAPSHOT_EVERY_EVENTS:
            return True
        age = time.monotonic() - self._snap_saved_at
        return new >= self.SNAPSHOT_IDLE_EVENTS and (closing or age >= self.SNAPSHOT_AGE_S)

    def _snapshot_loop(self) -> None:
        while not self._snap_stop.wait(self.SNAPSHOT_CHECK_S):
            if self._snapshot_due():
                try:
                    self.save_snapshot()
                except Exception:  # a cache: the next try, or the log, will do
                    log.exception("saving a snapshot of the state failed")

    def close(self) -> None:
        for feature in list(self.ext.values()):  # features' threads (the rules' stale timer) end first
            stop = getattr(feature, "close", None)
            if callable(stop):
                try:
                    stop()
                except Exception:
                    log.exception("closing %r failed", feature)
        self._snap_stop.set()
        if self._snap_thread is not None:
            self._snap_thread.join(5)
            if self.snapshots and self._snapshot_due(closing=True):
                try:
                    self.save_snapshot()  # a clean shutdown: the next start replays nothing
                except Exception:
                    log.exception("saving a snapshot of the state at shutdown failed")
        self.store.close()
