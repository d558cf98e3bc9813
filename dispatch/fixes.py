"""Stored fixes in blocks: a unit's fixes of up to 65 s packed into one row, about 12 bytes a fix.

A row of `fix_blocks` holds one unit's consecutive fixes whose times lie within SPAN_MS of the
block's first fix (`t0`, integer milliseconds). A year of 2,000 units is then billions of fixes
but a few hundred million rows fewer, and each fix costs its record, not a row with its own
header, id and two index entries (107 bytes a fix before revision 0004, under 32 now: bench
`replay_bytes_per_fix`).

Precision kept (what every reader gets back): time to the millisecond, latitude and longitude to
1e-7 degree (about 1 cm), speed to 0.01 m/s, course to 0.01 degree.

Formats of `data` (column `fmt`):
- FMT_COMPACT: records `<HhhHHH`: milliseconds after t0; latitude and longitude in 1e-7 degree as
  the difference from the record before (the first from `lat0`/`lon0`, the block's columns);
  speed in cm/s and course in 0.01 degree (0xFFFF: none); the source's id in `fix_sources`
  (0: none). A fix whose step from the one before does not fit 16 bits starts a new block.
- FMT_WIDE: records `<HddddH`: milliseconds after t0, latitude, longitude, speed, course as
  doubles (NaN: none), the source's id. For the rare fix whose speed or course a compact
  record cannot hold (negative, 655 m/s or more): kept as it came, never refused.

Every fix of a block is at or after its t0 and at most SPAN_MS after it, so the last fix of a
unit at or before T is in the block with the greatest t0 <= T or in one that started less than
SPAN_MS before that one and ends (`t1`, its latest fix) at or after it: one index seek on
(unit_id, t0) per unit, whatever the history's length. Ties on time: the fix stored last wins
(the later record of a block, the block with the greater id).

On PostgreSQL `fix_blocks` is partitioned by day of t0 (declarative range partitioning; a day's
partition is created by the first write that needs it, under the store's write lock).
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SPAN_MS = 65_535
MAX_RECORDS = 128
FMT_COMPACT = 1
FMT_WIDE = 2
NONE16 = 0xFFFF
COMPACT = struct.Struct("<HhhHHH")
WIDE = struct.Struct("<HddddH")
_WORDS = {FMT_COMPACT: COMPACT.size // 2, FMT_WIDE: WIDE.size // 2}  # a record's length in 16-bit words
_BIG_ENDIAN = sys.byteorder == "big"
DAY_MS = 86_400_000
PARTITION_PREFIX = "fix_blocks_d"
# A time in epoch seconds times 1000 is off by up to ~2.4e-4 ms (a double's precision at 1.8e12): a bound
# within a microsecond of a stored millisecond counts as that millisecond.
MS_EPS = 1e-3

# A fix as every reader gets it: (unit_id, ts, lat, lon, speed, course, source).
FixTuple = tuple[str, float, float, float, float | None, float | None, str | None]


def mark(conn: Any) -> str:
    """The driver's placeholder: `conn` is a SQLAlchemy connection or a plain sqlite3 one."""
    dialect = getattr(conn, "dialect", None)
    return "?" if dialect is None or dialect.paramstyle == "qmark" else "%s"


def _cursor(conn: Any) -> Any:
    dialect = getattr(conn, "dialect", None)
    return conn.cursor() if dialect is None else conn.connection.dbapi_connection.cursor()


def partition_name(t0_ms: int) -> str:
    return PARTITION_PREFIX + datetime.fromtimestamp(t0_ms // DAY_MS * 86_400, UTC).strftime("%Y%m%d")


def ensure_partition(conn: Any, t0_ms: int) -> None:
    """PostgreSQL: the day partition of `fix_blocks` that holds t0_ms (created if missing)."""
    day = t0_ms // DAY_MS * DAY_MS
    conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {partition_name(t0_ms)} PARTITION OF fix_blocks "
                         f"FOR VALUES FROM ({day}) TO ({day + DAY_MS})")


# ------------------------------------------------------------------------------------- encoding
def as_stored(row: Sequence[Any]) -> FixTuple:
    """A fix (unit_id, ts, lat, lon, speed, course, source) as a reader gets it back: at the stored precision."""
    unit_id, ts, lat, lon, speed, course, source = row
    sp, co = _q16(speed, 100.0), _q16(course, 100.0)
    if sp is None or co is None:  # a wide record keeps them whole
        return (unit_id, round(ts * 1000.0) / 1000.0, lat, lon, speed, course, source)
    return (unit_id, round(ts * 1000.0) / 1000.0, round(lat * 1e7) / 1e7, round(lon * 1e7) / 1e7,
            None if sp == NONE16 else sp / 100.0, None if co == NONE16 else co / 100.0, source)


def _q16(v: float | None, scale: float) -> int | None:
    """A speed or course in a compact record's 16 bits (NONE16 for none); None if it does not fit."""
    if v is None:
        return NONE16
    if not math.isfinite(v):
        return None
    q = round(v * scale)
    return q if 0 <= q < NONE16 else None


@dataclass(slots=True)
class Block:
    """One unit's block being written: its records so far (the whole row is rewritten on each flush)."""

    id: int | None
    unit_id: str
    t0: int
    t1: int
    lat: int  # the last record's latitude (1e-7 degree): the next record's step is from here
    lon: int
    lat0: int
    lon0: int
    fmt: int
    n: int
    data: bytearray


def _new_block(unit_id: str, ms: int, lat7: int, lon7: int, fmt: int) -> Block:
    return Block(None, unit_id, ms, ms, lat7, lon7, lat7 if fmt == FMT_COMPACT else 0,
                 lon7 if fmt == FMT_COMPACT else 0, fmt, 0, bytearray())


class FixWriter:
    """Packs fixes into blocks inside the caller's write transaction. One per store; not thread-safe
    (the store calls it under its flush lock).

    Each unit's open block stays in memory and is rewritten whole when fixes join it; a block
    closes when a fix does not fit (more than SPAN_MS after t0 or before it, a step too large,
    MAX_RECORDS reached). After a failed transaction `forget()` drops the open blocks: the next
    fixes start new ones.
    """

    def __init__(self, partitioned: bool) -> None:
        self.partitioned = partitioned
        self.open: dict[str, Block] = {}
        self.source_ids: dict[str, int] = {}
        self._days: set[int] = set()

    def forget(self) -> None:
        self.open.clear()
        self.source_ids.clear()
        self._days.clear()

    def _sources(self, conn: Any, names: Iterable[str | None]) -> None:
        missing = {n for n in names if n is not None and n not in self.source_ids}
        if not missing:
            return
        m = mark(conn)
        cur = _cursor(conn)
        try:
            cur.execute("SELECT id, name FROM fix_sources")
            self.source_ids.update({name: i for i, name in cur.fetchall()})
            for name in sorted(missing - set(self.source_ids)):
                cur.execute(f"INSERT INTO fix_sources (name) VALUES ({m}) RETURNING id", (name,))
                self.source_ids[name] = cur.fetchone()[0]
        finally:
            cur.close()

    def write(self, conn: Any, rows: Sequence[Sequence[Any]]) -> None:
        """Store `rows` (unit_id, ts, lat, lon, speed m/s, course, source) in blocks, inside `conn`'s transaction."""
        self._sources(conn, {r[6] for r in rows})
        pack, put, opened, sids = self.pack, COMPACT.pack, self.open, self.source_ids
        touched: dict[int, Block] = {}
        for row in rows:
            # The usual fix: the next record of its unit's open compact block (the rest: `pack`).
            unit_id, ts, lat, lon, speed, course, source = row
            b = opened.get(unit_id)
            if b is not None and b.fmt == FMT_COMPACT and speed is not None and course is not None:
                try:
                    off = round(ts * 1000.0) - b.t0
                    lat7, lon7 = round(lat * 1e7), round(lon * 1e7)
                    sp, co = round(speed * 100.0), round(course * 100.0)
                except (ValueError, OverflowError):  # NaN or infinite: `pack` keeps it whole
                    b = pack(row)
                    touched[id(b)] = b
                    continue
                dla, dlo = lat7 - b.lat, lon7 - b.lon
                if (0 <= off <= SPAN_MS and b.n < MAX_RECORDS and -32768 <= dla <= 32767 and -32768 <= dlo <= 32767
                        and 0 <= sp < NONE16 and 0 <= co < NONE16):
                    b.data += put(off, dla, dlo, sp, co, 0 if source is None else sids[source])
                    b.lat, b.lon = lat7, lon7
                    b.n += 1
                    if off + b.t0 > b.t1:
                        b.t1 = off + b.t0
                    touched[id(b)] = b
                    continue
            b = pack(row)
            touched[id(b)] = b
        self._store(conn, list(touched.values()))

    def pack(self, row: Sequence[Any]) -> Block:
        """Add one fix (unit_id, ts, lat, lon, speed, course, source) to its unit's open block (or a new one)."""
        unit_id, ts, lat, lon, speed, course, source = row
        ms = round(ts * 1000.0)
        lat7, lon7 = round(lat * 1e7), round(lon * 1e7)
        sid = 0 if source is None else self.source_ids[source]
        sp, co = _q16(speed, 100.0), _q16(course, 100.0)
        fmt = FMT_COMPACT if sp is not None and co is not None else FMT_WIDE
        b = self.open.get(unit_id)
        if (b is None or b.fmt != fmt or ms < b.t0 or ms - b.t0 > SPAN_MS or b.n >= MAX_RECORDS
                or (fmt == FMT_COMPACT and not (-32768 <= lat7 - b.lat <= 32767 and -32768 <= lon7 - b.lon <= 32767))):
            b = self.open[unit_id] = _new_block(unit_id, ms, lat7, lon7, fmt)
        if fmt == FMT_COMPACT:
            b.data += COMPACT.pack(ms - b.t0, lat7 - b.lat, lon7 - b.lon, sp, co, sid)
        else:
            b.data += WIDE.pack(ms - b.t0, lat, lon, math.nan if speed is None else speed,
                                math.nan if course is None else course, sid)
        b.lat, b.lon = lat7, lon7
        b.n += 1
        if ms > b.t1:
            b.t1 = ms
        return b

    def _store(self, conn: Any, blocks: list[Block]) -> None:
        m = mark(conn)
        new = [b for b in blocks if b.id is None]
        old = [b for b in blocks if b.id is not None]
        cur = _cursor(conn)
        try:
            if old:
                if self.partitioned:
                    cur.executemany(f"UPDATE fix_blocks SET t1 = {m}, n = {m}, data = {m} WHERE id = {m} AND t0 = {m}",
                                    [(b.t1, b.n, b.data, b.id, b.t0) for b in old])
                else:
                    cur.executemany(f"UPDATE fix_blocks SET t1 = {m}, n = {m}, data = {m} WHERE id = {m}",
                                    [(b.t1, b.n, b.data, b.id) for b in old])
                if cur.rowcount != len(old):
                    # A block went away under us (another program thinned or removed it): write ours anew.
                    ids = [b.id for b in old]
                    cur.execute(f"SELECT id FROM fix_blocks WHERE id IN ({','.join([m] * len(ids))})", ids)
                    have = {r[0] for r in cur.fetchall()}
                    new += [b for b in old if b.id not in have]
            if new and self.partitioned:
                for day in {b.t0 // DAY_MS for b in new} - self._days:
                    ensure_partition(conn, day * DAY_MS)
                    self._days.add(day)
            sql = (f"INSERT INTO fix_blocks (unit_id, t0, t1, lat0, lon0, fmt, n, data) "
                   f"VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}) RETURNING id")
            for b in new:
                cur.execute(sql, (b.unit_id, b.t0, b.t1, b.lat0, b.lon0, b.fmt, b.n, bytes(b.data)))
                b.id = cur.fetchone()[0]
        finally:
            cur.close()


# ------------------------------------------------------------------------------------- decoding
def records(t0: int, lat0: int, lon0: int, fmt: int, data: bytes) -> list[tuple[int, float, float, float | None,
                                                                              float | None, int]]:
    """A block's fixes as (ms, lat, lon, speed, course, source id), in stored order."""
    out: list[tuple[int, float, float, float | None, float | None, int]] = []
    if fmt == FMT_COMPACT:
        lat, lon = lat0, lon0
        for toff, dla, dlo, sp, co, sid in COMPACT.iter_unpack(data):
            lat += dla
            lon += dlo
            out.append((t0 + toff, lat / 1e7, lon / 1e7, None if sp == NONE16 else sp / 100.0,
                        None if co == NONE16 else co / 100.0, sid))
    else:
        for toff, la, lo, sp, co, sid in WIDE.iter_unpack(data):
            out.append((t0 + toff, la, lo, None if math.isnan(sp) else sp, None if math.isnan(co) else co, sid))
    return out


def source_names(conn: Any) -> dict[int, str | None]:
    """fix_sources id -> name (0: none): a small table, read whole."""
    names: dict[int, str | None] = {0: None}
    names.update({i: n for i, n in conn.exec_driver_sql("SELECT id, name FROM fix_sources")})
    return names


_UNITS = (
    # Skip-scan over ix_fix_blocks_unit_time: one index seek per distinct unit, whatever the history length.
    "WITH RECURSIVE u(id) AS ("
    " SELECT MIN(unit_id) FROM fix_blocks"
    " UNION ALL"
    " SELECT (SELECT MIN(f.unit_id) FROM fix_blocks f WHERE f.unit_id > u.id) FROM u WHERE u.id IS NOT NULL)"
)
BLOCK_COLS = "b.id, b.unit_id, b.t0, b.lat0, b.lon0, b.fmt, b.data"


def unit_ids(conn: Any) -> list[str]:
    """Every unit with at least one stored fix, in order."""
    return [r[0] for r in conn.exec_driver_sql(_UNITS + " SELECT id FROM u WHERE id IS NOT NULL")]


def _u16(data: bytes) -> array[int]:
    a = array("H")
    a.frombytes(data)
    if _BIG_ENDIAN:
        a.byteswap()
    return a


def _pick_last(rows: Iterable[Sequence[Any]], t_ms: int) -> dict[str, tuple[int, int, int, Sequence[Any]]]:
    """unit -> (ms, block id, index, block row) of its last fix at or before t_ms (ties: stored last).

    The records' time offsets are read as one array (every 6th or 18th 16-bit word), not record by record:
    a redraw looks at a block or two of every unit."""
    best: dict[str, tuple[int, int, int, Sequence[Any]]] = {}
    for row in rows:
        bid, unit_id, t0, _lat0, _lon0, fmt, data = row
        offs = _u16(data)[0::_WORDS[fmt]]
        lim = t_ms - t0
        top = max(offs)
        if top <= lim:
            k = len(offs) - 1 - offs[::-1].index(top)
        else:
            k = top = -1
            for i, off in enumerate(offs):
                if top <= off <= lim:
                    top, k = off, i
            if k < 0:
                continue
        top += t0
        cur = best.get(unit_id)
        if cur is None or (top, bid, k) > cur[:3]:
            best[unit_id] = (top, bid, k, row)
    return best


def _record(row: Sequence[Any], k: int) -> tuple[int, float, float, float | None, float | None, int]:
    """The k-th fix of a block (what `records` gives at k, without decoding the others)."""
    _bid, _unit, t0, lat0, lon0, fmt, data = row
    data = bytes(data)
    if fmt != FMT_COMPACT:
        toff, la, lo, sp, co, sid = WIDE.unpack_from(data, k * WIDE.size)
        return t0 + toff, la, lo, None if math.isnan(sp) else sp, None if math.isnan(co) else co, sid
    w = array("h")
    w.frombytes(data[: (k + 1) * COMPACT.size])
    if _BIG_ENDIAN:
        w.byteswap()
    toff, _dla, _dlo, sp, co, sid = COMPACT.unpack_from(data, k * COMPACT.size)
    return (t0 + toff, (lat0 + sum(w[1::6])) / 1e7, (lon0 + sum(w[2::6])) / 1e7,
            None if sp == NONE16 else sp / 100.0, None if co == NONE16 else co / 100.0, sid)


def last_fixes(conn: Any, t: float | None, units: Iterable[str] | None = None) -> list[FixTuple]:
    """Each unit's last stored fix at or before `t` (None: the latest), ordered by unit id."""
    t_ms = 2**62 if t is None else math.floor(t * 1000.0 + MS_EPS)
    m = mark(conn)
    rows: list[Sequence[Any]] = []
    pick = (f"SELECT {BLOCK_COLS} FROM l JOIN fix_blocks b ON b.unit_id = l.id AND b.t0 <= l.last"
            f" AND b.t0 > l.last - {SPAN_MS + 1} AND b.t1 >= l.last")
    last = f"(SELECT MAX(g.t0) FROM fix_blocks g WHERE g.unit_id = {{col}} AND g.t0 <= {m})"
    if units is None:
        sql = (_UNITS + f", l(id, last) AS MATERIALIZED (SELECT id, {last.format(col='u.id')} FROM u "
               "WHERE id IS NOT NULL) "
               + pick)
        rows = conn.exec_driver_sql(sql, (t_ms,)).all()
    else:
        wanted = list(dict.fromkeys(units))
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            sql = (f"WITH v(id) AS (VALUES {','.join([f'({m})'] * len(part))}), "
                   f"l(id, last) AS MATERIALIZED (SELECT id, {last.format(col='v.id')} FROM v) " + pick)
            rows.extend(conn.exec_driver_sql(sql, (*part, t_ms)).all())
    out: list[FixTuple] = []
    names = source_names(conn) if rows else {}
    for unit_id, (_ms, _bid, k, row) in sorted(_pick_last(rows, t_ms).items()):
        ms, lat, lon, sp, co, sid = _record(row, k)
        out.append((unit_id, ms / 1000.0, lat, lon, sp, co, names.get(sid)))
    return out


def fixes_between(conn: Any, t_from: float | None, t_to: float | None, units: Iterable[str] | None = None, *,
                  from_open: bool = False, order: str = "unit") -> list[FixTuple]:
    """Every stored fix with t_from <= ts <= t_to (t_from < ts with `from_open`; None: unbounded), of `units`
    (None: all). Ordered by unit then time (`order="unit"`) or by time (`order="time"`); ties in storing order."""
    m = mark(conn)
    lo = None if t_from is None else (math.floor(t_from * 1000.0 + MS_EPS) + 1 if from_open
                                      else math.ceil(t_from * 1000.0 - MS_EPS))
    hi = None if t_to is None else math.floor(t_to * 1000.0 + MS_EPS)
    where, params = [], []
    if lo is not None:
        where.append(f"b.t0 > {m}")
        params.append(lo - SPAN_MS - 1)
    if hi is not None:
        where.append(f"b.t0 <= {m}")
        params.append(hi)
    parts: list[tuple[str, list[Any]]] = []
    if units is None:
        parts.append((" AND ".join(where) or "1=1", params))
    else:
        wanted = list(dict.fromkeys(units))
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            parts.append((" AND ".join([f"b.unit_id IN ({','.join([m] * len(part))})", *where]), [*part, *params]))
    keyed: list[tuple[Any, ...]] = []
    for cond, ps in parts:
        for bid, unit_id, t0, lat0, lon0, fmt, data in conn.exec_driver_sql(
                f"SELECT {BLOCK_COLS} FROM fix_blocks b WHERE {cond}", tuple(ps)):
            for k, (ms, lat, lon, sp, co, sid) in enumerate(records(t0, lat0, lon0, fmt, bytes(data))):
                if (lo is None or ms >= lo) and (hi is None or ms <= hi):
                    keyed.append((unit_id, ms, bid, k, lat, lon, sp, co, sid))
    if order == "unit":
        keyed.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    else:
        keyed.sort(key=lambda r: (r[1], r[2], r[3]))
    names = source_names(conn) if keyed else {}
    return [(r[0], r[1] / 1000.0, r[4], r[5], r[6], r[7], names.get(r[8])) for r in keyed]


def fixes_page(conn: Any, lo: float, hi: float, after: tuple[float, int] | None, limit: int
               ) -> tuple[list[FixTuple], tuple[float, int] | None]:
    """Fixes with lo < ts <= hi in time order, `limit` at a time: (page, cursor for the next page). `after`:
    the cursor a page gave ((time, how many fixes of that time were given)), None for the first page.

    Each page reads a stretch of blocks from the cursor on, four times longer until it holds `limit` fixes."""
    lo_ms, hi_ms = math.floor(lo * 1000.0 + MS_EPS) + 1, math.floor(hi * 1000.0 + MS_EPS)
    start, skip = (lo_ms, 0) if after is None else (round(float(after[0]) * 1000.0), int(after[1]))
    m = mark(conn)
    width = 60_000
    while True:
        end = min(hi_ms, start + width)
        got = []
        for bid, unit_id, t0, lat0, lon0, fmt, data in conn.exec_driver_sql(
                f"SELECT {BLOCK_COLS} FROM fix_blocks b WHERE b.t0 > {m} AND b.t0 <= {m}", (start - SPAN_MS - 1, end)):
            for k, rec in enumerate(records(t0, lat0, lon0, fmt, bytes(data))):
                if start <= rec[0] <= end:
                    got.append((rec[0], bid, k, unit_id, rec))
        got.sort(key=lambda r: r[:3])
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
    names = source_names(conn)
    last = page[-1][0]
    same = sum(1 for r in page if r[0] == last) + (skip if last == start else 0)
    rows = [(u, ms / 1000.0, r[1], r[2], r[3], r[4], names.get(r[5])) for ms, _b, _k, u, r in page]
    return rows, (last / 1000.0, same)


def span(conn: Any) -> tuple[float, float] | None:
    """(first, last) fix time over every unit, or None without fixes."""
    lo = conn.exec_driver_sql("SELECT MIN(t0), MAX(t0) FROM fix_blocks").first()
    if lo is None or lo[0] is None:
        return None
    hi = conn.exec_driver_sql(f"SELECT MAX(t1) FROM fix_blocks WHERE t0 > {mark(conn)}", (lo[1] - SPAN_MS - 1,)
                              ).scalar()
    return lo[0] / 1000.0, hi / 1000.0


def count(conn: Any) -> int:
    return int(conn.exec_driver_sql("SELECT COALESCE(SUM(n), 0) FROM fix_blocks").scalar() or 0)
