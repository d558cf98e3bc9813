"""The store's write transaction and what a lost database looks like (split from dispatch/store.py).

`WriteTx` is `EventStore.write()`: one transaction serialised against every other writer (SQLite BEGIN
IMMEDIATE, PostgreSQL a transaction-level advisory lock). A connection the server dropped while pooled is
replaced (pool_pre_ping) and one lost before the write began is tried once more; a write that loses its
connection raises `StoreUnavailable`, naming the store and saying whether anything was recorded.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

log = logging.getLogger("dispatch.store")


def label(url: str) -> str:
    """The URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


class StoreError(Exception):
    """The store cannot be opened or is not ours (e.g. a newer schema)."""


class StoreUnavailable(StoreError):
    """The store's server cannot be reached (PostgreSQL restarting, the network cut) or dropped the
    connection of a write transaction. `recorded` is False when the transaction was certainly not
    committed (nothing of it is in the log) and None when the connection was lost at the commit itself
    (the server may or may not have committed it: the log, read again, says)."""

    def __init__(self, message: str, recorded: bool | None = False) -> None:
        super().__init__(message)
        self.recorded = recorded


def is_disconnect(exc: BaseException) -> bool:
    """Whether `exc` is the database being unreachable or a connection lost (not a bad statement)."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(exc, DBAPIError) and (exc.connection_invalidated or isinstance(exc, OperationalError))


def store_lost(exc: BaseException) -> bool:
    """`exc` says the store is unreachable (a StoreUnavailable, or the driver's own disconnect error)."""
    return isinstance(exc, StoreUnavailable) or is_disconnect(exc)


def unavailable(url: str, exc: BaseException, recorded: bool | None = False) -> StoreUnavailable:
    """The clear error for a lost store: which store, what the driver said, whether anything was written."""
    orig = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    what = orig[0] if orig else type(exc).__name__
    tail = ("nothing of this command was recorded; try again once the store is back" if recorded is False
            else "the connection was lost at the commit: whether this command was recorded shows in the log "
                 "once the store is back")
    return StoreUnavailable(f"the store {label(url)} is unavailable ({what}): {tail}", recorded)


WRITER_WAIT_S = 30.0  # as long as SQLite's busy timeout; then the write goes on and SQLite decides


WAL_SWITCH_WAIT_S = 30.0


def sqlite_wal(cur: Any) -> None:
    """Put a new connection's database in WAL mode (once set, the file keeps it). SQLite answers "database is
    locked" at once, without its busy handler, when another connection is switching the same fresh file or
    closing the file's last connection at that moment (several programs opening a new store together):
    tried again for up to WAL_SWITCH_WAIT_S, as the busy timeout would."""
    import sqlite3

    deadline = time.monotonic() + WAL_SWITCH_WAIT_S
    pause = 0.002
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def take_writer(store: Any) -> bool:
    """This process's writer lock of a SQLite store (`EventStore.writer`); False: not taken (not SQLite, or
    another writer held it for WRITER_WAIT_S: SQLite's own lock decides, as without it). A writer that has to
    wait says so in `store.writers_waiting` while it waits (the fix writer lets it in between two chunks)."""
    lock = getattr(store, "writer", None) if getattr(store, "is_sqlite", False) else None
    if lock is None:
        return False
    if lock.acquire(blocking=False):
        return True
    waiting = getattr(store, "writers_waiting", None)
    moved = getattr(store, "writers_moved", None)
    if waiting is None or moved is None:
        return bool(lock.acquire(timeout=WRITER_WAIT_S))
    me = threading.get_ident()
    with moved:
        waiting.append(me)
    try:
        return bool(lock.acquire(timeout=WRITER_WAIT_S))
    finally:
        with moved:
            waiting.remove(me)
            moved.notify_all()


YIELD_WAIT_S = 0.05  # at most this long between two chunks of fixes for the writers that wait to go first


def let_writers_in(store: Any) -> None:
    """Between two transactions of a long write (the fixes' chunks): the writers of this process that wait for
    the store take it first (each waiter is off the list once it holds the lock); at most YIELD_WAIT_S, and
    never by a thread that holds the store itself (they would wait for it)."""
    waiting = getattr(store, "writers_waiting", None)
    moved = getattr(store, "writers_moved", None)
    if not waiting or moved is None or store.writer._is_owned():
        return
    with moved:
        moved.wait_for(lambda: not waiting, YIELD_WAIT_S)


class WriteTx:
    def __init__(self, store: Any) -> None:  # an EventStore
        self.store = store
        self.conn: Connection | None = None
        self.tx: Any = None
        self.held = False

    def __enter__(self) -> Connection:
        self.held = take_writer(self.store)
        try:
            return self._begin()
        except BaseException:
            self._let_go()
            raise

    def _let_go(self) -> None:
        if self.held:
            self.held = False
            self.store.writer.release()

    def _begin(self) -> Connection:
        # A connection the server dropped while it sat in the pool (PostgreSQL restarted, an idle session
        # terminated) is caught by pool_pre_ping; one lost between the ping and the lock is tried once more.
        # Nothing has been written yet either way.
        for attempt in (1, 2):
            conn = None
            try:
                conn = self.store.engine.connect().execution_options(write=True)
                self.tx = conn.begin()
                if not self.store.is_sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(80800808)"))
                self.conn = conn
                return conn
            except Exception as exc:
                if conn is not None:
                    _close_quietly(conn)
                if not is_disconnect(exc):
                    raise
                if attempt == 2 or not getattr(exc, "connection_invalidated", False):
                    raise unavailable(self.store.url, exc) from exc
                log.warning("store: a connection was lost before the write began; trying once more")
        raise AssertionError("unreachable")

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        assert self.conn is not None
        try:
            if exc_type is None:
                try:
                    self.tx.commit()
                except Exception as err:
                    if is_disconnect(err):
                        raise unavailable(self.store.url, err, recorded=None) from err
                    raise
            else:
                try:
                    self.tx.rollback()
                except Exception:  # the connection is gone: the server rolls the transaction back itself
                    log.debug("store: rollback on a lost connection", exc_info=True)
                if exc is not None and is_disconnect(exc):
                    raise unavailable(self.store.url, exc) from exc
        finally:
            _close_quietly(self.conn)
            self._let_go()


def _close_quietly(conn: Connection) -> None:
    try:
        conn.close()
    except Exception:
        log.debug("store: closing a lost connection", exc_info=True)
