"""The task book: cleaning tasks as the appliers build them in ``state.ext["tasks"]``, and the bureau's time zone."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from dispatch.errors import NotFound, Refused
from dispatch.state import State

log = logging.getLogger(__name__)


EXT = "tasks"
DEFAULT_SWEEP_WIDTH_M = 20.0
COMPLETE_AT = 0.95  # coverage at which tick() finishes a task on its own
SEGMENT_HALF_WIDTH_M = 350.0  # wider than half the river anywhere, so a segment's area spans bank to bank
TRACK_GAP_S = 120.0  # fixes further apart than this (or TRACK_JUMP_M) are not joined into a swept line
TRACK_JUMP_M = 600.0
MIN_WATER_SHARE = 0.5  # a polygon mostly on land is refused


@dataclass
class Task:
    id: int
    name: str
    area: BaseGeometry  # (lon, lat), clipped to the water
    area_xy: BaseGeometry  # same in the waterway frame, metres
    units: list[str]
    sweep_width_m: float
    created_at: float
    created_by: str
    segment: str | None = None
    at: float | None = None
    every_day: str | None = None
    parent: int | None = None
    state: str = "scheduled"  # scheduled | active | finished | cancelled | recurring
    started_at: float | None = None
    finished_at: float | None = None
    last_spawned: float | None = None  # recurring templates: the latest occurrence spawned
    result: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def area_m2(self) -> float:
        return float(self.area_xy.area)

    @property
    def target(self) -> tuple[float, float]:
        p = self.area.representative_point()
        return p.y, p.x

    def as_dict(self, progress: dict[str, Any] | None = None, *, geometry: bool = True) -> dict[str, Any]:
        d = {
            "id": self.id, "entity": f"task:{self.id}", "name": self.name, "state": self.state,
            "segment": self.segment, "units": list(self.units), "sweep_width_m": self.sweep_width_m,
            "area_m2": round(self.area_m2, 1), "at": self.at, "every_day": self.every_day, "parent": self.parent,
            "created_at": self.created_at, "created_by": self.created_by, "started_at": self.started_at,
            "finished_at": self.finished_at, "result": self.result, "progress": progress,
            "target": {"lat": self.target[0], "lon": self.target[1]},
        }
        if geometry:
            d["area"] = mapping(self.area)
            d["history"] = [dict(h) for h in self.history]
        return d


LIVE_STATES = ("scheduled", "recurring", "active")  # what tick() looks at; finished and cancelled are history


@dataclass
class TaskBook:
    """Every task, with the live ones indexed by the appliers (tick() never walks a year of finished tasks)."""

    items: dict[int, Task] = field(default_factory=dict)
    live_ids: set[int] = field(default_factory=set)
    last_id: int = 0

    @property
    def next_id(self) -> int:
        return self.last_id + 1

    def reindex(self, t: Task) -> None:
        self.last_id = max(self.last_id, t.id)
        if t.state in LIVE_STATES:
            self.live_ids.add(t.id)
        else:
            self.live_ids.discard(t.id)

    def live(self) -> list[Task]:
        """Scheduled, recurring and active tasks, by id."""
        return [self.items[i] for i in sorted(self.live_ids)]


def book(state: State) -> TaskBook:
    b = state.ext.get(EXT)
    if b is None:
        b = state.ext[EXT] = TaskBook()
    return b


def parse_id(value: Any) -> int:
    s = str(value).strip().removeprefix("task:").removeprefix("#")
    try:
        return int(s)
    except ValueError:
        raise Refused(f"bad task id {value!r}; give a number such as 3", "bad_id") from None


def get(state: State, task_id: Any) -> Task:
    t = book(state).items.get(parse_id(task_id))
    if t is None:
        raise NotFound(f"unknown task {task_id}")
    return t
