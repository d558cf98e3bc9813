"""The hub's own tables in the store: the per-unit outbox, the inbound cursor per unit, the
hub's CURVE identity and the event cursor. Derived tables next to the event log (which stays
the truth for everything a dispatcher sees); they make delivery survive a killed hub.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

from dispatch.store import metadata

outbox_table = Table(
    "field_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),  # per unit, from 1, no gaps
    Column("type", String(32), nullable=False),  # assignment, cancel, text, broadcast
    Column("ref", String(64), nullable=True),  # "incident:12" for an assignment or a cancel
    Column("body", Text, nullable=False),  # the message JSON without "seq"
    Column("event_seq", Integer, nullable=True),  # the event it came from
    Column("created", Float, nullable=False),
    Column("acked", Float, nullable=True),  # when the unit acknowledged it
    Index("ux_field_outbox_unit_seq", "unit_id", "seq", unique=True),
    Index("ix_field_outbox_pending", "unit_id", "acked"),
)

links_table = Table(
    "field_links",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("last_cseq", Integer, nullable=False, default=0),  # last unit->hub message processed
)

identity_table = Table(
    "field_identity",
    metadata,
    Column("name", String(32), primary_key=True),  # "hub"
    Column("public_key", String(40), nullable=False),  # Z85
    Column("secret_key", String(40), nullable=False),  # Z85; never leaves the store
    Column("created", Float, nullable=False),
)

cursor_table = Table(
    "field_cursor",
    metadata,
    Column("name", String(32), primary_key=True),  # "events"
    Column("value", Integer, nullable=False),  # last event seq turned into outbox messages
)
