"""Sealed fixes packed in blocks: a unit's fixes of up to 65 s in one row of `fix_blocks`, about 12 bytes a fix.

The store keeps fixes in two tiers (dispatch/fixes.py): the plain `fixes` table, a row per fix, holds
each unit's newest minutes; older ones are sealed into blocks by a background step. This module is the
block format: packing fixes into blocks, writing them, and decoding them.

A row of `fix_blocks` holds one unit's consecutive fixes whose times lie within SPAN_MS of the
block's first fix (`t0`, integer milliseconds). Each fix costs its record, not a row with its own
header, id and two index entries (107 bytes a fix in the plain table, about 21 in blocks: bench
`replay_bytes_per_fix`).

Precision kept (what every reader gets back, whichever tier holds the fix): time to the millisecond
it falls in (`ms_of`), latitude and longitude to 1e-7 degree (about 1 cm), speed to 0.01 m/s, course
to 0.01 degree.

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
from collections.abc import Callable, Iterable, Sequence
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
DAY_MS = 86_400_000
PARTITION_PREFIX = "fix_blocks_d"
# A time in epoch seconds times 1000 is off by up to ~2.4e-4 ms (a double's precision at 1.8e12): a time
# within a microsecond below a millisecond counts as that millisecond.
MS_EPS = 1e-3
BLOCK_COLS = "b.id, b.unit_id, b.t0, b.lat0, b.lon0, b.fmt, b.data"

# A fix as every reader gets it: (unit_id, ts, lat, lon, speed, course, source).
FixTuple = tuple[str, float, float, float, float | None, float | None, str | None]


def tables(metadata: Any) -> tuple[Any, Any]:
    """`fix_blocks` and `fix_sources` in the store's metadata (dispatch/store.py; revision 0004)."""
    from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, SmallInteger, String, Table

    blocks = Table(
        "fix_blocks",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("unit_id", String(64), nullable=False),
        Column("t0", BigInteger, nullable=False),  # the block's first fix, UTC epoch milliseconds
        Column("t1", BigInteger, nullable=False),  # its latest fix
        Column("lat0", Integer, nullable=False),  # the first fix's latitude, 1e-7 degree (0 in a wide block)
        Column("lon0", Integer, nullable=False),
        Column("fmt", SmallInteger, nullable=False),  # FMT_COMPACT / FMT_WIDE
        Column("n", Integer, nullable=False),  # how many fixes
        Column("data", LargeBinary, nullable=False),  # the records
        Index("ix_fix_blocks_unit_time", "unit_id", "t0"),
        Index("ix_fix_blocks_t0", "t0"),
        postgresql_partition_by="RANGE (t0)",
    )
    sources = Table(
        "fix_sources",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(64), nullable=False),
        Index("ux_fix_sources_name", "name", unique=True),
    )
    return blocks, sources


def mark(conn: Any) -> str:
    """The driver's placeholder: `conn` is a SQLAlchemy connection or a plain sqlite3 one."""
    dialect = getattr(conn, "dialect", None)
    return "?" if dialect is None or dialect.paramstyle == "qmark" else "%s"


def cursor(conn: Any) -> Any:
    """A driver cursor inside `conn`'s transaction (SQLAlchemy connection or plain sqlite3)."""
    dialect = getattr(conn, "dialect", None)
    return conn.cursor() if dialect is None else conn.connection.dbapi_connection.cursor()


def ms_of(ts: float) -> int:
    """The millisecond a time (epoch seconds) falls in: what a block stores."""
    return math.floor(ts * 1000.0 + MS_EPS)


def partition_name(t0_ms: int) -> str:
    return PARTITION_PREFIX + datetime.fromtimestamp(t0_ms // DAY_MS * 86_400, UTC).strftime("%Y%m%d")


def ensure_partition(conn: Any, t0_ms: int) -> None:
    """PostgreSQL: the day partition of `fix_blocks` that holds t0_ms (created if missing)."""
    day = t0_ms // DAY_MS * DAY_MS
    sql = (f"CREATE TABLE IF NOT EXISTS {partition_name(t0_ms)} PARTITION OF fix_blocks "
           f"FOR VALUES FROM ({day}) TO ({day + DAY_MS})")
    if hasattr(conn, "exec_driver_sql"):
        conn.exec_driver_sql(sql)
    else:
        cur = cursor(conn)
        try:
            cur.execute(sql)
        finally:
            cur.close()


# ------------------------------------------------------------------------------------- encoding
def _q16(v: float | None, scale: float) -> int | None:
    """A speed or course in a compact record's 16 bits (NONE16 for none); None if it does not fit."""
    if v is None:
        return NONE16
    if not math.isfinite(v):
        return None
    q = round(v * scale)
    return q if 0 <= q < NONE16 else None


def _compact_position(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


def as_stored(row: Sequence[Any]) -> FixTuple:
    """A fix (unit_id, ts, lat, lon, speed, course, source) as a reader gets it back: at the stored precision."""
    unit_id, ts, lat, lon, speed, course, source = row
    sp, co = _q16(speed, 100.0), _q16(course, 100.0)
    if sp is None or co is None or not _compact_position(lat, lon):  # a wide record keeps them whole
        return (unit_id, ms_of(ts) / 1000.0, lat, lon, speed, course, source)
    return (unit_id, ms_of(ts) / 1000.0, round(lat * 1e7) / 1e7, round(lon * 1e7) / 1e7,
            None if sp == NONE16 else sp / 100.0, None if co == NONE16 else co / 100.0, source)


@dataclass(slots=True)
class Block:
    """One unit's block being packed."""

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


class FixWriter:
    """Packs fixes into new blocks and writes them inside the caller's write transaction.

    `write(conn, rows)` packs each unit's rows in the order given (the caller gives them by unit and
    time: a unit's blocks then never overlap) and inserts the blocks. A block closes when a fix does
    not fit (more than SPAN_MS after t0 or before it, a step too large, MAX_RECORDS reached).
    """

    def __init__(self, partitioned: bool) -> None:
        self.partitioned = partitioned
        self.open: dict[str, Block] = {}
        self.source_ids: dict[str, int] = {}

    def _sources(self, conn: Any, names: Iterable[str | None]) -> None:
        missing = {n for n in names if n is not None and n not in self.source_ids}
        if not missing:
            return
        m = mark(conn)
        cur = cursor(conn)
        try:
            cur.execute("SELECT id, name FROM fix_sources")
            self.source_ids.update({name: i for i, name in cur.fetchall()})
            for name in sorted(missing - set(self.source_ids)):
                cur.execute(f"INSERT INTO fix_sources (name) VALUES ({m}) RETURNING id", (name,))
                self.source_ids[name] = cur.fetchone()[0]
        finally:
            cur.close()

    def write(self, conn: Any, rows: Sequence[Sequence[Any]]) -> int:
        """Store `rows` (unit_id, ts, lat, lon, speed m/s, course, source) in new blocks. Returns how many blocks."""
        self._sources(conn, {r[6] for r in rows})
        opened, sids, put, floor = self.open, self.source_ids, COMPACT.pack, math.floor
        opened.clear()
        blocks: list[Block] = []
        for row in rows:
            # The usual fix: the next record of its unit's open compact block (the rest: `pack`).
            unit_id, ts, lat, lon, speed, course, source = row
            b = opened.get(unit_id)
            if (b is not None and b.fmt == FMT_COMPACT and speed is not None and course is not None
                    and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
                try:
                    off = floor(ts * 1000.0 + MS_EPS) - b.t0
                    lat7, lon7 = round(lat * 1e7), round(lon * 1e7)
                    sp, co = round(speed * 100.0), round(course * 100.0)
                    dla, dlo = lat7 - b.lat, lon7 - b.lon
                except (ValueError, OverflowError):  # NaN or infinite: `pack` keeps it whole
                    off = dla = dlo = sp = co = -1
                if (0 <= off <= SPAN_MS and b.n < MAX_RECORDS and -32768 <= dla <= 32767 and -32768 <= dlo <= 32767
                        and 0 <= sp < NONE16 and 0 <= co < NONE16):
                    b.data += put(off, dla, dlo, sp, co, 0 if source is None else sids[source])
                    b.lat, b.lon = lat7, lon7
                    b.n += 1
                    if off + b.t0 > b.t1:
                        b.t1 = off + b.t0
                    continue
            b = self.pack(row)
            if not b.n - 1:  # a new block
                blocks.append(b)
        opened.clear()
        self._store(conn, blocks)
        return len(blocks)

    def pack(self, row: Sequence[Any]) -> Block:
        """Add one fix (unit_id, ts, lat, lon, speed, course, source) to its unit's open block (or a new one)."""
        unit_id, ts, lat, lon, speed, course, source = row
        ms = ms_of(ts)
        sid = 0 if source is None else self.source_ids[source]
        sp, co = _q16(speed, 100.0), _q16(course, 100.0)
        compact = sp is not None and co is not None and _compact_position(lat, lon)
        fmt = FMT_COMPACT if compact else FMT_WIDE
        lat7, lon7 = (round(lat * 1e7), round(lon * 1e7)) if compact else (0, 0)
        b = self.open.get(unit_id)
        if (b is None or b.fmt != fmt or ms < b.t0 or ms - b.t0 > SPAN_MS or b.n >= MAX_RECORDS
                or (compact and not (-32768 <= lat7 - b.lat <= 32767 and -32768 <= lon7 - b.lon <= 32767))):
            b = self.open[unit_id] = Block(unit_id, ms, ms, lat7, lon7, lat7, lon7, fmt, 0, bytearray())
        if compact:
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
        if not blocks:
            return
        m = mark(conn)
        cols = "INSERT INTO fix_blocks (unit_id, t0, t1, lat0, lon0, fmt, n, data) VALUES "
        one = f"({', '.join([m] * 8)})"
        if self.partitioned:
            for day in sorted({b.t0 // DAY_MS for b in blocks}):
                ensure_partition(conn, day * DAY_MS)
        cur = cursor(conn)
        try:
            params = [(b.unit_id, b.t0, b.t1, b.lat0, b.lon0, b.fmt, b.n, bytes(b.data)) for b in blocks]
            if m == "?":  # SQLite: the driver's executemany is one prepared statement
                cur.executemany(cols + one, params)
            else:  # PostgreSQL: a few multi-row statements instead of a round trip per block
                for i in range(0, len(params), 500):
                    part = params[i:i + 500]
                    cur.execute(cols + ", ".join([one] * len(part)), [v for p in part for v in p])
        finally:
            cur.close()


# ------------------------------------------------------------------------------------- decoding
Record = tuple[int, float, float, float | None, float | None, int]  # (ms, lat, lon, speed, course, source id)


def records(t0: int, lat0: int, lon0: int, fmt: int, data: bytes) -> list[Record]:
    """A block's fixes as (ms, lat, lon, speed, course, source id), in stored order."""
    out: list[Record] = []
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


def last_in_blocks(rows: Sequence[Sequence[Any]], t_ms: int) -> dict[str, tuple[int, int, int, Record]]:
    """unit -> (ms, block id, index, record) of its last fix at or before t_ms (ties: stored last), from
    block rows (id, unit_id, t0, lat0, lon0, fmt, data): what a redraw of the replay needs, a block or two
    of every unit.

    The compact blocks are read all at once as one array of 16-bit words (numpy): each block's last
    record at or before t_ms by a reduction over the blocks, positions by a running sum of the steps.
    No Python work per record, a little per block."""
    best: dict[str, tuple[int, int, int, Record]] = {}

    def offer(unit_id: str, ms: int, bid: int, k: int, rec: Callable[[], Record]) -> None:
        cur = best.get(unit_id)
        if cur is None or (ms, bid, k) > cur[:3]:
            best[unit_id] = (ms, bid, k, rec())

    compact = [r for r in rows if r[5] == FMT_COMPACT and len(r[6])]
    for row in rows:  # the rare wide block: record by record
        if row[5] != FMT_COMPACT:
            recs = records(int(row[2]), 0, 0, row[5], bytes(row[6]))
            for k, r in enumerate(recs):
                if r[0] <= t_ms:
                    offer(row[1], r[0], int(row[0]), k, lambda r=r: r)  # type: ignore[misc]
    if not compact:
        return best
    import numpy as np

    datas = [bytes(r[6]) for r in compact]
    counts = np.fromiter((len(d) // COMPACT.size for d in datas), dtype=np.int64, count=len(datas))
    buf = b"".join(datas)
    words = np.frombuffer(buf, dtype="<u2").reshape(-1, 6)
    steps = np.frombuffer(buf, dtype="<i2").reshape(-1, 6)
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    block = np.repeat(np.arange(len(counts)), counts)
    t0 = np.fromiter((int(r[2]) for r in compact), dtype=np.int64, count=len(compact))
    ms = t0[block] + words[:, 0]
    key = np.where(ms <= t_ms, ms, -1)
    top = np.maximum.reduceat(key, starts)
    pos = np.arange(len(key))
    pick = np.maximum.reduceat(np.where((key == top[block]) & (key >= 0), pos, -1), starts)
    lat = np.cumsum(steps[:, 1], dtype=np.int64)
    lon = np.cumsum(steps[:, 2], dtype=np.int64)
    lat_before = lat[starts] - steps[starts, 1]
    lon_before = lon[starts] - steps[starts, 2]
    chosen = np.nonzero(pick >= 0)[0]
    at = pick[chosen]
    cols = zip(chosen.tolist(), at.tolist(), ms[at].tolist(), (lat[at] - lat_before[chosen]).tolist(),
               (lon[at] - lon_before[chosen]).tolist(), words[at, 3].tolist(), words[at, 4].tolist(),
               words[at, 5].tolist(), strict=True)
    for j, i, m, dlat, dlon, sp, co, sid in cols:
        row = compact[j]
        rec = (m, (int(row[3]) + dlat) / 1e7, (int(row[4]) + dlon) / 1e7, None if sp == NONE16 else sp / 100.0,
               None if co == NONE16 else co / 100.0, sid)
        offer(row[1], m, int(row[0]), i - int(starts[j]), lambda rec=rec: rec)  # type: ignore[misc]
    return best
