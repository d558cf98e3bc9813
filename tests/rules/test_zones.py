"""Zones as GeoJSON through `ctl zones import|export` and the list, versioned as events; bad files refused
whole, naming the feature; companies and truck permits imported from CSV and JSON."""

from __future__ import annotations

import json

import pytest

from console.cli import main
from dispatch.errors import Refused
from dispatch.ops import call
from dispatch.zones.model import in_windows, parse_hours
from tests.rules.helpers import city_zones, feature, ll, make_core, polygon, write_json


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'zones.db'}"


def ctl(capsys, db, *args, rc=0):
    code = main(["ctl", "--db", db, *args])
    out, err = capsys.readouterr()
    assert code == rc, (args, out, err)
    return out, err


def test_import_list_export_round_trip(capsys, db, tmp_path):
    src = write_json(tmp_path / "zones.geojson", city_zones())
    out, _ = ctl(capsys, db, "zones", "import", src)
    assert "7 added" in out
    out, _ = ctl(capsys, db, "zones", "import", src)  # the same file again: nothing new recorded
    assert "0 added, 0 updated, 7 unchanged" in out
    zones = json.loads(ctl(capsys, db, "--json", "zones")[0])
    by_id = {z["id"]: z for z in zones}
    assert by_id["r-1"]["width_m"] == 60 and by_id["r-1"]["speed_limit_kmh"] == 40
    assert by_id["rx-night"]["hours"] == "22:00-06:00" and by_id["pa-1"]["units"] == ["boat-01"]
    assert all(z["version"] == 1 for z in zones)
    out_file = tmp_path / "out.geojson"
    ctl(capsys, db, "zones", "export", str(out_file))
    exported = json.loads(out_file.read_text(encoding="utf-8"))
    assert exported["type"] == "FeatureCollection" and len(exported["features"]) == 7
    # the exported file imports back as the same zones
    out, _ = ctl(capsys, db, "zones", "import", str(out_file))
    assert "7 unchanged" in out


def test_a_changed_zone_is_a_new_version_and_the_replay_keeps_the_old(tmp_path):
    core = make_core(tmp_path)
    call(core, "zones.import", {"geojson": city_zones()}, actor="t")
    fc = city_zones()
    fc["features"][2]["properties"]["width_m"] = 100
    assert call(core, "zones.import", {"geojson": fc}, actor="t")["updated"] == ["r-1"]
    z = next(z for z in call(core, "zones", {}, actor="t") if z["id"] == "r-1")
    assert (z["version"], z["width_m"]) == (2, 100)
    from dispatch.record.replay import Recording

    first = list(core.store.events(0))[6].ts  # the first import (7 zones, one command)
    old = Recording.of_store(core.store).state_at(first).ext["zones"].zones["r-1"]
    assert old["width_m"] == 60
    core.close()


def test_features_without_id_are_matched_by_kind_and_name(tmp_path):
    core = make_core(tmp_path)
    fc = {"type": "FeatureCollection", "features": [feature("construction_site", "工地B", polygon(0, 0, 100, 100))]}
    assert call(core, "zones.import", {"geojson": fc}, actor="t")["added"] == ["zone-1"]
    fc["features"][0]["geometry"] = polygon(0, 0, 200, 200)
    assert call(core, "zones.import", {"geojson": fc}, actor="t")["updated"] == ["zone-1"]
    core.close()


BAD = [
    (feature("construction_site", "蝴蝶", {"type": "Polygon", "coordinates": [[ll(0, 0), ll(100, 100), ll(100, 0),
                                                                                 ll(0, 100), ll(0, 0)]]}),
     "feature 2 (蝴蝶): self-intersecting"),
    (feature("disposal_site", "空的", {"type": "Polygon", "coordinates": []}), "feature 2 (空的): empty geometry"),
    (feature("route", "无宽度", {"type": "LineString", "coordinates": [ll(0, 0), ll(100, 0)]}),
     "feature 2 (无宽度): a route needs width_m"),
    (feature("restricted", "倒了", {"type": "Polygon", "coordinates": [[[p[1], p[0]] for p in box_ring]]}),
     "feature 2 (倒了): coordinates look like (lat, lon)") if (box_ring := polygon(0, 0, 100, 100)["coordinates"][0])
    else None,
    (feature("landfill", "未知", polygon(0, 0, 100, 100)), "feature 2 (未知): unknown kind 'landfill'"),
    (feature("restricted", "坏时段", polygon(0, 0, 100, 100), hours="7-9"), "feature 2 (坏时段): hours"),
    (feature("route", "面", polygon(0, 0, 100, 100), width_m=30), "feature 2 (面): a route must be a LineString"),
]


@pytest.mark.parametrize(("bad", "message"), BAD)
def test_bad_features_refuse_the_whole_file_naming_the_feature(capsys, db, tmp_path, bad, message):
    good = feature("construction_site", "好的", polygon(0, 0, 100, 100))
    src = write_json(tmp_path / "bad.geojson", {"type": "FeatureCollection", "features": [good, bad]})
    _, err = ctl(capsys, db, "zones", "import", src, rc=1)
    assert message in err
    assert json.loads(ctl(capsys, db, "--json", "zones")[0]) == []  # nothing half-imported


def test_a_file_that_is_not_geojson(capsys, db, tmp_path):
    p = tmp_path / "x.geojson"
    p.write_text("id,kind\n1,route\n", encoding="utf-8")
    _, err = ctl(capsys, db, "zones", "import", str(p), rc=1)
    assert "is not GeoJSON" in err
    p.write_text(json.dumps({"type": "Point", "coordinates": [109.4, 24.3]}), encoding="utf-8")
    _, err = ctl(capsys, db, "zones", "import", str(p), rc=1)
    assert "is not GeoJSON" in err


def test_hours_windows_across_midnight():
    w = parse_hours("22:00-06:00, 12:00-13:00")
    assert [in_windows(m, w) for m in (21 * 60 + 59, 22 * 60, 0, 5 * 60 + 59, 6 * 60, 12 * 60 + 30, 13 * 60)] == [
        False, True, True, True, False, True, False]
    with pytest.raises(Refused, match="empty window"):
        parse_hours("08:00-08:00")


def test_companies_and_trucks_from_csv_and_json(capsys, db, tmp_path):
    ctl(capsys, db, "zones", "import", write_json(tmp_path / "z.geojson", city_zones()))
    comp = tmp_path / "companies.csv"
    comp.write_text("id,name,permit_no,valid_from,valid_to\nc1,柳州渣土运输公司,ZT-2026-001,2026-01-01,2026-12-31\n",
                    encoding="utf-8")
    ctl(capsys, db, "companies", "import", str(comp))
    trucks = tmp_path / "trucks.csv"
    trucks.write_text("plate,company,routes,sites,hours\n桂B12345,c1,A到消纳场,cs-a;东环消纳场,22:00-06:00\n",
                      encoding="utf-8")
    out, _ = ctl(capsys, db, "trucks", "import", str(trucks))
    assert "registered as units: 桂B12345" in out
    permits = json.loads(ctl(capsys, db, "--json", "permits")[0])
    assert permits == [{"unit_id": "桂B12345", "plate": "桂B12345", "company": "c1", "company_name": "柳州渣土运输公司",
                        "company_permit": "ZT-2026-001", "company_valid_to": "2026-12-31", "routes": ["r-1"],
                        "sites": ["cs-a", "ds-east"], "hours": "22:00-06:00", "valid_from": None, "valid_to": None}]
    units = json.loads(ctl(capsys, db, "--json", "units")[0])
    assert [(u["id"], u["kind"]) for u in units] == [("桂B12345", "truck")]
    bad = write_json(tmp_path / "t.json", [{"plate": "桂B9", "company": "c1", "sites": "nowhere"}])
    _, err = ctl(capsys, db, "trucks", "import", bad, rc=1)
    assert "truck 1 (桂B9): sites: no construction_site or disposal_site zone 'nowhere'" in err
