"""Compact fixes (issue 21): the row-per-fix `fixes` table becomes `fix_blocks` (dispatch/fixes.py), in place.

Revision ID: 0004
Revises: 0003

Every stored fix is carried over, each unit's in time order (ties in the order they were stored),
at the precision the blocks keep: time to the millisecond, latitude and longitude to 1e-7 degree,
speed to 0.01 m/s, course to 0.01 degree (a speed or course a compact record cannot hold is kept
whole in a wide block). The source names go to `fix_sources`. The old table is dropped; on SQLite
the file keeps its size until `VACUUM` (the freed pages are reused by the fixes that follow).
On PostgreSQL `fix_blocks` is partitioned by day of its first fix's time, one partition per day
the fixes cover. The event log is not touched.

The packing is dispatch.fixes' format 1 (FMT_COMPACT) and 2 (FMT_WIDE): a later format gets its
own value of `fmt`, so blocks written here stay readable.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger("dispatch.migrations")
CHUNK = 50_000


def _create(pg: bool) -> None:
    op.create_table(
        "fix_sources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
    )
    op.create_index("ux_fix_sources_name", "fix_sources", ["name"], unique=True)
    cols = [
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True,
                  primary_key=not pg, nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("t0", sa.BigInteger, nullable=False),
        sa.Column("t1", sa.BigInteger, nullable=False),
        sa.Column("lat0", sa.Integer, nullable=False),
        sa.Column("lon0", sa.Integer, nullable=False),
        sa.Column("fmt", sa.SmallInteger, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    ]
    if pg:
        # A partitioned table's primary key must hold the partition key.
        op.create_table("fix_blocks", *cols, sa.PrimaryKeyConstraint("id", "t0"),
                        postgresql_partition_by="RANGE (t0)")
    else:
        op.create_table("fix_blocks", *cols)
    op.create_index("ix_fix_blocks_unit_time", "fix_blocks", ["unit_id", "t0"])
    op.create_index("ix_fix_blocks_t0", "fix_blocks", ["t0"])


def _convert(conn: sa.engine.Connection, pg: bool) -> int:
    from dispatch import fixes

    names = [r[0] for r in conn.exec_driver_sql("SELECT DISTINCT source FROM fixes WHERE source IS NOT NULL")]
    for name in sorted(names):
        conn.execute(sa.text("INSERT INTO fix_sources (name) VALUES (:n)"), {"n": name})
    ids = {n: i for i, n in conn.exec_driver_sql("SELECT id, name FROM fix_sources")}
    writer = fixes.FixWriter(pg)
    writer.source_ids = ids
    days: set[int] = set()
    mark = "%s" if pg else "?"
    insert = (f"INSERT INTO fix_blocks (unit_id, t0, t1, lat0, lon0, fmt, n, data) "
              f"VALUES ({', '.join([mark] * 8)})")
    done: list[fixes.Block] = []
    total = 0

    def write(blocks: list[fixes.Block]) -> None:
        if pg:
            for day in {b.t0 // fixes.DAY_MS for b in blocks} - days:
                fixes.ensure_partition(conn, day * fixes.DAY_MS)
                days.add(day)
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.executemany(insert, [(b.unit_id, b.t0, b.t1, b.lat0, b.lon0, b.fmt, b.n, bytes(b.data))
                                     for b in blocks])
        finally:
            cur.close()

    dbapi = conn.connection.dbapi_connection  # type: ignore[union-attr]
    # PostgreSQL: a server-side cursor (a client-side one would hold every fix in memory at once)
    src = dbapi.cursor(name="fixes_to_blocks") if pg else dbapi.cursor()
    try:
        src.execute("SELECT unit_id, ts, lat, lon, speed, course, source FROM fixes ORDER BY unit_id, ts, id")
        while True:
            chunk = src.fetchmany(CHUNK)
            if not chunk:
                break
            for row in chunk:
                before = writer.open.get(row[0])
                b = writer.pack(row)
                if before is not None and b is not before:
                    done.append(before)  # closed: a unit's blocks never reopen in time order
            total += len(chunk)
            if done:
                write(done)
                done = []
        rest = list(writer.open.values())
        if rest:
            write(rest)
    finally:
        src.close()
    return total


def upgrade() -> None:
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    _create(pg)
    if "fixes" in sa.inspect(conn).get_table_names():
        n = _convert(conn, pg)
        op.drop_index("ix_fixes_unit_ts", table_name="fixes")
        op.drop_index("ix_fixes_ts", table_name="fixes")
        op.drop_table("fixes")
        if n:
            log.warning("store: %d fixes packed into blocks (revision 0004)", n)


def downgrade() -> None:
    from dispatch import fixes

    conn = op.get_bind()
    op.create_table(
        "fixes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("speed", sa.Float, nullable=True),
        sa.Column("course", sa.Float, nullable=True),
        sa.Column("source", sa.String(64), nullable=True),
    )
    op.create_index("ix_fixes_unit_ts", "fixes", ["unit_id", "ts"])
    op.create_index("ix_fixes_ts", "fixes", ["ts"])
    rows = fixes.fixes_between(conn, None, None)
    if rows:
        conn.execute(sa.text("INSERT INTO fixes (unit_id, ts, lat, lon, speed, course, source) "
                             "VALUES (:u, :ts, :lat, :lon, :sp, :co, :src)"),
                     [{"u": r[0], "ts": r[1], "lat": r[2], "lon": r[3], "sp": r[4], "co": r[5], "src": r[6]}
                      for r in rows])
    op.drop_table("fix_blocks")
    op.drop_table("fix_sources")
