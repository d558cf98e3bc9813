"""The hub's deferred records: the delivery events ("queued", "delivered"), its own events (a unit online,
offline), the outbox rows they name and the acknowledgements taken, written together at most DEFER_S after
the first of them (one store write for many units' messages, none on a round trip's path).

Who writes: a thread of the hub's own (`BatchWriter`), not the field loop. The write is a store transaction
and an append to the event log (the hash chain, the appliers, the subscribers): a millisecond or more, up to
several when the disk is slow. Written by the loop, an acknowledgement arriving meanwhile waited for all of
it (on the bench machine the slowest round trips were those; 2026-12-05); the writer leaves the loop free to
read it at once, sharing only the interpreter with it. Part of the hub (`Deferred` is mixed into
dispatch/hub/server.py's `Hub`).

Order is kept: one batch is written at a time, and a batch is taken only once the one before is written or
given back (a failed write goes back in front of what was deferred since, for the next try: never written
after a later one, whose cursor would pass its rows). Where the log must show the hub's records before what
the loop records next (a crew's answer after its assignment's "queued") the loop writes itself, once the
writer is done (`_flush_events(wait=True)`); so does the loop's last write when it stops.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from dispatch.store import NewEvent
from dispatch.storetx import StoreUnavailable

log = logging.getLogger("dispatch.hub.server")  # one logger for the hub, whichever part speaks

DEFER_S = 0.05  # at most this long between sending (acknowledgement) and recording "queued" ("delivered")
DEFER_MS = int(DEFER_S * 1000)
RETRY_S = 0.25  # a write that failed (the store away) is tried again at the tick's pace, not at once


class BatchWriter:
    """One thread that writes what it is given, one job at a time: `submit` (only when not `busy`),
    `wait` until the job in hand is done; `done` is called on the writer's thread after each job."""

    def __init__(self, write: Any, done: Any) -> None:
        self._write, self._done = write, done
        self._cv = threading.Condition()
        self._job: tuple[Any, list[NewEvent]] | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self._job is not None

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stopping

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hub-writer", daemon=True)
        self._thread.start()

    def submit(self, batch: Any, items: list[NewEvent]) -> None:
        with self._cv:
            if self._job is not None:
                raise RuntimeError("the hub's writer has a batch in hand")
            self._job = (batch, items)
            self._cv.notify_all()

    def wait(self) -> None:
        with self._cv:
            while self._job is not None:
                self._cv.wait()

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10)

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._job is None and not self._stopping:
                    self._cv.wait()
                if self._job is None:
                    return  # stopping, nothing in hand
                batch, items = self._job
            try:
                self._write(batch, items)
            except BaseException:  # the writer outlives any failure: the batch was given back, the log says why
                log.exception("hub: the deferred write failed")
            finally:
                with self._cv:
                    self._job = None
                    self._cv.notify_all()
                self._done()


class Deferred:
    """The hub's deferred records (see the module's docstring)."""

    # the hub's
    core: Any
    outbox: Any
    _lock: threading.Lock
    _loop_ident: int
    _deferred: list[NewEvent]
    _pending_events: list[NewEvent]
    _deferred_due: float
    _writer: BatchWriter

    def _deferring(self) -> bool:
        """Something waits to be written and nobody is writing (the writer's end wakes the loop)."""
        return bool(self._deferred or self.outbox.unsaved_acks or self.outbox.unwritten) and not self._writer.busy

    def _defer_from_now(self) -> None:
        """Called before something is deferred: if nothing was, the deferred write is due DEFER_S from now."""
        if not (self._deferred or self.outbox.unsaved_acks or self.outbox.unwritten):
            self._deferred_due = time.monotonic() + DEFER_S

    def _take_acks(self, acks: dict[str, int], at: float) -> list[NewEvent]:
        """The outbox takes acknowledgements (saved with the deferred events); their "delivered" events."""
        self._defer_from_now()
        return [NewEvent("field.delivered", {"unit_id": u, "ref": ref, "seq": s, "at": at}, f"unit:{u}")
                for u, ref, s in self.outbox.ack(acks, at)]

    def _defer(self, events: list[NewEvent]) -> None:
        """Delivery events ("queued", "delivered") and the outbox's acknowledgements are recorded together
        at most DEFER_S later: one store write for many units' assignments and acknowledgements, and none
        on the acknowledgement's path."""
        if events:
            self._defer_from_now()
            self._deferred += events

    def _flush_events(self, *, deferred: bool = False, wait: bool = False) -> None:
        """Record the hub's pending events, and the deferred "queued" ones before them (always with any
        other: a unit's "delivered" or answer must follow its "queued"): first the outbox's batch (the rows
        those events name, the acknowledgements they explain), then the events; an outbox write that fails
        leaves both for the next try.

        On the running loop the writer writes them, unless `wait` (the loop must find them in the log when this
        returns): then, as on any other thread, the writer's batch in hand first, then this one here, without
        the relay lock (a thread that commits an assignment meanwhile numbers and sends it into the next batch).
        With a batch in the writer's hand the loop takes none: the writer's end wakes it to take the next."""
        on_loop = threading.get_ident() == self._loop_ident
        if self._writer.busy:
            if on_loop and not wait and self._writer.running:
                return
            self._unlocked(self._writer.wait)
        outbox = self.outbox
        # Not deferred (a drain that took no acknowledgement in a lull, the tick): only the hub's own pending events
        # (a unit online, offline) are due, with the deferred ones before them and the rows those name. Nothing
        # else is written then: an assignment's round trip under way does not wait behind its own row's write.
        take = (deferred and (outbox.unsaved_acks or outbox.unwritten)) \
            or (self._deferred and self._pending_events and outbox.unwritten)
        batch = outbox.take_batch() if take else None
        items: list[NewEvent] = []
        if self._pending_events or (deferred and self._deferred):
            items = self._deferred + self._pending_events
            self._deferred, self._pending_events = [], []
        if batch is None and not items:
            return
        if on_loop and not wait and self._writer.running:
            self._writer.submit(batch, items)
            return
        try:
            self._unlocked(self._write_batch, batch, items, give_back=False)
        except BaseException:
            self._give_back(batch, items)  # holding the relay lock again
            raise

    def _unlocked(self, fn: Any, *args: Any, **kw: Any) -> Any:
        """`fn` run without the relay lock when the loop holds it (others may send meanwhile)."""
        unlock = threading.get_ident() == self._loop_ident and self._lock.locked()
        if unlock:
            self._lock.release()
        try:
            return fn(*args, **kw)
        finally:
            if unlock:
                self._lock.acquire()

    def _write_batch(self, batch: Any, items: list[NewEvent], *, give_back: bool = True) -> None:
        """The outbox's batch, then the events. A failed outbox write raises; with `give_back` (the writer's
        thread) both are given back here, under the relay lock, and the next try is due RETRY_S later; else the
        caller gives them back. Events the store certainly did not take (it was away or locked before the write
        began) are given back here either way, and the batch, written, is not; other failures to record them are
        logged."""
        try:
            if batch is not None:
                self.outbox.write_batch(batch)
        except BaseException:
            if give_back:
                with self._lock:
                    self._give_back(batch, items)
                    self._deferred_due = time.monotonic() + RETRY_S
            raise
        try:
            if items:
                self.core.record("system:hub", items)
        except StoreUnavailable as exc:
            if exc.recorded is not False:  # lost at the commit: they may be in the log, and are not recorded twice
                log.error("hub: recording %d events: %s", len(items), exc)
                return
            log.warning("hub: %d events not recorded, tried again in %g s: %s", len(items), RETRY_S, exc)
            with self._lock:  # nothing of them is in the log: in front of what was deferred since, for the next try
                self._deferred[:0] = items
                self._deferred_due = time.monotonic() + RETRY_S
        except Exception:
            log.exception("hub: recording %d events failed", len(items))

    def _give_back(self, batch: Any, items: list[NewEvent]) -> None:
        """A batch whose write failed, in front of what was numbered and deferred since (none lost, none
        written twice, none after a later one)."""
        if batch is not None:
            self.outbox.return_batch(batch)
        self._deferred[:0] = items
