"""A task's area of water and its progress: the share of it swept by the vessels' stored tracks."""

from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from dispatch import fixes as stored_fixes
from dispatch.city.data import load_city
from dispatch.city.waterway import waterway_graph
from dispatch.errors import Refused
from dispatch.geo import M_PER_DEG_LAT
from dispatch.tasks.model import MIN_WATER_SHARE, SEGMENT_HALF_WIDTH_M, TRACK_GAP_S, TRACK_JUMP_M, Task

log = logging.getLogger(__name__)


# -------------------------------------------------------------------------------- geometry


def to_xy(geom: BaseGeometry) -> BaseGeometry:
    w = waterway_graph()
    return shapely.transform(geom, lambda c: w.to_xy(c[:, 1], c[:, 0]) if len(c) else c)


def from_xy(geom: BaseGeometry) -> BaseGeometry:
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
        band = to_xy(seg.geometry).buffer(SEGMENT_HALF_WIDTH_M, cap_style="flat")
        area_xy = band.intersection(w.water_xy)
        name_seg: str | None = key
    else:
        poly_xy = to_xy(parse_polygon(polygon))
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
    return shapely.set_precision(from_xy(area_xy), 1e-7), name_seg


# -------------------------------------------------------------------------------- progress


def tracks(core: Any, units: list[str], start: float, end: float) -> dict[str, list[tuple[float, float, float]]]:
    """Stored fixes (ts, lat, lon) of `units` in [start, end], per unit, in time order."""
    core.flush()
    out: dict[str, list[tuple[float, float, float]]] = {u: [] for u in units}
    if not units:
        return out
    with core.store.read() as conn:
        for r in stored_fixes.fixes_between(conn, start, end, units):
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
