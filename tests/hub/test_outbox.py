"""The outbox's batches: a broadcast's rows in one statement, many units' acknowledgements in one
transaction. Each unit gets exactly its own rows acknowledged; what is committed survives a reopen;
a batch that cannot be written is kept and written by the next try (each row once, nothing lost)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time

import pytest

from dispatch.core import Dispatch
from dispatch.hub import server  # noqa: F401  (the hub's tables)
from dispatch.hub.outbox import Outbox
from dispatch.store import EventStore

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
UNITS = [f"u{i:02d}" for i in range(40)]


@pytest.fixture
def pg_url():  # type: ignore[no-untyped-def]
    sqlalchemy = pytest.importorskip("sqlalchemy")
    try:
        admin = sqlalchemy.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            name = f"hub_test_{secrets.token_hex(4)}"
            c.exec_driver_sql(f"CREATE DATABASE {name}")
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as c:
        c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def fill(ob: Outbox) -> None:
    """Two assignments for u00, one for u01, then one broadcast to every unit (one shared message)."""
    ob.add_many([("u00", {"type": "assignment", "ref": "incident:1", "incident_id": "1"}, "incident:1", 1),
                 ("u00", {"type": "assignment", "ref": "incident:2", "incident_id": "2"}, "incident:2", 2),
                 ("u01", {"type": "assignment", "ref": "incident:3", "incident_id": "3"}, "incident:3", 3)],
                time.time(), cursor=3)
    bc = {"type": "broadcast", "kind": None, "text": "storm warning \u66b4\u96e8", "ts": 1.0, "by": "dispatcher:wang"}
    out = ob.add_many([(u, bc, None, 4) for u in UNITS], time.time(), cursor=4)
    assert len(out) == len(UNITS)
    for unit, msg, body in out:  # one encoding, each unit's own seq in a valid frame
        assert json.loads(body) == {**bc, "seq": msg["seq"]}
        assert msg["seq"] == (3 if unit == "u00" else 2 if unit == "u01" else 1)


def check_batched_acks(url: str) -> None:
    store = EventStore(url)
    Dispatch(store)  # features' tables
    ob = Outbox(store)
    ob.cursor(0)
    fill(ob)
    # one batch: u00 acks its first assignment only, u01 everything, half the others the broadcast
    batch = {"u00": 1, "u01": 2} | {u: 1 for u in UNITS[2:20]}
    delivered = ob.ack(batch, 100.0)
    assert sorted(delivered) == [("u00", "incident:1", 1), ("u01", "incident:3", 1)]
    assert ob.ack({"u00": 1, "u01": 1}, 101.0) == []  # stale and repeated acks change nothing
    assert ob.pending("u00", 0) and [json.loads(b)["seq"] for b in ob.pending("u00", 0)] == [2, 3]
    assert ob.pending("u01", 0) == []
    assert [json.loads(b)["type"] for b in ob.pending("u30", 0)] == ["broadcast"]
    assert ob.unsaved_acks == 20
    assert {(r["unit_id"], r["seq"]): r["acked"] for r in ob.rows(limit=1000)}[("u00", 1)] is None  # taken, not saved
    ob.write()  # the hub's deferred write
    assert ob.unsaved_acks == 0
    ob.close()
    store.close()

    store = EventStore(url)  # what was committed, and only that
    again = Outbox(store)
    assert again.acked == batch
    assert again.last_seq == {"u00": 3, "u01": 2} | {u: 1 for u in UNITS[2:]}
    assert again.unacked_refs == {"u00": {2: "incident:2"}}
    assert [json.loads(b)["seq"] for b in again.pending("u00", 0)] == [2, 3]
    assert again.pending("u05", 0) == [] and len(again.pending("u25", 0)) == 1
    rows = {(r["unit_id"], r["seq"]): r["acked"] for r in again.rows(limit=1000)}
    assert rows[("u00", 1)] == 100.0 and rows[("u00", 2)] is None and rows[("u01", 2)] == 100.0
    assert sum(1 for v in rows.values() if v is not None) == 1 + 2 + 18
    assert again.ack({"u00": 3}, 102.0) == [("u00", "incident:2", 2)]
    again.close()
    store.close()


def test_batched_acks_sqlite(db_url: str) -> None:
    check_batched_acks(db_url)


@pytest.mark.postgres
def test_batched_acks_postgresql(pg_url: str) -> None:
    check_batched_acks(pg_url)


def test_a_batch_that_cannot_be_written_is_kept_and_written_next(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The store held by another writer: acknowledgements and numbered messages stay in memory (a message
    numbered was sent: its seq stays its own), a resend and a reply's check see them, the next write stores
    each once."""
    path = tmp_path / "store.db"
    store = EventStore(f"sqlite:///{path}")
    Dispatch(store)
    ob = Outbox(store)
    ob.cursor(0)
    fill(ob)
    ob.db._conn().execute("PRAGMA busy_timeout=50")  # fail fast instead of waiting 30 s for the lock
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the store
    try:
        assert ob.ack({"u00": 2}, 99.0) == [("u00", "incident:1", 1), ("u00", "incident:2", 2)]  # memory only
        assert ob.ack({"u00": 3, "u01": 2}, 100.0) == [("u01", "incident:3", 1)]
        with pytest.raises(sqlite3.OperationalError):
            ob.write()
        assert ob.unsaved_acks == 3  # kept for the next try: none lost, none saved twice
        with pytest.raises(sqlite3.OperationalError):
            ob.add_many([("u00", {"type": "text", "text": "hi"}, None, 9)], time.time(), cursor=9)
        assert ob.last_seq["u00"] == 4 and ob.unwritten == 1  # numbered (and sent by the hub): kept, not renumbered
        assert [json.loads(b)["seq"] for b in ob.pending("u00", 3)] == [4]  # a resend has it
        out = ob.number([("u01", {"type": "assignment", "ref": "incident:7", "incident_id": "7"}, "incident:7", 10)],
                        time.time(), cursor=10)
        assert out[0][1]["seq"] == 3 and ob.has_assignment("u01", "incident:7")  # a reply to it is its own
        with pytest.raises(sqlite3.OperationalError):
            ob.write()
        assert ob.unwritten == 2
    finally:
        other.execute("ROLLBACK")
        other.close()
    ob.write()  # the messages first, then the acknowledgements
    assert ob.unsaved_acks == 0 and ob.unwritten == 0
    assert ob.cursor(0) == 10
    out = ob.add_many([("u00", {"type": "text", "text": "hi again"}, None, 11)], time.time(), cursor=11)
    assert out[0][1]["seq"] == 5
    ob.close()
    store.close()
    store = EventStore(f"sqlite:///{path}")
    again = Outbox(store)  # what the next hub reads
    assert again.acked == {"u00": 3, "u01": 2} and again.unacked_refs == {"u01": {3: "incident:7"}}
    listed = again.rows(limit=1000)
    rows = {(r["unit_id"], r["seq"]): r["acked"] for r in listed}
    assert rows[("u00", 1)] == rows[("u00", 2)] == 99.0 and rows[("u00", 3)] == 100.0 and rows[("u00", 4)] is None
    assert len(listed) == len(rows) == 3 + len(UNITS) + 3  # each written once: fill's, then u00's 4 and 5, u01's 3
    assert [r["message"]["text"] for r in listed if r["unit_id"] == "u00" and r["seq"] >= 4] == ["hi again", "hi"]
    again.close()
    store.close()
