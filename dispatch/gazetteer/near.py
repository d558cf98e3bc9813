"""Where a point is, in the words a dispatcher or a crew would use: the nearest named place of the gazetteer.

A report filed from a map click, a citizen's tap or an alert has coordinates and no address; the queue then
showed "24.32650, 109.41020". `near` names the place instead, in this order:
- on the river: a bridge within NEAR_CROSSING_M ("文惠桥"), else the river's nearest cleaning segment ("柳江第3段"),
  distance 0;
- a crossing of two named roads within NEAR_CROSSING_M ("文惠路与三中路交叉口");
- else the nearest named feature within NEAR_FEATURE_M: a road (measured to its line), a bridge, a dock,
  a building or disposal site (to its outline), a place the bureau imported (to its point);
- else the district it lies in, distance 0;
- else None (outside the city's map).

The answer is {"name", "name_en", "kind" (the gazetteer's kinds: segment, bridge, intersection, road, dock, site, district,
or an imported place's), "m"} (metres, rounded to 10). The incident records it when it is filed
(dispatch/incidents/ops.py), so the description a dispatcher saw stays the same in the log and on replay.
Distances are planar in the city's metric frame (dispatch/geo.py LocalFrame): under a metre per kilometre off.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.affinity import affine_transform

from dispatch.geo import M_PER_DEG_LAT, LocalFrame
from dispatch.state import State

NEAR_CROSSING_M = 120.0
NEAR_FEATURE_M = 300.0


@dataclass(frozen=True)
class _Named:
    name: str
    name_en: str
    kind: str


class _CityIndex:
    """The city's named features in metres, built once: crossings as points, the rest as shapes."""

    def __init__(self) -> None:
        from dispatch.city.data import load_city
        from dispatch.gazetteer.ops import road_crossings

        city = load_city()
        self.city = city
        lat0, lon0 = city.center
        self.frame = LocalFrame(lat0, lon0)
        f = self.frame
        # (lon, lat) -> (x, y) metres, as LocalFrame.to_xy, for whole shapes
        self._matrix = [f.m_per_deg_lon, 0.0, 0.0, M_PER_DEG_LAT, -lon0 * f.m_per_deg_lon, -lat0 * M_PER_DEG_LAT]
        crossings = road_crossings()
        self.crossings = [_Named(name, en, "intersection") for _id, name, en, _lat, _lon, _aka in crossings]
        self.crossing_xy = np.array([f.to_xy(lat, lon) for _id, _n, _e, lat, lon, _aka in crossings] or np.empty((0, 2)))
        features = [(kind, p) for kind, group in (("road", city.road_places), ("bridge", city.bridges),
                                                  ("dock", city.docks), ("site", city.construction_sites),
                                                  ("site", city.disposal_sites)) for p in group if p.name]
        self.features = [_Named(p.name, p.name_en, kind) for kind, p in features]
        self.feature_shapes = self._shapes([p for _kind, p in features])
        self.segments = [_Named(p.name, p.name_en, "segment") for p in city.segments]
        self.segment_shapes = self._shapes(city.segments)
        self.bridges = [_Named(p.name, p.name_en, "bridge") for p in city.bridges]
        self.bridge_shapes = self._shapes(city.bridges)

    def _shapes(self, places: list[Any]) -> np.ndarray:
        return np.array([affine_transform(p.geometry, self._matrix) for p in places], dtype=object)

    def point(self, lat: float, lon: float) -> shapely.Point:
        return shapely.Point(*self.frame.to_xy(lat, lon))


_index: _CityIndex | None = None
_lock = threading.Lock()


def _city_index() -> _CityIndex:
    global _index
    with _lock:
        if _index is None:
            _index = _CityIndex()
        return _index


def _answer(named: _Named, m: float) -> dict[str, Any]:
    return {"name": named.name, "name_en": named.name_en, "kind": named.kind, "m": int(round(m / 10.0) * 10)}


def near(state: State | None, lat: float, lon: float) -> dict[str, Any] | None:
    """The named place (lat, lon) is at or near (see the module's docstring), or None."""
    idx = _city_index()
    city = idx.city
    here = idx.point(lat, lon)
    if city.is_water(lat, lon):  # a bridge close by, else the river's segment
        if len(idx.bridge_shapes):
            d = shapely.distance(idx.bridge_shapes, here)
            i = int(d.argmin())
            if d[i] <= NEAR_CROSSING_M:
                return _answer(idx.bridges[i], float(d[i]))
        if len(idx.segment_shapes):
            i = int(shapely.distance(idx.segment_shapes, here).argmin())
            return _answer(idx.segments[i], 0.0)
    x, y = idx.frame.to_xy(lat, lon)
    if len(idx.crossing_xy):
        d = np.hypot(idx.crossing_xy[:, 0] - x, idx.crossing_xy[:, 1] - y)
        i = int(d.argmin())
        if d[i] <= NEAR_CROSSING_M:
            return _answer(idx.crossings[i], float(d[i]))
    best: tuple[float, _Named] | None = None
    if len(idx.feature_shapes):
        d = shapely.distance(idx.feature_shapes, here)
        i = int(d.argmin())
        best = (float(d[i]), idx.features[i])
    for e in _imported(state):
        ex, ey = idx.frame.to_xy(e.lat, e.lon)
        m = float(np.hypot(ex - x, ey - y))
        if best is None or m < best[0]:
            best = (m, _Named(e.name, e.name_en, e.kind))
    if best is not None and best[0] <= NEAR_FEATURE_M:
        return _answer(best[1], best[0])
    district = city.district_of(lat, lon)
    if district is not None:
        return _answer(_Named(district.name, district.name_en, "district"), 0.0)
    return None


def near_words(near: dict[str, Any] | None, lang: str = "zh_CN") -> str | None:
    """`near()`'s answer in words: "中山路中段附近" / "near Zhongshan Road (Middle)", the bare name when it is at the
    place (a river segment, a district); None without one."""
    if not isinstance(near, dict) or not near.get("name"):
        return None
    if lang == "en":
        name = str(near.get("name_en") or near["name"])
        return f"near {name}" if near.get("m") else name
    return f"{near['name']}附近" if near.get("m") else str(near["name"])


def _imported(state: State | None) -> list[Any]:
    if state is None:
        return []
    from dispatch.gazetteer.ops import EXT

    return list(state.ext.get(EXT, {}).values())
