"""Water-cleaning tasks: sweep an area of water (a polygon or a river segment) with one or more vessels.

Progress is the share of the area swept, computed from the vessels' stored tracks (dispatch/store.py
fixes; dispatch/tasks/coverage.py) buffered by the sweep width. Tasks may be scheduled (``at``) and recurring (``every_day``
"07:00", bureau local time): a recurring task is a template that spawns one task per occurrence.
A finished task records its area, swept area, coverage, duration and distance.

Event kinds (entity ``task:<id>``): task.created, task.started, task.assigned, task.finished,
task.cancelled. The area is stored in the event as a GeoJSON geometry (lon, lat), clipped to the
water, so the console can draw it and the log alone says what was asked.
``tick(core, now)`` (console timer, every few seconds) starts due tasks, spawns recurring ones and
finishes tasks whose coverage reached ``complete_at``.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from shapely.geometry import mapping

from dispatch.bureautime import bureau_tz
from dispatch.errors import NotFound, Refused
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent
from dispatch.tasks.coverage import area_for, progress
from dispatch.tasks.model import COMPLETE_AT, DEFAULT_SWEEP_WIDTH_M, book, get, parse_id

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------- scheduling


def parse_at(value: Any) -> float | None:
    """Epoch seconds, or ISO 8601 (no zone: bureau local time). Raises Refused."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"bad time {value!r}; give ISO 8601 such as 2026-05-01T07:00", "bad_time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=bureau_tz())
    return dt.timestamp()


def parse_hhmm(value: Any) -> str | None:
    if value in (None, ""):
        return None
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(value).strip())
    if not m:
        raise Refused(f"bad daily time {value!r}; give HH:MM such as 07:00", "bad_time")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def latest_occurrence(hhmm: str, now: float) -> float:
    """The most recent HH:MM (bureau local time) at or before `now`."""
    tz = bureau_tz()
    local = datetime.fromtimestamp(now, tz)
    h, m = (int(x) for x in hhmm.split(":"))
    occ = local.replace(hour=h, minute=m, second=0, microsecond=0)
    if occ > local:
        occ -= timedelta(days=1)
    return occ.timestamp()


# ------------------------------------------------------------------------------- operations


def _check_units(state: State, units: list[str]) -> None:
    for uid in units:
        u = state.units.get(uid)
        if u is None:
            raise NotFound(f"unknown unit {uid!r}")
        if not u.kind.on_water:
            raise Refused(f"unit {uid} is a {u.kind.value}; a cleaning task needs vessels or boats", "bad_unit_kind")


def _split_units(units: Any) -> list[str]:
    if units in (None, ""):
        return []
    items = units.split(",") if isinstance(units, str) else list(units)
    out: list[str] = []
    for x in items:
        x = str(x).strip()
        if x and x not in out:
            out.append(x)
    return out


@op("task.create")
def create_task(
    core: Any,
    actor: str,
    segment: str | None = None,
    polygon: Any = None,
    units: Any = None,
    sweep_width_m: float = DEFAULT_SWEEP_WIDTH_M,
    at: Any = None,
    every_day: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Create a cleaning task. Without ``at``/``every_day`` it starts now; with ``at`` it waits; with
    ``every_day`` ("07:00") it is a recurring template that spawns a task each day (see tick)."""
    area, seg = area_for(segment, polygon)
    ulist = _split_units(units)
    try:
        width = float(sweep_width_m)
    except (TypeError, ValueError):
        width = -1.0
    if not 0.5 <= width <= 500:
        raise Refused(f"bad sweep width {sweep_width_m!r}: metres, 0.5 to 500", "bad_sweep_width")
    start = parse_at(at)
    daily = parse_hhmm(every_day)
    made: list[int] = []

    def decide(st: State) -> list[NewEvent]:
        _check_units(st, ulist)
        tid = book(st).next_id
        made.append(tid)
        now = core.clock()
        payload = {"id": tid, "name": (name or seg or f"area {tid}")[:200], "segment": seg, "area": mapping(area),
                   "units": ulist, "sweep_width_m": width, "at": start, "every_day": daily, "parent": None}
        out = [NewEvent("task.created", payload, f"task:{tid}")]
        if daily is None and (start is None or start <= now):
            out.append(NewEvent("task.started", {"id": tid}, f"task:{tid}"))
        return out

    core.command(actor, decide)
    return show_task(core, actor, made[0])


@op("tasks")
def list_tasks(core: Any, actor: str, state: str | None = None, progress_of_active: bool = True) -> list[dict[str, Any]]:
    """Tasks (newest first) with live progress for active ones; no geometry (see task.show)."""
    core.refresh()
    with core.lock:
        items = [t for t in book(core.state).items.values() if state is None or t.state == state]
    out = []
    for t in sorted(items, key=lambda t: -t.id):
        p = progress(core, t) if (progress_of_active or t.result is not None) else None
        out.append(t.as_dict(p, geometry=False))
    return out


@op("task.show")
def show_task(core: Any, actor: str, task_id: Any) -> dict[str, Any]:
    """One task with its area (GeoJSON, lon/lat), history and progress."""
    core.refresh()
    with core.lock:
        t = get(core.state, task_id)
    return t.as_dict(progress(core, t))


@op("task.assign")
def assign_task(core: Any, actor: str, task_id: Any, units: Any) -> dict[str, Any]:
    """Add vessels to a task (scheduled, active or recurring)."""
    tid = parse_id(task_id)
    ulist = _split_units(units)
    if not ulist:
        raise Refused("give one or more unit ids", "bad_arguments")

    def decide(st: State) -> list[NewEvent]:
        t = get(st, tid)
        if t.state in ("finished", "cancelled"):
            raise Refused(f"task {tid} is {t.state}; assign to a scheduled, active or recurring task", "task_closed")
        _check_units(st, ulist)
        new = [u for u in ulist if u not in t.units]
        if not new:
            raise Refused(f"task {tid} already has {', '.join(ulist)}", "already_assigned")
        return [NewEvent("task.assigned", {"id": tid, "units": new}, f"task:{tid}")]

    core.command(actor, decide)
    return show_task(core, actor, tid)


@op("task.finish")
def finish_task(core: Any, actor: str, task_id: Any, note: str | None = None) -> dict[str, Any]:
    """Finish an active task now, recording area, swept share, duration and distance."""
    tid = parse_id(task_id)
    with core.lock:
        t = get(core.state, tid)
    if t.state != "active":
        raise Refused(f"task {tid} is {t.state}; only an active task can be finished", "illegal_transition")
    now = core.clock()
    res = progress(core, t, now) or {}

    def decide(st: State) -> list[NewEvent]:
        if get(st, tid).state != "active":
            raise Refused(f"task {tid} is no longer active", "illegal_transition")
        return [NewEvent("task.finished", {"id": tid, **res, "duration_s": round(now - (t.started_at or now), 1),
                                           "reason": "manual", "note": note}, f"task:{tid}")]

    core.command(actor, decide)
    return show_task(core, actor, tid)


@op("task.cancel")
def cancel_task(core: Any, actor: str, task_id: Any, note: str | None = None) -> dict[str, Any]:
    tid = parse_id(task_id)

    def decide(st: State) -> list[NewEvent]:
        t = get(st, tid)
        if t.state in ("finished", "cancelled"):
            raise Refused(f"task {tid} is already {t.state}", "illegal_transition")
        return [NewEvent("task.cancelled", {"id": tid, "note": note}, f"task:{tid}")]

    core.command(actor, decide)
    return show_task(core, actor, tid)


def tick(core: Any, now: float | None = None, actor: str = "system") -> list[dict[str, Any]]:
    """Start due scheduled tasks, spawn today's run of recurring ones, finish tasks swept to COMPLETE_AT.

    Returns what was done: [{"id", "action": "started" | "spawned" | "finished", ...}].
    """
    core.refresh()
    t_now = core.clock() if now is None else float(now)
    with core.lock:
        items = book(core.state).live()
    done: list[dict[str, Any]] = []
    finishes: dict[int, dict[str, Any]] = {}
    for t in items:
        if t.state == "active" and t.units:
            p = progress(core, t, t_now)
            if p and p["coverage"] >= COMPLETE_AT:
                finishes[t.id] = {**p, "duration_s": round(t_now - (t.started_at or t_now), 1), "reason": "complete"}

    def decide(st: State) -> list[NewEvent]:
        done.clear()
        b = book(st)
        out: list[NewEvent] = []
        next_id = b.next_id
        for t in b.live():
            if t.state == "scheduled" and t.at is not None and t.at <= t_now:
                # a task scheduled for later starts: the event names its vessels, whom it puts to work now
                out.append(NewEvent("task.started", {"id": t.id, "units": list(t.units)}, f"task:{t.id}"))
                done.append({"id": t.id, "action": "started"})
            elif t.state == "recurring" and t.every_day:
                occ = latest_occurrence(t.every_day, t_now)
                if occ >= t.created_at and (t.last_spawned is None or occ > t.last_spawned):
                    payload = {"id": next_id, "name": f"{t.name} {datetime.fromtimestamp(occ, bureau_tz()):%Y-%m-%d}",
                               "segment": t.segment, "area": mapping(t.area), "units": list(t.units),
                               "sweep_width_m": t.sweep_width_m, "at": occ, "every_day": None, "parent": t.id}
                    out.append(NewEvent("task.created", payload, f"task:{next_id}"))
                    out.append(NewEvent("task.started", {"id": next_id}, f"task:{next_id}"))
                    done.append({"id": next_id, "action": "spawned", "parent": t.id, "at": occ})
                    next_id += 1
            elif t.state == "active" and t.id in finishes:
                out.append(NewEvent("task.finished", {"id": t.id, **finishes[t.id]}, f"task:{t.id}"))
                done.append({"id": t.id, "action": "finished", "coverage": finishes[t.id]["coverage"]})
        return out

    core.command(actor, decide)
    return done


@op("tasks.tick")
def tick_op(core: Any, actor: str, now: float | None = None) -> list[dict[str, Any]]:
    return tick(core, now, actor)
