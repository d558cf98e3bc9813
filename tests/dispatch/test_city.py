"""The built-in schematic Liuzhou: geometry sanity, the river loop, routing, geo helpers."""

from __future__ import annotations

import json
import math

import pytest
from shapely.geometry import LineString, Point

from dispatch.city.data import DEFAULT_CITY_PATH, City, load_city
from dispatch.geo import (
    EARTH_RADIUS_M,
    LocalFrame,
    bearing_deg,
    destination,
    haversine_m,
    path_length_m,
)


@pytest.fixture(scope="module")
def city() -> City:
    return load_city()


def _meters_to_water(city: City, geom) -> float:
    """Rough metric distance from a (lon, lat) geometry to the water."""
    deg = city.water.distance(geom)
    lat = geom.representative_point().y
    # a degree of longitude is the shortest direction: a conservative (small) estimate
    return deg * 111_195.0 * math.cos(math.radians(lat))


def test_file_is_marked_schematic():
    data = json.loads(DEFAULT_CITY_PATH.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert data["properties"]["schematic"] is True
    assert data["properties"]["name"] == "柳州 (示意)"
    ids = [f["properties"]["id"] for f in data["features"]]
    assert len(ids) == len(set(ids))
    for f in data["features"]:
        p = f["properties"]
        assert p["id"].isascii() and p["name"] and p["name_en"] and p["layer"]


def test_layer_counts(city: City):
    assert 6 <= len(city.segments) <= 8
    assert 8 <= len(city.bridges) <= 10
    assert 25 <= len(city.roads) <= 50
    assert {d.name for d in city.districts} == {"城中区", "鱼峰区", "柳南区", "柳北区", "柳江区"}
    assert 10 <= len(city.construction_sites) <= 12
    assert 3 <= len(city.disposal_sites) <= 4
    assert 6 <= len(city.patrol_zones) <= 8
    assert 4 <= len(city.docks) <= 5
    assert load_city() is city  # cached


def test_bbox_and_center(city: City):
    min_lat, min_lon, max_lat, max_lon = city.bbox
    assert 24.2 < min_lat < max_lat < 24.45
    assert 109.3 < min_lon < max_lon < 109.55
    lat, lon = city.center
    assert min_lat < lat < max_lat and min_lon < lon < max_lon


def test_river_polygon_valid_and_width(city: City):
    assert city.water.is_valid
    assert city.water.geom_type in ("Polygon", "MultiPolygon")
    # half-width: distance from centerline vertices to the bank, 125-225 m
    for lon, lat in list(city.centerline.coords)[5:-5:7]:
        assert city.is_water(lat, lon)
        bank_deg = city.water.exterior.distance(Point(lon, lat))
        # the nearest bank lies somewhere between due north (1 deg = 111.2 km) and due
        # east (1 deg = 111.2 km * cos(lat)): bound the metric distance both ways
        assert bank_deg * 111_195.0 * math.cos(math.radians(lat)) > 110.0
        assert bank_deg * 111_195.0 < 240.0


def test_centerline_inside_water(city: City):
    assert city.water.buffer(1e-7).contains(city.centerline)
    coords = list(city.centerline.coords)
    steps = [haversine_m(a[1], a[0], b[1], b[0]) for a, b in zip(coords, coords[1:], strict=False)]
    assert 100.0 <= min(steps) and max(steps) <= 200.0
    lat, lon, _ = city.point_along_river(0.5)
    assert city.is_water(lat, lon)


def test_segments_cover_the_river(city: City):
    first, last = city.segments[0].geometry.coords, city.segments[-1].geometry.coords
    assert first[0] == city.centerline.coords[0]
    assert last[-1] == city.centerline.coords[-1]
    for a, b in zip(city.segments, city.segments[1:], strict=False):
        assert a.geometry.coords[-1] == b.geometry.coords[0]
    total = sum(s.geometry.length for s in city.segments)
    assert total == pytest.approx(city.centerline.length, rel=1e-9)


def test_land_neck(city: City):
    """Two centerline points < 1.2 km apart over land but > 6 km apart along the water."""
    pts = [(lat, lon) for lon, lat in city.centerline.coords]
    along = [0.0]
    for a, b in zip(pts, pts[1:], strict=False):
        along.append(along[-1] + haversine_m(*a, *b))
    best = None
    for i in range(len(pts)):
        for j in range(i + 1, len(pts)):
            if along[j] - along[i] <= 6000.0:
                continue
            d = haversine_m(*pts[i], *pts[j])
            if best is None or d < best[0]:
                best = (d, i, j)
    assert best is not None
    d, i, j = best
    assert d < 1200.0
    assert along[j] - along[i] > 6000.0
    # and the straight line between them crosses land (the neck)
    chord = LineString([(pts[i][1], pts[i][0]), (pts[j][1], pts[j][0])])
    assert not city.water.contains(chord)


def test_docks_at_the_bank(city: City):
    for dock in city.docks:
        p = dock.geometry
        lat, lon = p.y, p.x
        assert city.is_water(lat, lon) or _meters_to_water(city, p) <= 60.0, dock.id
        bank_m = city.water.exterior.distance(p) * 111_195.0
        assert bank_m <= 60.0 / math.cos(math.radians(lat)), dock.id


@pytest.mark.parametrize("layer", ["construction_sites", "disposal_sites"])
def test_sites_on_land(city: City, layer: str):
    for site in getattr(city, layer):
        assert not city.is_water(site.geometry.y, site.geometry.x), site.id
        lat, lon = site.geometry.y, site.geometry.x
        node = city.nearest_road_node(lat, lon)
        assert haversine_m(lat, lon, *node) <= 150.0, site.id


def test_patrol_zones_on_land(city: City):
    for zone in city.patrol_zones:
        assert zone.geometry.is_valid
        assert not zone.geometry.intersects(city.water), zone.id


def test_bridges_cross_water(city: City):
    for bridge in city.bridges:
        line = bridge.geometry
        (lon1, lat1), (lon2, lat2) = line.coords[0], line.coords[-1]
        assert not city.is_water(lat1, lon1) and not city.is_water(lat2, lon2), bridge.id
        assert line.crosses(city.water), bridge.id
        assert 250.0 < haversine_m(lat1, lon1, lat2, lon2) < 700.0


def test_roads_cross_water_only_on_bridges(city: City):
    decks = [b.geometry.buffer(1e-6) for b in city.bridges]
    for road in city.road_places:
        rest = road.geometry
        for deck in decks:
            rest = rest.difference(deck)
        assert not rest.intersects(city.water), road.id


def test_road_graph_connected(city: City):
    assert city.road_components() == 1
    # every bridge end is a junction of the road network
    nodes = set(city.road_nodes)
    for bridge in city.bridges:
        for lon, lat in bridge.geometry.coords:
            assert (lat, lon) in nodes, bridge.id


def test_routes_from_every_site_to_every_disposal_site(city: City):
    for site in city.construction_sites:
        for dump in city.disposal_sites:
            a = (site.geometry.y, site.geometry.x)
            b = (dump.geometry.y, dump.geometry.x)
            path = city.road_route(a, b)
            assert len(path) >= 2, (site.id, dump.id)
            assert path[0] == city.nearest_road_node(*a)
            assert path[-1] == city.nearest_road_node(*b)
            length = path_length_m(path)
            assert length >= haversine_m(*path[0], *path[-1]) - 1e-6
            assert length < 4.0 * haversine_m(*a, *b) + 3000.0


def test_route_across_the_river_uses_a_bridge(city: City):
    inside = city.place("site-1")  # on the peninsula
    outside = city.disposal_sites[0]
    path = city.road_route((inside.geometry.y, inside.geometry.x), (outside.geometry.y, outside.geometry.x))
    ends = {(lat, lon) for b in city.bridges for lon, lat in b.geometry.coords}
    assert ends & set(path)


def test_river_path_between(city: City):
    a = city.point_along_river(0.2)[:2]
    b = city.point_along_river(0.6)[:2]
    path = city.river_path_between(a, b)
    assert haversine_m(*path[0], *a) < 1.0 and haversine_m(*path[-1], *b) < 1.0
    assert path_length_m(path) == pytest.approx(0.4 * city.river_length_m, rel=0.01)
    back = city.river_path_between(b, a)
    assert back[0] == pytest.approx(path[-1]) and back[-1] == pytest.approx(path[0])
    for lat, lon in path[1:-1]:
        assert city.is_water(lat, lon)


def test_point_along_river_bearing(city: City):
    lat0, lon0, brg0 = city.point_along_river(0.0)
    # the river comes from the north-west: it flows roughly south-east at the start
    assert 90.0 < brg0 < 180.0
    lat1, lon1, _ = city.point_along_river(1.0)
    assert lon1 > lon0  # leaves to the east
    assert city.point_along_river(-1.0)[:2] == (lat0, lon0)
    assert city.river_position(lat1, lon1) == pytest.approx(1.0)


def test_district_lookup(city: City):
    lat, lon = city.place("site-1").latlon
    d = city.district_of(lat, lon)
    assert d is not None and d.name == "城中区"


# ---------------------------------------------------------------------- geo helpers


def test_haversine_one_degree_of_latitude():
    assert haversine_m(24.0, 109.0, 25.0, 109.0) == pytest.approx(111_195.0, rel=1e-4)
    assert haversine_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(111_195.0, rel=1e-4)
    assert haversine_m(24.3, 109.4, 24.3, 109.4) == 0.0
    assert haversine_m(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_M)


def test_bearings():
    assert bearing_deg(24.0, 109.0, 25.0, 109.0) == pytest.approx(0.0, abs=1e-9)
    assert bearing_deg(0.0, 0.0, 0.0, 1.0) == pytest.approx(90.0)
    assert bearing_deg(25.0, 109.0, 24.0, 109.0) == pytest.approx(180.0)
    assert bearing_deg(0.0, 1.0, 0.0, 0.0) == pytest.approx(270.0)


def test_destination_and_local_frame_round_trip():
    lat, lon = destination(24.33, 109.41, 45.0, 1000.0)
    assert haversine_m(24.33, 109.41, lat, lon) == pytest.approx(1000.0, rel=1e-9)
    assert bearing_deg(24.33, 109.41, lat, lon) == pytest.approx(45.0, abs=0.01)
    frame = LocalFrame(24.33, 109.41)
    x, y = frame.to_xy(lat, lon)
    assert math.hypot(x, y) == pytest.approx(1000.0, rel=1e-3)
    assert frame.to_latlon(x, y) == pytest.approx((lat, lon))
