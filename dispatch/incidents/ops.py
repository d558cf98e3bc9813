"""Incidents: reports that become cases, their lifecycle, assignment, deadlines, duplicates and merging.

Everything here is events through ``core.command``; the incident book in ``state.ext["incidents"]``
is derived from them by dispatch/incidents/appliers.py. The rules (states, transitions, deadlines) are
the tables of dispatch/incidents/workflow.py.

Event kinds (entity ``incident:<id>``):
  incident.created        the report: category, priority, place, source, reporter, possible duplicates; with no
                          address, "near" {name, name_en, kind, m}: the named place it is at (dispatch/gazetteer/near.py)
  incident.transitioned   {id, from, to, note, reason?, satisfaction?, merged_into?}
  incident.assigned       {id, unit_id, from, to="dispatched", note}
  incident.unassigned     {id, unit_id, from, to="verified", note}
  incident.merged         {id, duplicate_id, report, attachments}  (on the kept incident)
  incident.attached       {id, sha256, size, name, media_type, time}  (dispatch/incidents/attachments.py)
  incident.overdue        {id, stage, due, notify="shift_lead"}  (once per stage and round): a shift-lead alert
  incident.alerts_acknowledged {alerts: [overdue event seq...]}  (entity "incidents"; who: the actor)
  incident.config_set     the deadline table and duplicate thresholds (entity "incidents")
Unit statuses follow assignments through ``unit.status_set`` events recorded in the same command:
assigned on assign, busy on accept, available when resolved or withdrawn.
"""
from __future__ import annotations

import logging
from typing import Any

from dispatch.errors import NotFound, Refused
from dispatch.incidents.book import (
    actor_unit,
    authorize,
    book,
    check_latlon,
    clean_text,
    find_duplicates,
    get,
    incident_event,
    location_warnings,
    near_field,
    open_assignments,
    overdue_now,
    parse_id,
    release_events,
    unit_status_event,
)
from dispatch.incidents.workflow import (
    ASSIGNABLE,
    REJECT_REASONS,
    UNASSIGNABLE,
    WITH_UNIT,
    WORKING,
    WorkflowConfig,
    allowed_from,
    check_transition,
    parse_category,
    parse_priority,
    parse_source,
    parse_state,
)
from dispatch.incidents.workflow import State as IState
from dispatch.model import UnitKind, UnitStatus
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent

log = logging.getLogger(__name__)



# ------------------------------------------------------------------------------- operations


@op("incident.create")
def create_incident(
    core: Any,
    actor: str,
    category: str,
    priority: str,
    lat: float,
    lon: float,
    text: str | None = None,
    source: str = "hotline",
    address: str | None = None,
    reporter: str | None = None,
    contact: str | None = None,
    verified: bool = False,
) -> dict[str, Any]:
    """File a report. Returns the incident (state "reported", or "verified" with verified=True).

    ``possible_duplicates`` lists open incidents of the same category within the configured distance
    and time; the dispatcher decides (``incident.merge``). ``warnings`` says what looks wrong with the
    place (a water category on land); it is filed all the same (``incident.check`` asks before filing).
    """
    cat = parse_category(category).value
    prio = parse_priority(priority)
    src = parse_source(source).value
    la, lo = check_latlon(lat, lon)
    addr = clean_text(address, 500)
    # no address (a map click, a citizen's tap, an alert): the named place it is at, recorded as the dispatcher saw it
    where = near_field(core.state, addr, la, lo)
    created: list[int] = []

    def decide(state: State) -> list[NewEvent]:
        b = book(state)
        iid = b.next_id
        created.append(iid)
        now = core.clock()
        payload = {
            "category": cat,
            "priority": prio,
            "lat": la,
            "lon": lo,
            "text": clean_text(text),
            "source": src,
            "address": addr,
            **where,
            "reporter": clean_text(reporter, 200),
            "contact": clean_text(contact, 200),
            "possible_duplicates": find_duplicates(state, cat, la, lo, now),
        }
        out = [incident_event("incident.created", iid, **payload)]
        if verified:
            out.append(incident_event("incident.transitioned", iid, **{"from": "reported", "to": "verified", "note": "verified on entry"}))
        return out

    core.command(actor, decide)
    return {**_shown(core, created[0]), "warnings": location_warnings(cat, la, lo)}


@op("incident.check")
def check_report(core: Any, actor: str, category: str, lat: float, lon: float) -> dict[str, Any]:
    """What `incident.create` would warn about for this category and place, before filing: {"warnings": [...]}."""
    cat = parse_category(category).value
    la, lo = check_latlon(lat, lon)
    return {"warnings": location_warnings(cat, la, lo)}


@op("incidents")
def list_incidents(
    core: Any, actor: str, state: str | None = None, open: bool = False, category: str | None = None
) -> list[dict[str, Any]]:
    """The queue: summaries sorted by priority then age. Filters: state, open only, category."""
    core.refresh()
    want = parse_state(state) if state else None
    cat = parse_category(category).value if category else None
    now = core.clock()
    with core.lock:
        b = book(core.state)
        rows = [
            _with_unit_name(core.state, inc.summary(b.config, now))
            for inc in (b.open_incidents() if open else b.items.values())
            if (want is None or inc.state is want) and (not open or inc.is_open) and (cat is None or inc.category == cat)
        ]
    rows.sort(key=lambda r: (r["priority"], r["created_at"], r["id"]))
    return rows


def _with_unit_name(state: State, row: dict[str, Any]) -> dict[str, Any]:
    """The assigned unit's display name beside its id (the queue shows names, scripts use ids)."""
    u = state.units.get(row["unit_id"]) if row.get("unit_id") else None
    row["unit_name"] = u.name if u is not None else None
    return row


@op("incident.show")
def show_incident(core: Any, actor: str, incident_id: Any) -> dict[str, Any]:
    """One incident with its history (every event: time, actor, kind, from, to, note), reports, attachments."""
    core.refresh()
    return _shown(core, incident_id)


def _shown(core: Any, incident_id: Any) -> dict[str, Any]:
    """The incident as `show_incident` gives it, from the state as it is: an operation's answer right after its
    own command, which caught up with the store and applied its events (no second read of the store, and the
    core's lock free at once for the hub, which reads the same incident to send the assignment)."""
    with core.lock:
        b = book(core.state)
        return _with_unit_name(core.state, get(core.state, incident_id).detail(b.config, core.clock()))


@op("incident.transition")
def transition(
    core: Any,
    actor: str,
    incident_id: Any,
    state: str,
    note: str | None = None,
    reason: str | None = None,
    satisfaction: int | None = None,
) -> dict[str, Any]:
    """Move an incident along its lifecycle. Refused (naming the allowed states) if illegal.

    rejected takes ``reason`` ("invalid" default, or "duplicate"); evaluated needs ``satisfaction`` 1..5.
    A unit actor ("unit:<id>") may only move its own assignment (see :func:`authorize`).
    """
    target = parse_state(state)
    iid = parse_id(incident_id)
    extra: dict[str, Any] = {}
    if target is IState.REJECTED:
        r = (reason or "invalid").strip().lower()
        if r not in REJECT_REASONS:
            raise Refused(f"unknown reject reason {reason!r}; one of {', '.join(REJECT_REASONS)}", "bad_reason")
        extra["reason"] = r
    if target is IState.EVALUATED:
        try:
            sat = int(satisfaction) if satisfaction is not None else None
        except (TypeError, ValueError):
            sat = None
        if sat is None or not 1 <= sat <= 5:
            raise Refused("evaluated needs the reporter's satisfaction, a whole number 1 to 5", "bad_satisfaction")
        extra["satisfaction"] = sat

    def decide(st: State) -> list[NewEvent]:
        inc = get(st, iid)
        authorize(actor, inc, target)
        check_transition(inc.state, target)
        out = [incident_event("incident.transitioned", iid, **{"from": inc.state.value, "to": target.value,
                                                     "note": clean_text(note), **extra})]
        u = st.units.get(inc.unit_id) if inc.unit_id else None
        if u is not None and u.status is not UnitStatus.OUT_OF_SERVICE:
            if target is IState.ACCEPTED and u.status is not UnitStatus.BUSY:
                out.append(unit_status_event(u.id, UnitStatus.BUSY))
            elif target in (IState.RESOLVED, IState.REJECTED):
                out.extend(release_events(st, u, iid))
        return out

    core.command(actor, decide)
    return _shown(core, iid)


@op("incident.evaluate")
def evaluate(core: Any, actor: str, incident_id: Any, satisfaction: int, note: str | None = None) -> dict[str, Any]:
    """closed -> evaluated with the reporter's satisfaction (1..5) and a note."""
    return transition(core, actor, incident_id, "evaluated", note=note, satisfaction=satisfaction)


@op("incident.assign")
def assign(core: Any, actor: str, incident_id: Any, unit_id: str, note: str | None = None,
           exclusive: bool = False) -> dict[str, Any]:
    """Dispatch a unit: the incident goes to "dispatched", the unit to "assigned".

    From "reported" the assignment verifies the case implicitly (two events). A unit that already has
    assignments it has not started (dispatched or accepted) takes this one in its queue, as a CAD
    stacks calls: the result says ``queued_behind``. Refused: an unknown unit; a truck (supervised, not
    dispatched); a unit out of service;
    a unit already en route or on scene elsewhere (busy); with ``exclusive`` (the console's one-click
    assignment) any unit that is no longer free, so two dispatchers cannot both take the same unit;
    an incident that already has a unit or is not assignable (the message names what is allowed).
    A unit out of reach of the field link is no reason to refuse: its outbox keeps the assignment
    until it reconnects, and the result says so in ``delivery``.
    """
    iid = parse_id(incident_id)
    uid = str(unit_id).strip()
    ahead: list[int] = []

    def decide(st: State) -> list[NewEvent]:
        inc = get(st, iid)
        if actor_unit(actor) is not None:
            raise Refused("a unit cannot dispatch; a dispatcher assigns", "not_allowed_for_unit")
        u = st.units.get(uid)
        if u is None:
            raise NotFound(f"unknown unit {uid!r}")
        if u.kind is UnitKind.TRUCK:
            raise Refused(f"{uid} is a construction-waste truck: the bureau supervises trucks, it does not "
                          "dispatch them; send an officer", "not_a_responder")
        if inc.state in WITH_UNIT:
            raise Refused(
                f"incident {iid} is already assigned to {inc.unit_id} ({inc.state.value}); unassign it first",
                "already_assigned",
            )
        if inc.state not in ASSIGNABLE:
            raise Refused(
                f"cannot assign incident {iid} in state {inc.state.value}; assign works from "
                f"{', '.join(s.value for s in ASSIGNABLE)}; allowed from {inc.state.value}: "
                + (", ".join(allowed_from(inc.state)) or "nothing"),
                "illegal_transition",
            )
        if u.status is UnitStatus.OUT_OF_SERVICE:
            raise Refused(f"unit {uid} is offline (out of service); put it back in service first", "unit_offline")
        queue = open_assignments(st, uid)
        working = [o for o in queue if o.state in WORKING]
        if working:
            w = working[0]
            raise Refused(f"unit {uid} is busy: {w.state.value} on incident {w.id}; "
                          "it can take new work once that is resolved", "unit_busy")
        if queue and exclusive:
            raise Refused(f"unit {uid} is no longer free: it was just assigned incident {queue[0].id} "
                          f"({queue[0].state.value}); assign again to queue this one behind it", "unit_busy")
        ahead[:] = [o.id for o in queue]
        out = []
        frm = inc.state
        if frm is IState.REPORTED:
            out.append(incident_event("incident.transitioned", iid, **{"from": "reported", "to": "verified",
                                                             "note": "verified on assignment"}))
            frm = IState.VERIFIED
        out.append(incident_event("incident.assigned", iid, unit_id=uid, note=clean_text(note),
                       **{"from": frm.value, "to": IState.DISPATCHED.value}))
        if not queue and u.status is not UnitStatus.ASSIGNED:
            out.append(unit_status_event(uid, UnitStatus.ASSIGNED))
        return out

    core.command(actor, decide)
    result = _shown(core, iid)
    if ahead:
        result["queued_behind"] = ahead
    u = core.state.units.get(uid)
    if u is not None and u.online is False:
        result["delivery"] = f"unit {uid} is out of reach of the field link; the assignment waits in its outbox"
    return result


@op("incident.unassign")
def unassign(core: Any, actor: str, incident_id: Any, note: str | None = None) -> dict[str, Any]:
    """Withdraw the unit (or the unit declines): back to "verified", the unit available again."""
    iid = parse_id(incident_id)

    def decide(st: State) -> list[NewEvent]:
        inc = get(st, iid)
        if inc.state not in UNASSIGNABLE or inc.unit_id is None:
            raise Refused(
                f"incident {iid} is {inc.state.value}; unassign works from "
                f"{', '.join(s.value for s in UNASSIGNABLE)}", "illegal_transition")
        uid = actor_unit(actor)
        if uid is not None and uid != inc.unit_id:
            raise Refused(f"unit {uid} is not assigned to incident {iid}", "not_your_assignment")
        out = [incident_event("incident.unassigned", iid, unit_id=inc.unit_id, note=clean_text(note),
                   **{"from": inc.state.value, "to": IState.VERIFIED.value})]
        u = st.units.get(inc.unit_id)
        if u is not None and u.status in (UnitStatus.ASSIGNED, UnitStatus.BUSY):
            out.extend(release_events(st, u, iid))
        return out

    core.command(actor, decide)
    return _shown(core, iid)


@op("incident.merge")
def merge(core: Any, actor: str, incident_id: Any, duplicate_id: Any, note: str | None = None) -> dict[str, Any]:
    """Merge a duplicate into an incident: the kept one gains the duplicate's report and attachments,
    the duplicate is rejected as "duplicate" with ``merged_into``. Returns the kept incident."""
    keep, dup = parse_id(incident_id), parse_id(duplicate_id)
    if keep == dup:
        raise Refused("cannot merge an incident into itself", "bad_merge")

    def decide(st: State) -> list[NewEvent]:
        a, d = get(st, keep), get(st, dup)
        if not a.is_open:
            raise Refused(f"incident {keep} is {a.state.value}; merge into an open incident", "bad_merge")
        if d.merged_into is not None:
            raise Refused(f"incident {dup} is already merged into {d.merged_into}", "bad_merge")
        if d.state in WITH_UNIT:
            raise Refused(f"incident {dup} has unit {d.unit_id} working it; unassign it first", "bad_merge")
        if not d.is_open:
            raise Refused(f"incident {dup} is {d.state.value}; only an open report can be merged", "bad_merge")
        report = {
            "incident_id": d.id, "category": d.category, "priority": d.priority, "lat": d.lat, "lon": d.lon,
            "text": d.text, "source": d.source, "address": d.address, "reporter": d.reporter,
            "contact": d.contact, "created_at": d.created_at, "created_by": d.created_by,
            "reports": [dict(r) for r in d.reports],
        }
        return [
            incident_event("incident.merged", keep, duplicate_id=dup, report=report,
                attachments=[dict(x) for x in d.attachments], note=clean_text(note)),
            incident_event("incident.transitioned", dup, **{"from": d.state.value, "to": "rejected", "reason": "duplicate",
                                                 "merged_into": keep, "note": clean_text(note)}),
        ]

    core.command(actor, decide)
    return _shown(core, keep)


def check_deadlines(core: Any, now: float | None = None, actor: str = "system") -> list[dict[str, Any]]:
    """Record an overdue alert (once per stage and round) for every incident past a time limit.

    The console calls this every few seconds; returns the alerts recorded now:
    [{"id", "stage", "due", "overdue_s"}].
    """
    core.refresh()
    t = core.clock() if now is None else float(now)
    with core.lock:
        if not overdue_now(core.state, t):
            return []
    found: list[dict[str, Any]] = []

    def decide(st: State) -> list[NewEvent]:
        found.clear()
        out = []
        for inc, stage, due in overdue_now(st, t):
            found.append({"id": inc.id, "stage": stage, "due": due, "overdue_s": round(t - due, 1)})
            out.append(incident_event("incident.overdue", inc.id, stage=stage, due=due, at=t, notify="shift_lead",
                           state=inc.state.value, priority=inc.priority))
        return out

    core.command(actor, decide)
    return found


@op("incidents.check_deadlines")
def check_deadlines_op(core: Any, actor: str, now: float | None = None) -> list[dict[str, Any]]:
    return check_deadlines(core, now, actor)


@op("incidents.alerts")
def list_alerts(core: Any, actor: str, all: bool = False) -> list[dict[str, Any]]:
    """The shift-lead alerts, newest first: those nobody acknowledged yet (all=True: every one)."""
    core.refresh()
    with core.lock:
        b = book(core.state)
        out = []
        for a in reversed(b.alerts.values()):
            if all or a.acknowledged_at is None:
                inc = b.items.get(a.incident_id)
                out.append({**a.as_dict(), "category": inc.category if inc else None,
                            "state": inc.state.value if inc else None})
        return out


@op("incidents.acknowledge_alerts")
def acknowledge_alerts(core: Any, actor: str, alerts: list[int] | None = None) -> dict[str, Any]:
    """Acknowledge alerts by their seq (None: every one not yet acknowledged); returns {"acknowledged": n}."""
    wanted = None if alerts is None else {int(x) for x in alerts}
    done: list[int] = []

    def decide(st: State) -> list[NewEvent]:
        known = book(st).alerts
        if wanted is not None and (unknown := sorted(wanted - set(known))):
            raise NotFound(f"no such alert: {', '.join(map(str, unknown))}")
        done[:] = [s for s, a in known.items() if a.acknowledged_at is None and (wanted is None or s in wanted)]
        return [NewEvent("incident.alerts_acknowledged", {"alerts": list(done)}, "incidents")] if done else []

    core.command(actor, decide)
    return {"acknowledged": len(done)}


@op("incidents.config")
def show_config(core: Any, actor: str) -> dict[str, Any]:
    core.refresh()
    with core.lock:
        return book(core.state).config.as_dict()


@op("incidents.config_set")
def set_config(core: Any, actor: str, config: dict[str, Any]) -> dict[str, Any]:
    """Replace the deadline table / duplicate thresholds (validated; partial tables keep the defaults)."""
    cfg = WorkflowConfig.from_dict(config)
    core.command(actor, lambda _s: [NewEvent("incident.config_set", cfg.as_dict(), "incidents")])
    return show_config(core, actor)
