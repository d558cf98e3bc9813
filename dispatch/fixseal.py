"""Sealing: the background step that moves fixes from the plain `fixes` table into blocks (dispatch/fixes.py).

A unit's fixes are sealed once they lie SEAL_AFTER_S behind the unit's own newest fix, in whole
minutes (the horizon is rounded down to SEAL_STEP_S): the plain table keeps each unit's newest two
to three minutes, and each sealing makes one block per unit per minute. The unit's own newest fix,
not the clock, sets the horizon: a log replayed with old times keeps its newest minutes plain too,
and a unit that stopped reporting keeps its last minutes plain (retention seals them with `before`
once they are older than the policy's period).

Each batch is one short write transaction of at most SEAL_BATCH_ROWS fixes: read them from the plain
table (a unit at a time, by the (unit_id, ts) index), pack them, insert the blocks, delete the same rows
(by the same condition, or by id for a unit the budget cut short). The first batch's transaction also reads
which units are due. Ingest never waits for more than one batch, and a pause between batches hands it the store.
A fix arriving later than its unit's horizon stays plain until the next run seals it.

`Sealer` runs `seal` every SEAL_EVERY_S in a thread of the store that writes fixes (EventStore starts it
on its first flush); several programs writing one store each run one: the write lock serialises them and
whichever comes second finds nothing left to seal. A store that wrote fixes seals once more when it is
closed, after its last flush (`seal_on_close`): a program that lives less than SEAL_EVERY_S seals too.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from itertools import takewhile
from typing import Any

from dispatch.fixblocks import FixWriter, cursor, mark, ms_of
from dispatch.runtime import Background

log = logging.getLogger(__name__)

SEAL_AFTER_S = 120.0  # a fix stays plain at least this long behind its unit's newest
SEAL_STEP_S = 60.0  # the horizon moves in whole minutes: one block per unit per minute
SEAL_BATCH_ROWS = 4000  # fixes per write transaction
GROUP_UNITS = 100  # units read by one statement when they share a horizon
SEAL_EVERY_S = 30.0
SEAL_PAUSE_S = 0.02  # between batches: the ingest's flushes get the store
SEAL_ON_CLOSE_S = 20.0  # the most a closing program spends sealing (seal_on_close)

_PLAIN_UNITS = (
    "WITH RECURSIVE up(id) AS (SELECT MIN(unit_id) FROM fixes UNION ALL "
    "SELECT (SELECT MIN(x.unit_id) FROM fixes x WHERE x.unit_id > up.id) FROM up WHERE up.id IS NOT NULL) "
    "SELECT id, (SELECT MIN(ts) FROM fixes a WHERE a.unit_id = up.id), "
    "(SELECT MAX(ts) FROM fixes z WHERE z.unit_id = up.id) FROM up WHERE id IS NOT NULL"
)


def horizon(newest: float) -> float:
    """A unit's fixes before this time are sealed, given its newest fix's time."""
    return math.floor((newest - SEAL_AFTER_S) / SEAL_STEP_S) * SEAL_STEP_S


def due(conn: Any, before: float | None = None) -> list[tuple[str, float]]:
    """(unit, horizon) of every unit with plain fixes to seal; `before`: also every fix older than that."""
    cur = cursor(conn)
    try:
        cur.execute(_PLAIN_UNITS)
        units = cur.fetchall()
    finally:
        cur.close()
    out = []
    for unit_id, lo, hi in units:
        if lo is None or hi is None or not math.isfinite(hi):
            continue
        h = horizon(hi)
        if before is not None:
            h = max(h, before)
        if lo < h:
            out.append((unit_id, h))
    return out


def _order(r: Sequence[Any]) -> tuple[str, int, int]:
    return r[1], ms_of(r[2]), r[0]  # by unit; ties in a millisecond: by id


def seal_in(conn: Any, todo: Sequence[tuple[str, float]], partitioned: bool,
            budget: int | None = None) -> tuple[int, int]:
    """Inside the caller's write transaction: move the plain fixes with ts < horizon of todo's units, in
    order, into blocks, until `budget` fixes (None: SEAL_BATCH_ROWS). Returns (units finished, fixes moved)."""
    budget = SEAL_BATCH_ROWS if budget is None else budget
    m = mark(conn)
    cur = cursor(conn)
    rows: list[tuple[Any, ...]] = []
    whole: list[tuple[str, float]] = []  # units whose fixes before the horizon are all taken
    cut: list[int] = []  # the ids taken of a unit cut short by the budget
    cols = "SELECT id, unit_id, ts, lat, lon, speed, course, source FROM fixes"
    try:
        i = 0
        while i < len(todo) and len(rows) < budget:
            room = budget - len(rows)
            # Units of one horizon, GROUP_UNITS at a time, in one statement; when they hold more than the
            # room left (a backlog), one unit at a time instead.
            h = todo[i][1]
            group = [u for u, _h in takewhile(lambda e, h=h: e[1] == h, todo[i:i + GROUP_UNITS])]
            if len(group) > 1:
                cur.execute(f"{cols} WHERE unit_id IN ({','.join([m] * len(group))}) AND ts < {m} "
                            f"ORDER BY unit_id, ts, id LIMIT {int(room) + 1}", (*group, h))
                got = cur.fetchall()
                if len(got) <= room:
                    rows += [tuple(r[1:]) for r in sorted(got, key=_order)]
                    whole += [(u, h) for u in group]
                    i += len(group)
                    continue
            unit_id = todo[i][0]
            cur.execute(f"{cols} WHERE unit_id = {m} AND ts < {m} ORDER BY ts, id LIMIT {int(room)}", (unit_id, h))
            got = sorted(cur.fetchall(), key=_order)
            rows += [tuple(r[1:]) for r in got]
            if len(got) < room:
                whole.append((unit_id, h))
                i += 1
            else:
                cut = [r[0] for r in got]
        if rows:
            FixWriter(partitioned).write(conn, rows)
            # The same rows out of the plain table: under the write lock nothing else came in meanwhile.
            cur.executemany(f"DELETE FROM fixes WHERE unit_id = {m} AND ts < {m}", whole)
            if cut:
                cur.execute(f"DELETE FROM fixes WHERE id IN ({','.join([m] * len(cut))})", cut)
    finally:
        cur.close()
    return len(whole), len(rows)


def seal_due_in(conn: Any, partitioned: bool, before: float | None = None) -> int:
    """Everything `due` sealed inside the caller's one transaction (a bench or a tool building a store
    offline; the store's own background uses `seal`, a short transaction per batch)."""
    todo = due(conn, before)
    moved = i = 0
    while i < len(todo):
        done, n = seal_in(conn, todo[i:], partitioned)
        i += max(done, 0 if n else 1)
        moved += n
    return moved


def seal(store: Any, *, before: float | None = None, stop: threading.Event | None = None,
         until: float | None = None) -> int:
    """Seal what is due in `store` (an EventStore), batch by batch. Returns how many fixes moved.
    `stop` set, or `until` (a time.monotonic()) passed, ends it between batches: the rest waits for the next run."""
    moved = i = 0
    todo: list[tuple[str, float]] | None = None
    while todo is None or i < len(todo):
        with store.write() as conn:
            if todo is None:
                # What is due is read in the first batch's transaction: on the connection that writes, never
                # beside another writer's (a read during a write opens one more pooled connection, with its
                # own page cache and statements, for the process's life), and against what the write lock
                # has settled (another program's sealer that went first leaves nothing due).
                todo = due(conn, before)
                if not todo:
                    break
            done, n = seal_in(conn, todo[i:], partitioned=not store.is_sqlite)
        i += max(done, 0 if n else 1)
        moved += n
        if until is not None and time.monotonic() >= until and i < len(todo):
            log.info("store: %d fixes sealed into blocks on closing; %d units' older fixes stay plain until "
                     "the next program that writes this store seals them", moved, len(todo) - i)
            break
        if stop is None:
            time.sleep(SEAL_PAUSE_S)
        elif stop.wait(SEAL_PAUSE_S):
            break
    if moved:
        log.debug("store: %d fixes sealed into blocks", moved)
    return moved


def seal_on_close(store: Any) -> int:
    """The last sealing of a program that wrote fixes, once its last fixes are flushed: what is due now goes
    into blocks (a short-lived writer -- `main.py ingest` of a day's log, a tool -- would otherwise leave
    everything it wrote plain until another program's background sealed it), for at most SEAL_ON_CLOSE_S.
    A failure is logged, never raised: the fixes are stored either way, plain."""
    try:
        return seal(store, until=time.monotonic() + SEAL_ON_CLOSE_S)
    except Exception as exc:
        log.warning("store: sealing fixes into blocks on closing failed; they stay plain until the next "
                    "program that writes this store seals them: %s", exc)
        return 0


class Sealer(Background):
    """The background thread of `seal`: every SEAL_EVERY_S until `stop()`."""

    NAME = "fix-sealer"
    JOIN_S = 30.0

    def __init__(self, store: Any) -> None:
        self.store = store
        self._failed = False
        super().__init__()

    def _loop(self) -> None:
        while not self._stop.wait(SEAL_EVERY_S):
            try:
                seal(self.store, stop=self._stop)
                self._failed = False
            except Exception as exc:  # the store away for a while: the fixes stay plain, tried again later
                if not self._failed:
                    log.warning("store: sealing old fixes into blocks failed (tried again in %g s): %s",
                                SEAL_EVERY_S, exc)
                self._failed = True
