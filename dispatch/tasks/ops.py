"""Water-cleaning tasks: sweep an area of water (a polygon or a river segment) with one or more vessels.

Progress is the share of the area swept, computed from the vessels' stored tracks (dispatch/store.py
fixes) buffered by the sweep width. Tasks may be scheduled (``at``) and recurring (``every_day``
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
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select

from dispatch.changes import Changes
from dispatch.city import load_city
from dispatch.errors import NotFound, Refused
from dispatch.geo import M_PER_DEG_LAT
from dispatch.ops import op
from dispatch.state import State, applies
from dispatch.store import Event, NewEvent, fixes_table
from dispatch.waterway import waterway_graph

log = logging.getLogger(__name__)

EXT = "tasks"
DEFAULT_SWEEP_WIDTH_M = 20.0
COMPLETE_AT = 0.95  # coverage at which tick() finishes a task on its own
SEGMENT_HALF_WIDTH_M = 350.0  # wider than half the river anywhere, so a segment's area spans bank to bank
TRACK_GAP_S = 120.0  # fixes further apart than this (or TRACK_JUMP_M) are not joined into a swept line
TRACK_JUMP_M = 600.0
MIN_WATER_SHARE = 0.5  # a polygon mostly on land is refused


def bureau_tz() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # no tz database: China has no DST, a fixed offset is exact
        from datetime import timezone

        return timezone(timedelta(hours=8), "CST")


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


@dataclass
class TaskBook:
    items: dict[int, Task] = field(default_factory=dict)

    @property
    def next_id(self) -> int:
        return max(self.items, default=0) + 1


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


# -------------------------------------------------------------------------------- geometry


def _to_xy(geom: BaseGeometry) -> BaseGeometry:
    w = waterway_graph()
    return shapely.transform(geom, lambda c: w.to_xy(c[:, 1], c[:, 0]) if len(c) else c)


def _from_xy(geom: BaseGeometry) -> BaseGeometry:
    f = waterway_graph().frame

    def back(c: np.ndarray) -> np.ndarray:
        lat = f.lat0 + c[:, 1] / M_PER_DEG_LAT
        lon = f.lon0 + c[:, 0] / f.m_per_deg_lon
        return np.column_stack((lon, lat))

    return shapely.transform(geom, back)


def parse_polygon(text: Any) -> Polygon:
    """'lat lon; lat lon; ...' (or a list of [lat, lon]) -> a shapely Polygon in (lon, lat). Raises Refused."""
    pts: list[tuple[float, float]] = []
    try:
        if isinstance(text, str):
            for part in re.split(r"[;\n]+", text.strip()):
                if part.strip():
                    a, b = re.split(r"[,\s]+", part.strip())
                    pts.append((float(a), float(b)))
        else:
            pts = [(float(a), float(b)) for a, b in text]
    except (ValueError, TypeError):
        raise Refused(f"bad polygon {str(text)[:80]!r}: give 'lat lon; lat lon; lat lon; ...'", "bad_polygon") from None
    for la, lo in pts:
        if not (-90 <= la <= 90 and -180 <= lo <= 180):
            raise Refused(f"polygon point out of range: {la}, {lo}", "bad_coordinates")
    if len(pts) >= 2 and pts[0] == pts[-1]:
        pts = pts[:-1]
    if len(pts) < 3:
        raise Refused("a polygon needs at least 3 points", "bad_polygon")
    poly = Polygon([(lo, la) for la, lo in pts])
    if not poly.is_valid or poly.area == 0:
        raise Refused("the polygon crosses itself or has no area; draw it again", "bad_polygon")
    return poly


def area_for(segment: str | None, polygon: Any) -> tuple[BaseGeometry, str | None]:
    """The task area in (lon, lat), clipped to the water. Refused if on land or unknown segment."""
    city = load_city()
    w = waterway_graph(city)
    if (segment is None) == (polygon is None):
        raise Refused("give a river segment or a polygon for the task area", "bad_arguments")
    if segment is not None:
        key = str(segment).strip()
        if key.isdigit():
            key = f"segment-{key}"
        seg = next((s for s in city.segments if s.id == key), None)
        if seg is None:
            raise Refused(f"unknown segment {segment!r}; segments: {', '.join(s.id for s in city.segments)}",
                          "bad_segment")
        band = _to_xy(seg.geometry).buffer(SEGMENT_HALF_WIDTH_M, cap_style="flat")
        area_xy = band.intersection(w.water_xy)
        name_seg: str | None = key
    else:
        poly_xy = _to_xy(parse_polygon(polygon))
        area_xy = poly_xy.intersection(w.water_xy)
        share = area_xy.area / poly_xy.area
        if share < MIN_WATER_SHARE:
            raise Refused(f"the area is on land ({share:.0%} of it is water); a cleaning task needs water",
                          "on_land")
        name_seg = None
    if area_xy.is_empty or not isinstance(area_xy, Polygon | MultiPolygon):
        polys = [g for g in getattr(area_xy, "geoms", []) if isinstance(g, Polygon)]
        if not polys:
            raise Refused("the area has no water in it", "on_land")
        area_xy = MultiPolygon(polys)
    return shapely.set_precision(_from_xy(area_xy), 1e-7), name_seg


# -------------------------------------------------------------------------------- progress


def tracks(core: Any, units: list[str], start: float, end: float) -> dict[str, list[tuple[float, float, float]]]:
    """Stored fixes (ts, lat, lon) of `units` in [start, end], per unit, in time order."""
    core.flush()
    t = fixes_table
    q = (select(t.c.unit_id, t.c.ts, t.c.lat, t.c.lon)
         .where(t.c.unit_id.in_(units), t.c.ts >= start, t.c.ts <= end).order_by(t.c.unit_id, t.c.ts))
    out: dict[str, list[tuple[float, float, float]]] = {u: [] for u in units}
    with core.store.read() as conn:
        for r in conn.execute(q):
            out[r[0]].append((r[1], r[2], r[3]))
    return out


def coverage(area_xy: BaseGeometry, unit_tracks: dict[str, list[tuple[float, float, float]]],
             sweep_width_m: float) -> dict[str, float]:
    """Share of `area_xy` (metres) swept by tracks buffered by half the sweep width on each side.

    Returns {"coverage" 0..1, "swept_m2", "area_m2", "distance_m"}. Fixes more than TRACK_GAP_S or
    TRACK_JUMP_M apart are not joined (a lost signal is not a swept line).
    """
    w = waterway_graph()
    pieces: list[BaseGeometry] = []
    distance = 0.0
    for pts in unit_tracks.values():
        if not pts:
            continue
        arr = np.array(pts)
        xy = w.to_xy(arr[:, 1], arr[:, 2])
        run = [xy[0]]
        for i in range(1, len(xy)):
            step = float(np.hypot(*(xy[i] - xy[i - 1])))
            if arr[i, 0] - arr[i - 1, 0] > TRACK_GAP_S or step > TRACK_JUMP_M:
                pieces.append(_swept(run, sweep_width_m))
                run = [xy[i]]
                continue
            distance += step
            run.append(xy[i])
        pieces.append(_swept(run, sweep_width_m))
    area = float(area_xy.area)
    if not pieces or area <= 0:
        return {"coverage": 0.0, "swept_m2": 0.0, "area_m2": round(area, 1), "distance_m": round(distance, 1)}
    swept = shapely.union_all(pieces).intersection(area_xy)
    return {"coverage": round(min(1.0, swept.area / area), 4), "swept_m2": round(float(swept.area), 1),
            "area_m2": round(area, 1), "distance_m": round(distance, 1)}


def _swept(run: list[Any], width: float) -> BaseGeometry:
    if len(run) == 1:
        return shapely.points(run[0]).buffer(width / 2.0)
    return LineString(run).buffer(width / 2.0)


def progress(core: Any, task: Task, now: float | None = None) -> dict[str, Any] | None:
    """Live (or final) coverage of a started task; None before it starts."""
    if task.result is not None:
        return dict(task.result)
    if task.started_at is None or not task.units:
        return None if task.started_at is None else {"coverage": 0.0, "swept_m2": 0.0,
                                                     "area_m2": round(task.area_m2, 1), "distance_m": 0.0}
    end = core.clock() if now is None else now
    p = coverage(task.area_xy, tracks(core, task.units, task.started_at, end), task.sweep_width_m)
    p["elapsed_s"] = round(end - task.started_at, 1)
    return p


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
        items = list(book(core.state).items.values())
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
        for t in list(b.items.values()):
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
    t = Task(id=int(p["id"]), name=p.get("name") or f"task {p['id']}", area=area, area_xy=_to_xy(area),
             units=list(p.get("units") or []), sweep_width_m=float(p.get("sweep_width_m") or DEFAULT_SWEEP_WIDTH_M),
             created_at=ev.ts, created_by=ev.actor, segment=p.get("segment"), at=p.get("at"),
             every_day=p.get("every_day"), parent=p.get("parent"))
    t.state = "recurring" if t.every_day else "scheduled"
    book(state).items[t.id] = t
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
    t.finished_at = ev.ts
    _hist(t, ev, state="cancelled", note=ev.payload.get("note"))
    _touch(ch, t.id)
