"""The store's schema as it was before migrations: the event log, fixes, store_meta and the hub's tables.

Revision ID: 0001
Revises: (none)

Written out column by column (never taken from today's `dispatch.store.metadata`, which later
revisions change) so that it stays what version 437254c created. A store that version wrote has
some or all of these tables and no `alembic_version`: this revision then creates only what is
missing (a store that never ran the hub has no field_* tables) and leaves every row as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> list[tuple[str, list[sa.Column], list[tuple[str, list[str], bool]]]]:
    """(name, columns, [(index name, columns, unique)]) of every table of revision 0001."""
    return [
        ("events", [
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("ts", sa.Float, nullable=False),
            sa.Column("actor", sa.String(64), nullable=False),
            sa.Column("kind", sa.String(64), nullable=False),
            sa.Column("entity", sa.String(64), nullable=True),
            sa.Column("payload", sa.Text, nullable=False),
            sa.Column("prev_hash", sa.String(64), nullable=False),
            sa.Column("hash", sa.String(64), nullable=False),
        ], [("ix_events_ts", ["ts"], False), ("ix_events_entity", ["entity"], False)]),
        ("fixes", [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("unit_id", sa.String(64), nullable=False),
            sa.Column("ts", sa.Float, nullable=False),
            sa.Column("lat", sa.Float, nullable=False),
            sa.Column("lon", sa.Float, nullable=False),
            sa.Column("speed", sa.Float, nullable=True),
            sa.Column("course", sa.Float, nullable=True),
            sa.Column("source", sa.String(64), nullable=True),
        ], [("ix_fixes_unit_ts", ["unit_id", "ts"], False), ("ix_fixes_ts", ["ts"], False)]),
        ("store_meta", [
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        ], []),
        ("field_outbox", [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("unit_id", sa.String(64), nullable=False),
            sa.Column("seq", sa.Integer, nullable=False),
            sa.Column("type", sa.String(32), nullable=False),
            sa.Column("ref", sa.String(64), nullable=True),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("event_seq", sa.Integer, nullable=True),
            sa.Column("created", sa.Float, nullable=False),
            sa.Column("acked", sa.Float, nullable=True),
        ], [("ux_field_outbox_unit_seq", ["unit_id", "seq"], True),
            ("ix_field_outbox_pending", ["unit_id", "acked"], False)]),
        ("field_links", [
            sa.Column("unit_id", sa.String(64), primary_key=True),
            sa.Column("last_cseq", sa.Integer, nullable=False),
        ], []),
        ("field_identity", [
            sa.Column("name", sa.String(32), primary_key=True),
            sa.Column("public_key", sa.String(40), nullable=False),
            sa.Column("secret_key", sa.String(40), nullable=False),
            sa.Column("created", sa.Float, nullable=False),
        ], []),
        ("field_cursor", [
            sa.Column("name", sa.String(32), primary_key=True),
            sa.Column("value", sa.Integer, nullable=False),
        ], []),
    ]


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for name, columns, indexes in _tables():
        if name not in existing:
            op.create_table(name, *columns)
            have: set[str] = set()
        else:
            have = {ix["name"] for ix in inspector.get_indexes(name)}
        for ix_name, cols, unique in indexes:
            if ix_name not in have:
                op.create_index(ix_name, name, cols, unique=unique)


def downgrade() -> None:
    for name, _columns, _indexes in reversed(_tables()):
        op.drop_table(name)
