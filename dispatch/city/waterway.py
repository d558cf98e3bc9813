"""The waterway graph: where a boat can go, built from the river geometry of dispatch/city/data.py.

Nodes are the river centerline resampled every ``step_m`` metres; consecutive nodes are joined,
and so is any pair of nodes closer than ``link_m`` whose straight line stays on the water (a boat
cuts the inside of a bend, never across land). A point on the water joins the graph at its nearest
node; distances are in metres in the city's local metric frame.

Boats therefore go the long way round a peninsula: two points on either side of a land neck are
~1 km apart in a straight line but many kilometres apart here.

Also here, because recommendations need both: :class:`RoadGraph`, the road network (roads plus
bridges) as a graph over the same frame, for officers and trucks.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.strtree import STRtree

from dispatch.city.data import City, load_city
from dispatch.geo import M_PER_DEG_LAT, LocalFrame

LatLon = tuple[float, float]


def _dijkstra(adj: list[list[tuple[int, float]]], src: int) -> np.ndarray:
    dist = np.full(len(adj), np.inf)
    dist[src] = 0.0
    heap = [(0.0, src)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, w in adj[u]:
            nd = d + w
            if nd < dist[v]:
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dist


class _Graph:
    """Nodes in the local frame (x, y metres) with an adjacency list, nearest-node snapping and
    single-source distances cached per source node."""

    frame: LocalFrame
    xy: np.ndarray
    adj: list[list[tuple[int, float]]]

    def _index(self, cell_m: float = 50.0) -> None:
        """Nearest-node lookup grid (cell_m squares over the nodes' extent plus a margin), so snapping
        thousands of points is an array index instead of a spatial search."""
        self._tree = STRtree(shapely.points(self.xy))
        self._rows = functools.lru_cache(maxsize=1024)(self._row)
        margin = 1000.0
        x0, y0 = self.xy.min(axis=0) - margin
        x1, y1 = self.xy.max(axis=0) + margin
        nx, ny = int((x1 - x0) // cell_m) + 1, int((y1 - y0) // cell_m) + 1
        gx, gy = np.meshgrid(x0 + (np.arange(nx) + 0.5) * cell_m, y0 + (np.arange(ny) + 0.5) * cell_m, indexing="ij")
        idx, _d = self._tree.query_nearest(shapely.points(gx.ravel(), gy.ravel()), return_distance=True,
                                           all_matches=False)
        grid = np.empty(nx * ny, dtype=np.int32)
        grid[idx[0]] = idx[1]
        self._grid = grid.reshape(nx, ny)
        self._grid_origin = (float(x0), float(y0), cell_m)

    def _row(self, node: int) -> np.ndarray:
        return _dijkstra(self.adj, node)

    def to_xy(self, lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray) -> np.ndarray:
        f = self.frame
        lat = np.asarray(lats, dtype=float)
        lon = np.asarray(lons, dtype=float)
        return np.column_stack(((lon - f.lon0) * f.m_per_deg_lon, (lat - f.lat0) * M_PER_DEG_LAT))

    def snap(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of each (x, y) row (by the lookup grid; exact search outside it) and the
        straight distance to it."""
        if len(xy) == 0:
            return np.zeros(0, dtype=int), np.zeros(0)
        x0, y0, cell = self._grid_origin
        i = np.floor((xy[:, 0] - x0) / cell).astype(int)
        j = np.floor((xy[:, 1] - y0) / cell).astype(int)
        nx, ny = self._grid.shape
        inside = (i >= 0) & (i < nx) & (j >= 0) & (j < ny)
        node = np.empty(len(xy), dtype=int)
        node[inside] = self._grid[i[inside], j[inside]]
        if not inside.all():
            out = np.flatnonzero(~inside)
            idx = self._tree.query_nearest(shapely.points(xy[out]), all_matches=False)
            node[out[idx[0]]] = idx[1]
        d = np.hypot(xy[:, 0] - self.xy[node, 0], xy[:, 1] - self.xy[node, 1])
        return node, d

    def distances_from(self, lat: float, lon: float) -> np.ndarray:
        """Distance (m) from (lat, lon) to every node: the straight hop to its nearest node plus the graph."""
        (node,), (off,) = self.snap(self.to_xy([lat], [lon]))
        return self._rows(int(node)) + off

    def distances(self, target: LatLon, lats: Sequence[float], lons: Sequence[float]) -> np.ndarray:
        """Graph distance (m) from each point to `target` (inf if unreachable): one Dijkstra, cached."""
        row = self.distances_from(*target)
        node, off = self.snap(self.to_xy(lats, lons))
        return row[node] + off

    def distance(self, a: LatLon, b: LatLon) -> float:
        return float(self.distances(b, [a[0]], [a[1]])[0])

    def path(self, a: LatLon, b: LatLon) -> list[LatLon]:
        """Node path from a's nearest node to b's, as (lat, lon); [] if unreachable."""
        (na, nb), _ = self.snap(self.to_xy([a[0], b[0]], [a[1], b[1]]))
        row = self._rows(int(nb))
        if not math.isfinite(row[na]):
            return []
        out = [int(na)]
        while out[-1] != nb:  # walk downhill in the distance field towards b
            u = out[-1]
            out.append(min(self.adj[u], key=lambda e: row[e[0]] + e[1])[0])
        return [self.frame.to_latlon(float(self.xy[i, 0]), float(self.xy[i, 1])) for i in out]


class WaterwayGraph(_Graph):
    """Where boats can go. Build with :func:`waterway_graph` (cached per city)."""

    def __init__(self, city: City, *, step_m: float = 50.0, link_m: float = 400.0) -> None:
        lat0, lon0 = city.center
        self.frame = f = LocalFrame(lat0, lon0)
        self.water_xy = shapely.transform(city.water, lambda c: np.column_stack(
            ((c[:, 0] - f.lon0) * f.m_per_deg_lon, (c[:, 1] - f.lat0) * M_PER_DEG_LAT)))
        shapely.prepare(self.water_xy)
        line = LineString([f.to_xy(lat, lon) for lon, lat in city.centerline.coords])
        n = max(2, int(math.ceil(line.length / step_m)) + 1)
        pts = [line.interpolate(i * line.length / (n - 1)) for i in range(n)]
        self.xy = np.array([(p.x, p.y) for p in pts])
        self.adj = [[] for _ in range(n)]
        for i in range(n - 1):
            w = float(np.hypot(*(self.xy[i + 1] - self.xy[i])))
            self.adj[i].append((i + 1, w))
            self.adj[i + 1].append((i, w))
        self.length_m = line.length
        self._index()
        # shortcuts across bends: node pairs within link_m whose chord stays on the water
        pairs = self._tree.query(shapely.points(self.xy), predicate="dwithin", distance=link_m)
        a, b = pairs
        keep = b > a + 1
        a, b = a[keep], b[keep]
        if len(a):
            chords = shapely.linestrings(np.stack([self.xy[a], self.xy[b]], axis=1))
            inside = shapely.covers(self.water_xy, chords)
            chain = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(self.xy, axis=0).T))))
            for i, j in zip(a[inside], b[inside], strict=True):
                w = float(np.hypot(*(self.xy[j] - self.xy[i])))
                if w < 0.97 * (chain[j] - chain[i]):  # a chord along a straight reach saves nothing: skip it
                    self.adj[int(i)].append((int(j), w))
                    self.adj[int(j)].append((int(i), w))

    def on_water(self, lat: float, lon: float) -> bool:
        (x, y), = self.to_xy([lat], [lon])
        return bool(self.water_xy.covers(Point(x, y)))


class RoadGraph(_Graph):
    """The road network (roads and bridges) for units on land. Build with :func:`road_graph`."""

    def __init__(self, city: City) -> None:
        lat0, lon0 = city.center
        self.frame = f = LocalFrame(lat0, lon0)
        index: dict[tuple[float, float], int] = {}
        xy: list[tuple[float, float]] = []
        adj: list[list[tuple[int, float]]] = []

        def node(lon: float, lat: float) -> int:
            key = (round(lon, 7), round(lat, 7))
            i = index.get(key)
            if i is None:
                i = index[key] = len(xy)
                xy.append(f.to_xy(lat, lon))
                adj.append([])
            return i

        for ln in [*city.roads, *(b.geometry for b in city.bridges)]:
            coords = list(ln.coords)
            for (lo1, la1), (lo2, la2) in zip(coords, coords[1:], strict=False):
                i, j = node(lo1, la1), node(lo2, la2)
                if i != j:
                    w = math.dist(xy[i], xy[j])
                    adj[i].append((j, w))
                    adj[j].append((i, w))
        self.xy = np.array(xy) if xy else np.zeros((1, 2))
        self.adj = adj or [[]]
        self._index()


@functools.cache
def _graphs(city_id: int) -> tuple[WaterwayGraph, RoadGraph]:
    city = _CITIES[city_id]
    return WaterwayGraph(city), RoadGraph(city)


_CITIES: dict[int, City] = {}


def waterway_graph(city: City | None = None) -> WaterwayGraph:
    """The waterway graph of `city` (default: the demo city), built once and cached."""
    city = city or load_city()
    _CITIES[id(city)] = city
    return _graphs(id(city))[0]


def road_graph(city: City | None = None) -> RoadGraph:
    city = city or load_city()
    _CITIES[id(city)] = city
    return _graphs(id(city))[1]
