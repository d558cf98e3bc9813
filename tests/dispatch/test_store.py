"""The event store: append-only hash chain, batched fixes, serialised writers, latest fix per unit."""

from __future__ import annotations

import json
import multiprocessing as mp
import sqlite3

import pytest

from dispatch.store import GENESIS_HASH, EventStore, FixRow, NewEvent, StoreError, event_hash


def test_events_are_chained_and_read_back(db_url) -> None:  # type: ignore[no-untyped-def]
    s = EventStore(db_url)
    a = s.append("dispatcher:wang", [NewEvent("x.created", {"n": 1, "名": "值"}, "x:1")], ts=100.0)
    b = s.append("unit:boat-01", [NewEvent("x.updated", {"n": 2}, "x:1"), NewEvent("x.updated", {"n": 3})], ts=101.0)
    evs = list(s.events())
    assert [e.seq for e in evs] == [1, 2, 3]
    assert evs[0].payload == {"n": 1, "名": "值"} and evs[1].actor == "unit:boat-01"
    assert a[0].hash == event_hash(GENESIS_HASH, 1, 100.0, "dispatcher:wang", "x.created", "x:1",
                                   json.dumps({"n": 1, "名": "值"}, ensure_ascii=False, sort_keys=True,
                                              separators=(",", ":")))
    assert b[0].hash != b[1].hash
    assert [e.seq for e in s.events(entity="x:1")] == [1, 2]
    assert [e.seq for e in s.events(from_ts=101.0)] == [2, 3]


def test_fixes_are_batched_and_latest_is_at_or_before(db_url) -> None:  # type: ignore[no-untyped-def]
    s = EventStore(db_url, flush_interval=3600)
    s.add_fixes([FixRow("u1", 10.0, 24.0, 109.0), FixRow("u1", 20.0, 24.1, 109.1), FixRow("u2", 15.0, 24.2, 109.2)])
    assert s.pending_fixes() == 3
    path = db_url.removeprefix("sqlite:///")
    assert sqlite3.connect(path).execute("select count(*) from fixes").fetchone()[0] == 0
    assert s.flush() == 3
    assert s.latest_fixes(at=20.0)["u1"].lat == 24.1
    assert s.latest_fixes(at=19.9)["u1"].lat == 24.0
    assert "u2" not in s.latest_fixes(at=14.9)


def test_a_large_flush_stores_every_row_in_order_and_a_bad_row_loses_none(db_url) -> None:  # type: ignore[no-untyped-def]
    s = EventStore(db_url, flush_interval=3600)
    rows = [(f"u{i % 7}", 1000.0 + i, 24.0 + i * 1e-6, 109.0, None if i % 3 else 1.5, i % 360, f"src{i % 5}")
            for i in range(1234)]  # more rows than one multi-row INSERT takes (and a part one at the end)
    s.add_rows(rows)
    assert s.flush() == 1234
    path = db_url.removeprefix("sqlite:///")
    con = sqlite3.connect(path)
    stored = con.execute("SELECT unit_id, ts, lat, lon, speed, course, source FROM fixes ORDER BY id").fetchall()
    assert stored == [tuple(r) for r in rows]
    s.add_rows([("u1", 5000.0, 24.0, 109.0, None, None, "a"), ("u1", 5001.0, None, 109.0, None, None, "a")])
    with pytest.raises(Exception, match="NOT NULL"):
        s.flush()  # the store refuses the whole batch: nothing of it is written, nothing is lost
    assert s.pending_fixes() == 2
    assert con.execute("SELECT count(*) FROM fixes").fetchone()[0] == 1234
    with pytest.raises(Exception, match="NOT NULL"):
        s.close()  # closing flushes: the rows are still refused (and the store closes all the same)


def _append_many(url: str, who: str, n: int) -> None:
    s = EventStore(url)
    for i in range(n):
        s.append(who, [NewEvent("ping", {"i": i})])


def test_two_processes_appending_keep_one_linear_chain(db_url) -> None:  # type: ignore[no-untyped-def]
    EventStore(db_url)
    ctx = mp.get_context("spawn")
    ps = [ctx.Process(target=_append_many, args=(db_url, f"p{k}", 40)) for k in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join(60)
        assert p.exitcode == 0
    s = EventStore(db_url)
    prev = GENESIS_HASH
    con = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    rows = con.execute("select seq, ts, actor, kind, entity, payload, prev_hash, hash from events order by seq").fetchall()
    assert len(rows) == 80
    for seq, ts, actor, kind, entity, payload, prev_hash, h in rows:
        assert prev_hash == prev
        assert h == event_hash(prev, seq, ts, actor, kind, entity, payload)
        prev = h
    assert s.last_seq() == 80


def test_a_newer_schema_is_refused_with_a_clear_message(db_url) -> None:  # type: ignore[no-untyped-def]
    EventStore(db_url)
    con = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    con.execute("update store_meta set value='99' where key='schema_version'")
    con.commit()
    with pytest.raises(StoreError, match="newer"):
        EventStore(db_url)


def test_serial_work_keeps_to_one_sqlite_connection_after_a_read_overlapped_a_write(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A read during a write opens a second connection; afterwards the serial writes and reads all use the
    connection returned last, so one page cache stays warm and the other stays idle (dispatch/store.py)."""
    store = EventStore(f"sqlite:///{tmp_path / 'pool.db'}")
    try:
        store.append("operator:test", [NewEvent("note.added", {"i": 0}, "note:0")])
        with store.write() as wconn:
            writer = wconn.connection.driver_connection
            with store.read() as rconn:  # the writer's connection is taken: the pool opens another
                reader = rconn.connection.driver_connection
                assert rconn.exec_driver_sql("SELECT count(*) FROM events").scalar_one() == 1
            assert reader is not writer
            store.append_in(wconn, "operator:test", [NewEvent("note.added", {"i": 1}, "note:1")], ts=1.0)
        used = set()
        for i in range(2, 12):
            with store.write() as conn:
                used.add(id(conn.connection.driver_connection))
                store.append_in(conn, "operator:test", [NewEvent("note.added", {"i": i}, f"note:{i}")], ts=float(i))
            with store.read() as conn:
                used.add(id(conn.connection.driver_connection))
                assert conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one() == i + 1
        assert used == {id(writer)}, "serial work took turns between the pool's connections"
    finally:
        store.close()
