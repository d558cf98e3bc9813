"""The per-unit outbox: every sequenced hub-to-unit message is numbered here, sent, written here with the
hub's deferred events (at most DEFER_S later: dispatch/hub/server.py), and stays until the unit acknowledges
it. Used by the hub's loop thread, and by a thread that committed events while holding the hub's relay lock.

Numbered, sent, then written (`number`, the send, `write`): no store write stands between an event
committed and its message leaving, nor between the message leaving and its acknowledgement taken. Until
2026-12-04 the write (~0.15 ms at p50) came in the same step as the send, while the message was on its way;
deferred with the "queued" events it is one write for everything sent within DEFER_S, and the loop is free
for the acknowledgement when it comes. Nothing is lost or numbered twice by it:
- the messages are made from events already in the log, after the outbox's persisted event cursor, and the
  cursor is written with them. A hub that dies between the send and the write makes the same messages
  from the same events again when it starts, numbered from the same last seqs: the unit already has
  them, drops the copy as a duplicate and acknowledges it;
- a write that fails (the store busy or away) keeps the numbered rows in memory (`unwritten`) and the
  next write stores them with whatever was numbered since; meanwhile a resend (`pending`) and a reply's
  check (`has_assignment`) see them, and an acknowledgement is taken as for any other; acknowledgements
  are saved after the rows they mark, in the same transaction (`take_batch`, `write_batch`).
The messages depend on the events alone where it matters for the numbering: a broadcast's event names its
units (`field.broadcast`), an assignment or a withdrawal names its unit; a task's end goes to the task's
units, which no longer change once it has ended. Only the details shown (an incident's summary) are read
from the state when the messages are made again, and the unit keeps the copy it had.

This is the hub's hot path (a broadcast is 1,000 rows, every acknowledgement an update), so it
speaks plain SQL in batches: one transaction per batch, one executemany per statement. On SQLite
it holds one DBAPI connection for the hub's life (no per-statement SQLAlchemy work; BEGIN
IMMEDIATE still serialises it against every other writer of the store); on PostgreSQL the same
SQL runs through SQLAlchemy `text()` in the store's write transaction (its advisory lock).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text

from dispatch.hub.protocol import encode
from dispatch.store import Event
from dispatch.storetx import take_writer

log = logging.getLogger(__name__)

Row = tuple[str, dict[str, Any], str | None, int | None]  # unit, message (without seq), ref, event seq

SQL_INSERT = ("INSERT INTO field_outbox (unit_id, seq, type, ref, body, event_seq, created) "
              "VALUES (:unit_id, :seq, :type, :ref, :body, :event_seq, :created)")
SQL_ACK = ("UPDATE field_outbox SET acked = :now "
           "WHERE unit_id = :unit_id AND seq > :lo AND seq <= :hi AND acked IS NULL")
SQL_CURSOR = "UPDATE field_cursor SET value = :value WHERE name = 'events'"
SQL_LINK = ("INSERT INTO field_links (unit_id, last_cseq) VALUES (:unit_id, :cseq) "
            "ON CONFLICT (unit_id) DO UPDATE SET last_cseq = excluded.last_cseq")
SQL_EVENTS = ("SELECT seq, ts, actor, kind, entity, payload, hash FROM events WHERE seq > :after "
              "ORDER BY seq LIMIT :limit")


class _Db:
    """Plain SQL with named parameters on the store: `query`, and `write()` yielding `run`/`many`."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.sqlite = bool(getattr(store, "is_sqlite", False))
        self._fairy: Any = None  # the pooled connection this outbox holds (SQLite)
        self._lock = threading.RLock()  # the hub's loop uses it; a view from another thread must wait its turn

    def _conn(self) -> Any:
        if self._fairy is None:
            self._fairy = self.store.engine.raw_connection()  # the store's pragmas (WAL, autocommit) applied
        return self._fairy.driver_connection

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fairy is not None:
            fairy, self._fairy = self._fairy, None
            try:
                fairy.close()
            except Exception:  # the engine may already be disposed
                log.debug("outbox: closing its connection failed", exc_info=True)

    def query(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        if self.sqlite:
            with self._lock:
                return self._conn().execute(sql, params).fetchall()  # fetched at once: no read snapshot held
        with self.store.read() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]

    @contextmanager
    def write(self) -> Iterator[_Writer]:
        if self.sqlite:
            with self._lock:
                held = take_writer(self.store)  # this process's other writers (the flush of fixes) wait here
                try:
                    conn = self._conn()
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        yield _Writer(conn, None)
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    conn.execute("COMMIT")
                finally:
                    if held:
                        self.store.writer.release()
        else:
            with self.store.write() as conn:
                yield _Writer(None, conn)


class _Writer:
    def __init__(self, dbapi: Any, sa: Any) -> None:
        self.dbapi, self.sa = dbapi, sa

    def run(self, sql: str, params: dict[str, Any]) -> int:
        if self.dbapi is not None:
            return self.dbapi.execute(sql, params).rowcount
        return self.sa.execute(text(sql), params).rowcount

    def many(self, sql: str, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.dbapi is not None:
            self.dbapi.executemany(sql, rows)
        else:
            self.sa.execute(text(sql), list(rows))


class _Batch:
    """One write of the outbox: rows numbered, the event cursor that goes with them, acknowledgements."""

    __slots__ = ("rows", "cursor", "acks")

    def __init__(self, rows: list[dict[str, Any]], cursor: int | None, acks: list[dict[str, Any]]) -> None:
        self.rows, self.cursor, self.acks = rows, cursor, acks


class Outbox:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.db = _Db(store)
        self.last_seq: dict[str, int] = {}
        self.acked: dict[str, int] = {}
        self.last_cseq: dict[str, int] = {}
        self.unacked_refs: dict[str, dict[int, str]] = {}  # unit -> seq -> ref of its unacked assignments/cancels
        self._unsaved: list[dict[str, Any]] = []  # acknowledgements taken, not yet in the store (`write`)
        self._unwritten: list[dict[str, Any]] = []  # messages numbered (and sent), not yet in the store (`write`)
        self._unwritten_cursor: int | None = None  # the event cursor that goes with them
        self._inflight: list[dict[str, Any]] = []  # rows of a batch being written (`take_batch`)
        q = self.db.query
        for unit, seq in q("SELECT unit_id, MAX(seq) FROM field_outbox GROUP BY unit_id", {}):
            self.last_seq[unit] = int(seq)
        for unit, seq in q("SELECT unit_id, MAX(seq) FROM field_outbox WHERE acked IS NOT NULL GROUP BY unit_id", {}):
            self.acked[unit] = int(seq)
        for unit, cseq in q("SELECT unit_id, last_cseq FROM field_links", {}):
            self.last_cseq[unit] = int(cseq)
        for unit, seq, ref in q("SELECT unit_id, seq, ref FROM field_outbox WHERE acked IS NULL AND ref IS NOT NULL "
                                "AND type IN ('assignment', 'cancel')", {}):
            self.unacked_refs.setdefault(unit, {})[int(seq)] = ref

    def close(self) -> None:
        self.db.close()

    # ----------------------------------------------------------------- cursor
    def cursor(self, default: int) -> int:
        rows = self.db.query("SELECT value FROM field_cursor WHERE name = 'events'", {})
        if not rows:
            with self.db.write() as w:
                w.run("INSERT INTO field_cursor (name, value) VALUES ('events', :value)", {"value": default})
            return default
        return int(rows[0][0])

    def events_after(self, after: int, limit: int) -> list[Event]:
        """The store's events after seq `after` (the hub's source of outbox messages), oldest first."""
        return [Event(int(r[0]), r[1], r[2], r[3], r[4], json.loads(r[5]), r[6])
                for r in self.db.query(SQL_EVENTS, {"after": after, "limit": limit})]

    # ------------------------------------------------------------------ write
    def add_many(self, rows: list[Row], now: float, *, cursor: int | None = None) -> list[tuple[str, dict[str, Any], bytes]]:
        """`number` then `write`: the messages in the store before they are returned (a write that fails
        raises, and keeps them for the next `write`)."""
        out = self.number(rows, now, cursor=cursor)
        self.write()
        return out

    def number(self, rows: list[Row], now: float, *, cursor: int | None = None) -> list[tuple[str, dict[str, Any], bytes]]:
        """Number messages (unit, msg, ref, event_seq) for their units and encode them, in memory; `write`
        stores them with the event cursor `cursor` (the caller sends them in between). Returns (unit, msg
        with its seq, the encoded frame to send).

        Rows sharing one message dict (a broadcast) are encoded once; each unit's frame only adds its seq.
        """
        out: list[tuple[str, dict[str, Any], bytes]] = []
        values: list[dict[str, Any]] = []
        encoded: dict[int, bytes] = {}
        last_seq = self.last_seq
        for unit_id, msg, ref, event_seq in rows:
            seq = last_seq.get(unit_id, 0) + 1
            last_seq[unit_id] = seq
            base = encoded.get(id(msg))
            if base is None:
                base = encoded[id(msg)] = encode(msg)
            body = base[:-1] + b',"seq":%d}' % seq  # base is a JSON object without "seq"
            out.append((unit_id, {**msg, "seq": seq}, body))
            values.append({"unit_id": unit_id, "seq": seq, "type": msg["type"], "ref": ref,
                           "body": body.decode("utf-8"), "event_seq": event_seq, "created": now})
            if ref and msg["type"] in ("assignment", "cancel"):
                self.unacked_refs.setdefault(unit_id, {})[seq] = ref
        self._unwritten += values
        if cursor is not None:
            self._unwritten_cursor = cursor
        return out

    @property
    def unwritten(self) -> int:
        return len(self._unwritten)

    def take_batch(self) -> _Batch | None:
        """What the next write stores (the rows numbered, their cursor and the acknowledgements taken since
        the last), taken out of `unwritten` and `unsaved_acks` (None: nothing). The hub takes it holding its
        relay lock and writes it (`write_batch`) without: a thread that numbers more meanwhile adds to the
        next batch. Until it is written `pending` and `has_assignment` still see its rows."""
        if not self._unwritten and self._unwritten_cursor is None and not self._unsaved:
            return None
        batch = _Batch(self._unwritten, self._unwritten_cursor, self._unsaved)
        self._unwritten, self._unwritten_cursor, self._unsaved = [], None, []
        self._inflight = batch.rows
        return batch

    def write_batch(self, batch: _Batch) -> None:
        """One transaction: the rows and their event cursor, then the acknowledgements (after the rows they
        mark). On a failure nothing of it is stored and the caller gives it back (`return_batch`)."""
        with self.db.write() as w:
            w.many(SQL_INSERT, batch.rows)
            if batch.cursor is not None:
                w.run(SQL_CURSOR, {"value": batch.cursor})
            w.many(SQL_ACK, batch.acks)
        self._inflight = []

    def return_batch(self, batch: _Batch) -> None:
        """A batch whose write failed goes back in front of what was numbered and taken since, for the next
        try (none lost, none written twice)."""
        self._unwritten[:0] = batch.rows
        if self._unwritten_cursor is None:
            self._unwritten_cursor = batch.cursor
        self._unsaved[:0] = batch.acks
        self._inflight = []

    def write(self) -> None:
        """Store the messages numbered since the last write with their event cursor, and the acknowledgements
        taken: one transaction. On a failure they stay, for the next try (none lost, none written twice)."""
        batch = self.take_batch()
        if batch is None:
            return
        try:
            self.write_batch(batch)
        except BaseException:
            self.return_batch(batch)
            raise

    def ack(self, acks: dict[str, int], now: float) -> list[tuple[str, str, int]]:
        """Take acknowledgements: everything up to each unit's acknowledged seq is acknowledged, in memory
        at once and in the store with the next `write` (the hub's deferred write, at most DEFER_S
        later: none on the acknowledgement's path). Returns (unit, ref, seq) of the assignments and
        cancellations this newly acknowledged (for "delivered").

        An acknowledgement lost with the process before it was saved costs nothing: the unit's next login
        carries its last seq, which acknowledges the same messages (and a resend that comes first is
        answered with that seq)."""
        todo = {u: s for u, s in acks.items() if s > self.acked.get(u, 0)}
        if not todo:
            return []
        self._unsaved += [{"unit_id": u, "lo": self.acked.get(u, 0), "hi": s, "now": now} for u, s in todo.items()]
        delivered: list[tuple[str, str, int]] = []
        for unit_id, seq in todo.items():
            self.acked[unit_id] = seq
            refs = self.unacked_refs.get(unit_id)
            if refs:
                for s in sorted(s for s in refs if s <= seq):
                    delivered.append((unit_id, refs.pop(s), s))
                if not refs:
                    del self.unacked_refs[unit_id]
        return delivered

    @property
    def unsaved_acks(self) -> int:
        return len(self._unsaved)

    def pending(self, unit_id: str, after: int) -> list[bytes]:
        """Unacknowledged messages of `unit_id` after seq `after`, in order, ready to send."""
        after = max(after, self.acked.get(unit_id, 0))
        if self.last_seq.get(unit_id, 0) <= after:
            return []  # nothing newer was ever queued: no query
        rows = self.db.query("SELECT body FROM field_outbox WHERE unit_id = :u AND seq > :after AND acked IS NULL "
                             "ORDER BY seq", {"u": unit_id, "after": after})
        held = [r[0].encode("utf-8") for r in rows]
        held += [v["body"].encode("utf-8") for v in self._inflight + self._unwritten
                 if v["unit_id"] == unit_id and v["seq"] > after]
        return held

    def has_assignment(self, unit_id: str, ref: str) -> bool:
        if any(v["unit_id"] == unit_id and v["ref"] == ref and v["type"] == "assignment"
               for v in self._inflight + self._unwritten):
            return True
        return bool(self.db.query("SELECT 1 FROM field_outbox WHERE unit_id = :u AND ref = :ref "
                                  "AND type = 'assignment' LIMIT 1", {"u": unit_id, "ref": ref}))

    def set_last_cseq(self, unit_id: str, cseq: int) -> None:
        with self.db.write() as w:
            w.run(SQL_LINK, {"unit_id": unit_id, "cseq": cseq})
        self.last_cseq[unit_id] = cseq

    def rows(self, unit_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        return outbox_rows(self.store, unit_id, limit)


def outbox_rows(store: Any, unit_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The newest outbox rows (of one unit), for `field.outbox` and the console."""
    sql = "SELECT unit_id, seq, type, ref, created, acked, body FROM field_outbox"
    params: dict[str, Any] = {"limit": int(limit)}
    if unit_id:
        sql += " WHERE unit_id = :u"
        params["u"] = unit_id
    with store.read() as conn:
        rows = conn.execute(text(sql + " ORDER BY id DESC LIMIT :limit"), params).all()
    return [{"unit_id": r[0], "seq": r[1], "type": r[2], "ref": r[3], "created": r[4], "acked": r[5],
             "message": json.loads(r[6])} for r in rows]
