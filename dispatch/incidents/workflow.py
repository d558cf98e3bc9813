"""The incident workflow as data: categories, sources, priorities, the state machine and the deadline table.

Pure tables and functions, no store and no core, so the console, the field link and the tests can all
read them. The lifecycle follows the digital urban-management closed loop:

    reported -> verified (or rejected: invalid / duplicate) -> dispatched -> accepted -> en_route
    -> on_scene -> resolved -> closed (checked) -> evaluated

A failed check reopens the case (``reopened``, rework), from which it is dispatched again. A
dispatcher may assign straight from ``reported`` (the assignment verifies it implicitly; both steps
are recorded as events). ``dispatched``/``accepted``/``en_route`` go back to ``verified`` when the
unit is withdrawn or declines (``incident.unassign``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dispatch.errors import Refused


class Category(StrEnum):
    ILLEGAL_DUMPING = "illegal_dumping"
    CONSTRUCTION_WASTE_SPILL = "construction_waste_spill"
    FLOATING_GARBAGE = "floating_garbage"
    WATER_POLLUTION = "water_pollution"
    ILLEGAL_FISHING = "illegal_fishing"
    ILLEGAL_SAND_MINING = "illegal_sand_mining"
    STREET_VENDING = "street_vending"  # street vending or road occupation
    ILLEGAL_CONSTRUCTION = "illegal_construction"
    DAMAGED_FACILITY = "damaged_facility"  # damaged public facility
    OTHER = "other"


# Categories that happen on the river: a report of one placed farther than this from the water is
# likely misplaced (a wrong click, a caller's landmark on the bank) and is flagged, not refused.
WATER_CATEGORIES = frozenset({Category.FLOATING_GARBAGE, Category.WATER_POLLUTION, Category.ILLEGAL_FISHING,
                              Category.ILLEGAL_SAND_MINING})
ON_WATER_TOLERANCE_M = 40.0  # a bank, a jetty, an outfall


class Source(StrEnum):
    HOTLINE = "hotline"  # citizen hotline (12319 / 12345)
    APP = "app"  # citizen app report
    WECHAT = "wechat"  # the bureau's WeChat service account (through Open311)
    WEB = "web"  # the citizen web page (dispatch/citizens/)
    AGGREGATOR = "aggregator"  # a third-party Open311 client (city app, aggregator)
    PATROL = "patrol"  # found by a patrol
    VIDEO = "video"  # video or other non-site evidence
    ALERT = "alert"  # automatic alert (sensor, geofence rule)
    OTHER = "other"


PRIORITIES = ("P1", "P2", "P3", "P4")


class State(StrEnum):
    REPORTED = "reported"
    VERIFIED = "verified"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    RESOLVED = "resolved"
    CLOSED = "closed"
    EVALUATED = "evaluated"
    REOPENED = "reopened"


S = State
# Transitions a `transition` command may make. Entering `dispatched` is only done by `assign`, and
# leaving an assignment backwards only by `unassign`: they carry a unit, a plain transition does not.
TRANSITIONS: dict[State, tuple[State, ...]] = {
    S.REPORTED: (S.VERIFIED, S.REJECTED),
    S.VERIFIED: (S.REJECTED,),
    S.REJECTED: (S.REOPENED,),
    S.DISPATCHED: (S.ACCEPTED,),
    S.ACCEPTED: (S.EN_ROUTE, S.ON_SCENE),
    S.EN_ROUTE: (S.ON_SCENE,),
    S.ON_SCENE: (S.RESOLVED,),
    S.RESOLVED: (S.CLOSED, S.REOPENED),
    S.CLOSED: (S.EVALUATED, S.REOPENED),
    S.EVALUATED: (S.REOPENED,),
    S.REOPENED: (S.REJECTED,),
}
ASSIGNABLE: tuple[State, ...] = (S.REPORTED, S.VERIFIED, S.REOPENED)  # `assign` -> dispatched
WITH_UNIT: tuple[State, ...] = (S.DISPATCHED, S.ACCEPTED, S.EN_ROUTE, S.ON_SCENE)  # a unit works it
WORKING: tuple[State, ...] = (S.EN_ROUTE, S.ON_SCENE)  # the unit is out on it: busy, no new work
UNASSIGNABLE: tuple[State, ...] = (S.DISPATCHED, S.ACCEPTED, S.EN_ROUTE)  # `unassign` -> verified
UNIT_MOVES: tuple[State, ...] = (S.ACCEPTED, S.EN_ROUTE, S.ON_SCENE, S.RESOLVED)  # what a unit may report
CLOSED_STATES: tuple[State, ...] = (S.CLOSED, S.EVALUATED, S.REJECTED)  # not "open" (queue, duplicates)
REJECT_REASONS = ("invalid", "duplicate")


def parse_state(name: str) -> State:
    """'en_route', 'en-route', 'En Route' -> State.EN_ROUTE. Raises Refused naming the states."""
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return State(key)
    except ValueError:
        raise Refused(f"unknown state {name!r}; states: {', '.join(s.value for s in State)}", "bad_state") from None


def parse_category(name: str) -> Category:
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return Category(key)
    except ValueError:
        raise Refused(
            f"unknown category {name!r}; categories: {', '.join(c.value for c in Category)}", "bad_category"
        ) from None


def parse_source(name: str) -> Source:
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return Source(key)
    except ValueError:
        raise Refused(f"unknown source {name!r}; sources: {', '.join(s.value for s in Source)}", "bad_source") from None


def parse_priority(p: str | int) -> str:
    key = str(p).strip().upper()
    if key.isdigit():
        key = "P" + key
    if key not in PRIORITIES:
        raise Refused(f"unknown priority {p!r}; one of {', '.join(PRIORITIES)}", "bad_priority")
    return key


def allowed_from(state: State) -> list[str]:
    """Every state reachable from `state` by any command (transition, assign, unassign), for messages."""
    out = [s.value for s in TRANSITIONS.get(state, ())]
    if state in ASSIGNABLE:
        out.append("dispatched (by assign)")
    if state in UNASSIGNABLE:
        out.append("verified (by unassign)")
    return out


def check_transition(current: State, target: State) -> None:
    """Raise Refused (saying what is allowed) unless `transition` may go from current to target."""
    if target in TRANSITIONS.get(current, ()):
        return
    allowed = allowed_from(current)
    hint = ""
    if target is S.DISPATCHED:
        hint = " (use assign ID UNIT to dispatch)"
    raise Refused(
        f"cannot go from {current.value} to {target.value}{hint}; allowed from {current.value}: "
        + (", ".join(allowed) if allowed else "nothing (final)"),
        "illegal_transition",
    )


# ----------------------------------------------------------------------------- deadlines

STAGES = ("dispatch", "arrive", "resolve")
# Which stage's clock runs in each state, and from which moment it counts:
#   dispatch: from creation (or reopening) until dispatched;   arrive: from dispatch until on scene;
#   resolve: from creation (or reopening) until resolved.
STAGE_OF: dict[State, str] = {
    S.REPORTED: "dispatch",
    S.VERIFIED: "dispatch",
    S.REOPENED: "dispatch",
    S.DISPATCHED: "arrive",
    S.ACCEPTED: "arrive",
    S.EN_ROUTE: "arrive",
    S.ON_SCENE: "resolve",
}

# Default time limits (seconds) per priority; a category may override any stage.
DEFAULT_LIMITS: dict[str, dict[str, float]] = {
    "P1": {"dispatch": 5 * 60, "arrive": 20 * 60, "resolve": 2 * 3600},
    "P2": {"dispatch": 15 * 60, "arrive": 45 * 60, "resolve": 8 * 3600},
    "P3": {"dispatch": 30 * 60, "arrive": 2 * 3600, "resolve": 24 * 3600},
    "P4": {"dispatch": 2 * 3600, "arrive": 8 * 3600, "resolve": 72 * 3600},
}


@dataclass
class WorkflowConfig:
    """Deadlines and duplicate detection: recorded as an event (`incident.config_set`) so every seat agrees.

    ``limits[priority][stage]`` are the defaults; ``overrides[category][priority][stage]`` win over them.
    """

    limits: dict[str, dict[str, float]] = field(default_factory=lambda: {p: dict(v) for p, v in DEFAULT_LIMITS.items()})
    overrides: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    duplicate_radius_m: float = 150.0
    duplicate_window_s: float = 2 * 3600.0

    def limit(self, category: str, priority: str, stage: str) -> float:
        o = self.overrides.get(category, {}).get(priority, {})
        if stage in o:
            return float(o[stage])
        return float(self.limits.get(priority, DEFAULT_LIMITS["P4"]).get(stage, DEFAULT_LIMITS["P4"][stage]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "limits": self.limits,
            "overrides": self.overrides,
            "duplicate_radius_m": self.duplicate_radius_m,
            "duplicate_window_s": self.duplicate_window_s,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> WorkflowConfig:
        """Validate and build; raises Refused on anything malformed (so nothing bad is recorded)."""
        cfg = cls()
        try:
            for p, stages in (d.get("limits") or {}).items():
                p = parse_priority(p)
                for st, v in stages.items():
                    if st not in STAGES or float(v) <= 0:
                        raise ValueError(f"{p}.{st}={v!r}")
                    cfg.limits[p][st] = float(v)
            for c, per_p in (d.get("overrides") or {}).items():
                c = parse_category(c).value
                for p, stages in per_p.items():
                    p = parse_priority(p)
                    for st, v in stages.items():
                        if st not in STAGES or float(v) <= 0:
                            raise ValueError(f"{c}.{p}.{st}={v!r}")
                        cfg.overrides.setdefault(c, {}).setdefault(p, {})[st] = float(v)
            if "duplicate_radius_m" in d:
                cfg.duplicate_radius_m = float(d["duplicate_radius_m"])
            if "duplicate_window_s" in d:
                cfg.duplicate_window_s = float(d["duplicate_window_s"])
            if cfg.duplicate_radius_m < 0 or cfg.duplicate_window_s < 0:
                raise ValueError("negative duplicate radius or window")
        except (TypeError, ValueError, AttributeError) as exc:
            raise Refused(
                f"bad workflow configuration: {exc}; stages are {', '.join(STAGES)}, limits positive seconds",
                "bad_config",
            ) from None
        return cfg
