"""What the hub relays: the field messages an event makes (assignments, withdrawals, texts, broadcasts) with
the details a crew needs, and a crew's reply turned back into the operation it stands for."""

from __future__ import annotations

import logging
from typing import Any

from dispatch import ops
from dispatch.errors import Refused
from dispatch.hub import protocol as P
from dispatch.hub.state import assignments_of, keyed_units
from dispatch.store import NewEvent

log = logging.getLogger(__name__)

DETAIL_FIELDS = ("category", "priority", "summary", "title", "text", "description", "instructions", "deadline",
                 "lat", "lon", "address", "near", "location", "area", "name", "state", "created_at")


def messages_for(core: Any, ev: Any) -> list[tuple[str, dict[str, Any], str | None, int | None]]:
    """The field messages one event makes: (unit, message, ref, event seq) for each unit it concerns."""
    out: list[tuple[str, dict[str, Any], str | None, int | None]] = []
    pairs = assignments_of(ev)
    if not pairs and ev.kind in ("task.cancelled", "task.finished") and (ev.entity or "").startswith("task:"):
        # a task cancelled, or finished (its area covered, or ended by the dispatcher): its vessels drop it
        pairs = [("cancel", u, ev.entity) for u in task_units(core, ev.entity.split(":", 1)[1])]
    for action, unit, ref in pairs:
        if action == "cancel" and ev.actor == f"unit:{unit}":
            continue  # the unit's own decline: it dropped the job itself, and a withdrawal would hide its reason
        kind, ident = ref.split(":", 1)
        msg: dict[str, Any] = {"type": "assignment" if action == "assign" else "cancel", "ref": ref,
                               f"{kind}_id": ident, "ts": ev.ts, "by": ev.actor}
        if action == "assign":
            msg.update(details(core, kind, ident))
            for k in DETAIL_FIELDS + ("note",):
                v = ev.payload.get(k)
                if v is not None and _jsonable(v):
                    msg[k] = v
        else:
            if ev.payload.get("note"):
                msg["note"] = ev.payload["note"]
            if ev.kind == "task.finished":
                msg["reason"] = "finished"  # done, not withdrawn
        out.append((unit, msg, ref, ev.seq))
    if out:
        return out
    if ev.kind == "field.message_sent":
        p = ev.payload
        base = {"text": p["text"], "ts": ev.ts, "by": ev.actor}
        if p.get("unit_id"):
            return [(p["unit_id"], {"type": "text", **base}, None, ev.seq)]
        units = p.get("units")  # named by the operation (a broadcast recorded before that: the units enrolled now)
        if not isinstance(units, list):
            with core.lock:
                units = keyed_units(core.state, p.get("kind") or None)
        return [(u, {"type": "broadcast", "kind": p.get("kind"), **base}, None, ev.seq) for u in sorted(units)]
    return []


def _jsonable(v: Any) -> bool:
    return isinstance(v, str | int | float | bool | list | dict)


def details(core: Any, kind: str, ident: str) -> dict[str, Any]:
    """What the field needs to know about an incident or task: the feature's own "show" operation, or for an
    incident the same detail read straight from the core's state (the hub refreshes it before)."""
    name = f"{kind}.show"
    if name not in ops.OPERATIONS:
        return {}
    try:
        if kind == "incident":  # the commonest: read the state the hub already holds (no refresh, no history query)
            from dispatch.incidents.book import book, get

            # the lock is the committing thread's already (the hub relays as a `first` subscriber: dispatch/core.py),
            # so an assignment does not wait here for another thread's store write; the loop takes it
            with core.lock:
                d = get(core.state, ident).summary(book(core.state).config, core.clock())  # detail's fields, no history
        else:
            d = ops.call(core, name, {f"{kind}_id": ident}, actor="system:hub")
    except Exception as exc:  # the assignment still goes out, with what the event said
        log.warning("field: no details for %s:%s: %s", kind, ident, exc)
        return {}
    out = {}
    for k in DETAIL_FIELDS:
        v = d.get(k) if isinstance(d, dict) else None
        if v is not None:
            out[k] = v if _jsonable(v) else str(v)
    if "lat" not in out and isinstance(out.get("area"), dict):  # a task's area: a point inside it to head for
        try:
            from shapely.geometry import shape

            p = shape(out["area"]).representative_point()
            out["lat"], out["lon"] = round(p.y, 6), round(p.x, 6)
        except Exception as exc:  # a malformed area: the assignment still goes out without a point
            log.warning("field: no point for %s:%s: %s", kind, ident, exc)
    return out


def task_units(core: Any, ident: str) -> list[str]:
    """The vessels of a task (its events of cancellation and end do not name them), from the feature's "show"."""
    if "task.show" not in ops.OPERATIONS:
        return []
    try:
        d = ops.call(core, "task.show", {"task_id": ident}, actor="system:hub")
    except Exception as exc:
        log.warning("field: no units for task:%s: %s", ident, exc)
        return []
    units = d.get("units") if isinstance(d, dict) else None
    return [str(u) for u in units] if isinstance(units, list) else []


def advance(core: Any, actor: str, kind: str, ident: str, action: str, msg: dict[str, Any]) -> Any:
    """Run the feature's operation for a unit's answer, as that unit (the feature checks it is its own).

    incident: accept/en_route/on_scene/resolved -> incident.transition; decline -> incident.unassign.
    task: resolved -> task.finish; the other answers are only recorded (field.reply).
    """
    ops.load_features()
    note = msg.get("reason") if action == "decline" else msg.get("note")
    if kind == "incident":
        if action == "decline":
            return _call(core, "incident.unassign", {"incident_id": ident, "note": note}, actor)
        target = "accepted" if action == "accept" else msg["status"]
        return _call(core, "incident.transition", {"incident_id": ident, "state": target, "note": note}, actor)
    if kind == "task" and action == "status" and msg.get("status") == "resolved":
        return _call(core, "task.finish", {"task_id": ident, "note": note}, actor)
    return None


def _call(core: Any, name: str, args: dict[str, Any], actor: str) -> Any:
    if name not in ops.OPERATIONS:
        return None  # the feature is not installed: the reply is still recorded
    return ops.call(core, name, args, actor=actor)


def apply_reply(core: Any, outbox: Any, unit: str, msg: dict[str, Any]) -> None:
    """A crew's reliable message applied: a text recorded, or a reply on its own assignment turned into the
    operation it stands for and recorded as field.reply (refused when the assignment was never theirs)."""
    actor = f"unit:{unit}"
    t = msg["type"]
    if t == "text":
        core.record(actor, [NewEvent("field.message_received", {"unit_id": unit, "text": msg["text"]},
                                          f"unit:{unit}")])
        return
    ref = msg["ref"]
    kind, ident = P.split_ref(ref)
    if not outbox.has_assignment(unit, ref):
        raise Refused(f"{ref} was never assigned to {unit}; a unit reports only on its own assignments",
                      "not_assigned")
    payload: dict[str, Any] = {"unit_id": unit, "ref": ref, "action": t, "cseq": msg["cseq"]}
    for k in ("reason", "status", "note"):
        if msg.get(k) is not None:
            payload[k] = msg[k]
    att = msg.get("attachment")
    if att:
        payload["attachment"] = {"name": att["name"], "mime": att["mime"], "data": att["data"]}
    refusal: Refused | None = None
    try:
        advance(core, actor, kind, ident, t, msg)
    except Refused as exc:
        refusal = exc
        payload["refused"] = str(exc)
    core.record(actor, [NewEvent("field.reply", payload, ref)])
    if refusal is not None:
        raise refusal
