"""The spatial index over the zones (Traccar's geofence handler: membership only, no enter/exit logic).

Zones are projected once into a metric frame around their middle (x east, y north, metres; good to well
under a metre per kilometre over a city); a route becomes its corridor, the line buffered by half its
width. A shapely STRtree answers a whole batch of fixes in one call: `members()` gives, for each fix,
the indices of the zones it is inside. `corridor_distance()` measures, in one vectorised call, how far
fixes are outside given corridors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from dispatch.geo import M_PER_DEG_LAT, LocalFrame
from dispatch.zones.book import ZoneBook


class ZoneIndex:
    def __init__(self, book: ZoneBook) -> None:
        self.version = book.version
        zones = sorted(book.zones.values(), key=lambda z: z["id"])
        self.zones: list[dict[str, Any]] = zones
        self.pos = {z["id"]: i for i, z in enumerate(zones)}
        self.kind = [z["kind"] for z in zones]
        lonlat = [shape(z["geometry"]) for z in zones]
        if lonlat:
            x0, y0, x1, y1 = shapely.total_bounds(np.array(lonlat, dtype=object))
            self.frame = LocalFrame((y0 + y1) / 2.0, (x0 + x1) / 2.0)
        else:
            self.frame = LocalFrame(24.33, 109.42)  # Liuzhou; nothing to find anyway
        f = self.frame
        k_lon, lon0, lat0 = f.m_per_deg_lon, f.lon0, f.lat0

        def to_m(c: np.ndarray) -> np.ndarray:
            return np.column_stack(((c[:, 0] - lon0) * k_lon, (c[:, 1] - lat0) * M_PER_DEG_LAT))

        self.lines: dict[int, Any] = {}  # route index -> its centre line (metres)
        geoms = []
        for i, (z, g) in enumerate(zip(zones, lonlat, strict=True)):
            gm = shapely.transform(g, to_m)
            if z["kind"] == "route":
                self.lines[i] = gm
                gm = gm.buffer(z["width_m"] / 2.0, quad_segs=4)
            geoms.append(gm)
        self.geoms = np.array(geoms, dtype=object)
        for g in geoms:
            shapely.prepare(g)
        self.tree = shapely.STRtree(self.geoms) if geoms else None
        self.limit = [z.get("speed_limit_kmh") for z in zones]
        # what a fix inside each zone may raise (bits of dispatch/rules/checks.py RESTRICTED, SPEEDING, PROTECTION)
        self.flags = [(1 if z["kind"] == "restricted" else 0) | (2 if z.get("speed_limit_kmh") else 0)
                      | (4 if z["kind"] == "protection_zone" else 0) for z in zones]
        self.windows = [z.get("windows") for z in zones]
        self.tz = [z.get("tz") for z in zones]
        self.patrol_of: dict[str, list[int]] = {}  # unit -> the patrol areas it keeps to
        for i, z in enumerate(zones):
            for u in z.get("units", ()) if z["kind"] == "patrol_area" else ():
                self.patrol_of.setdefault(u, []).append(i)

    def xy(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f = self.frame
        return (lon - f.lon0) * f.m_per_deg_lon, (lat - f.lat0) * M_PER_DEG_LAT

    def members(self, x: np.ndarray, y: np.ndarray) -> dict[int, list[int]]:
        """fix index -> indices of the zones it is inside (fixes inside none are absent).

        The tree gives the candidates by bounding box; `contains_xy` on the prepared geometries decides
        (several times faster than the tree's own predicate, and no point objects for the test).
        """
        if self.tree is None or len(x) == 0:
            return {}
        fi, zi = self.tree.query(shapely.points(x, y))
        if len(fi) == 0:
            return {}
        inside = shapely.contains_xy(self.geoms[zi], x[fi], y[fi])
        out: dict[int, list[int]] = {}
        for a, b in zip(fi[inside].tolist(), zi[inside].tolist(), strict=True):
            got = out.get(a)
            if got is None:
                out[a] = [b]
            else:
                got.append(b)
        return out

    def corridor_distance(self, x: list[float], y: list[float], routes: list[int]) -> np.ndarray:
        """Metres each point (x[k], y[k]) is outside the corridor of route index routes[k] (0 inside)."""
        if not routes:
            return np.zeros(0)
        lines = np.array([self.lines[r] for r in routes], dtype=object)
        half = np.array([self.zones[r]["width_m"] / 2.0 for r in routes])
        d = shapely.distance(shapely.points(np.asarray(x), np.asarray(y)), lines)
        return np.maximum(d - half, 0.0)
