"""Operations of the field link: messages to units, broadcasts, keys, assignment delivery state.

The hub turns the events these record into outbox messages; run them through `ctl --hub` (or
the console) and they reach the field at once, or through `ctl --db` and the hub picks them up
within a second.
"""

from __future__ import annotations

from typing import Any

from dispatch.errors import NotFound, Refused
from dispatch.hub import state as _state  # noqa: F401  (registers the appliers)
from dispatch.hub.protocol import MAX_TEXT
from dispatch.hub.state import field_state, keyed_units
from dispatch.model import UnitKind
from dispatch.ops import op
from dispatch.store import NewEvent


def _text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise Refused("a message needs some text", "empty")
    if len(text) > MAX_TEXT:
        raise Refused(f"a message is at most {MAX_TEXT} characters", "too_long")
    return text


@op("field.send")
def send(core: Any, actor: str, unit_id: str, text: str) -> dict[str, Any]:
    text = _text(text)

    enrolled: list[bool] = []

    def decide(state: Any) -> list[NewEvent]:
        if unit_id not in state.units:
            raise NotFound(f"unknown unit {unit_id!r}")
        enrolled[:] = [unit_id in field_state(state).keys]  # without a key it waits in the outbox until enrolled
        return [NewEvent("field.message_sent", {"unit_id": unit_id, "text": text}, f"unit:{unit_id}")]

    ch = core.command(actor, decide)
    return {"unit_id": unit_id, "event": ch.events[-1].seq, "enrolled": enrolled[0]}


@op("field.broadcast")
def broadcast(core: Any, actor: str, text: str, kind: str | None = None) -> dict[str, Any]:
    text = _text(text)
    if kind is not None:
        try:
            kind = UnitKind(kind).value
        except ValueError:
            raise Refused(f"unknown unit kind {kind!r}; one of {', '.join(k.value for k in UnitKind)}",
                          "bad_kind") from None
    with core.lock:  # the units it goes to, named in the event: the record says who was sent it, and a hub that
        units = keyed_units(core.state, kind)  # makes its messages again after a crash makes the same (outbox.py)
    ch = core.record(actor, [NewEvent("field.message_sent", {"unit_id": None, "kind": kind, "text": text,
                                                              "units": units}, None)])
    return {"kind": kind, "units": len(units), "event": ch.events[-1].seq}


@op("field.keys")
def keys(core: Any, actor: str) -> list[dict[str, Any]]:
    from dispatch.hub.keys import list_keys

    return list_keys(core)


@op("field.enrol")
def enrol(core: Any, actor: str, unit_id: str, public_key: str) -> dict[str, Any]:
    """Enrol `public_key` (Z85, 40 characters) as the unit's field key, replacing any earlier one (cut off at once).
    The seat made the pair and keeps the secret in the unit's key file (dispatch/hub/keys.py: enrol_to_file); the
    answer carries the hub's public key, which that file needs too."""
    from dispatch.hub.keys import enrol as _enrol
    from dispatch.hub.keys import hub_keypair

    with core.lock:
        replaced = unit_id in field_state(core.state).keys
    _enrol(core, actor, str(unit_id), str(public_key))
    return {"unit_id": unit_id, "public_key": public_key, "hub_public_key": hub_keypair(core.store)[0],
            "replaced": replaced}


@op("field.revoke")
def revoke(core: Any, actor: str, unit_id: str) -> dict[str, Any]:
    from dispatch.hub.keys import revoke as _revoke

    return _revoke(core, actor, unit_id)


@op("field.assignments")
def assignments(core: Any, actor: str, unit_id: str | None = None) -> list[dict[str, Any]]:
    """Per unit: online, and every assignment with sent/delivered/accepted/declined times."""
    core.refresh()
    with core.lock:
        fs = field_state(core.state)
        out = []
        for uid, u in sorted(core.state.units.items()):
            if unit_id and uid != unit_id:
                continue
            per = fs.assignments.get(uid, {})
            if not per and uid not in fs.keys and not unit_id:
                continue
            out.append({"unit_id": uid, "online": u.online, "enrolled": uid in fs.keys,
                        "assignments": [v.as_dict() for v in per.values()]})
    return out


@op("field.messages")
def messages(core: Any, actor: str, unit_id: str | None = None, all: bool = False) -> list[dict[str, Any]]:
    """One unit's conversation (texts both ways), the broadcasts (no unit), or with all=True every
    conversation and the broadcasts in time order, each with its `unit_id` (None: a broadcast)."""
    core.refresh()
    with core.lock:
        logs = field_state(core.state).messages
        if not all:
            return [m.as_dict() for m in logs.get(unit_id or "*", [])]
        every = [{"unit_id": None if u == "*" else u, **m.as_dict()} for u, log in logs.items() for m in log]
    return sorted(every, key=lambda m: m.get("ts") or 0.0)


@op("field.unread")
def unread(core: Any, actor: str) -> dict[str, int]:
    """Per unit, how many of its messages no dispatcher has read yet (units with none left out)."""
    core.refresh()
    with core.lock:
        fs = field_state(core.state)
        counts = {u: len(fs.unread(u)) for u in fs.with_unread()}
    return {u: n for u, n in sorted(counts.items()) if n}


@op("field.read")
def mark_read(core: Any, actor: str, unit_id: str) -> dict[str, Any]:
    """A dispatcher has read the unit's conversation: its messages so far are no longer unread (recorded:
    who and when). Returns {"unit_id", "read": how many were unread}."""
    got: list[int] = []

    def decide(state: Any) -> list[NewEvent]:
        if unit_id not in state.units:
            raise NotFound(f"unknown unit {unit_id!r}")
        new = field_state(state).unread(unit_id)
        got[:] = [len(new)]
        return [NewEvent("field.messages_read", {"unit_id": unit_id, "up_to": new[-1].seq},
                         f"unit:{unit_id}")] if new else []

    core.command(actor, decide)
    return {"unit_id": unit_id, "read": got[0]}


@op("field.outbox")
def outbox(core: Any, actor: str, unit_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    from dispatch.hub.outbox import outbox_rows

    return outbox_rows(core.store, unit_id, limit)
