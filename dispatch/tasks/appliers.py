"""State appliers of the task events: the task book in ``state.ext["tasks"]`` derived from the log."""

from __future__ import annotations

import logging
from typing import Any

from shapely.geometry import shape

from dispatch.changes import Changes
from dispatch.state import State, applies
from dispatch.store import Event
from dispatch.tasks.coverage import to_xy
from dispatch.tasks.model import DEFAULT_SWEEP_WIDTH_M, Task, book

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------- appliers


def _hist(t: Task, ev: Event, **extra: Any) -> None:
    t.history.append({"seq": ev.seq, "time": ev.ts, "actor": ev.actor, "kind": ev.kind,
                      **{k: v for k, v in extra.items() if v is not None}})


def _touch(ch: Changes, tid: int) -> None:
    ch.tasks = True
    ch.entities.add(f"task:{tid}")


@applies("task.created")
def _created(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    area = shape(p["area"])
    t = Task(id=int(p["id"]), name=p.get("name") or f"task {p['id']}", area=area, area_xy=to_xy(area),
             units=list(p.get("units") or []), sweep_width_m=float(p.get("sweep_width_m") or DEFAULT_SWEEP_WIDTH_M),
             created_at=ev.ts, created_by=ev.actor, segment=p.get("segment"), at=p.get("at"),
             every_day=p.get("every_day"), parent=p.get("parent"))
    t.state = "recurring" if t.every_day else "scheduled"
    book(state).items[t.id] = t
    book(state).reindex(t)
    if t.parent is not None:
        parent = book(state).items.get(int(t.parent))
        if parent is not None:
            parent.last_spawned = max(parent.last_spawned or 0.0, float(p.get("at") or ev.ts))
    _hist(t, ev, state=t.state)
    _touch(ch, t.id)


@applies("task.started")
def _started(state: State, ev: Event, ch: Changes) -> None:
    t = book(state).items.get(int(ev.payload["id"]))
    if t is None:
        return
    t.state = "active"
    book(state).reindex(t)
    t.started_at = ev.ts
    _hist(t, ev, state="active")
    _touch(ch, t.id)


@applies("task.assigned")
def _assigned(state: State, ev: Event, ch: Changes) -> None:
    t = book(state).items.get(int(ev.payload["id"]))
    if t is None:
        return
    for u in ev.payload.get("units") or []:
        if u not in t.units:
            t.units.append(u)
    _hist(t, ev, units=list(ev.payload.get("units") or []))
    _touch(ch, t.id)
    ch.assignments = True


@applies("task.finished")
def _finished(state: State, ev: Event, ch: Changes) -> None:
    t = book(state).items.get(int(ev.payload["id"]))
    if t is None:
        return
    t.state = "finished"
    book(state).reindex(t)
    t.finished_at = ev.ts
    t.result = {k: v for k, v in ev.payload.items() if k != "id"}
    _hist(t, ev, state="finished", reason=ev.payload.get("reason"))
    _touch(ch, t.id)


@applies("task.cancelled")
def _cancelled(state: State, ev: Event, ch: Changes) -> None:
    t = book(state).items.get(int(ev.payload["id"]))
    if t is None:
        return
    t.state = "cancelled"
    book(state).reindex(t)
    t.finished_at = ev.ts
    _hist(t, ev, state="cancelled", note=ev.payload.get("note"))
    _touch(ch, t.id)
