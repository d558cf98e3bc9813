"""One writer at a time within a process on a SQLite store (`EventStore.writer`): a second writer of the same
process (the hub's outbox beside the flush of fixes) waits for the first's commit and then writes; the lock is
let go however a write ends."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from dispatch.hub.outbox import Outbox
from dispatch.store import EventStore, FixRow, NewEvent


def _free_elsewhere(store: EventStore) -> bool:
    """Whether another thread can take the store's writer lock at once."""
    got: list[bool] = []

    def probe() -> None:
        ok = store.writer.acquire(blocking=False)
        if ok:
            store.writer.release()
        got.append(ok)

    t = threading.Thread(target=probe)
    t.start()
    t.join(10)
    return got == [True]


def test_a_second_writer_of_the_process_waits_for_the_first_and_both_commit(tmp_path: Path) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'w.db'}")
    outbox = Outbox(store)
    try:
        inside, go_on = threading.Event(), threading.Event()
        done: list[str] = []

        def first() -> None:
            with store.write() as conn:
                store.append_in(conn, "test", [NewEvent("unit.registered", {"id": "u1", "kind": "patrol_boat"}, "unit:u1")], ts=1.0)
                inside.set()
                go_on.wait(10)
            done.append("first")

        def second() -> None:
            outbox.add_many([("u1", {"type": "text", "text": "hi"}, None, None)], 1.0)
            done.append("second")

        a = threading.Thread(target=first)
        a.start()
        assert inside.wait(10)
        assert not _free_elsewhere(store)  # the first holds it
        b = threading.Thread(target=second)
        b.start()
        go_on.set()
        a.join(10)
        b.join(10)
        assert sorted(done) == ["first", "second"]
        with store.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM field_outbox")).scalar_one() == 1
        assert store.last_seq() == 1
        assert _free_elsewhere(store)
    finally:
        outbox.close()
        store.close()


def test_the_writer_lock_is_let_go_after_a_failed_write_and_a_flush(tmp_path: Path) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with pytest.raises(RuntimeError), store.write():
            raise RuntimeError("the command failed")
        assert _free_elsewhere(store)
        store.add_fixes([FixRow("u1", 1.0, 24.3, 109.4, None, None, "test")])
        assert store.flush() == 1
        assert _free_elsewhere(store)
        outbox = Outbox(store)
        with pytest.raises(RuntimeError), outbox.db.write():
            raise RuntimeError("an outbox write failed")
        outbox.close()
        assert _free_elsewhere(store)
    finally:
        store.close()
