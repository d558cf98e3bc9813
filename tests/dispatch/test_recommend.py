"""Recommendations on the demo city: boats along the water (never across the land neck), land units by road."""

from __future__ import annotations

import pytest

from dispatch import ops
from dispatch.city.data import load_city
from dispatch.city.waterway import waterway_graph
from dispatch.errors import Refused
from dispatch.geo import haversine_m
from dispatch.incidents.recommend import Candidate, rank
from dispatch.model import UnitKind
from tests.dispatch.incident_helpers import add_unit, make_core, river_point

# The river loops round the Chengzhong peninsula: fractions 0.30 and 0.665 of the centerline are only
# ~1 km apart straight across the neck, but ~12 km apart along the water.
TARGET = river_point(0.30)
ACROSS_NECK = river_point(0.665)
UPSTREAM_3KM = river_point(0.30 - 3000 / load_city().river_length_m)


def test_neck_geometry_is_what_the_test_assumes():
    assert haversine_m(*TARGET, *ACROSS_NECK) < 1200
    assert haversine_m(*TARGET, *UPSTREAM_3KM) > 1500
    w = waterway_graph()
    assert w.distance(ACROSS_NECK, TARGET) > 10_000
    assert 2500 < w.distance(UPSTREAM_3KM, TARGET) < 3600


def test_boat_across_neck_not_before_boat_nearer_by_water():
    cands = [Candidate("boat-far", "far", UnitKind.PATROL_BOAT, *ACROSS_NECK),
             Candidate("boat-near", "near", UnitKind.PATROL_BOAT, *UPSTREAM_3KM)]
    ranked = rank(TARGET, cands, limit=None)
    assert [r["unit_id"] for r in ranked] == ["boat-near", "boat-far"]
    assert ranked[0]["mode"] == "water" and ranked[1]["distance_m"] > 10_000


def test_waterway_path_stays_on_water():
    w = waterway_graph()
    path = w.path(UPSTREAM_3KM, TARGET)
    assert len(path) > 10
    assert all(load_city().is_water(lat, lon) for lat, lon in path)


def test_recommend_op_suitable_kinds_and_statuses(tmp_path):
    core = make_core(tmp_path)
    try:
        add_unit(core, "boat-far", "patrol_boat", *ACROSS_NECK)
        add_unit(core, "boat-near", "patrol_boat", *UPSTREAM_3KM)
        add_unit(core, "vessel-01", "cleaning_vessel", *river_point(0.31))
        add_unit(core, "officer-01", "officer", *TARGET)  # standing right there, but on foot
        add_unit(core, "truck-01", "truck", 24.33, 109.41)
        inc = ops.call(core, "incident.create", {"category": "illegal_fishing", "priority": "P1", "lat": TARGET[0],
                                                 "lon": TARGET[1]}, actor="dispatcher:wang")
        rec = ops.call(core, "recommend", {"incident_id": inc["id"]}, actor="dispatcher:wang")
        assert [r["unit_id"] for r in rec] == ["boat-near", "boat-far"]  # fishing: patrol boats only
        assert all(r["eta_s"] > 0 and r["kind"] == "patrol_boat" for r in rec)
        ops.call(core, "incident.assign", {"incident_id": inc["id"], "unit_id": "boat-near"}, actor="dispatcher:wang")
        rec = ops.call(core, "recommend", {"incident_id": inc["id"], "limit": 5}, actor="dispatcher:wang")
        assert [r["unit_id"] for r in rec] == ["boat-far"]  # an assigned unit is not offered again
        g = ops.call(core, "incident.create", {"category": "floating_garbage", "priority": "P3", "lat": TARGET[0],
                                               "lon": TARGET[1]}, actor="dispatcher:wang")
        rec = ops.call(core, "recommend", {"incident_id": g["id"], "limit": 5}, actor="x")
        assert rec[0]["unit_id"] == "vessel-01" and {r["kind"] for r in rec} <= {"cleaning_vessel", "patrol_boat"}
        d = ops.call(core, "incident.create", {"category": "illegal_dumping", "priority": "P3", "lat": 24.331,
                                               "lon": 109.411}, actor="x")
        rec = ops.call(core, "recommend", {"incident_id": d["id"]}, actor="x")
        assert {r["kind"] for r in rec} == {"officer"}  # trucks are supervised, not dispatched (issue 19, 10)
        with pytest.raises(Refused):
            ops.call(core, "recommend", {}, actor="x")
    finally:
        core.close()


def test_officer_does_not_walk_across_the_river():
    # an officer on the far bank right opposite: straight ~300 m, but the walk goes over a bridge
    city = load_city()
    lat, lon, bearing = city.point_along_river(0.5)
    from dispatch.geo import destination

    a = destination(lat, lon, bearing + 90, 400)
    b = destination(lat, lon, bearing - 90, 400)
    assert not city.is_water(*a) and not city.is_water(*b)
    r = rank(a, [Candidate("o", "o", UnitKind.OFFICER, *b)], limit=None)[0]
    assert r["mode"] == "road" and r["distance_m"] > haversine_m(*a, *b)
    same_side = destination(*a, bearing, 300)
    r = rank(a, [Candidate("o", "o", UnitKind.OFFICER, *same_side)], limit=None)[0]
    assert r["mode"] == "foot" and r["distance_m"] == pytest.approx(300 * 1.3, rel=0.05)


def test_trucks_are_never_recommended_nor_dispatched_and_a_water_report_on_land_is_flagged(tmp_path):
    """Issue 19, item 10: a construction-waste spill listed the regulated trucks (桂B plates) as responders;
    a report of a water category placed on land gave no warning."""
    core = make_core(tmp_path)
    try:
        lat, lon = load_city().center
        add_unit(core, "officer-01", "officer", lat, lon + 0.002)
        for i in range(5):  # trucks all around, nearer than the officer
            add_unit(core, f"truck-0{i}", "truck", lat + 0.0002 * i, lon)
        for cat in ("construction_waste_spill", "illegal_dumping", "other"):
            inc = ops.call(core, "incident.create", {"category": cat, "priority": "P2", "lat": lat, "lon": lon},
                           actor="x")
            rec = ops.call(core, "recommend", {"incident_id": inc["id"], "limit": 10}, actor="x")
            assert [r["unit_id"] for r in rec] == ["officer-01"], cat
            assert inc["warnings"] == []  # a land category on land
        with pytest.raises(Refused, match="supervises trucks") as e:
            ops.call(core, "incident.assign", {"incident_id": inc["id"], "unit_id": "truck-01"}, actor="x")
        assert e.value.code == "not_a_responder"
        on_land = load_city().district_of(lat, lon) is not None and not load_city().is_water(lat, lon)
        assert on_land
        fishing = ops.call(core, "incident.create", {"category": "illegal_fishing", "priority": "P2", "lat": lat,
                                                     "lon": lon}, actor="x")
        (w,) = fishing["warnings"]
        assert w["code"] == "on_land" and w["distance_m"] > 40 and "from the water" in w["message"]
        assert ops.call(core, "incident.check", {"category": "floating_garbage", "lat": lat, "lon": lon},
                        actor="x")["warnings"][0]["code"] == "on_land"
        wlat, wlon = river_point(0.4)
        assert ops.call(core, "incident.check", {"category": "floating_garbage", "lat": wlat, "lon": wlon},
                        actor="x") == {"warnings": []}
    finally:
        core.close()
