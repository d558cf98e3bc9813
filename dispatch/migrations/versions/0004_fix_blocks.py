"""Compact fixes (issue 21): the sealed tier `fix_blocks` (dispatch/fixblocks.py) beside the plain `fixes` table.

Revision ID: 0004
Revises: 0003

`fixes` stays as it is, a row per fix readable with plain SQL, and keeps taking every new fix; the
store's background step (dispatch/fixseal.py) seals each unit's fixes older than its newest minutes into
`fix_blocks`, a unit's minute per row (source names in `fix_sources`). Nothing is moved here: a store
upgraded with a long history in `fixes` is sealed batch by batch in the background once a program that
writes fixes runs on it, and every reader sees both tables meanwhile (dispatch/fixes.py).

On PostgreSQL `fix_blocks` is partitioned by day of its first fix's time (a day's partition made by the
first write that needs it), and `fixes.id` becomes a bigint: sealed rows leave the table, but their ids
are not reused, and 400 fixes a second use up 2^31 ids in two months (PostgreSQL rewrites the table for
that, once: minutes for a store holding years of fixes in it).

Downgrade: every sealed fix back into `fixes` (at the precision the blocks kept), then the two tables dropped.
The block format is dispatch.fixblocks' format 1 (FMT_COMPACT) and 2 (FMT_WIDE): a later format gets
its own value of `fmt`, so blocks written under this revision stay readable.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
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
        op.alter_column("fixes", "id", type_=sa.BigInteger, existing_type=sa.Integer, existing_nullable=False)
        conn.exec_driver_sql("ALTER SEQUENCE IF EXISTS fixes_id_seq AS bigint")
    else:
        op.create_table("fix_blocks", *cols)
    op.create_index("ix_fix_blocks_unit_time", "fix_blocks", ["unit_id", "t0"])
    op.create_index("ix_fix_blocks_t0", "fix_blocks", ["t0"])


def downgrade() -> None:
    from dispatch import fixblocks

    conn = op.get_bind()
    names = fixblocks.source_names(conn)
    insert = sa.text("INSERT INTO fixes (unit_id, ts, lat, lon, speed, course, source) "
                     "VALUES (:u, :ts, :lat, :lon, :sp, :co, :src)")
    rows: list[dict[str, object]] = []
    blocks = conn.exec_driver_sql("SELECT id, unit_id, t0, lat0, lon0, fmt, data FROM fix_blocks "
                                  "ORDER BY unit_id, t0, id").all()
    for _bid, unit_id, t0, lat0, lon0, fmt, data in blocks:
        for ms, lat, lon, sp, co, sid in fixblocks.records(int(t0), int(lat0), int(lon0), fmt, bytes(data)):
            rows.append({"u": unit_id, "ts": ms / 1000.0, "lat": lat, "lon": lon, "sp": sp, "co": co,
                         "src": names.get(sid)})
        if len(rows) >= 50_000:
            conn.execute(insert, rows)
            rows = []
    if rows:
        conn.execute(insert, rows)
    op.drop_table("fix_blocks")
    op.drop_table("fix_sources")
    if conn.dialect.name == "postgresql":
        op.alter_column("fixes", "id", type_=sa.Integer, existing_type=sa.BigInteger, existing_nullable=False)
        conn.exec_driver_sql("ALTER SEQUENCE IF EXISTS fixes_id_seq AS integer")
