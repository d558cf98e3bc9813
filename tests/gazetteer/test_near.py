"""A report filed with coordinates and no address (a map click, a citizen's tap, an alert) names the place it is
at or near, as a dispatcher would say it; the incident records it, the queue, the field and a case show it."""

from __future__ import annotations

import pytest
from shapely.geometry import Point

from dispatch import ops
from dispatch.city.data import load_city
from dispatch.gazetteer.near import near
from dispatch.gazetteer.ops import city_entries
from dispatch.geo import LocalFrame
from tests.dispatch.incident_helpers import make_core, river_point


@pytest.fixture
def core(tmp_path):  # type: ignore[no-untyped-def]
    c = make_core(tmp_path)
    yield c
    c.close()


def _offset(lat: float, lon: float, east_m: float, north_m: float) -> tuple[float, float]:
    f = LocalFrame(lat, lon)
    return f.to_latlon(east_m, north_m)


def test_on_the_river_its_segment_or_the_bridge_beside_it() -> None:
    city = load_city()
    lat, lon = river_point(0.55)
    got = near(None, lat, lon)
    nearest = min(city.segments, key=lambda s: s.geometry.distance(Point(lon, lat)))
    assert got is not None and (got["kind"], got["name"], got["m"]) == ("segment", nearest.name, 0)
    bridge = city.bridges[2]
    mid = bridge.geometry.interpolate(0.5, normalized=True)
    assert city.is_water(mid.y, mid.x)
    got = near(None, mid.y, mid.x)
    assert got is not None and (got["kind"], got["name"]) == ("bridge", bridge.name)


def test_on_land_a_crossing_then_a_road_then_the_district() -> None:
    crossing = next(e for e in city_entries() if e.kind == "intersection")
    lat, lon = _offset(crossing.lat, crossing.lon, 30, 30)  # 42 m off
    got = near(None, lat, lon)
    assert got is not None and got["kind"] == "intersection" and got["m"] == 40 and got["name"].endswith("交叉口")
    assert near(None, 24.3265, 109.4102) == {"name": "中山路中段", "name_en": "Zhongshan Road (Middle)",
                                            "kind": "road", "m": 80}


def test_a_district_when_nothing_named_is_close_and_none_outside_the_city() -> None:
    city = load_city()
    d = city.districts[0]
    minx, miny, maxx, maxy = d.geometry.bounds
    found = None
    for i in range(1, 40):  # a point of the district that no feature is within NEAR_FEATURE_M of
        for j in range(1, 40):
            lon, lat = minx + (maxx - minx) * i / 40, miny + (maxy - miny) * j / 40
            if d.geometry.covers(Point(lon, lat)) and not city.is_water(lat, lon):
                got = near(None, lat, lon)
                if got is not None and got["kind"] == "district":
                    found = got
                    break
        if found:
            break
    assert found is not None and found["name"] in {x.name for x in city.districts} and found["m"] == 0
    assert near(None, 24.9, 110.4) is None


def test_a_place_the_bureau_imported_is_named_when_it_is_the_nearest(core) -> None:  # type: ignore[no-untyped-def]
    lat, lon = 24.35738, 109.40904  # 270 m from 跃进路中段, the nearest city feature (within NEAR_FEATURE_M)
    assert near(core.state, lat, lon)["name"] == "跃进路中段"
    plat, plon = _offset(lat, lon, 50, 0)
    ops.call(core, "places.import", {"places": [{"name": "雅儒菜市场", "kind": "market", "lat": plat, "lon": plon}]},
             actor="t")
    got = near(core.state, lat, lon)
    assert (got["name"], got["kind"], got["m"]) == ("雅儒菜市场", "market", 50)


def test_an_incident_without_address_records_where_it_is_and_a_case_takes_it(core, qapp) -> None:  # type: ignore[no-untyped-def]
    from console.catalogue import use_language, where_text

    inc = ops.call(core, "incident.create", {"category": "illegal_dumping", "priority": "P3", "lat": 24.3265,
                                             "lon": 109.4102, "source": "app"}, actor="t")
    assert inc["address"] is None and inc["near"]["name"] == "中山路中段"
    told = ops.call(core, "incident.create", {"category": "illegal_dumping", "priority": "P3", "lat": 24.3265,
                                              "lon": 109.4102, "address": "中山路12号门前"}, actor="t")
    assert told["near"] is None  # the caller's own words stand
    events = list(core.store.events(kinds=["incident.created"]))
    assert events[0].payload["near"]["name"] == "中山路中段" and "near" not in events[1].payload
    try:
        use_language("zh_CN")
        assert where_text(inc) == "中山路中段附近" and where_text(told) == "中山路12号门前"
        use_language("en")
        assert where_text(inc) == "near Zhongshan Road (Middle)"
    finally:
        use_language("en")
    from console.report.html import render
    from dispatch.analytics.report import report_data

    page = render(report_data(core, core.clock() - 3600, core.clock() + 60), lang="zh_CN")
    assert "中山路中段附近" in page  # the shift report's open cases name the place too
    case = ops.call(core, "case.open", {"violation": "CSRQ-001", "party_type": "person", "party_name": "某某",
                                        "incident_id": inc["id"]}, actor="ctl:li")
    shown = ops.call(core, "case.show", {"case_id": case["id"]}, actor="ctl:li")
    assert shown["place"] == "中山路中段附近（24.32650, 109.41020）"


def test_a_citizens_report_with_no_address_names_its_place_too(core) -> None:  # type: ignore[no-untyped-def]
    """Open311 and the citizen page file through their own operation, not incident.create: the same place."""
    key = ops.call(core, "citizens.apikey_new", {"name": "city-app", "source": "app"}, actor="ctl:test")["api_key"]
    lat, lon = river_point(0.55)
    filed = ops.call(core, "citizens.file", {"api_key": key, "service_code": "floating_garbage", "lat": lat,
                                             "long": lon, "description": "江面漂浮垃圾"}, actor="open311:city-app")
    inc = ops.call(core, "incident.show", {"incident_id": filed["service_request_id"]}, actor="t")
    assert inc["address"] is None and inc["near"] == near(core.state, lat, lon) and inc["near"]["kind"] == "segment"
    told = ops.call(core, "citizens.file", {"api_key": key, "service_code": "illegal_dumping", "lat": 24.3265,
                                            "long": 109.4102, "address_string": "中山路12号"}, actor="open311:city-app")
    assert ops.call(core, "incident.show", {"incident_id": told["service_request_id"]}, actor="t")["near"] is None


def test_an_open311_request_without_address_reads_its_place(core) -> None:  # type: ignore[no-untyped-def]
    """GET requests/{id}: the spec's address is a "description of location"; a tap-only request had null."""
    key = ops.call(core, "citizens.apikey_new", {"name": "city-app", "source": "app"}, actor="ctl:test")["api_key"]
    rid = ops.call(core, "citizens.file", {"api_key": key, "service_code": "illegal_dumping", "lat": 24.3265,
                                           "long": 109.4102}, actor="open311:city-app")["service_request_id"]
    show = {"request_id": rid}
    assert ops.call(core, "citizens.request", show, actor="t")["address"] == "中山路中段附近"
    assert ops.call(core, "citizens.request", {**show, "lang": "en"}, actor="t")["address"] == "near Zhongshan Road (Middle)"
    said = ops.call(core, "citizens.file", {"api_key": key, "service_code": "illegal_dumping", "lat": 24.3265,
                                            "long": 109.4102, "address_string": "中山路12号"}, actor="open311:city-app")
    assert ops.call(core, "citizens.request", {"request_id": said["service_request_id"]}, actor="t")["address"] == "中山路12号"
