"""Snapshots of the derived state: start-up replays only the events after the newest valid one.

A snapshot is a cache, never the truth. It is the core's `State` (units and every capability's
``state.ext`` part) pickled at one event of the log, kept in the store's ``state_snapshots`` table
(dispatch/store.py) with that event's seq and hash, a SHA-256 of the bytes and a fingerprint of the
code that built it. Start-up takes the newest snapshot only if all of these hold: same format, same
fingerprint (every source file of dispatch/: a changed applier makes every older snapshot stale), bytes intact, the event at its seq still the one it was
taken at (same hash), and it unpickles to a State through an unpickler that admits only this
program's own classes and plain containers (dispatch/pickles.py). Otherwise the state comes from the whole log, and the log
says why.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from dispatch import pickles
from dispatch.state import State
from dispatch.store import EventStore, events_table, snapshots_table

log = logging.getLogger(__name__)

FORMAT = 1
WRITE_CHUNK = 1 << 20  # bytes per write into the row (SQLite)
KEEP = 2  # snapshots kept: the newest and the one before it (a write cut short still leaves one)

_fingerprint: str | None = None


def fingerprint() -> str:
    """SHA-256 of the sources that decide what a State is: a snapshot of other code is not taken."""
    global _fingerprint
    if _fingerprint is not None:
        return _fingerprint
    # Every source of dispatch/, whichever modules this process happened to import: a snapshot saved by the
    # bench or the console and read by the hub must agree; any change to the domain code makes it stale.
    here = Path(__file__).resolve().parent
    h = hashlib.sha256(f"{FORMAT}:{sys.version_info[:2]}".encode())
    for f in sorted(here.rglob("*.py")):
        h.update(str(f.relative_to(here)).encode())
        h.update(f.read_bytes())
    _fingerprint = h.hexdigest()
    return _fingerprint


def dumps(state: State) -> bytes:
    """The state's bytes (call it under the core's lock: the state must not move while it is read)."""
    return pickles.dumps(state)


def save(store: EventStore, data: bytes, seq: int, head_hash: str) -> None:
    """Store a snapshot taken at event `seq` (off the core's lock).

    On SQLite the bytes are written into the row through its incremental blob I/O, not bound to the insert: a
    bound value stays copied inside the cached statement until that statement runs again (sqlite3_reset keeps
    the bindings), so each snapshot (tens of MB for a year's state) would sit in SQLite's heap until the next
    one."""
    digest = hashlib.sha256(data).hexdigest()
    row = {"seq": seq, "head_hash": head_hash, "created_at": time.time(), "format": FORMAT,
           "fingerprint": fingerprint(), "sha256": digest, "size": len(data)}
    with store.write() as conn:
        if store.is_sqlite:
            rowid = conn.execute(insert(snapshots_table).values(**row, data=func.zeroblob(len(data)))).inserted_primary_key[0]
            view = memoryview(data)
            with conn.connection.driver_connection.blobopen(snapshots_table.name, "data", rowid) as blob:
                for at in range(0, len(data), WRITE_CHUNK):
                    blob.write(view[at:at + WRITE_CHUNK])
        else:
            conn.execute(insert(snapshots_table).values(**row, data=data))
        keep = select(snapshots_table.c.id).order_by(snapshots_table.c.seq.desc(), snapshots_table.c.id.desc()).limit(KEEP)
        conn.execute(delete(snapshots_table).where(snapshots_table.c.id.not_in(keep.scalar_subquery())))


def load(store: EventStore) -> State | None:
    """The newest valid snapshot's state, or None (the reason logged): then replay the whole log."""
    t = snapshots_table
    fp = fingerprint()
    with store.read() as conn:
        n_all = conn.execute(select(func.count()).select_from(t)).scalar_one()
        row = conn.execute(select(t.c.id, t.c.seq, t.c.head_hash, t.c.sha256, t.c.data)
                           .where(t.c.format == FORMAT, t.c.fingerprint == fp)
                           .order_by(t.c.seq.desc(), t.c.id.desc()).limit(1)).first()
        if row is None:
            if n_all:
                log.warning("snapshot: the %d stored are of an older version of the program; replaying the whole log",
                            n_all)
            else:
                log.info("snapshot: none stored yet; replaying the whole log")
            return None
        at = conn.execute(select(events_table.c.hash).where(events_table.c.seq == row.seq)).first()
    data = bytes(row.data)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        log.warning("snapshot %d (event %d) is damaged (checksum); replaying the whole log", row.id, row.seq)
        return None
    if at is None or at[0] != row.head_hash:
        log.warning("snapshot %d was taken at event %d, which the log no longer holds as it was; "
                    "replaying the whole log", row.id, row.seq)
        return None
    try:
        state = pickles.loads(data)
    except Exception as exc:
        log.warning("snapshot %d (event %d) cannot be read (%s); replaying the whole log", row.id, row.seq, exc)
        return None
    if not isinstance(state, State) or state.last_seq != row.seq:
        log.warning("snapshot %d (event %d) is not a state of this log; replaying the whole log", row.id, row.seq)
        return None
    return state


def latest_seq(store: EventStore) -> int:
    """The seq of the newest snapshot stored (0: none)."""
    with store.read() as conn:
        return int(conn.execute(select(func.coalesce(func.max(snapshots_table.c.seq), 0))).scalar_one())
