"""The event store: one append-only, hash-chained log of every change, plus the stored fixes.

Every change in the system is an `Event` (who, when, what) appended here; current state is
derived from the log (see dispatch/state.py). Positions are too many to be events, so fixes
go to their own table in batches (at most `flush_interval` seconds held in memory), the older ones
sealed into compact blocks in the background (dispatch/fixseal.py; read as one: dispatch/fixes.py).

The same code runs on an embedded SQLite file and on PostgreSQL for a multi-seat centre.
Appends are serialised across processes (SQLite: BEGIN IMMEDIATE; PostgreSQL: a
transaction-level advisory lock) so the hash chain stays linear when a console, a headless
hub and `ctl --db` write to the same store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection, Engine

from dispatch import fixblocks, fixes, fixseal
from dispatch.fixbuffer import FixBuffer
from dispatch.storetx import (  # noqa: F401 -- StoreError and the outage helpers are the store's words too
    StoreError,
    StoreUnavailable,
    WriteTx,
    is_disconnect,
    let_writers_in,
    sqlite_wal,
    store_lost,
    unavailable,
)
from dispatch.storetx import label as _label

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
GENESIS_HASH = "0" * 64
# SQLite WAL checkpoints: left to SQLite, every 1,000 pages one committing connection copies the WAL
# back into the database and fsyncs it (~15 ms here) inside that commit -- the tail of every latency on
# the write path (an operation, the hub's outbox). A background thread per store checkpoints instead
# (PASSIVE: never blocks a reader or a writer) every CHECKPOINT_EVERY_S; the connections' own
# auto-checkpoint stays as a safety net far above what the WAL grows to in that time.
WAL_AUTOCHECKPOINT_PAGES = 20_000
CHECKPOINT_EVERY_S = 0.2
# Fixes a transaction on SQLite (a flush's batch in chunks): an event that waits for the store waits for one
# chunk, ~4 ms, not the whole batch (dispatch/fixbuffer.py)
FIX_CHUNK = 2500

PG_CONNECT_ARGS = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                   "keepalives_count": 3}  # libpq's, for PostgreSQL (see make_engine)

metadata = MetaData()

events_table = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),  # UTC epoch seconds
    Column("actor", String(64), nullable=False),  # "dispatcher:wang", "unit:boat-01", "system"
    Column("kind", String(64), nullable=False),  # "incident.created", "unit.registered" ...
    Column("entity", String(64), nullable=True),  # "incident:12", "unit:boat-01"
    Column("payload", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_events_ts", "ts"),
    Index("ix_events_entity", "entity"),
)

# Fixes in two tiers read as one (dispatch/fixes.py): this plain table takes every new fix and keeps each
# unit's newest minutes; older ones are sealed into `fix_blocks` in the background (dispatch/fixseal.py).
fixes_table = Table(
    "fixes",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("unit_id", String(64), nullable=False),
    Column("ts", Float, nullable=False),  # UTC epoch seconds of the fix
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("speed", Float, nullable=True),  # m/s
    Column("course", Float, nullable=True),  # degrees
    Column("source", String(64), nullable=True),
    Index("ix_fixes_unit_ts", "unit_id", "ts"),
    Index("ix_fixes_ts", "ts"),
)


fix_blocks_table, fix_sources_table = fixblocks.tables(metadata)  # the sealed tier (revision 0004)

meta_table = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# ---------------------------------------------------------------- derived tables (caches, never the truth)
# Derived tables beyond the log (their revisions in dispatch/migrations/versions):
#   state_snapshots (issue 21, revision 0003): the derived state pickled at one event (dispatch/snapshot.py);
#   dropping every row loses nothing but start-up time.
snapshots_table = Table(
    "state_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),  # the last event the state includes
    Column("head_hash", String(64), nullable=False),  # that event's hash: the snapshot belongs to this log
    Column("created_at", Float, nullable=False),
    Column("format", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),  # the code that built it (dispatch.snapshot.fingerprint)
    Column("sha256", String(64), nullable=False),  # of data
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Index("ix_state_snapshots_seq", "seq"),
)


def canonical_json(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_hash(prev_hash: str, seq: int, ts: float, actor: str, kind: str, entity: str | None, payload: str) -> str:
    """The chain link: SHA-256 over the previous hash and every column of the event."""
    h = hashlib.sha256()
    for part in (prev_hash, str(seq), repr(float(ts)), actor, kind, entity or "", payload):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    ts: float
    actor: str
    kind: str
    entity: str | None
    payload: dict[str, Any]
    hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.ts,
            "actor": self.actor,
            "kind": self.kind,
            "entity": self.entity,
            "payload": self.payload,
        }


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event not yet stored: what a command decided to record."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    entity: str | None = None


@dataclass(frozen=True, slots=True)
class FixRow:
    unit_id: str
    ts: float
    lat: float
    lon: float
    speed: float | None = None
    course: float | None = None
    source: str | None = None


def events_after(conn: Connection, after_seq: int) -> Iterator[Event]:
    """Every event after `after_seq`, in order, read inside `conn` (a transaction the caller holds).

    The load and catch-up path: the driver's own cursor, fetched in chunks, with no per-row work but
    the JSON -- replaying a long log is linear in its length and cheap per event.
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute("SELECT seq, ts, actor, kind, entity, payload, hash FROM events "
                    f"WHERE seq > {mark} ORDER BY seq", (after_seq,))
        loads = json.loads
        while True:
            chunk = cur.fetchmany(5000)
            if not chunk:
                return
            for seq, ts, actor, kind, entity, payload, h in chunk:
                yield Event(seq, ts, actor, kind, entity, loads(payload), h)
    finally:
        cur.close()


def default_db_url() -> str:
    import platformdirs

    folder = Path(platformdirs.user_data_dir("liuzhou-console", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'console.db'}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        file_backed = url.startswith("sqlite:///") and url != "sqlite:///:memory:"
        if file_backed:
            Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # LIFO: serial work keeps to the connection returned last. A connection opened while another was in use
        # (a read during a write) then waits idle in the pool instead of taking every other turn: the store's
        # pages stay in one connection's cache, which its own commits keep valid (in WAL mode a connection
        # drops its whole cache when another one wrote), and the process does not keep one more full cache
        # for each connection the pool ever opened.
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               **({"pool_use_lifo": True} if file_backed else {}))

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take transaction control away from the driver so BEGIN IMMEDIATE is ours to issue.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            sqlite_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")  # see WAL_AUTOCHECKPOINT_PAGES
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            if conn.get_execution_options().get("write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    # A server that went away silently (a host down, a cable cut) must not hold a command -- and the core's
    # lock -- for the kernel's TCP timeouts (minutes): a connection attempt gives up after PG_CONNECT_TIMEOUT_S
    # and a connection in use whose server stopped answering is declared dead within about half a minute.
    # Settings given in the URL win.
    from sqlalchemy.engine import make_url

    given = make_url(url).query
    connect_args = {k: v for k, v in PG_CONNECT_ARGS.items() if k not in given}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


class EventStore:
    """Append-only event log and fixes table over one SQLAlchemy engine. Thread-safe."""

    def __init__(self, url: str, *, flush_interval: float = 1.0) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.flush_interval = flush_interval
        # SQLite in memory: one database per connection, so no thread of the store's may open its own
        self.in_memory = self.engine.url.database in (None, "", ":memory:")
        # written behind the ingest by a thread of the store's (dispatch/fixbuffer.py)
        # (on SQLite in chunks, an event waiting for the store written between two: dispatch/fixbuffer.py)
        self.fixbuf = FixBuffer(self._write_fixes, flush_interval, background=not self.in_memory,
                                chunk=FIX_CHUNK if self.is_sqlite else 0, yield_to=lambda: let_writers_in(self))
        # One writer at a time within this process (SQLite): a write that meets another of this process waits
        # for its commit here, not in SQLite's busy handler, which sleeps 1, 2, 5, 10 ms between tries (the
        # hub's outbox write meeting the feed's flush of fixes lost milliseconds). Other processes: SQLite's.
        self.writer = threading.RLock()
        self.writers_waiting: list[int] = []  # threads waiting for `writer` (dispatch/storetx.py take_writer)
        self.writers_moved = threading.Condition()  # guards writers_waiting; notified when a waiter leaves it
        self._probe: Any = None  # see head_seq()
        self._probe_lock = threading.Lock()
        self._migrate()
        self._check_schema()
        self._sealer: fixseal.Sealer | None = None  # started by the first flush that writes fixes
        self._wrote_fixes = False  # this store wrote fixes: it seals once more on close (fixseal.seal_on_close)
        self._closing = False
        self._sealer_lock = threading.Lock()  # _sealer and _closing
        self._checkpointer: threading.Thread | None = None
        self._checkpoint_stop = threading.Event()
        if self.is_sqlite and not self.in_memory:
            self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="sqlite-checkpoint", daemon=True)
            self._checkpointer.start()

    # ----------------------------------------------------------------- schema
    def _migrate(self) -> None:
        """Create or upgrade the schema to this program's revision (dispatch/migrations); refuse a newer one."""
        from dispatch import migrations

        try:
            migrations.upgrade(self, label=_label(self.url))
        except migrations.SchemaTooNew as exc:
            self.engine.dispose()
            raise StoreError(str(exc)) from None

    def ensure_schema(self) -> None:
        """Check that every table the loaded capabilities keep beside the log exists.

        Tables are made by migrations only (dispatch/migrations/versions); a table a capability
        declares without a revision is a programming error, named here rather than created ad hoc.
        """
        from sqlalchemy import inspect

        missing = sorted(set(metadata.tables) - set(inspect(self.engine).get_table_names()))
        if missing:
            raise StoreError(f"the store {_label(self.url)} lacks table(s) {', '.join(missing)}: no migration "
                             "creates them (add a revision under dispatch/migrations/versions)")

    def _check_schema(self) -> None:
        with self.write() as conn:
            row = conn.execute(select(meta_table.c.value).where(meta_table.c.key == "schema_version")).first()
            if row is None:
                conn.execute(insert(meta_table).values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"the store {self.url} has schema version {row[0]}, newer than this program's {SCHEMA_VERSION}"
                )

    def write(self) -> Any:
        """A write transaction, serialised against every other writer of this store."""
        return WriteTx(self)

    def read(self) -> Any:
        return self.engine.connect()

    # ----------------------------------------------------------------- events
    def append(self, actor: str, items: Sequence[NewEvent], *, ts: float | None = None) -> list[Event]:
        """Append events atomically, chained to the last stored one. Returns them with seq and hash."""
        if not items:
            return []
        ts = time.time() if ts is None else ts
        with self.write() as conn:
            return self.append_in(conn, actor, items, ts=ts)

    def append_in(self, conn: Connection, actor: str, items: Sequence[NewEvent], *, ts: float,
                  head: tuple[int, str] | None = None) -> list[Event]:
        """Append inside a write transaction the caller holds (so a check and its event are atomic).

        ``head``: the (seq, hash) of the last stored event, when the caller has just read every event
        inside this same transaction (the core's catch-up does); otherwise it is read here.
        """
        if head is None:
            last = conn.execute(
                select(events_table.c.seq, events_table.c.hash).order_by(events_table.c.seq.desc()).limit(1)
            ).first()
            head = (last[0], last[1]) if last else (0, GENESIS_HASH)
        seq, prev = head
        out: list[Event] = []
        rows = []
        for item in items:
            seq += 1
            body = canonical_json(item.payload)
            h = event_hash(prev, seq, ts, actor, item.kind, item.entity, body)
            rows.append(
                {
                    "seq": seq,
                    "ts": ts,
                    "actor": actor,
                    "kind": item.kind,
                    "entity": item.entity,
                    "payload": body,
                    "prev_hash": prev,
                    "hash": h,
                }
            )
            out.append(Event(seq, ts, actor, item.kind, item.entity, item.payload, h))
            prev = h
        conn.execute(insert(events_table), rows)
        return out

    def events(
        self,
        after_seq: int = 0,
        *,
        until_ts: float | None = None,
        from_ts: float | None = None,
        entity: str | None = None,
        kinds: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> Iterator[Event]:
        q = select(events_table).where(events_table.c.seq > after_seq).order_by(events_table.c.seq)
        if until_ts is not None:
            q = q.where(events_table.c.ts <= until_ts)
        if from_ts is not None:
            q = q.where(events_table.c.ts >= from_ts)
        if entity is not None:
            q = q.where(events_table.c.entity == entity)
        if kinds is not None:
            q = q.where(events_table.c.kind.in_(list(kinds)))
        if limit is not None:
            q = q.limit(limit)
        with self.read() as conn:
            for r in conn.execute(q):
                yield Event(r.seq, r.ts, r.actor, r.kind, r.entity, json.loads(r.payload), r.hash)

    def last_seq(self) -> int:
        with self.read() as conn:
            return int(conn.execute(select(func.coalesce(func.max(events_table.c.seq), 0))).scalar_one())

    def head_seq(self) -> int:
        """The last stored event's seq, cheaply: what `Dispatch.refresh` asks before it reads anything.

        On SQLite one open connection answers from the index without a transaction (WAL readers see
        the last commit); elsewhere it is `last_seq()`.
        """
        if not self.is_sqlite or self.in_memory:
            return self.last_seq()
        with self._probe_lock:
            if self._probe is None:
                import sqlite3

                path = self.engine.url.database or ""
                self._probe = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            row = self._probe.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def _checkpoint_loop(self) -> None:
        """PASSIVE checkpoints off every write path (see WAL_AUTOCHECKPOINT_PAGES); its own connection."""
        import sqlite3

        conn = sqlite3.connect(self.engine.url.database or "", isolation_level=None, check_same_thread=False,
                               timeout=30)
        try:
            conn.execute("PRAGMA wal_autocheckpoint=0")  # this connection never writes anyway
            while not self._checkpoint_stop.wait(CHECKPOINT_EVERY_S):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()  # nothing new: a no-op
                except sqlite3.Error:
                    log.debug("store: background checkpoint failed", exc_info=True)
        finally:
            conn.close()

    # ------------------------------------------------------------------ fixes
    def add_fixes(self, rows: Iterable[FixRow]) -> None:
        """Buffer fixes; they are written in one batch at most `flush_interval` seconds later."""
        # Plain tuples (a FixRow's fields in column order): cheaper to build than dicts, and
        # SQLite takes them straight through the driver.
        self.fixbuf.add([(r.unit_id, r.ts, r.lat, r.lon, r.speed, r.course, r.source) for r in rows])

    def add_rows(self, rows: list[tuple[Any, ...]]) -> None:
        """`add_fixes` for rows that are already tuples in column order (unit_id, ts, lat, lon,
        speed, course, source): the core's ingest hands its batch over as it is."""
        self.fixbuf.add(rows)

    def flush(self) -> int:
        """Write buffered fixes in one transaction, after any write under way. Returns how many were written."""
        return self.fixbuf.flush()

    def flush_soon(self) -> None:
        """Have the buffered fixes written soon, by the store's writer thread where it has one (see fixbuffer)."""
        self.fixbuf.request()

    def _write_fixes(self, batch: Sequence[tuple[Any, ...]]) -> int:
        """The rows (or, on SQLite, their first part, when another writer of the process waits for the store:
        it then waits for at most one INSERT of them) in one transaction. Returns how many are stored."""
        with self.write() as conn:
            if self.is_sqlite:
                n = fixes.insert_plain_sqlite(conn, batch, stop=lambda: bool(self.writers_waiting))
            else:
                conn.execute(insert(fixes_table), [dict(zip(fixes.PLAIN_COLUMNS, row, strict=True)) for row in batch])
                n = len(batch)
        self._wrote_fixes = True
        with self._sealer_lock:  # older fixes into blocks in the background from now on (dispatch/fixseal.py)
            if self._sealer is None and not self._closing and not self.in_memory:
                self._sealer = fixseal.Sealer(self).start()
        return n

    def pending_fixes(self) -> int:
        return self.fixbuf.pending()

    def latest_fixes(self, at: float | None = None, units: Iterable[str] | None = None) -> dict[str, FixRow]:
        """The last stored fix of every unit (or of `units`) at or before `at` (now if None).

        Both tiers (dispatch/fixes.py): one index seek per unit in each, never a scan of the history.
        """
        self.flush()
        with self.read() as conn:
            return {r[0]: FixRow(*r) for r in fixes.last_fixes(conn, at, units)}

    def close(self) -> None:
        self._checkpoint_stop.set()
        with self._sealer_lock:
            self._closing = True
        self.fixbuf.close()
        if self._sealer is not None:
            self._sealer.stop()
        if self._checkpointer is not None:
            self._checkpointer.join(5)
        try:
            self.flush()
            if self._wrote_fixes and not self.in_memory:
                fixseal.seal_on_close(self)
        finally:
            with self._probe_lock:
                if self._probe is not None:
                    self._probe.close()
                    self._probe = None
            self.engine.dispose()
