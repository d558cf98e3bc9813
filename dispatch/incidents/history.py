"""A store with a long history, quickly: units and fully handled incidents written straight into the log.

The benches (start-up on two million events, appliers over 20,000 incidents) and the tests that compare
a snapshot's state with a full replay need a year of a busy bureau without running a year of operations.
`write_handled_incidents` appends, in large batches, exactly the events the operations record for an
incident taken from the report to the evaluation (created, verified on assignment, assigned, accepted,
en route, on scene, resolved, closed, evaluated, and each unit status change), chained like any append,
so the store passes ``audit verify`` and loads through the same appliers.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert, select

from dispatch.changes import Changes
from dispatch.state import State
from dispatch.store import GENESIS_HASH, Event, EventStore, canonical_json, event_hash, events_table

EVENTS_PER_INCIDENT = 12
FIELD_EVENTS_PER_INCIDENT = 6  # with field=True: the hub's queued and delivered, the unit's four replies
CATEGORIES = ("illegal_dumping", "floating_debris", "illegal_fishing", "road_damage", "other")
_BATCH = 20_000


def _events(n_units: int, n_incidents: int, first_id: int, t0: float, span_s: float, seed: int,
            register: bool, field: bool) -> Iterator[tuple[float, str, str, str, dict[str, Any]]]:
    """(ts, actor, kind, entity, payload) in log order."""
    rng = random.Random(seed)
    seqs: dict[str, int] = {}
    units = [f"officer-{i:04d}" for i in range(n_units)]
    for u in units if register else ():
        yield t0, "ctl:bench", "unit.registered", f"unit:{u}", {"id": u, "name": u, "kind": "officer"}
    step = span_s / max(1, n_incidents)
    for k in range(n_incidents):
        iid = first_id + k
        unit = units[k % n_units]
        ts = t0 + k * step
        steps = _steps(iid, unit, rng)
        if field:
            steps = _with_field(steps, iid, unit, seqs)
        dt = step / (len(steps) + 1)
        for j, (actor, kind, payload) in enumerate(steps):
            yield ts + j * dt, actor, kind, _entity(kind, iid, unit, payload), payload


def _entity(kind: str, iid: int, unit: str, payload: dict[str, Any]) -> str:
    if kind == "field.reply":
        return str(payload["ref"])
    return f"unit:{unit}" if kind.startswith(("unit.", "field.")) else f"incident:{iid}"


def _with_field(steps: list[tuple[str, str, dict[str, Any]]], iid: int, unit: str,
                seqs: dict[str, int]) -> list[tuple[str, str, dict[str, Any]]]:
    """The same incident worked over the field link: the hub queues and delivers the assignment, the unit
    replies (accept, then each status) before each of its moves."""
    ref = f"incident:{iid}"
    seq = seqs[unit] = seqs.get(unit, 0) + 1
    out: list[tuple[str, str, dict[str, Any]]] = []
    for actor, kind, payload in steps:
        to = payload.get("to") if kind == "incident.transitioned" else None
        if actor.startswith("unit:") and to in ("accepted", "en_route", "on_scene", "resolved"):
            reply = {"unit_id": unit, "ref": ref, "action": "accept" if to == "accepted" else "status", "cseq": seq}
            if to != "accepted":
                reply["status"] = to
            out.append((actor, "field.reply", reply))
        out.append((actor, kind, payload))
        if kind == "incident.assigned":
            out.append(("system:hub", "field.queued", {"unit_id": unit, "ref": ref, "seq": seq, "type": "assignment"}))
            out.append(("system:hub", "field.delivered", {"unit_id": unit, "ref": ref, "seq": seq}))
    return out


def _steps(iid: int, unit: str, rng: random.Random) -> list[tuple[str, str, dict[str, Any]]]:
    lat, lon = 24.30 + rng.random() * 0.08, 109.36 + rng.random() * 0.10
    disp, me = "dispatcher:bench", f"unit:{unit}"

    def tr(frm: str, to: str, **extra: Any) -> dict[str, Any]:
        return {"id": iid, "from": frm, "to": to, "note": None, **extra}

    return [
        (disp, "incident.created", {"id": iid, "category": rng.choice(CATEGORIES),
                                    "priority": rng.choice(("P1", "P2", "P3")), "lat": lat, "lon": lon,
                                    "text": f"report {iid}", "source": "hotline", "address": None,
                                    "reporter": None, "contact": None, "possible_duplicates": []}),
        (disp, "incident.transitioned", tr("reported", "verified", note="verified on assignment")),
        (disp, "incident.assigned", {"id": iid, "unit_id": unit, "note": None, "from": "verified", "to": "dispatched"}),
        (disp, "unit.status_set", {"id": unit, "status": "assigned"}),
        (me, "incident.transitioned", tr("dispatched", "accepted")),
        (me, "unit.status_set", {"id": unit, "status": "busy"}),
        (me, "incident.transitioned", tr("accepted", "en_route")),
        (me, "incident.transitioned", tr("en_route", "on_scene")),
        (me, "incident.transitioned", tr("on_scene", "resolved")),
        (me, "unit.status_set", {"id": unit, "status": "available"}),
        (disp, "incident.transitioned", tr("resolved", "closed")),
        (disp, "incident.transitioned", tr("closed", "evaluated", satisfaction=rng.randint(1, 5))),
    ]


def write_handled_incidents(store: EventStore, n_incidents: int, *, n_units: int = 200, t0: float | None = None,
                            span_s: float = 365 * 86400.0, seed: int = 21, state: State | None = None,
                            register: bool = True, field: bool = False) -> int:
    """Append `n_units` officers and `n_incidents` incidents handled end to end, spread over `span_s`
    seconds from `t0` (default: that long ago). Returns the number of events appended.

    Continues the store's chain from its head, in batches of one executemany each; the incidents take the
    ids after the highest this store's log has created (call it on a store no one else is writing to).
    ``field=True``: each incident is also worked over the field link (FIELD_EVENTS_PER_INCIDENT more events).
    ``register=False``: the officers are already registered (a second call on the same store).
    ``state``: a State of this store's log so far, brought up to date with every event written (the benches
    snapshot it instead of replaying what they just wrote).
    """
    import time

    t0 = time.time() - span_s if t0 is None else t0
    with store.read() as conn:
        last = conn.execute(select(events_table.c.seq, events_table.c.hash)
                            .order_by(events_table.c.seq.desc()).limit(1)).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS_HASH)
    first_id = 1 + max((int(e.payload["id"]) for e in store.events(0, kinds=["incident.created"])), default=0)
    batch: list[tuple[Any, ...]] = []
    written = 0
    changes = Changes()

    def flush() -> None:
        nonlocal written
        if not batch:
            return
        with store.write() as conn:
            if store.is_sqlite:
                conn.exec_driver_sql("INSERT INTO events (seq, ts, actor, kind, entity, payload, prev_hash, hash) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
            else:
                cols = ("seq", "ts", "actor", "kind", "entity", "payload", "prev_hash", "hash")
                conn.execute(insert(events_table), [dict(zip(cols, r, strict=True)) for r in batch])
        written += len(batch)
        batch.clear()

    for ts, actor, kind, entity, payload in _events(n_units, n_incidents, first_id, t0, span_s, seed, register, field):
        seq += 1
        body = canonical_json(payload)
        h = event_hash(prev, seq, ts, actor, kind, entity, body)
        batch.append((seq, ts, actor, kind, entity, body, prev, h))
        prev = h
        if state is not None:
            state.apply(Event(seq, ts, actor, kind, entity, payload, h), changes)
            if len(changes.events) >= 1000:
                changes = Changes()
        if len(batch) >= _BATCH:
            flush()
    flush()
    return written
