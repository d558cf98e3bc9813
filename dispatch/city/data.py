"""The demo city: rivers, roads, bridges, districts and sites loaded from GeoJSON.

``load_city()`` reads ``resources/city/liuzhou.geojson`` (a *schematic* Liuzhou built by
``resources/city/make_city.py``, not survey data) into a :class:`City` of shapely
geometries plus a road graph for routing.

Coordinate order — read this once:

* the Python API (arguments and return values of every method here) uses
  **(lat, lon)** tuples, degrees WGS84;
* the shapely geometries on the dataclasses (``City.water``, ``City.centerline``,
  ``Place.geometry``, ``City.roads``) are in GeoJSON order, **x = lon, y = lat**.

No Qt here and no imports from ``console/``: the dispatcher and the simulators use it too.
"""

from __future__ import annotations

import copy
import functools
import heapq
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring, unary_union

from dispatch.geo import LocalFrame, bearing_deg, haversine_m

DEFAULT_CITY_PATH = Path(__file__).resolve().parents[2] / "resources" / "city" / "liuzhou.geojson"

LatLon = tuple[float, float]

LAYERS = (
    "river",
    "river_centerline",
    "river_segment",
    "bridge",
    "road",
    "district",
    "construction_site",
    "disposal_site",
    "patrol_zone",
    "dock",
)


@dataclass(frozen=True, slots=True)
class Place:
    """A named feature of the city. ``geometry`` is shapely, in (lon, lat) order."""

    id: str  # ascii, unique in the file: "bridge-3", "site-7", "district-chengzhong"
    name: str  # Chinese display name
    name_en: str
    geometry: BaseGeometry

    @property
    def latlon(self) -> LatLon:
        """A representative (lat, lon): the point itself, or a point inside/on the shape."""
        g = self.geometry if isinstance(self.geometry, Point) else self.geometry.representative_point()
        return g.y, g.x


def _node_key(lon: float, lat: float) -> tuple[float, float]:
    # vertices shared by two roads are written identically in the file; rounding to
    # 1e-7 deg (~1 cm) only protects against float noise from a JSON round trip
    return round(lon, 7), round(lat, 7)


@dataclass(eq=False)
class City:
    """The whole city. Geometries are shapely in (lon, lat); methods speak (lat, lon)."""

    name: str
    water: Polygon | MultiPolygon  # the river surface
    centerline: LineString  # middle of the river, upstream -> downstream, (lon, lat)
    segments: list[Place]  # numbered cleaning segments, upstream first
    bridges: list[Place]  # LineStrings bank to bank
    roads: list[LineString]  # the road network (bridge lines are added to the graph too)
    districts: list[Place]
    construction_sites: list[Place]
    disposal_sites: list[Place]
    patrol_zones: list[Place]
    docks: list[Place]
    road_places: list[Place] = field(default_factory=list)  # roads with their names
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    # derived in __post_init__
    _frame: LocalFrame = field(init=False, repr=False)
    _center_xy: LineString = field(init=False, repr=False)
    _nodes: list[tuple[float, float]] = field(init=False, repr=False)  # (lon, lat)
    _node_xy: list[tuple[float, float]] = field(init=False, repr=False)
    _adj: list[list[tuple[int, float]]] = field(init=False, repr=False)
    _by_id: dict[str, Place] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        shapely.prepare(self.water)
        minx, miny, maxx, maxy = self._bounds()
        self._frame = LocalFrame((miny + maxy) / 2.0, (minx + maxx) / 2.0)
        self._center_xy = LineString([self._frame.to_xy(lat, lon) for lon, lat in self.centerline.coords])
        self._build_graph()
        self._by_id = {
            p.id: p
            for group in (
                self.segments,
                self.bridges,
                self.road_places,
                self.districts,
                self.construction_sites,
                self.disposal_sites,
                self.patrol_zones,
                self.docks,
            )
            for p in group
        }

    # ------------------------------------------------------------------ basics

    def _bounds(self) -> tuple[float, float, float, float]:
        geoms = [self.water, self.centerline, *self.roads]
        geoms += [p.geometry for p in self.districts]
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(geoms))
        return minx, miny, maxx, maxy

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lat, min_lon, max_lat, max_lon) of the city's geometry."""
        minx, miny, maxx, maxy = self._bounds()
        return miny, minx, maxy, maxx

    @property
    def center(self) -> LatLon:
        """(lat, lon) of the middle of :attr:`bbox`."""
        min_lat, min_lon, max_lat, max_lon = self.bbox
        return (min_lat + max_lat) / 2.0, (min_lon + max_lon) / 2.0

    def place(self, place_id: str) -> Place:
        """Any named feature by its id ("bridge-3", "site-1", "dock-2", ...)."""
        return self._by_id[place_id]

    def is_water(self, lat: float, lon: float) -> bool:
        """True if (lat, lon) is on the river surface (boundary counts as water)."""
        return bool(shapely.intersects_xy(self.water, lon, lat))

    def distance_to_water_m(self, lat: float, lon: float) -> float:
        """Metres from (lat, lon) to the nearest river surface; 0 on the water."""
        if self.is_water(lat, lon):
            return 0.0
        from shapely.ops import nearest_points

        from dispatch.geo import haversine_m

        near = nearest_points(self.water, Point(lon, lat))[0]
        return haversine_m(lat, lon, near.y, near.x)

    def district_of(self, lat: float, lon: float) -> Place | None:
        """The district containing (lat, lon), or None outside the city."""
        pt = Point(lon, lat)
        for d in self.districts:
            if d.geometry.covers(pt):
                return d
        return None

    def geojson(self) -> dict[str, Any]:
        """A copy of the raw FeatureCollection ([lon, lat] coordinates), for drawing."""
        return copy.deepcopy(self.raw)

    # ------------------------------------------------------------------ roads

    def _build_graph(self) -> None:
        index: dict[tuple[float, float], int] = {}
        nodes: list[tuple[float, float]] = []
        adj: list[list[tuple[int, float]]] = []

        def node(lon: float, lat: float) -> int:
            key = _node_key(lon, lat)
            i = index.get(key)
            if i is None:
                i = index[key] = len(nodes)
                nodes.append((lon, lat))
                adj.append([])
            return i

        lines = list(self.roads) + [b.geometry for b in self.bridges]
        for line in lines:
            coords = list(line.coords)
            for (lon1, lat1), (lon2, lat2) in zip(coords, coords[1:], strict=False):
                a, b = node(lon1, lat1), node(lon2, lat2)
                if a == b:
                    continue
                w = haversine_m(lat1, lon1, lat2, lon2)
                adj[a].append((b, w))
                adj[b].append((a, w))
        self._nodes = nodes
        self._node_xy = [self._frame.to_xy(lat, lon) for lon, lat in nodes]
        self._adj = adj

    @property
    def road_nodes(self) -> list[LatLon]:
        """Every junction/vertex of the road graph as (lat, lon)."""
        return [(lat, lon) for lon, lat in self._nodes]

    def road_components(self) -> int:
        """Number of connected components of the road graph (1 for a sane city)."""
        seen = [False] * len(self._nodes)
        count = 0
        for start in range(len(self._nodes)):
            if seen[start]:
                continue
            count += 1
            stack = [start]
            seen[start] = True
            while stack:
                u = stack.pop()
                for v, _ in self._adj[u]:
                    if not seen[v]:
                        seen[v] = True
                        stack.append(v)
        return count

    def nearest_road_node(self, lat: float, lon: float) -> LatLon:
        """The road-graph vertex nearest to (lat, lon), as (lat, lon)."""
        lon_n, lat_n = self._nodes[self._snap(lat, lon)]
        return lat_n, lon_n

    def _snap(self, lat: float, lon: float) -> int:
        x, y = self._frame.to_xy(lat, lon)
        best, best_d = 0, math.inf
        for i, (nx, ny) in enumerate(self._node_xy):
            d = (nx - x) ** 2 + (ny - y) ** 2
            if d < best_d:
                best, best_d = i, d
        return best

    def road_route(self, a: LatLon, b: LatLon) -> list[LatLon]:
        """Shortest road path from a to b, both (lat, lon); returns a list of (lat, lon).

        a and b are snapped to their nearest road-graph vertices; the result runs from a's
        vertex to b's vertex over roads and bridges (Dijkstra, edge weights in metres).
        The original points are not included. Empty list if b is unreachable.
        """
        src, dst = self._snap(*a), self._snap(*b)
        dist = {src: 0.0}
        prev: dict[int, int] = {}
        heap = [(0.0, src)]
        while heap:
            d, u = heapq.heappop(heap)
            if u == dst:
                break
            if d > dist.get(u, math.inf):
                continue
            for v, w in self._adj[u]:
                nd = d + w
                if nd < dist.get(v, math.inf):
                    dist[v] = nd
                    prev[v] = u
                    heapq.heappush(heap, (nd, v))
        if dst not in dist:
            return []
        path = [dst]
        while path[-1] != src:
            path.append(prev[path[-1]])
        path.reverse()
        return [(self._nodes[i][1], self._nodes[i][0]) for i in path]

    # ------------------------------------------------------------------ river

    @property
    def river_length_m(self) -> float:
        """Length of the centerline in metres."""
        return self._center_xy.length

    def river_position(self, lat: float, lon: float) -> float:
        """Where (lat, lon) projects onto the centerline, as a fraction 0 (upstream)..1."""
        x, y = self._frame.to_xy(lat, lon)
        return self._center_xy.project(Point(x, y)) / self._center_xy.length

    def river_path_between(self, a: LatLon, b: LatLon) -> list[LatLon]:
        """The piece of centerline between the projections of a and b, as (lat, lon).

        Ordered from a's projection to b's (so it runs upstream if b is upstream of a);
        includes both projected end points and every centerline vertex between them.
        """
        line = self._center_xy
        sa = line.project(Point(self._frame.to_xy(*a)))
        sb = line.project(Point(self._frame.to_xy(*b)))
        lo, hi = min(sa, sb), max(sa, sb)
        piece = substring(line, lo, hi)
        coords = list(piece.coords) if isinstance(piece, LineString) else [piece.coords[0]]
        if sa > sb:
            coords.reverse()
        return [self._frame.to_latlon(x, y) for x, y in coords]

    def point_along_river(self, fraction: float) -> tuple[float, float, float]:
        """(lat, lon, bearing_deg) at ``fraction`` (0 upstream .. 1 downstream, clamped).

        The bearing is the downstream direction of the centerline there, degrees true.
        """
        line = self._center_xy
        s = min(1.0, max(0.0, fraction)) * line.length
        p = line.interpolate(s)
        lat, lon = self._frame.to_latlon(p.x, p.y)
        p1 = line.interpolate(max(0.0, s - 10.0))
        p2 = line.interpolate(min(line.length, s + 10.0))
        lat1, lon1 = self._frame.to_latlon(p1.x, p1.y)
        lat2, lon2 = self._frame.to_latlon(p2.x, p2.y)
        return lat, lon, bearing_deg(lat1, lon1, lat2, lon2)


# ---------------------------------------------------------------------- loading


def _places(features: list[dict[str, Any]], layer: str) -> list[Place]:
    out = []
    for f in features:
        p = f.get("properties") or {}
        if p.get("layer") != layer:
            continue
        out.append(
            Place(
                id=str(p["id"]),
                name=str(p.get("name", p["id"])),
                name_en=str(p.get("name_en", p.get("name", p["id"]))),
                geometry=shape(f["geometry"]),
            )
        )
    return out


def _segment_order(place: Place) -> int:
    tail = place.id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def city_from_geojson(data: dict[str, Any]) -> City:
    """Build a :class:`City` from a parsed FeatureCollection (see module docstring)."""
    features = data.get("features", [])
    rivers = _places(features, "river")
    centerlines = _places(features, "river_centerline")
    if not rivers or not centerlines:
        raise ValueError("city GeoJSON needs a 'river' and a 'river_centerline' feature")
    water = unary_union([r.geometry for r in rivers])
    if not isinstance(water, Polygon | MultiPolygon):
        raise ValueError(f"river layer is a {water.geom_type}, not a polygon")
    centerline = centerlines[0].geometry
    if not isinstance(centerline, LineString):
        raise ValueError("river_centerline must be a LineString")
    road_places = _places(features, "road")
    props = data.get("properties") or {}
    return City(
        name=str(props.get("name", "city")),
        water=water,
        centerline=centerline,
        segments=sorted(_places(features, "river_segment"), key=_segment_order),
        bridges=_places(features, "bridge"),
        roads=[p.geometry for p in road_places],
        districts=_places(features, "district"),
        construction_sites=_places(features, "construction_site"),
        disposal_sites=_places(features, "disposal_site"),
        patrol_zones=_places(features, "patrol_zone"),
        docks=_places(features, "dock"),
        road_places=road_places,
        raw=data,
    )


@functools.cache
def _load_default() -> City:
    return _load(DEFAULT_CITY_PATH)


def _load(path: Path) -> City:
    with path.open(encoding="utf-8") as fh:
        return city_from_geojson(json.load(fh))


def load_city(path: Path | None = None) -> City:
    """Load the city GeoJSON at ``path`` (default: the built-in schematic Liuzhou).

    The default city is loaded once and cached; the same object comes back every time,
    so treat it as read-only. Other paths are read afresh on each call.
    """
    if path is None or Path(path).resolve() == DEFAULT_CITY_PATH:
        return _load_default()
    return _load(Path(path))
