"""The spatial index over the zones (Traccar's geofence handler: membership only, no enter/exit logic).

Zones are projected once into a metric frame around their middle (x east, y north, metres; good to well
under a metre per kilometre over a city); a route becomes its corridor, the line buffered by half its
width. A uniform grid over the zones' bounding boxes answers a whole batch of fixes with a few numpy
operations and one `contains_xy` call: `pairs()` gives every (fix, zone) with the fix inside the zone.
`corridor_distance()` measures, with numpy over the routes' segments, how far fixes are outside given corridors.
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
        self.ids = [z["id"] for z in zones]
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
        self._grid(geoms)
        self.line_arr = np.array([self.lines.get(i) for i in range(len(zones))], dtype=object)
        self._segments(len(zones))
        self.half_width = np.array([z.get("width_m", 0.0) / 2.0 for z in zones], dtype=float)
        self.limit = [z.get("speed_limit_kmh") for z in zones]
        # a speed above limit_arr[z] km/h (+ the tolerance) is speeding in zone z; inf: no limit
        self.limit_arr = np.array([np.inf if v is None else float(v) for v in self.limit], dtype=float)
        # what a fix inside each zone may raise (bits of dispatch/rules/checks.py RESTRICTED, SPEEDING, PROTECTION)
        self.flags = [(1 if z["kind"] == "restricted" else 0) | (2 if z.get("speed_limit_kmh") else 0)
                      | (4 if z["kind"] == "protection_zone" else 0) for z in zones]
        self.flag_arr = np.array(self.flags, dtype=np.int64)
        self.windows = [z.get("windows") for z in zones]
        self.tz = [z.get("tz") for z in zones]
        self.patrol_of: dict[str, list[int]] = {}  # unit -> the patrol areas it keeps to
        for i, z in enumerate(zones):
            for u in z.get("units", ()) if z["kind"] == "patrol_area" else ():
                self.patrol_of.setdefault(u, []).append(i)

    def xy(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f = self.frame
        return (lon - f.lon0) * f.m_per_deg_lon, (lat - f.lat0) * M_PER_DEG_LAT

    def _grid(self, geoms: list[Any]) -> None:
        """A uniform grid over the zones' extent, each cell listing the zones that meet it, and whether it lies
        wholly inside the zone (then a point in it is inside with no test).

        A batch's candidates come out of it with a few numpy operations: no point objects, no tree walk.
        """
        self.cell = 1.0
        self.ncx = 0
        self.cell_start = self.cell_count = self.cell_zone = np.zeros(1, dtype=np.int64)
        self.cell_inner = np.zeros(1, dtype=bool)
        if not geoms:
            return
        b = shapely.bounds(self.geoms)
        self.bx0, self.by0, self.bx1, self.by1 = b[:, 0].copy(), b[:, 1].copy(), b[:, 2].copy(), b[:, 3].copy()
        gx0, gy0, gx1, gy1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
        cs = max(50.0, float(np.sqrt(max(1.0, (gx1 - gx0) * (gy1 - gy0)) / 65536.0)))
        self.gx0, self.gy0, self.cell = float(gx0), float(gy0), cs
        self.ncx = int((gx1 - gx0) // cs) + 1
        self.ncy = int((gy1 - gy0) // cs) + 1
        cells, zones, inner = [], [], []
        eps = 1e-3  # a cell's box grown by a millimetre: a point the floor division puts in it is inside that
        for z in range(len(geoms)):
            ix = np.arange(int((b[z, 0] - gx0) // cs), int((b[z, 2] - gx0) // cs) + 1)
            iy = np.arange(int((b[z, 1] - gy0) // cs), int((b[z, 3] - gy0) // cs) + 1)
            cx, cy = np.meshgrid(ix, iy)
            cx, cy = cx.ravel(), cy.ravel()
            boxes = shapely.box(gx0 + cx * cs - eps, gy0 + cy * cs - eps, gx0 + (cx + 1) * cs + eps,
                                gy0 + (cy + 1) * cs + eps)
            meets = shapely.intersects(geoms[z], boxes)  # only the cells the zone itself meets
            c = (cy * self.ncx + cx)[meets]
            cells.append(c)
            zones.append(np.full(len(c), z, dtype=np.int64))
            inner.append(shapely.contains_properly(geoms[z], boxes[meets]))  # wholly inside: no test needed
        cell_of = np.concatenate(cells)
        zone_of = np.concatenate(zones)
        o = np.lexsort((zone_of, cell_of))
        cell_of, self.cell_zone, self.cell_inner = cell_of[o], zone_of[o], np.concatenate(inner)[o]
        ncell = self.ncx * self.ncy
        self.cell_start = np.searchsorted(cell_of, np.arange(ncell + 1)).astype(np.int64)
        self.cell_count = np.diff(self.cell_start)  # ... and one more cell, empty, for points off the grid
        self.cell_count = np.append(self.cell_count, 0)

    def pairs(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(fix index, zone index) of every fix inside a zone, ordered by fix, then zone.

        The grid gives the candidates (cell, then bounding box); `contains_xy` on the prepared geometries
        decides (a point on a border is outside, as with `contains`).
        """
        n = len(x)
        if self.ncx == 0 or n == 0:
            return _NONE, _NONE
        cs = self.cell
        fx = (x - self.gx0) // cs
        fy = (y - self.gy0) // cs
        on = (fx >= 0) & (fx < self.ncx) & (fy >= 0) & (fy < self.ncy)  # NaN: off the grid
        cell = np.where(on, np.where(on, fy, 0) * self.ncx + np.where(on, fx, 0), self.ncx * self.ncy).astype(np.int64)
        cnt = self.cell_count[cell]
        total = int(cnt.sum())
        if total == 0:
            return _NONE, _NONE
        fi = np.repeat(np.arange(n), cnt)
        within = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        entry = np.repeat(self.cell_start[cell], cnt) + within
        zi = self.cell_zone[entry]
        px, py = x[fi], y[fi]
        test = ~self.cell_inner[entry]  # a cell wholly inside the zone needs no test
        test &= (px >= self.bx0[zi]) & (px <= self.bx1[zi]) & (py >= self.by0[zi]) & (py <= self.by1[zi])
        inside = self.cell_inner[entry]
        t = np.flatnonzero(test)
        inside[t] = shapely.contains_xy(self.geoms[zi[t]], px[t], py[t])
        return fi[inside], zi[inside]

    def members(self, x: np.ndarray, y: np.ndarray) -> dict[int, list[int]]:
        """fix index -> indices of the zones it is inside (fixes inside none are absent)."""
        out: dict[int, list[int]] = {}
        fi, zi = self.pairs(x, y)
        for a, b in zip(fi.tolist(), zi.tolist(), strict=True):
            out.setdefault(a, []).append(b)
        return out

    def _segments(self, nz: int) -> None:
        """Every route's centre line as segments (metres): those of route z are seg_start[z] .. + seg_count[z] of the
        flat arrays seg_ax, seg_ay (where each begins), seg_bx, seg_by (ends), seg_dx, seg_dy, seg_len2, seg_len."""
        a, b, count = [], [], np.zeros(max(1, nz), dtype=np.int64)
        for i, line in self.lines.items():
            for part in shapely.get_parts(line):
                c = shapely.get_coordinates(part)
                a.append(c[:-1])
                b.append(c[1:])
                count[i] += len(c) - 1
        sa = np.concatenate(a) if a else np.zeros((0, 2))
        sb = np.concatenate(b) if b else np.zeros((0, 2))
        # each segment's ends and direction as flat arrays, worked out once (not by every corridor_distance)
        self.seg_ax, self.seg_ay = sa[:, 0].copy(), sa[:, 1].copy()
        self.seg_bx, self.seg_by = sb[:, 0].copy(), sb[:, 1].copy()
        self.seg_dx, self.seg_dy = self.seg_bx - self.seg_ax, self.seg_by - self.seg_ay
        self.seg_len2 = self.seg_dx * self.seg_dx + self.seg_dy * self.seg_dy
        self.seg_len = np.sqrt(self.seg_len2)
        self.seg_count = count
        self.seg_start = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64)

    def corridor_distance(self, x: np.ndarray, y: np.ndarray, routes: np.ndarray) -> np.ndarray:
        """Metres each point (x[k], y[k]) is outside the corridor of route index routes[k] (0 inside).

        The distance to the centre line is the nearest of its segments', worked out with numpy as GEOS works
        out a point's distance to a segment (the same operations in the same order: the same floats as
        `shapely.distance`, tests/rules/test_batch_path.py compares them).
        """
        m = len(routes)
        if m == 0:
            return np.zeros(0)
        cnt = self.seg_count[routes]
        first = np.cumsum(cnt) - cnt
        seg = np.arange(int(first[-1] + cnt[-1])) + np.repeat(self.seg_start[routes] - first, cnt)
        px, py = np.repeat(np.asarray(x, dtype=float), cnt), np.repeat(np.asarray(y, dtype=float), cnt)
        dx, dy, len2 = self.seg_dx[seg], self.seg_dy[seg], self.seg_len2[seg]
        ex, ey = px - self.seg_ax[seg], py - self.seg_ay[seg]  # (the point - a): GEOS's terms, reused
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (ex * dx + ey * dy) / len2
            s = (ex * dy - ey * dx) / len2  # GEOS's ((ay - py) * dx - (ax - px) * dy): the same float, negated
        da = np.sqrt(ex * ex + ey * ey)
        fx, fy = px - self.seg_bx[seg], py - self.seg_by[seg]
        db = np.sqrt(fx * fx + fy * fy)
        d = np.where((len2 == 0) | (r <= 0), da, np.where(r >= 1, db, np.abs(s) * self.seg_len[seg]))
        d = np.minimum.reduceat(d, first) if len(d) else np.full(m, np.inf)
        return np.maximum(d - self.half_width[routes], 0.0)  # type: ignore[no-any-return]


_NONE = np.zeros(0, dtype=np.intp)
