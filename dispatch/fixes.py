"""Stored fixes, in two tiers, read as one: every reader of fixes goes through here.

- The plain tier, table `fixes` (revision 0001): a row per fix, `unit_id, ts, lat, lon, speed, course,
  source`, readable by any program with plain SQL. The store's flush inserts every new fix here. It
  holds each unit's newest minutes (dispatch/fixseal.py: at least SEAL_AFTER_S behind the unit's newest
  fix, in whole minutes), and any fix that came in late until the next sealing.
- The sealed tier, table `fix_blocks` (revision 0004, dispatch/fixblocks.py): older fixes packed a unit's
  minute to a row, about 12 bytes a fix. A background step (fixseal.py) moves fixes from the plain
  table into blocks and deletes them from it in the same transaction, so at any commit a fix is in
  exactly one tier.

Each reader here is one SQL statement over both tables (a UNION ALL), so it reads one snapshot of the
store even on PostgreSQL at READ COMMITTED: a fix being sealed meanwhile is seen once, in one tier or the
other. Every reader gets the stored precision whichever tier holds the fix (`fixblocks.as_stored`: time to
the millisecond it falls in, position to 1e-7 degree, speed and course to 0.01), and compares times by
that millisecond in both tiers, so an answer does not change when the fix is sealed. Ties on the
millisecond: the fix stored last wins (a plain fix after a sealed one -- it came later, or it would have
been sealed with it --; within the plain table by id; within blocks by block id, then record order).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any

from dispatch.fixblocks import (
    MS_EPS,
    SPAN_MS,
    FixTuple,
    as_stored,
    last_in_blocks,
    mark,
    ms_of,
    records,
    source_names,
)

# One statement's two halves: the same 11 columns (tier, id, unit_id, time, lat, lon, fmt, data, speed,
# course, source); a block's time is t0 in milliseconds, a plain fix's its ts in seconds.
_B = "0, b.id, b.unit_id, b.t0, b.lat0, b.lon0, b.fmt, b.data, NULL, NULL, NULL"
_P = "1, f.id, f.unit_id, f.ts, f.lat, f.lon, NULL, NULL, f.speed, f.course, f.source"
_CHUNK = 500  # units per statement when a list of units is given

# (millisecond, tier, id, index in block, fix): the order every reader gives (ties: stored last comes last)
Keyed = tuple[int, int, int, int, FixTuple]


def _skip_scan(name: str, table: str) -> str:
    """A recursive CTE `name(id)` of the distinct unit ids of `table`: one index seek per unit."""
    return (f"{name}(id) AS (SELECT MIN(unit_id) FROM {table} UNION ALL "
            f"SELECT (SELECT MIN(x.unit_id) FROM {table} x WHERE x.unit_id > {name}.id) FROM {name} "
            f"WHERE {name}.id IS NOT NULL)")


def unit_ids(conn: Any) -> list[str]:
    """Every unit with at least one stored fix, in order."""
    sql = (f"WITH RECURSIVE {_skip_scan('ub', 'fix_blocks')}, {_skip_scan('up', 'fixes')} "
           "SELECT id FROM ub WHERE id IS NOT NULL UNION SELECT id FROM up WHERE id IS NOT NULL")
    return sorted(r[0] for r in conn.exec_driver_sql(sql))


def _plain_lo(lo_ms: int) -> float:
    """ms_of(ts) >= lo_ms as a bound on a plain fix's ts (ts >= this)."""
    return (lo_ms - MS_EPS) / 1000.0


def _plain_hi(hi_ms: int) -> float:
    """ms_of(ts) <= hi_ms as a bound on a plain fix's ts (ts < this)."""
    return (hi_ms + 1 - MS_EPS) / 1000.0


def _decode(conn: Any, rows: Sequence[Sequence[Any]], keep: Any) -> list[Keyed]:
    """Rows of a two-tier statement as keyed fixes; `keep(ms)` says which fixes of the window to keep (a
    block holds fixes outside it)."""
    out: list[Keyed] = []
    names: dict[int, str | None] | None = None
    for tier, rid, unit_id, t, a, b, fmt, data, sp, co, src in rows:
        if tier == 0:
            if names is None:
                names = source_names(conn)
            for k, (ms, lat, lon, s, c, sid) in enumerate(records(int(t), int(a), int(b), fmt, bytes(data))):
                if keep(ms):
                    out.append((ms, 0, rid, k, (unit_id, ms / 1000.0, lat, lon, s, c, names.get(sid))))
        else:
            ms = ms_of(t)
            if keep(ms):
                out.append((ms, 1, rid, 0, as_stored((unit_id, t, a, b, sp, co, src))))
    return out


def _bounds(t_from: float | None, t_to: float | None, from_open: bool) -> tuple[int | None, int | None]:
    """The window in a block's milliseconds."""
    lo = None if t_from is None else (math.floor(t_from * 1000.0 + MS_EPS) + 1 if from_open
                                      else math.ceil(t_from * 1000.0 - MS_EPS))
    hi = None if t_to is None else math.floor(t_to * 1000.0 + MS_EPS)
    return lo, hi


def _between(conn: Any, t_from: float | None, t_to: float | None, units: Iterable[str] | None,
             from_open: bool) -> list[Keyed]:
    m = mark(conn)
    lo, hi = _bounds(t_from, t_to, from_open)
    bw: list[str] = []
    bp: list[Any] = []
    pw: list[str] = []
    pp: list[Any] = []
    if lo is not None:
        bw.append(f"b.t0 > {m}")
        bp.append(lo - SPAN_MS - 1)
        pw.append(f"f.ts >= {m}")
        pp.append(_plain_lo(lo))
    if hi is not None:
        bw.append(f"b.t0 <= {m}")
        bp.append(hi)
        pw.append(f"f.ts < {m}")
        pp.append(_plain_hi(hi))
    chunks: list[list[str] | None] = [None]
    if units is not None:
        wanted = list(dict.fromkeys(units))
        chunks = [wanted[i:i + _CHUNK] for i in range(0, len(wanted), _CHUNK)]
    out: list[Keyed] = []
    for part in chunks:
        bc, pc = list(bw), list(pw)
        ub: list[Any] = []
        if part is not None:
            ins = ",".join([m] * len(part))
            bc.insert(0, f"b.unit_id IN ({ins})")
            pc.insert(0, f"f.unit_id IN ({ins})")
            ub = part
        sql = (f"SELECT {_B} FROM fix_blocks b WHERE {' AND '.join(bc) or '1=1'} UNION ALL "
               f"SELECT {_P} FROM fixes f WHERE {' AND '.join(pc) or '1=1'}")
        rows = conn.exec_driver_sql(sql, (*ub, *bp, *ub, *pp)).all()
        out += _decode(conn, rows, lambda ms: (lo is None or ms >= lo) and (hi is None or ms <= hi))
    return out


def fixes_between(conn: Any, t_from: float | None, t_to: float | None, units: Iterable[str] | None = None, *,
                  from_open: bool = False, order: str = "unit") -> list[FixTuple]:
    """Every stored fix with t_from <= ts <= t_to (t_from < ts with `from_open`; None: unbounded), of `units`
    (None: all), from both tiers. Ordered by unit then time (`order="unit"`) or by time (`order="time"`);
    ties in storing order."""
    keyed = _between(conn, t_from, t_to, units, from_open)
    if order == "unit":
        keyed.sort(key=lambda r: (r[4][0], r[0], r[1], r[2], r[3]))
    else:
        keyed.sort(key=lambda r: r[:4])
    return [r[4] for r in keyed]


def last_fixes(conn: Any, t: float | None, units: Iterable[str] | None = None) -> list[FixTuple]:
    """Each unit's last stored fix at or before `t` (None: the latest), ordered by unit id.

    One statement: for the sealed tier, per unit the block with the greatest t0 <= T and those that
    started less than SPAN_MS before it and end at or after it (one seek on (unit_id, t0)); for the plain
    tier, per unit the fixes of the last millisecond at or before T (a seek on (unit_id, ts) for the
    greatest ts, then its neighbours: within a millisecond the one stored last wins; skipped whole when T
    is before every plain fix, as it is for most of the history). The units: those given, or skip-scans
    of both indexes."""
    t_ms = 2**62 if t is None else math.floor(t * 1000.0 + MS_EPS)
    t_plain = 1e300 if t is None else _plain_hi(t_ms)
    m = mark(conn)
    last = f"(SELECT MAX(g.t0) FROM fix_blocks g WHERE g.unit_id = {{col}}.id AND g.t0 <= {m})"
    pick_b = (f"SELECT {_B} FROM l JOIN fix_blocks b ON b.unit_id = l.id AND b.t0 <= l.last"
              f" AND b.t0 > l.last - {SPAN_MS + 1} AND b.t1 >= l.last")
    pick_p = (f"SELECT {_P} FROM p JOIN fixes f ON f.unit_id = p.id AND f.ts < {m} AND f.ts >= p.last - 0.002")
    plast = f"(SELECT MAX(g.ts) FROM fixes g WHERE g.unit_id = {{col}}.id AND g.ts < {m})"
    rows: list[Sequence[Any]] = []
    if units is None:
        sql = (f"WITH RECURSIVE {_skip_scan('ub', 'fix_blocks')}, {_skip_scan('up', 'fixes')}, "
               f"l(id, last) AS MATERIALIZED (SELECT id, {last.format(col='ub')} FROM ub WHERE id IS NOT NULL), "
               f"p(id, last) AS MATERIALIZED (SELECT id, {plast.format(col='up')} FROM up WHERE id IS NOT NULL"
               f" AND (SELECT MIN(ts) FROM fixes) < {m}) "
               f"{pick_b} UNION ALL {pick_p}")
        rows = conn.exec_driver_sql(sql, (t_ms, t_plain, t_plain, t_plain)).all()
    else:
        wanted = list(dict.fromkeys(units))
        for i in range(0, len(wanted), _CHUNK):
            part = wanted[i:i + _CHUNK]
            sql = (f"WITH v(id) AS (VALUES {','.join([f'({m})'] * len(part))}), "
                   f"l(id, last) AS MATERIALIZED (SELECT id, {last.format(col='v')} FROM v), "
                   f"p(id, last) AS MATERIALIZED (SELECT id, {plast.format(col='v')} FROM v"
                   f" WHERE (SELECT MIN(ts) FROM fixes) < {m}) "
                   f"{pick_b} UNION ALL {pick_p}")
            rows.extend(conn.exec_driver_sql(sql, (*part, t_ms, t_plain, t_plain, t_plain)).all())
    sealed = last_in_blocks([r[1:8] for r in rows if r[0] == 0], t_ms)
    plain: dict[str, tuple[int, int, Sequence[Any]]] = {}
    for r in rows:
        if r[0] == 1:
            ms = ms_of(r[3])
            best = plain.get(r[2])
            if ms <= t_ms and (best is None or (ms, r[1]) > best[:2]):
                plain[r[2]] = (ms, r[1], r)
    names = source_names(conn) if sealed else {}
    out: list[FixTuple] = []
    for unit_id in sorted(set(sealed) | set(plain)):
        p, s = plain.get(unit_id), sealed.get(unit_id)
        if p is not None and (s is None or p[0] >= s[0]):  # a tie: the plain fix was stored later
            r = p[2]
            out.append(as_stored((unit_id, r[3], r[4], r[5], r[8], r[9], r[10])))
        elif s is not None:
            ms, lat, lon, sp, co, sid = s[3]
            out.append((unit_id, ms / 1000.0, lat, lon, sp, co, names.get(sid)))
    return out


def fixes_page(conn: Any, lo: float, hi: float, after: tuple[float, int] | None, limit: int
               ) -> tuple[list[FixTuple], tuple[float, int] | None]:
    """Fixes with lo < ts <= hi in time order, `limit` at a time: (page, cursor for the next page). `after`:
    the cursor a page gave ((time, how many fixes of that millisecond were given)), None for the first page.

    Each page reads a stretch of both tiers from the cursor on, four times longer until it holds `limit`
    fixes."""
    lo_ms, hi_ms = math.floor(lo * 1000.0 + MS_EPS) + 1, math.floor(hi * 1000.0 + MS_EPS)
    start, skip = (lo_ms, 0) if after is None else (round(float(after[0]) * 1000.0), int(after[1]))
    width = 60_000
    while True:
        end = min(hi_ms, start + width)
        got = sorted(_between(conn, start / 1000.0, end / 1000.0, None, False), key=lambda r: r[:4])
        if skip:  # the fixes of the cursor's own millisecond that a page already gave
            given = 0
            while given < skip and given < len(got) and got[given][0] == start:
                given += 1
            got = got[given:]
        if len(got) >= limit or end >= hi_ms:
            break
        width *= 4
    page = got[:limit]
    if not page:
        return [], None
    last = page[-1][0]
    same = sum(1 for r in page if r[0] == last) + (skip if last == start else 0)
    return [r[4] for r in page], (last / 1000.0, same)


def span(conn: Any) -> tuple[float, float] | None:
    """(first, last) fix time over every unit and both tiers, or None without fixes."""
    row = conn.exec_driver_sql(
        "SELECT (SELECT MIN(t0) FROM fix_blocks), "
        f"(SELECT MAX(t1) FROM fix_blocks WHERE t0 > (SELECT MAX(t0) FROM fix_blocks) - {SPAN_MS + 1}), "
        "(SELECT MIN(ts) FROM fixes), (SELECT MAX(ts) FROM fixes)").one()
    los = [v for v in (None if row[0] is None else int(row[0]) / 1000.0,
                       None if row[2] is None else ms_of(row[2]) / 1000.0) if v is not None]
    his = [v for v in (None if row[1] is None else int(row[1]) / 1000.0,
                       None if row[3] is None else ms_of(row[3]) / 1000.0) if v is not None]
    return (min(los), max(his)) if los else None


def count(conn: Any) -> int:
    """How many fixes are stored, both tiers."""
    row = conn.exec_driver_sql("SELECT (SELECT COALESCE(SUM(n), 0) FROM fix_blocks), (SELECT COUNT(*) FROM fixes)"
                               ).one()
    return int(row[0] or 0) + int(row[1] or 0)


# A plain-tier row, in the order the store buffers it (Dispatch.ingest's rows).
PLAIN_COLUMNS = ("unit_id", "ts", "lat", "lon", "speed", "course", "source")
_PLAIN_VALUES = f"({', '.join('?' * len(PLAIN_COLUMNS))})"
PLAIN_INSERT_SQL = f"INSERT INTO fixes ({', '.join(PLAIN_COLUMNS)}) VALUES {_PLAIN_VALUES}"  # sqlite3 qmarks


def insert_plain_sqlite(conn: Any, batch: Sequence[tuple[Any, ...]], stop: Callable[[], bool] | None = None) -> int:
    """New fix rows into the plain tier on SQLite, in order, by INSERTs of up to 500 rows each: executemany
    would run the one-row INSERT, AUTOINCREMENT's bookkeeping and all, once per row (about 1.7 times the time).
    With `stop`: asked after each INSERT but the last, it ends the batch early (the rows inserted so far are the
    caller's to commit). Returns how many rows were inserted."""
    get = getattr(conn.connection.dbapi_connection, "getlimit", None)  # 9: SQLITE_LIMIT_VARIABLE_NUMBER
    per = max(1, min(500, get(9) // len(PLAIN_COLUMNS))) if get is not None else 500
    for i in range(0, len(batch), per):
        chunk = batch[i : i + per]
        conn.exec_driver_sql(PLAIN_INSERT_SQL + (", " + _PLAIN_VALUES) * (len(chunk) - 1),
                             tuple(chain.from_iterable(chunk)))
        if stop is not None and i + per < len(batch) and stop():
            return i + len(chunk)
    return len(batch)
