"""Fixes written behind the ingest (dispatch/fixbuffer.py): a due batch is written by the store's writer thread,
never by the thread that ingests (which may hold the core's lock); `flush()` waits for a write under way and
keeps the order of arrival; a failed write loses nothing; SQLite in memory has no thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dispatch.core import Dispatch
from dispatch.fixbuffer import WRITE_AT_ROWS, FixBuffer
from dispatch.store import EventStore


def _rows(n: int, t0: float = 1000.0, unit: str = "u1") -> list[tuple[Any, ...]]:
    return [(unit, t0 + i, 24.3, 109.4, 1.0, 90.0, "test") for i in range(n)]


def _stored(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT count(*) FROM fixes").fetchone()[0])
    finally:
        con.close()


@contextmanager
def _held_elsewhere(store: EventStore) -> Iterator[None]:
    """Another writer of the process (a snapshot, the hub's outbox) holds the store for the block's length."""
    holding, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with store.write():
            holding.set()
            release.wait(20)

    other = threading.Thread(target=long_write)
    other.start()
    try:
        assert holding.wait(10)
        yield
    finally:
        release.set()
        other.join(10)


def test_a_due_batch_is_written_by_the_writer_thread_while_the_ingest_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = EventStore(f"sqlite:///{path}", flush_interval=3600)
    with _held_elsewhere(store):
        store.add_rows(_rows(WRITE_AT_ROWS))  # due at once: handed to the writer, not written here
        assert store.pending_fixes() in (0, WRITE_AT_ROWS)  # (taken by the writer, which waits for the store)
        assert _stored(path) == 0
    assert store.fixbuf.wait_written(WRITE_AT_ROWS, 20)
    assert _stored(path) == WRITE_AT_ROWS and store.pending_fixes() == 0
    assert store.fixbuf._thread is not None and store.fixbuf._thread.name == "fix-writer"
    store.close()
    assert not store.fixbuf._thread.is_alive()


def test_the_core_ingests_while_the_store_is_busy_and_a_reader_that_flushes_finds_every_fix(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    core = Dispatch(EventStore(f"sqlite:///{path}", flush_interval=0.0))  # every batch due at once
    core.register_units("test", [{"id": "u1", "name": "u1", "kind": "truck"}])
    with _held_elsewhere(core.store):
        assert core.ingest(_rows(100)) == 100  # returns with the store held elsewhere: no write on this thread
        assert core.state.units["u1"].position is not None and core.state.units["u1"].position.ts == 1099.0
        assert core.lock.acquire(timeout=1)  # and the core's lock is free meanwhile
        core.lock.release()
    core.flush()  # after any write under way: every fix the reader saw is stored
    assert _stored(path) == 100
    assert core.store.latest_fixes()["u1"].ts == 1099.0
    core.close()


def test_flush_waits_for_the_write_under_way_and_keeps_the_order() -> None:
    written: list[list[float]] = []
    entered, go_on = threading.Event(), threading.Event()

    def write(batch: Any) -> None:
        if not written:
            entered.set()
            go_on.wait(20)  # the first write is slow
        written.append([r[1] for r in batch])

    buf = FixBuffer(write, 3600.0, background=True)
    buf.add(_rows(WRITE_AT_ROWS, t0=0.0))  # due: the writer thread takes it and is slow
    assert entered.wait(10)
    buf.add(_rows(3, t0=1e6))
    flushed: list[int] = []
    t = threading.Thread(target=lambda: flushed.append(buf.flush()))
    t.start()
    assert not buf.wait_written(1, 0.2) and not flushed  # waits for the write under way
    go_on.set()
    t.join(10)
    assert flushed == [3]
    assert [len(b) for b in written] == [WRITE_AT_ROWS, 3]
    assert written[0][-1] < written[1][0]
    buf.close()


def test_a_failed_write_keeps_its_fixes_ahead_of_the_new_ones_and_the_writer_tries_again(caplog: Any) -> None:
    written: list[list[float]] = []
    fail = [2]
    failed_twice = threading.Event()

    def write(batch: Any) -> None:
        if fail[0]:
            fail[0] -= 1
            if not fail[0]:
                failed_twice.set()
            raise OSError("disk full")
        written.append([r[1] for r in batch])

    buf = FixBuffer(write, 0.05, background=True)
    buf.add(_rows(10, t0=0.0))
    buf.request()
    assert failed_twice.wait(20)  # failed twice: kept both times
    buf.add(_rows(5, t0=100.0))
    assert buf.wait_written(15, 20)
    assert written == [[float(i) for i in range(10)] + [100.0 + i for i in range(5)]]
    assert buf.pending() == 0
    assert sum("not written" in r.getMessage() for r in caplog.records) == 1  # said once, not at every try
    buf.close()


def test_sqlite_in_memory_has_no_writer_thread_and_writes_a_due_batch_at_once() -> None:
    store = EventStore("sqlite:///:memory:", flush_interval=3600)
    assert not store.fixbuf.background
    store.add_rows(_rows(WRITE_AT_ROWS))
    assert store.pending_fixes() == 0 and store.fixbuf._thread is None
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM fixes").scalar() == WRITE_AT_ROWS
    store.close()


def test_a_large_batch_is_written_in_chunks_and_a_failed_chunk_keeps_only_what_was_not_written() -> None:
    written: list[list[float]] = []
    yields: list[int] = []
    fail = [True]

    def write(batch: Any) -> None:
        if len(written) == 2 and fail[0]:  # the third chunk fails once
            fail[0] = False
            raise OSError("disk full")
        written.append([r[1] for r in batch])

    buf = FixBuffer(write, 3600.0, background=False, chunk=4, yield_to=lambda: yields.append(len(written)))
    buf.add(_rows(3, t0=0.0))  # not due yet (and not a chunk's worth): written whole by the flush below
    assert buf.flush() == 3 and written == [[0.0, 1.0, 2.0]] and yields == []
    written.clear()
    with buf._lock:  # a batch of 10 as a due batch would be taken
        buf._rows.extend(_rows(10, t0=10.0))
    try:
        buf.flush()
    except OSError:
        pass
    else:
        raise AssertionError("the failed chunk should have raised")
    assert written == [[10.0, 11.0, 12.0, 13.0], [14.0, 15.0, 16.0, 17.0]]  # two chunks stored
    assert buf.written == 3 + 8 and buf.pending() == 2  # only the two not written are kept
    buf.add(_rows(1, t0=100.0))
    assert buf.flush() == 3
    assert written[2:] == [[18.0, 19.0, 100.0]]  # ahead of the new one, nothing twice
    assert yields == [1, 2]  # between two chunks, never before the first nor after the last


def test_an_event_waits_for_one_chunk_of_a_large_flush_of_fixes_not_the_whole_flush(tmp_path: Path) -> None:
    """The fix writer thread writes a large batch chunk by chunk and lets a waiting event writer in between two:
    a command that comes while the flush is under way is stored long before the flush ends (it waited for the
    whole batch: with the feed's thread blocked in the rules' record for 5-17 ms a batch)."""
    from dispatch.store import FIX_CHUNK

    path = tmp_path / "w.db"
    core = Dispatch(EventStore(f"sqlite:///{path}", flush_interval=3600))
    core.register_units("test", [{"id": "u1", "name": "u1", "kind": "truck"}])
    n = 80 * FIX_CHUNK
    core.store.add_rows(_rows(n))  # due: the writer thread takes it
    assert core.store.fixbuf.wait_written(FIX_CHUNK, 20)  # its first chunk is stored: the flush is under way
    core.register_units("test", [{"id": "u2", "name": "u2", "kind": "truck"}])  # waits for the store
    assert core.store.fixbuf.written < n // 2, core.store.fixbuf.written  # stored in the middle of the flush
    assert "u2" in core.state.units
    core.flush()
    assert _stored(path) == n
    assert not core.store.writers_waiting
    core.close()


def test_a_write_that_ends_a_chunk_early_leaves_the_rest_for_the_next_in_order() -> None:
    """The write may store only the first part of a chunk (a writer waits for the store): the rest follows
    in the next transactions, in order, nothing twice, and a waiting writer gets its turn in between."""
    written: list[list[float]] = []
    yields: list[int] = []

    def write(batch: Any) -> int:
        part = batch[:3]  # as if a writer waited after every INSERT of three rows
        written.append([r[1] for r in part])
        return len(part)

    buf = FixBuffer(write, 3600.0, background=False, chunk=5, yield_to=lambda: yields.append(len(written)))
    with buf._lock:
        buf._rows.extend(_rows(11, t0=0.0))
    assert buf.flush() == 11
    assert [t for part in written for t in part] == [float(i) for i in range(11)]
    assert [len(p) for p in written] == [3, 3, 3, 2]
    assert yields == [1, 2, 3] and buf.written == 11 and buf.pending() == 0


def test_the_sqlite_insert_stops_after_the_insert_under_way_when_asked(tmp_path: Path) -> None:
    from dispatch import fixes

    path = tmp_path / "i.db"
    store = EventStore(f"sqlite:///{path}", flush_interval=3600)
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) >= 2  # a writer comes during the second INSERT

    with store.write() as conn:
        n = fixes.insert_plain_sqlite(conn, _rows(1800), stop=stop)
    assert n == 1000 and len(asked) == 2  # two INSERTs of 500, then the commit
    with store.write() as conn:
        assert fixes.insert_plain_sqlite(conn, _rows(700, t0=5000.0), stop=lambda: True) == 500
        assert fixes.insert_plain_sqlite(conn, _rows(300, t0=9000.0), stop=lambda: True) == 300  # never after the last
    assert _stored(path) == 1800
    store.close()


def test_a_waiting_event_goes_in_after_one_insert_of_fixes_not_a_whole_chunk(tmp_path: Path) -> None:
    """A command that meets the fix writer waits for the INSERT under way (at most 500 rows), not for the rest
    of its chunk: the store's write ends the chunk's transaction there when a writer waits.

    The command is made to meet the writer inside its second chunk's transaction (before its first INSERT,
    once the command waits for the store); left to chance it may as well come between two chunks, where
    the writer lets it in without ending a chunk early."""
    from dispatch import fixes
    from dispatch.store import FIX_CHUNK
    from tests.conftest import wait_for

    path = tmp_path / "e.db"
    core = Dispatch(EventStore(f"sqlite:///{path}", flush_interval=3600))
    core.register_units("test", [{"id": "u1", "name": "u1", "kind": "truck"}])
    seen: list[int] = []
    orig = core.store._write_fixes

    def write(batch: Any) -> int:
        n = orig(batch)
        seen.append(n)
        return n

    core.store.fixbuf._write = write
    insert = fixes.insert_plain_sqlite
    command: list[threading.Thread] = []

    def insert_meeting_a_command(conn: Any, batch: Any, stop: Any = None) -> int:
        if len(seen) == 1 and not command:  # the second chunk, its transaction open: a command comes
            command.append(threading.Thread(target=core.register_units,
                                            args=("test", [{"id": "v1", "name": "v1", "kind": "truck"}])))
            command[0].start()
            wait_for(lambda: core.store.writers_waiting, what="the command waiting for the store")
        return insert(conn, batch, stop=stop)

    fixes.insert_plain_sqlite = insert_meeting_a_command
    try:
        n = 10 * FIX_CHUNK
        core.store.add_rows(_rows(n))  # due: the writer thread takes it
        assert core.store.fixbuf.wait_written(n, 20)
        command[0].join(10)
        core.flush()
    finally:
        fixes.insert_plain_sqlite = insert
    assert _stored(path) == n and sum(seen) == n
    assert seen[:2] == [FIX_CHUNK, 500] and all(k == FIX_CHUNK for k in seen[3:-1]), seen  # one INSERT, then the command
    assert "v1" in core.state.units
    core.close()
