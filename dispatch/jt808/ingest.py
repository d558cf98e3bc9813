"""The gateway's side away from the event loop: positions and events into the core, fixes to the store.

- The **ingest thread** takes positions and events from a queue the loop thread fills: positions go
  through the source selection every feed goes through (`dispatch.feeds.select.shared_selector`: a
  truck with a JT/T 808 terminal and another receiver takes the better of the two and fails over
  when one goes quiet) and then `Dispatch.ingest` (live positions, the fixes table, the map, the
  rules); events (alarms, registrations, answers) go to `Dispatch.record`; a terminal's photo is written
  to a file first (dispatch/jt808/media.py) and its answer handed back to the loop once recorded. It rebuilds the
  terminal -> unit table when units change and catches up on events other processes wrote (texts
  and commands sent with ``ctl --db``).
- The **flush thread** writes the buffered fixes twice a second, so that ingesting never waits on a write.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import TYPE_CHECKING, Any

from devices.jt808.header import phone_key
from dispatch.feeds.select import shared_selector
from dispatch.jt808.media import same_upload, stored
from dispatch.store import NewEvent

if TYPE_CHECKING:
    from dispatch.jt808.gateway import Gateway

log = logging.getLogger(__name__)

FLUSH_EVERY = 0.5  # seconds between writes of the buffered fixes (the store's own interval is 1 s)
ACTOR = "system:jt808"


class Ingest:
    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.core = gw.core
        self.selector = shared_selector(gw.core)
        self.queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self.units_dirty = threading.Event()
        self.rejected = 0  # positions another source of the same unit had the better of
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for target, name in ((self._run_ingest, "ingest"), (self._run_flush, "flush")):
            t = threading.Thread(target=target, name=f"{self.gw.name}-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def join(self, timeout: float) -> None:
        self.queue.put(("wake",))
        for t in self._threads:
            t.join(timeout)

    def put_rows(self, rows: list[Any], arrived: float) -> None:
        self.queue.put(("rows", arrived, rows))

    def put_event(self, event: NewEvent) -> None:
        self.queue.put(("event", event))

    def put_media(self, payload: dict[str, Any], data: bytes, answer: Any) -> None:
        """A terminal's upload: written, recorded, then ``answer()`` called on the loop thread."""
        self.queue.put(("media", payload, data, answer))

    def units_changed(self) -> None:
        self.units_dirty.set()
        self.queue.put(("wake",))

    def rebuild_units(self) -> None:
        with self.core.lock:
            units = {phone_key(t): u.id for u in self.core.state.units.values()
                     if isinstance(t := u.attributes.get("terminal"), str)}
        self.gw._units = units

    def select(self, rows: list[Any]) -> list[Any]:
        """The rows whose source the selection keeps for their unit (the feeds' `SourceSelector`)."""
        now = self.core.clock()
        accept = self.selector.accept
        kept = [r for r in rows if accept(r[0], r[6], None, now)]
        self.rejected += len(rows) - len(kept)
        return kept

    def _media(self, payload: dict[str, Any], data: bytes, answer: Any, events: list[NewEvent],
               answers: list[Any]) -> None:
        try:
            ev = stored(self.core, payload, data)
            if ev is not None and not any(e.kind == ev.kind and same_upload(e.payload, payload, ev.payload["sha256"])
                                          for e in events):  # the same upload twice in one batch: recorded once
                events.append(ev)
            answers.append(answer)
        except Exception as exc:  # a full disk, a folder not ours: not answered, so the terminal uploads it again
            self.gw.counters["media_store_errors"] += 1
            log.error("jt808: a photo of %s (media id %s) could not be kept: %s", payload.get("unit"),
                      payload.get("media_id"), exc)

    def _answer(self, answers: list[Any]) -> None:
        loop = self.gw._loop
        for answer in answers:
            if loop is not None and not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(answer)
                except RuntimeError:
                    return  # stopping

    def _run_flush(self) -> None:
        gw = self.gw
        while not gw._stopping.wait(FLUSH_EVERY):
            try:
                if self.core.store.pending_fixes():
                    self.core.flush()
            except Exception:
                gw.counters["flush_errors"] += 1
                log.exception("jt808: writing fixes failed (kept for the next try)")

    def _run_ingest(self) -> None:
        gw, core = self.gw, self.core
        last_refresh = time.monotonic()
        while True:
            try:
                batch = [self.queue.get(timeout=0.5)]
            except queue.Empty:
                batch = []
            while True:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            rows: list[Any] = []
            arrivals: list[float] = []
            events: list[NewEvent] = []
            answers: list[Any] = []
            for item in batch:
                if item[0] == "rows":
                    arrivals.append(item[1])
                    rows.extend(item[2])
                elif item[0] == "event":
                    events.append(item[1])
                elif item[0] == "media":
                    self._media(item[1], item[2], item[3], events, answers)
            try:
                if rows:
                    rows = self.select(rows)
                    gw.fixes += core.ingest(rows) if rows else 0
                    done = time.perf_counter()
                    gw.latencies_ms.extend((done - t) * 1000.0 for t in arrivals)
                if events:
                    core.record(ACTOR, events)
                self._answer(answers)
                mono = time.monotonic()
                if self.units_dirty.is_set():
                    self.units_dirty.clear()
                    self.rebuild_units()
                if mono - last_refresh >= 1.0:
                    last_refresh = mono
                    core.refresh()  # texts, commands and bindings other processes recorded
            except Exception:  # the ingest thread must outlive any one batch
                gw.counters["ingest_errors"] += 1
                log.exception("jt808: ingesting a batch failed")
            if gw._stopping.is_set() and not batch:
                return
