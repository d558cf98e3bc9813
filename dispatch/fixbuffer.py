"""Fixes between ingest and the store: held in memory, written behind the ingest by a thread of their own.

Ingest (the feeds, the JT/T 808 gateway, `ctl ingest`) hands each batch of accepted fixes to
`FixBuffer.add` and goes on decoding. The writer thread writes what is buffered once a batch is due:
`interval` seconds after the last write, or as soon as WRITE_AT_ROWS fixes wait. On a machine with
more than one core the store's own work (SQLite's B-trees, PostgreSQL's round trips) then runs beside
the decoding of the next batch instead of after it, and no ingest thread holds the core's lock while
the disk works.

`flush()` writes everything buffered now, in the caller's thread, after any write already under way:
a caller that saw a position and flushes finds its fix stored. One write at a time (`_flushing`)
keeps the stored order the order of arrival. A large batch is written in transactions of at most
`chunk` fixes, and between two of them `yield_to()` lets a writer that waits for the store (an event:
an alert the rules raised, a dispatcher's command) go first: an event never waits behind more than one
chunk of fixes (it waited for the whole batch: 10,000 fixes, 5-17 ms on the bench machine, with the feed's
thread blocked in the rules' record all that time). The write may end a chunk early, when a writer waits
(the store's, on SQLite, after the INSERT of at most 500 rows under way): the rest is the next chunk. A
failed write keeps its fixes (those of the chunk that failed and after) at the head of the buffer for the
next one; the writer thread says so once in the log and tries again at the next interval.

A store that cannot be shared between threads (SQLite in memory: each thread would see its own empty
database) gets no thread: its due batches are written by the thread that adds them, as `add` did
before there was a writer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

WRITE_AT_ROWS = 5000  # a batch this large is written at once, not at the end of the interval


class FixBuffer:
    def __init__(self, write: Callable[[Sequence[tuple[Any, ...]]], int | None], interval: float, *,
                 background: bool, chunk: int = 0, yield_to: Callable[[], None] | None = None) -> None:
        # one transaction for a batch of rows, or its first part (returns how many: None is all); raises and
        # stores nothing on failure
        self._write = write
        self.chunk = chunk  # at most this many rows a transaction (0: the whole batch in one)
        self._yield_to = yield_to  # between two chunks: let a writer that waits for the store go first
        self.interval = interval
        self.background = background
        self._rows: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()  # the list only: held for an append or a swap, never across a write
        self._flushing = threading.Lock()  # one write at a time, in order
        self._last = time.monotonic()
        self._due = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self.written = 0  # rows written since the start
        self._wrote = threading.Condition(self._lock)

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Buffer rows (unit_id, ts, lat, lon, speed, course, source); written at most `interval` s later."""
        with self._lock:
            self._rows.extend(rows)
            n = len(self._rows)
        if n >= WRITE_AT_ROWS or time.monotonic() - self._last >= self.interval:
            self.request()

    def request(self) -> None:
        """Have what is buffered written soon: by the writer thread, or now where there is none."""
        if not self.background:
            self.flush()
            return
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stop.is_set():
                    self._thread = threading.Thread(target=self._loop, name="fix-writer", daemon=True)
                    self._thread.start()
        self._due.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def flush(self) -> int:
        """Write everything buffered in one transaction, after any write under way. Returns how many."""
        with self._flushing:
            with self._lock:
                batch, self._rows = self._rows, []
                self._last = time.monotonic()
            if not batch:
                return 0
            size = self.chunk if 0 < self.chunk < len(batch) else len(batch)
            done = 0
            try:
                while done < len(batch):
                    if done and self._yield_to is not None:
                        self._yield_to()
                    part = batch[done:done + size] if size < len(batch) else batch
                    n = self._write(part)
                    n = len(part) if n is None else n  # (at least one row of a part: insert_plain_sqlite)
                    done += n
                    with self._wrote:
                        self.written += n
                        self._wrote.notify_all()
            except BaseException:
                with self._lock:  # what was not written kept, ahead of what came since, for the next write
                    self._rows[:0] = batch[done:]
                raise
            return len(batch)

    def wait_written(self, total: int, timeout: float) -> bool:
        """Wait until `written` reaches ``total`` (at most ``timeout`` s); whether it did."""
        with self._wrote:
            return self._wrote.wait_for(lambda: self.written >= total, timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._due.wait(self.interval)
            self._due.clear()
            if self._stop.is_set():
                break
            if not self.pending():
                continue
            try:
                self.flush()
            except Exception as exc:  # the store away for a while: the fixes stay buffered, tried again
                if not self._failing:
                    log.warning("store: buffered fixes not written (tried again in %g s): %s", self.interval, exc)
                self._failing = True
                self._stop.wait(self.interval)
            else:
                if self._failing:
                    log.info("store: buffered fixes written again")
                self._failing = False

    def close(self) -> None:
        """Stop the writer thread (the caller flushes what is left)."""
        self._stop.set()
        self._due.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(30)
