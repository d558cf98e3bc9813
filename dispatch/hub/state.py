"""The field link's part of the state, derived from events: enrolled keys, presence, what each
unit was sent and answered, and the messages exchanged with units.

Events (payloads):
  field.key_enrolled {unit_id, public_key}     field.key_revoked {unit_id, public_key}
  unit.online {id}  unit.offline {id}           field.message_sent {unit_id|null, kind|null, text, units?}
  field.message_received {unit_id, text}       field.delivered {unit_id, ref, seq}
  field.messages_read {unit_id, up_to} (a dispatcher read the unit's messages up to that event seq)
  field.queued {unit_id, ref, seq, type} (an assignment or cancel put in the unit's outbox)
  field.reply {unit_id, ref, action, status?, reason?, note?, attachment?}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dispatch.changes import Changes
from dispatch.state import State, applies
from dispatch.store import Event

MAX_MESSAGES_PER_UNIT = 200
MAX_ASSIGNMENTS_PER_UNIT = 200  # the latest views a unit keeps: a year of work is in the log, not in memory


@dataclass
class AssignmentView:
    ref: str
    sent: float | None = None  # the assignment was made (and queued for the unit)
    delivered: float | None = None
    accepted: float | None = None
    declined: float | None = None
    reason: str | None = None
    status: str | None = None  # en_route, on_scene, resolved
    status_at: float | None = None
    cancelled: float | None = None
    finished: float | None = None  # a task that ended (covered, or finished by the dispatcher): not withdrawn
    seq: int | None = None  # the assignment's own seq in the unit's outbox (its "delivered" is that seq's ack)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(slots=True)
class Message:
    """One text in a unit's conversation (or a broadcast), as the log keeps it in memory: a slotted record
    (about 80 bytes against 220 for the same dict; a hub keeps up to MAX_MESSAGES_PER_UNIT per unit).
    `as_dict` is what the operations answer."""

    ts: float
    dir: str  # "out": to the unit (or a broadcast), "in": from it
    actor: str
    text: str
    kind: str | None = None  # out: a broadcast's kind
    seq: int | None = None  # in: its event's seq (what "read up to" counts)

    def as_dict(self) -> dict[str, Any]:
        if self.dir == "in":
            return {"ts": self.ts, "dir": self.dir, "actor": self.actor, "text": self.text, "seq": self.seq}
        return {"ts": self.ts, "dir": self.dir, "actor": self.actor, "text": self.text, "kind": self.kind}


@dataclass
class FieldState:
    keys: dict[str, str] = field(default_factory=dict)  # unit_id -> Z85 public key
    by_key: dict[str, str] = field(default_factory=dict)  # Z85 public key -> unit_id
    revoked: dict[str, float] = field(default_factory=dict)  # unit_id -> when
    assignments: dict[str, dict[str, AssignmentView]] = field(default_factory=dict)  # unit -> ref -> view
    messages: dict[str, list[Message]] = field(default_factory=dict)  # unit ("*" broadcasts) -> log
    online_since: dict[str, float] = field(default_factory=dict)
    read_up_to: dict[str, int] = field(default_factory=dict)  # unit -> seq of the last of its messages read
    last_in: dict[str, int] = field(default_factory=dict)  # unit -> seq of its last message to the control room
    offline_since: dict[str, float] = field(default_factory=dict)

    def assignment(self, unit_id: str, ref: str) -> AssignmentView:
        per = self.assignments.setdefault(unit_id, {})
        view = per.get(ref)
        if view is None:
            view = per[ref] = AssignmentView(ref)
            if len(per) > MAX_ASSIGNMENTS_PER_UNIT:
                del per[next(iter(per))]  # the oldest made
        return view

    def unread(self, unit_id: str) -> list[Message]:
        """The unit's messages to the control room that no dispatcher has read yet."""
        seen = self.read_up_to.get(unit_id, 0)
        return [m for m in self.messages.get(unit_id, []) if m.dir == "in" and (m.seq or 0) > seen]

    def with_unread(self) -> list[str]:
        """The units with a message no dispatcher has read: each unit's last message in against what was read,
        not a scan of every conversation."""
        seen = self.read_up_to
        return [u for u, seq in self.last_in.items() if seq > seen.get(u, 0)]

    def log_message(self, unit_id: str, entry: Message) -> None:
        log = self.messages.setdefault(unit_id, [])
        log.append(entry)
        del log[:-MAX_MESSAGES_PER_UNIT]


def field_state(state: State) -> FieldState:
    fs = state.ext.get("field")
    if fs is None:
        fs = state.ext["field"] = FieldState()
    return fs


def keyed_units(state: State, kind: str | None = None) -> list[str]:
    """The units with an enrolled key (of `kind`, if given), sorted: whom a broadcast goes to. Under the core's lock."""
    return sorted(u for u in field_state(state).keys
                  if kind is None or getattr(state.units.get(u), "kind", None) == kind)


# ------------------------------------------------------- assignment events (another feature's)
ASSIGN_SUFFIXES = (".assigned",)
CANCEL_SUFFIXES = (".unassigned", ".assignment_cancelled", ".withdrawn")


def assignments_of(ev: Event) -> list[tuple[str, str, str]]:
    """[(action, unit_id, ref)] if `ev` assigns units to (or withdraws them from) an incident or task.

    Generic on purpose: an event whose kind ends in ".assigned" (or ".unassigned"...) and whose payload
    names a unit ("unit_id"/"unit") or units ("units": [...]) and an incident or task (incident_id,
    task_id, or the event's entity "incident:ID"/"task:ID"). incident.assigned {id, unit_id},
    task.assigned {id, units}, task.created {id, units} (starting now, not a recurring template) and
    task.started {id, units} (a scheduled task starting) are the kinds today.
    """
    kind = ev.kind
    if kind.endswith(CANCEL_SUFFIXES) or kind == "assignment.cancelled":
        action = "cancel"
    elif kind.endswith(ASSIGN_SUFFIXES) or kind == "assignment.created":
        action = "assign"
    elif kind == "task.created" and isinstance(ev.payload, dict) and not ev.payload.get("every_day") \
            and not (isinstance(ev.payload.get("at"), int | float) and ev.payload["at"] > ev.ts):
        # a task made with its vessels that starts now (a recurring template is not work: its daily tasks
        # are; a task scheduled for later goes out when it starts: task.started names its vessels then)
        action = "assign"
    elif kind == "task.started" and isinstance(ev.payload, dict) and ev.payload.get("units"):
        action = "assign"
    else:
        return []
    p = ev.payload if isinstance(ev.payload, dict) else {}
    units = p.get("units") if isinstance(p.get("units"), list) else [p.get("unit_id") or p.get("unit")]
    units = [str(u) for u in units if isinstance(u, str | int) and u != ""]
    if p.get("incident_id") is not None:
        ref = f"incident:{p['incident_id']}"
    elif p.get("task_id") is not None:
        ref = f"task:{p['task_id']}"
    elif ev.entity and ev.entity.split(":")[0] in ("incident", "task"):
        ref = ev.entity
    else:
        return []
    return [(action, u, ref) for u in units]


# ---------------------------------------------------------------------------------- appliers
@applies("field.key_enrolled")
def _key_enrolled(state: State, ev: Event, ch: Changes) -> None:
    fs = field_state(state)
    unit, key = ev.payload["unit_id"], ev.payload["public_key"]
    old = fs.keys.get(unit)
    if old:
        fs.by_key.pop(old, None)
    fs.keys[unit] = key
    fs.by_key[key] = unit
    fs.revoked.pop(unit, None)
    # presence stays unknown (None) until the hub hears from the unit or records it offline
    ch.units = True
    ch.entities.add(f"unit:{unit}")


@applies("field.key_revoked")
def _key_revoked(state: State, ev: Event, ch: Changes) -> None:
    fs = field_state(state)
    unit = ev.payload["unit_id"]
    key = fs.keys.pop(unit, None)
    if key:
        fs.by_key.pop(key, None)
    fs.revoked[unit] = ev.ts
    u = state.units.get(unit)
    if u is not None:
        u.online = None
    ch.units = True
    ch.entities.add(f"unit:{unit}")


def _presence(state: State, ev: Event, ch: Changes, online: bool) -> None:
    unit = ev.payload["id"]
    u = state.units.get(unit)
    if u is not None:
        u.online = online
    fs = field_state(state)
    (fs.online_since if online else fs.offline_since)[unit] = ev.ts
    ch.units = True
    ch.entities.add(f"unit:{unit}")


@applies("unit.online")
def _online(state: State, ev: Event, ch: Changes) -> None:
    _presence(state, ev, ch, True)


@applies("unit.offline")
def _offline(state: State, ev: Event, ch: Changes) -> None:
    _presence(state, ev, ch, False)


@applies("field.message_sent")
def _message_sent(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    target = p.get("unit_id") or "*"
    field_state(state).log_message(target, Message(ev.ts, "out", ev.actor, p["text"], kind=p.get("kind")))
    ch.messages = True


@applies("field.message_received")
def _message_received(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    fs = field_state(state)
    fs.log_message(p["unit_id"], Message(ev.ts, "in", ev.actor, p["text"], seq=ev.seq))
    fs.last_in[p["unit_id"]] = ev.seq
    ch.messages = True


@applies("field.messages_read")
def _messages_read(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    fs = field_state(state)
    fs.read_up_to[p["unit_id"]] = max(fs.read_up_to.get(p["unit_id"], 0), int(p["up_to"]))
    ch.messages = True


@applies("field.queued")
def _queued(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    view = field_state(state).assignment(p["unit_id"], p["ref"])
    at = p.get("at", ev.ts)  # when it was queued and sent (the event is recorded up to 50 ms later, in a batch)
    if p.get("type") == "cancel" and p.get("reason") == "finished":
        view.finished = at
    elif p.get("type") == "cancel":
        view.cancelled = at
    else:
        view.sent, view.delivered, view.accepted, view.declined, view.cancelled = at, None, None, None, None
        view.finished = None
        view.seq = p.get("seq")
    ch.assignments = True


@applies("field.delivered")
def _delivered(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    view = field_state(state).assignment(p["unit_id"], p["ref"])
    if view.seq is None or p.get("seq") in (None, view.seq):  # not the ack of a later cancel for the same ref
        view.delivered = p.get("at", ev.ts)  # the acknowledgement's own time
    ch.assignments = True


@applies("field.reply")
def _reply(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    view = field_state(state).assignment(p["unit_id"], p["ref"])
    if p["action"] == "accept":
        view.accepted = ev.ts
    elif p["action"] == "decline":
        view.declined, view.reason = ev.ts, p.get("reason")
    elif p["action"] == "status":
        view.status, view.status_at = p.get("status"), ev.ts
    ch.assignments = True
