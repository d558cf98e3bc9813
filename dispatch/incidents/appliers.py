"""State appliers of the incident events: the incident book in ``state.ext["incidents"]`` derived from the log."""

from __future__ import annotations

import logging
from typing import Any

from dispatch.changes import Changes
from dispatch.errors import Refused
from dispatch.incidents.book import Alert, Incident, book, open_assignments
from dispatch.incidents.workflow import State as IState
from dispatch.incidents.workflow import WorkflowConfig
from dispatch.state import State, applies
from dispatch.store import Event

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------- appliers


def _hist(inc: Incident, ev: Event, **extra: Any) -> None:
    p = ev.payload
    h = {"seq": ev.seq, "time": ev.ts, "actor": ev.actor, "kind": ev.kind,
         "from": p.get("from"), "to": p.get("to"), "note": p.get("note")}
    h.update({k: v for k, v in extra.items() if v is not None})
    inc.history.append(h)
    inc.updated_at = ev.ts


def _touch(ch: Changes, inc_id: int, alerts: bool = False) -> None:
    ch.incidents = True
    ch.entities.add(f"incident:{inc_id}")
    if alerts:
        ch.alerts = True


def _release_unit(state: State, inc: Incident) -> None:
    if inc.unit_id:
        u = state.units.get(inc.unit_id)
        if u is not None and u.current == f"incident:{inc.id}":
            rest = [o for o in open_assignments(state, inc.unit_id) if o.id != inc.id]
            u.current = f"incident:{rest[0].id}" if rest else None  # the next in its queue, if any
    inc.unit_id = None


@applies("incident.created")
def _created(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    inc = Incident(
        id=int(p["id"]), category=p["category"], priority=p["priority"], lat=float(p["lat"]), lon=float(p["lon"]),
        created_at=ev.ts, created_by=ev.actor, text=p.get("text"), source=p.get("source") or "other",
        address=p.get("address"), near=p.get("near"), reporter=p.get("reporter"), contact=p.get("contact"),
        possible_duplicates=list(p.get("possible_duplicates") or []),
    )
    inc.clock = {"dispatch": ev.ts, "resolve": ev.ts}
    b = book(state)
    b.items[inc.id] = inc
    b.reindex(inc)
    _hist(inc, ev, to="reported", note=p.get("text"))
    inc.history[-1]["to"] = "reported"
    _touch(ch, inc.id)


@applies("incident.transitioned")
def _transitioned(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    inc = book(state).items.get(int(p["id"]))
    if inc is None:
        return
    to = IState(p["to"])
    inc.state = to
    if to is IState.REJECTED:
        inc.reject_reason = p.get("reason")
        if p.get("merged_into") is not None:
            inc.merged_into = int(p["merged_into"])
        _release_unit(state, inc)
    elif to is IState.RESOLVED:
        _release_unit(state, inc)
    elif to is IState.ON_SCENE:
        inc.clock["arrived"] = ev.ts
    elif to in (IState.CLOSED, IState.EVALUATED):
        inc.overdue = False
        if to is IState.EVALUATED:
            inc.satisfaction = p.get("satisfaction")
            inc.evaluation_note = p.get("note")
    elif to is IState.REOPENED:
        inc.round += 1
        inc.reject_reason = None
        inc.merged_into = None if p["from"] != "rejected" else inc.merged_into
        inc.overdue_stages = []
        inc.clock = {"dispatch": ev.ts, "resolve": ev.ts}
    book(state).reindex(inc)
    _hist(inc, ev, reason=p.get("reason"), satisfaction=p.get("satisfaction"), merged_into=p.get("merged_into"))
    _touch(ch, inc.id)


@applies("incident.assigned")
def _assigned(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    inc = book(state).items.get(int(p["id"]))
    if inc is None:
        return
    inc.state = IState.DISPATCHED
    inc.unit_id = p["unit_id"]
    inc.units.append(p["unit_id"])
    inc.clock["arrive"] = ev.ts
    book(state).reindex(inc)
    u = state.units.get(p["unit_id"])
    if u is not None:
        if u.current is None:  # otherwise it waits in the unit's queue
            u.current = f"incident:{inc.id}"
        ch.units = True
    _hist(inc, ev, unit_id=p["unit_id"])
    _touch(ch, inc.id)
    ch.assignments = True


@applies("incident.unassigned")
def _unassigned(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    inc = book(state).items.get(int(p["id"]))
    if inc is None:
        return
    _release_unit(state, inc)
    inc.state = IState.VERIFIED
    book(state).reindex(inc)
    inc.clock.pop("arrive", None)
    _hist(inc, ev, unit_id=p.get("unit_id"))
    _touch(ch, inc.id)
    ch.assignments = True
    ch.units = True


@applies("incident.merged")
def _merged(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    inc = book(state).items.get(int(p["id"]))
    if inc is None:
        return
    inc.merged.append(int(p["duplicate_id"]))
    inc.reports.append(dict(p.get("report") or {}))
    known = {a.get("sha256") for a in inc.attachments}
    for a in p.get("attachments") or []:
        if a.get("sha256") not in known:
            inc.attachments.append({**a, "from_incident": int(p["duplicate_id"])})
    _hist(inc, ev, duplicate_id=p["duplicate_id"])
    _touch(ch, inc.id)


@applies("incident.attached")
def _attached(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    inc = book(state).items.get(int(p["id"]))
    if inc is None:
        return
    att = {k: v for k, v in p.items() if k != "id"}
    att.setdefault("time", ev.ts)
    att["by"] = ev.actor
    inc.attachments.append(att)
    _hist(inc, ev, sha256=p.get("sha256"), name=p.get("name"))
    _touch(ch, inc.id)


@applies("incident.overdue")
def _overdue(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    inc = book(state).items.get(int(p["id"]))
    if inc is None:
        return
    if p["stage"] not in inc.overdue_stages:
        inc.overdue_stages.append(p["stage"])
    inc.overdue = True
    _hist(inc, ev, stage=p["stage"], due=p.get("due"), notify=p.get("notify"))
    book(state).alerts[ev.seq] = Alert(ev.seq, inc.id, p["stage"], p.get("due"), float(p.get("at") or ev.ts),
                                       p.get("priority") or inc.priority)
    _touch(ch, inc.id, alerts=True)


@applies("incident.alerts_acknowledged")
def _alerts_acknowledged(state: State, ev: Event, ch: Changes) -> None:
    alerts = book(state).alerts
    for seq in ev.payload.get("alerts") or []:
        a = alerts.get(int(seq))
        if a is not None and a.acknowledged_at is None:
            a.acknowledged_by, a.acknowledged_at = ev.actor, ev.ts
    ch.alerts = True


@applies("incident.config_set")
def _config_set(state: State, ev: Event, ch: Changes) -> None:
    try:
        book(state).config = WorkflowConfig.from_dict(ev.payload)
    except Refused:
        log.warning("ignoring a malformed incident.config_set at seq %s", ev.seq)
    ch.incidents = True
