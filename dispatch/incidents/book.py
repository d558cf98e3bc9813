"""The incident book: incidents as the appliers build them, their deadlines, and the queries on them.

The book lives in ``state.ext["incidents"]``; dispatch/incidents/appliers.py keeps it up to date from the
events and dispatch/incidents/ops.py decides which events to record. The rules (states, transitions,
deadlines) are the tables of dispatch/incidents/workflow.py.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from dispatch import pickles
from dispatch.errors import NotFound, Refused
from dispatch.geo import haversine_m
from dispatch.incidents.workflow import (
    CLOSED_STATES,
    ON_WATER_TOLERANCE_M,
    STAGE_OF,
    UNIT_MOVES,
    WATER_CATEGORIES,
    WITH_UNIT,
    WorkflowConfig,
    allowed_from,
)
from dispatch.incidents.workflow import State as IState
from dispatch.model import UnitStatus
from dispatch.state import State
from dispatch.store import NewEvent

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
    near: dict[str, Any] | None = None  # with no address: the named place it is at or near (dispatch/gazetteer/near.py)
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
            "near": self.near,
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



def _history(self: Incident) -> list[dict[str, Any]]:
    h = self.__dict__["_history"]
    if type(h) is bytes:  # a closed incident's, packed by the snapshot it was loaded from: read on first use
        h = self.__dict__["_history"] = pickles.loads(h)
    return h


def _set_history(self: Incident, value: list[dict[str, Any]]) -> None:
    self.__dict__["_history"] = value


def _incident_state(self: Incident) -> dict[str, Any]:
    """A closed incident's history goes into a snapshot as one packed value, read back only when used:
    a year of closed incidents is a million small dicts, most of which nobody looks at again (start-up
    would spend most of its time rebuilding them). It stays packed here too (the snapshot is taken under the
    core's lock, so no applier holds the list): the next snapshot saves it as it is, without packing again."""
    d = self.__dict__
    h = d.get("_history")
    if type(h) is list and len(h) > 1 and self.state in CLOSED_STATES:
        d["_history"] = pickles.dumps(h)
    return d


# The history is a property over `_history` (set after the dataclass is made: its __init__ and __eq__ go
# through it), so that a packed one unpacks on first use wherever it is read.
Incident.history = property(_history, _set_history)  # type: ignore[assignment]
Incident.__getstate__ = _incident_state  # type: ignore[method-assign]

@dataclass
class Alert:
    """A shift-lead alert: one `incident.overdue` event, until someone acknowledges it."""

    seq: int  # the incident.overdue event's
    incident_id: int
    stage: str
    due: float | None
    at: float
    priority: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class IncidentBook:
    """Every incident, and the indexes the appliers keep so that no lookup scans the history.

    ``open_ids``: the incidents not closed (the queue, duplicates, deadlines look only at these);
    ``by_unit``: unit -> the incidents it has open (dispatched .. on_scene); ``last_id``: the highest id.
    A year of incidents makes ``items`` large; these stay the size of the live work.
    """

    items: dict[int, Incident] = field(default_factory=dict)
    config: WorkflowConfig = field(default_factory=WorkflowConfig)
    alerts: dict[int, Alert] = field(default_factory=dict)  # by the overdue event's seq, in log order
    open_ids: set[int] = field(default_factory=set)
    by_unit: dict[str, set[int]] = field(default_factory=dict)
    holder: dict[int, str] = field(default_factory=dict)  # incident -> the unit whose by_unit holds it
    last_id: int = 0
    # duplicate candidates (open, not merged) by (category, grid cell): a new report looks at the cells
    # around it, not at every open incident (a flood of citizen reports must not slow each new one)
    dup_cells: dict[tuple[str, int, int], set[int]] = field(default_factory=dict)
    dup_cell_of: dict[int, tuple[str, int, int]] = field(default_factory=dict)

    @property
    def next_id(self) -> int:
        return self.last_id + 1

    def reindex(self, inc: Incident) -> None:
        """Bring the indexes up to date with `inc` (the appliers call it after every change of state or unit)."""
        self.last_id = max(self.last_id, inc.id)
        if inc.is_open:
            self.open_ids.add(inc.id)
        else:
            self.open_ids.discard(inc.id)
        self._index_duplicate(inc)
        want = inc.unit_id if inc.unit_id is not None and inc.state in WITH_UNIT else None
        old = self.holder.get(inc.id)
        if old == want:
            return
        if old is not None:
            held = self.by_unit.get(old)
            if held is not None:
                held.discard(inc.id)
                if not held:
                    del self.by_unit[old]
            del self.holder[inc.id]
        if want is not None:
            self.by_unit.setdefault(want, set()).add(inc.id)
            self.holder[inc.id] = want

    def _index_duplicate(self, inc: Incident) -> None:
        key = dup_cell(inc.category, inc.lat, inc.lon) if inc.is_open and inc.merged_into is None else None
        old = self.dup_cell_of.get(inc.id)
        if old == key:
            return
        if old is not None:
            cell = self.dup_cells.get(old)
            if cell is not None:
                cell.discard(inc.id)
                if not cell:
                    del self.dup_cells[old]
            del self.dup_cell_of[inc.id]
        if key is not None:
            self.dup_cells.setdefault(key, set()).add(inc.id)
            self.dup_cell_of[inc.id] = key

    def duplicate_candidates(self, category: str, lat: float, lon: float, radius_m: float) -> list[int]:
        """Open, unmerged incidents of `category` in the grid cells within `radius_m` of (lat, lon), by id."""
        dlat = radius_m / 111_320.0
        dlon = radius_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
        i0, i1 = math.floor((lat - dlat) / DUP_CELL_DEG), math.floor((lat + dlat) / DUP_CELL_DEG)
        j0, j1 = math.floor((lon - dlon) / DUP_CELL_DEG), math.floor((lon + dlon) / DUP_CELL_DEG)
        if (i1 - i0 + 1) * (j1 - j0 + 1) > len(self.dup_cells):  # a radius wider than the city: look at all
            return sorted(i for (c, _, _), ids in self.dup_cells.items() if c == category for i in ids)
        out: list[int] = []
        for i in range(i0, i1 + 1):
            for j in range(j0, j1 + 1):
                out.extend(self.dup_cells.get((category, i, j), ()))
        return sorted(out)

    def open_incidents(self) -> list[Incident]:
        """The open incidents, by id."""
        return [self.items[i] for i in sorted(self.open_ids)]


DUP_CELL_DEG = 0.01  # about 1.1 km north-south: a duplicate radius of 150 m looks at up to 4 cells


def dup_cell(category: str, lat: float, lon: float) -> tuple[str, int, int]:
    return (category, math.floor(lat / DUP_CELL_DEG), math.floor(lon / DUP_CELL_DEG))


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
    for inc in b.open_incidents():
        for stage in active_stages(inc):
            start = inc.clock.get(stage)
            if start is None or stage in inc.overdue_stages:
                continue
            due = start + b.config.limit(inc.category, inc.priority, stage)
            if now > due:
                out.append((inc, stage, due))
    return out


# ------------------------------------------------------------------------------ helpers


def incident_event(kind: str, inc_id: int, **payload: Any) -> NewEvent:
    return NewEvent(kind, {"id": inc_id, **payload}, f"incident:{inc_id}")


def near_field(state: State | None, address: str | None, lat: float, lon: float) -> dict[str, Any]:
    """What `incident.created` carries besides an address: with none given (a map click, a citizen's tap, an
    alert off every zone), {"near": the named place it is at or near} (dispatch/gazetteer/near.py); else {}."""
    if address:
        return {}
    from dispatch.gazetteer.near import near

    place = near(state, lat, lon)
    return {"near": place} if place else {}


def unit_status_event(unit_id: str, status: UnitStatus) -> NewEvent:
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
    b = book(state)
    return [b.items[i] for i in sorted(b.by_unit.get(unit_id, ()))]


def release_events(state: State, unit: Any, leaving: int) -> list[NewEvent]:
    """The unit's status change, if any, when incident `leaving` no longer needs it."""
    after = _status_after(state, unit.id, leaving)
    return [] if after is unit.status else [unit_status_event(unit.id, after)]


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
    for i in b.duplicate_candidates(category, lat, lon, cfg.duplicate_radius_m):
        inc = b.items[i]
        if abs(now - inc.created_at) > cfg.duplicate_window_s:
            continue
        if haversine_m(lat, lon, inc.lat, inc.lon) <= cfg.duplicate_radius_m:
            out.append(inc.id)
    return out


def check_latlon(lat: Any, lon: Any) -> tuple[float, float]:
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        raise Refused(f"bad coordinates {lat!r}, {lon!r}: give decimal degrees", "bad_coordinates") from None
    if not (-90.0 <= la <= 90.0 and -180.0 <= lo <= 180.0) or la != la or lo != lo:
        raise Refused(f"coordinates out of range: lat {lat} (-90..90), lon {lon} (-180..180)", "bad_coordinates")
    return la, lo


def location_warnings(category: str, lat: float, lon: float) -> list[dict[str, Any]]:
    """What looks wrong with where a report is placed (the dispatcher decides; nothing is refused):
    a water category placed on land -> {"code": "on_land", "distance_m", "message"}."""
    if category not in WATER_CATEGORIES:
        return []
    from dispatch.city.data import load_city

    d = load_city().distance_to_water_m(lat, lon)
    if d <= ON_WATER_TOLERANCE_M:
        return []
    return [{"code": "on_land", "distance_m": round(d), "message":
             f"{category.replace('_', ' ')} is reported on the river, but this place is {d:.0f} m from the water"}]


def clean_text(s: Any, limit: int = 4000) -> str | None:
    if s is None:
        return None
    s = str(s).strip()
    return s[:limit] or None
