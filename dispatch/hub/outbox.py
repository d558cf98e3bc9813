"""The per-unit outbox: every sequenced hub-to-unit message is written here before it is sent,
and stays until the unit acknowledges it. Used only from the hub's loop thread.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import and_, func, insert, select, update

from dispatch.hub.protocol import encode
from dispatch.hub.tables import cursor_table, links_table, outbox_table

log = logging.getLogger(__name__)


class Outbox:
    def __init__(self, store: Any) -> None:
        self.store = store
        t = outbox_table
        with store.read() as conn:
            self.last_seq: dict[str, int] = {
                r[0]: int(r[1]) for r in conn.execute(select(t.c.unit_id, func.max(t.c.seq)).group_by(t.c.unit_id))
            }
            self.acked: dict[str, int] = {
                r[0]: int(r[1])
                for r in conn.execute(
                    select(t.c.unit_id, func.max(t.c.seq)).where(t.c.acked.is_not(None)).group_by(t.c.unit_id)
                )
            }
            self.last_cseq: dict[str, int] = {r[0]: int(r[1]) for r in conn.execute(select(links_table))}

    # ----------------------------------------------------------------- cursor
    def cursor(self, default: int) -> int:
        with self.store.read() as conn:
            v = conn.execute(select(cursor_table.c.value).where(cursor_table.c.name == "events")).scalar()
        if v is None:
            with self.store.write() as conn:
                conn.execute(insert(cursor_table).values(name="events", value=default))
            return default
        return int(v)

    def set_cursor(self, conn: Any, value: int) -> None:
        conn.execute(update(cursor_table).where(cursor_table.c.name == "events").values(value=value))

    # ------------------------------------------------------------------ write
    def add(self, conn: Any, unit_id: str, msg: dict[str, Any], *, ref: str | None, event_seq: int | None,
            now: float) -> dict[str, Any]:
        """Insert one message for `unit_id` inside the caller's write transaction; returns it with its seq."""
        seq = self.last_seq.get(unit_id, 0) + 1
        msg = {**msg, "seq": seq}
        conn.execute(insert(outbox_table).values(unit_id=unit_id, seq=seq, type=msg["type"], ref=ref,
                                                 body=encode(msg).decode("utf-8"), event_seq=event_seq, created=now))
        self.last_seq[unit_id] = seq
        return msg

    def add_many(self, conn: Any, rows: list[tuple[str, dict[str, Any], str | None, int | None]],
                 now: float) -> list[tuple[str, dict[str, Any]]]:
        """Insert many messages (unit, msg, ref, event_seq) in one statement; returns (unit, msg with seq)."""
        out, values = [], []
        for unit_id, msg, ref, event_seq in rows:
            seq = self.last_seq.get(unit_id, 0) + 1
            self.last_seq[unit_id] = seq
            m = {**msg, "seq": seq}
            out.append((unit_id, m))
            values.append({"unit_id": unit_id, "seq": seq, "type": m["type"], "ref": ref,
                           "body": encode(m).decode("utf-8"), "event_seq": event_seq, "created": now})
        if values:
            conn.execute(insert(outbox_table), values)
        return out

    def ack(self, acks: dict[str, int], now: float) -> list[tuple[str, str, int]]:
        """Mark everything up to each unit's acknowledged seq as acknowledged, in one transaction.

        Returns (unit, ref, seq) of the assignments this newly acknowledged (for "delivered").
        """
        t = outbox_table
        delivered: list[tuple[str, str, int]] = []
        todo = {u: s for u, s in acks.items() if s > self.acked.get(u, 0)}
        if not todo:
            return delivered
        with self.store.write() as conn:
            for unit_id, seq in todo.items():
                cond = and_(t.c.unit_id == unit_id, t.c.seq <= seq, t.c.seq > self.acked.get(unit_id, 0),
                            t.c.acked.is_(None))
                for r in conn.execute(select(t.c.seq, t.c.ref, t.c.type).where(cond)):
                    if r.type in ("assignment", "cancel") and r.ref:
                        delivered.append((unit_id, r.ref, r.seq))
                conn.execute(update(t).where(cond).values(acked=now))
                self.acked[unit_id] = seq
        return delivered

    def pending(self, unit_id: str, after: int) -> list[bytes]:
        """Unacknowledged messages of `unit_id` after seq `after`, in order, ready to send."""
        t = outbox_table
        after = max(after, self.acked.get(unit_id, 0))
        with self.store.read() as conn:
            rows = conn.execute(
                select(t.c.body).where(and_(t.c.unit_id == unit_id, t.c.seq > after, t.c.acked.is_(None)))
                .order_by(t.c.seq)
            ).all()
        return [r.body.encode("utf-8") for r in rows]

    def has_assignment(self, unit_id: str, ref: str) -> bool:
        t = outbox_table
        with self.store.read() as conn:
            return conn.execute(
                select(t.c.id).where(and_(t.c.unit_id == unit_id, t.c.ref == ref, t.c.type == "assignment")).limit(1)
            ).first() is not None

    def set_last_cseq(self, unit_id: str, cseq: int) -> None:
        with self.store.write() as conn:
            n = conn.execute(update(links_table).where(links_table.c.unit_id == unit_id).values(last_cseq=cseq))
            if n.rowcount == 0:
                conn.execute(insert(links_table).values(unit_id=unit_id, last_cseq=cseq))
        self.last_cseq[unit_id] = cseq

    def rows(self, unit_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        t = outbox_table
        q = select(t).order_by(t.c.id.desc()).limit(limit)
        if unit_id:
            q = q.where(t.c.unit_id == unit_id)
        with self.store.read() as conn:
            return [{"unit_id": r.unit_id, "seq": r.seq, "type": r.type, "ref": r.ref, "created": r.created,
                     "acked": r.acked, "message": json.loads(r.body)} for r in conn.execute(q)]
