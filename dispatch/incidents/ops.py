"""Incidents: reports that become cases, their lifecycle, assignment, deadlines, duplicates and merging.

Everything here is events through ``core.command``; the incident book in ``state.ext["incidents"]``
is derived from them by the appliers at the bottom. The rules (states, transitions, deadlines) are
the tables of dispatch/workflow.py.

Event kinds (entity ``incident:<id>``):
  incident.created        the report: category, priority, place, source, reporter, possible duplicates
  incident.transitioned   {id, from, to, note, reason?, satisfaction?, merged_into?}
  incident.assigned       {id, unit_id, from, to="dispatched", note}
  incident.unassigned     {id, unit_id, from, to="verified", note}
  incident.merged         {id, duplicate_id, report, attachments}  (on the kept incident)
  incident.attached       {id, sha256, size, name, media_type, time}  (dispatch/attachments.py)
  incident.overdue        {id, stage, due, notify="shift_lead"}  (once per stage and round)
  incident.config_set     the deadline table and duplicate thresholds (entity "incidents")
Unit statuses follow assignments through ``unit.status_set`` events recorded in the same command:
assigned on assign, busy on accept, available when resolved or withdrawn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from dispatch.changes import Changes
from dispatch.errors import NotFound, Refused
from dispatch.geo import haversine_m
from dispatch.model import UnitStatus
from dispatch.ops import op
from dispatch.state import State, applies
from dispatch.store import Event, NewEvent
from dispatch.workflow import (
    ASSIGNABLE,
    CLOSED_STATES,
    REJECT_REASONS,
    STAGE_OF,
    UNASSIGNABLE,
    UNIT_MOVES,
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
from dispatch.workflow import State as IState

log = logging.getLogger(__name__)

EXT = "incidents"


@dataclass
class Incident:
    id: int
    category: str
    priority: str
    lat: float
    lon: float
    created_at: float
    created_by: str
    state: IState = IState.REPORTED
    text: str | None = None
    source: str = "hotline"
    address: str | None = None
    reporter: str | None = None
    contact: str | None = None
    unit_id: str | None = None  # the unit working it (dispatched .. on_scene); last one kept in `units`
    units: list[str] = field(default_factory=list)  # every unit ever assigned, in order
    updated_at: float = 0.0
    possible_duplicates: list[int] = field(default_factory=list)
    merged_into: int | None = None
    merged: list[int] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)  # merged duplicates' report details
    attachments: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    clock: dict[str, float] = field(default_factory=dict)  # stage -> when its time limit started counting
    overdue_stages: list[str] = field(default_factory=list)  # alerted this round
    overdue: bool = False  # stays true until closed
    reject_reason: str | None = None
    satisfaction: int | None = None
    evaluation_note: str | None = None
    round: int = 1  # 1 + times reopened

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES

    def summary(self, cfg: WorkflowConfig, now: float) -> dict[str, Any]:
        """The queue row: everything but history, reports and attachment details."""
        d = {
            "id": self.id,
            "entity": f"incident:{self.id}",
            "category": self.category,
            "priority": self.priority,
            "state": self.state.value,
            "lat": self.lat,
            "lon": self.lon,
            "address": self.address,
            "text": self.text,
            "source": self.source,
            "reporter": self.reporter,
            "contact": self.contact,
            "unit_id": self.unit_id,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "updated_at": self.updated_at,
            "open": self.is_open,
            "possible_duplicates": list(self.possible_duplicates),
            "merged_into": self.merged_into,
            "merged": list(self.merged),
            "overdue": self.overdue,
            "overdue_stages": list(self.overdue_stages),
            "deadline": deadline(self, cfg, now),
            "attachments_count": len(self.attachments),
            "reject_reason": self.reject_reason,
            "satisfaction": self.satisfaction,
            "round": self.round,
            "allowed": allowed_from(self.state),
        }
        return d

    def detail(self, cfg: WorkflowConfig, now: float) -> dict[str, Any]:
        d = self.summary(cfg, now)
        d.update(
            units=list(self.units),
            evaluation_note=self.evaluation_note,
            reports=[dict(r) for r in self.reports],
            attachments=[dict(a) for a in self.attachments],
            history=[dict(h) for h in self.history],
        )
        return d


@dataclass
class IncidentBook:
    items: dict[int, Incident] = field(default_factory=dict)
    config: WorkflowConfig = field(default_factory=WorkflowConfig)

    @property
    def next_id(self) -> int:
        return max(self.items, default=0) + 1


def book(state: State) -> IncidentBook:
    """The incident part of the state (created on first use)."""
    b = state.ext.get(EXT)
    if b is None:
        b = state.ext[EXT] = IncidentBook()
    return b


def parse_id(value: Any) -> int:
    """12, "12", "incident:12", "#12" -> 12. Raises Refused."""
    s = str(value).strip().removeprefix("incident:").removeprefix("#")
    try:
        return int(s)
    except ValueError:
        raise Refused(f"bad incident id {value!r}; give a number such as 12", "bad_id") from None


def get(state: State, incident_id: Any) -> Incident:
    iid = parse_id(incident_id)
    inc = book(state).items.get(iid)
    if inc is None:
        raise NotFound(f"unknown incident {iid}")
    return inc


# ---------------------------------------------------------------------------- deadlines


def active_stages(inc: Incident) -> list[str]:
    """The stages whose time limit is running for `inc` now."""
    if not inc.is_open or inc.state in (IState.RESOLVED,):
        return []
    out = []
    stage = STAGE_OF.get(inc.state)
    if stage in ("dispatch", "arrive"):
        out.append(stage)
    out.append("resolve")
    return out


def deadline(inc: Incident, cfg: WorkflowConfig, now: float) -> dict[str, Any] | None:
    """The nearest running deadline: {"stage", "due", "remaining_s"} (negative when overdue), or None."""
    best: dict[str, Any] | None = None
    for stage in active_stages(inc):
        start = inc.clock.get(stage)
        if start is None:
            continue
        due = start + cfg.limit(inc.category, inc.priority, stage)
        if best is None or due < best["due"]:
            best = {"stage": stage, "due": due, "remaining_s": round(due - now, 1)}
    return best


def overdue_now(state: State, now: float) -> list[tuple[Incident, str, float]]:
    """(incident, stage, due) for each running limit passed at `now` and not yet alerted this round."""
    b = book(state)
    out = []
    for inc in b.items.values():
        for stage in active_stages(inc):
            start = inc.clock.get(stage)
            if start is None or stage in inc.overdue_stages:
                continue
            due = start + b.config.limit(inc.category, inc.priority, stage)
            if now > due:
                out.append((inc, stage, due))
    return out


# ------------------------------------------------------------------------------ helpers


def _ev(kind: str, inc_id: int, **payload: Any) -> NewEvent:
    return NewEvent(kind, {"id": inc_id, **payload}, f"incident:{inc_id}")


def _unit_status(unit_id: str, status: UnitStatus) -> NewEvent:
    return NewEvent("unit.status_set", {"id": unit_id, "status": status.value}, f"unit:{unit_id}")


def actor_unit(actor: str) -> str | None:
    """The unit id of a field actor ("unit:boat-01" -> "boat-01"), else None."""
    return actor.removeprefix("unit:") if actor.startswith("unit:") else None


def authorize(actor: str, inc: Incident, target: IState) -> None:
    """Refuse a unit moving anything but its own assignment, or moving it anywhere but forward in the field.

    Dispatchers, ctl and the system may make any legal transition; a field unit ("unit:<id>") may only
    report accepted, en_route, on_scene and resolved on the incident assigned to it.
    """
    uid = actor_unit(actor)
    if uid is None:
        return
    if inc.unit_id != uid:
        raise Refused(
            f"unit {uid} is not assigned to incident {inc.id}"
            + (f" (it is assigned to {inc.unit_id})" if inc.unit_id else " (it has no unit)"),
            "not_your_assignment",
        )
    if target not in UNIT_MOVES:
        raise Refused(
            f"a unit may only report {', '.join(s.value for s in UNIT_MOVES)}; {target.value} is the dispatcher's",
            "not_allowed_for_unit",
        )


def unit_may_move(state: State, incident_id: Any, unit_id: str) -> bool:
    """True if `unit_id` is the unit working the incident (the field link's check before forwarding)."""
    inc = book(state).items.get(parse_id(incident_id))
    return inc is not None and inc.unit_id == unit_id


def assignment_of(state: State, unit_id: str) -> Incident | None:
    """The open incident a unit is working (the first of its queue), if any."""
    queue = open_assignments(state, unit_id)
    return queue[0] if queue else None


def open_assignments(state: State, unit_id: str) -> list[Incident]:
    """A unit's open assignments, oldest first: the one it works, then those queued behind it."""
    return sorted((inc for inc in book(state).items.values() if inc.unit_id == unit_id and inc.state in WITH_UNIT),
                  key=lambda inc: inc.id)


def _release_events(state: State, unit: Any, leaving: int) -> list[NewEvent]:
    """The unit's status change, if any, when incident `leaving` no longer needs it."""
    after = _status_after(state, unit.id, leaving)
    return [] if after is unit.status else [_unit_status(unit.id, after)]


def _status_after(state: State, unit_id: str, leaving: int) -> UnitStatus:
    """What a unit's status becomes when incident `leaving` no longer needs it."""
    rest = [o for o in open_assignments(state, unit_id) if o.id != leaving]
    if not rest:
        return UnitStatus.AVAILABLE
    return UnitStatus.BUSY if any(o.state is not IState.DISPATCHED for o in rest) else UnitStatus.ASSIGNED


def find_duplicates(state: State, category: str, lat: float, lon: float, now: float) -> list[int]:
    """Open incidents of the same category within the configured distance and time of a new report."""
    b = book(state)
    cfg = b.config
    out = []
    for inc in b.items.values():
        if not inc.is_open or inc.category != category or inc.merged_into is not None:
            continue
        if abs(now - inc.created_at) > cfg.duplicate_window_s:
            continue
        if haversine_m(lat, lon, inc.lat, inc.lon) <= cfg.duplicate_radius_m:
            out.append(inc.id)
    return out


def _check_latlon(lat: Any, lon: Any) -> tuple[float, float]:
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        raise Refused(f"bad coordinates {lat!r}, {lon!r}: give decimal degrees", "bad_coordinates") from None
    if not (-90.0 <= la <= 90.0 and -180.0 <= lo <= 180.0) or la != la or lo != lo:
        raise Refused(f"coordinates out of range: lat {lat} (-90..90), lon {lon} (-180..180)", "bad_coordinates")
    return la, lo


def _clean(s: Any, limit: int = 4000) -> str | None:
    if s is None:
        return None
    s = str(s).strip()
    return s[:limit] or None


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
    and time; the dispatcher decides (``incident.merge``).
    """
    cat = parse_category(category).value
    prio = parse_priority(priority)
    src = parse_source(source).value
    la, lo = _check_latlon(lat, lon)
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
            "text": _clean(text),
            "source": src,
            "address": _clean(address, 500),
            "reporter": _clean(reporter, 200),
            "contact": _clean(contact, 200),
            "possible_duplicates": find_duplicates(state, cat, la, lo, now),
        }
        out = [_ev("incident.created", iid, **payload)]
        if verified:
            out.append(_ev("incident.transitioned", iid, **{"from": "reported", "to": "verified", "note": "verified on entry"}))
        return out

    core.command(actor, decide)
    return _shown(core, created[0])


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
            for inc in b.items.values()
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
        out = [_ev("incident.transitioned", iid, **{"from": inc.state.value, "to": target.value,
                                                     "note": _clean(note), **extra})]
        u = st.units.get(inc.unit_id) if inc.unit_id else None
        if u is not None and u.status is not UnitStatus.OUT_OF_SERVICE:
            if target is IState.ACCEPTED and u.status is not UnitStatus.BUSY:
                out.append(_unit_status(u.id, UnitStatus.BUSY))
            elif target in (IState.RESOLVED, IState.REJECTED):
                out.extend(_release_events(st, u, iid))
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
    stacks calls: the result says ``queued_behind``. Refused: an unknown unit; a unit out of service;
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
            out.append(_ev("incident.transitioned", iid, **{"from": "reported", "to": "verified",
                                                             "note": "verified on assignment"}))
            frm = IState.VERIFIED
        out.append(_ev("incident.assigned", iid, unit_id=uid, note=_clean(note),
                       **{"from": frm.value, "to": IState.DISPATCHED.value}))
        if not queue and u.status is not UnitStatus.ASSIGNED:
            out.append(_unit_status(uid, UnitStatus.ASSIGNED))
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
        out = [_ev("incident.unassigned", iid, unit_id=inc.unit_id, note=_clean(note),
                   **{"from": inc.state.value, "to": IState.VERIFIED.value})]
        u = st.units.get(inc.unit_id)
        if u is not None and u.status in (UnitStatus.ASSIGNED, UnitStatus.BUSY):
            out.extend(_release_events(st, u, iid))
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
            _ev("incident.merged", keep, duplicate_id=dup, report=report,
                attachments=[dict(x) for x in d.attachments], note=_clean(note)),
            _ev("incident.transitioned", dup, **{"from": d.state.value, "to": "rejected", "reason": "duplicate",
                                                 "merged_into": keep, "note": _clean(note)}),
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
            out.append(_ev("incident.overdue", inc.id, stage=stage, due=due, at=t, notify="shift_lead",
                           state=inc.state.value, priority=inc.priority))
        return out

    core.command(actor, decide)
    return found


@op("incidents.check_deadlines")
def check_deadlines_op(core: Any, actor: str, now: float | None = None) -> list[dict[str, Any]]:
    return check_deadlines(core, now, actor)


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
        address=p.get("address"), reporter=p.get("reporter"), contact=p.get("contact"),
        possible_duplicates=list(p.get("possible_duplicates") or []),
    )
    inc.clock = {"dispatch": ev.ts, "resolve": ev.ts}
    book(state).items[inc.id] = inc
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
    _touch(ch, inc.id, alerts=True)


@applies("incident.config_set")
def _config_set(state: State, ev: Event, ch: Changes) -> None:
    try:
        book(state).config = WorkflowConfig.from_dict(ev.payload)
    except Refused:
        log.warning("ignoring a malformed incident.config_set at seq %s", ev.seq)
    ch.incidents = True
