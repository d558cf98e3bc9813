"""ctl cameras import: fixed and mobile cameras from CSV and GeoJSON on a real SQLite store; a bad row is
refused by its number and nothing of the file is recorded; re-importing changes only what changed."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from tests.evidence.helpers import ctl, js

CSV = """id,name,kind,lat,lon,direction,fov,range_m,zone,stream,unit
cam-bridge,文惠桥东,fixed,24.3301,109.4102,90,60,150,文惠桥,rtsp://127.0.0.1:8554/bridge,
cam-site,工地南门,,24.3400,109.4000,180,90,80,site-3,http://127.0.0.1:8080/site.mjpg,
cam-boat01,巡逻艇01前视,mobile,,,0,100,60,,,boat-01
"""


def kinds(db):
    eng = create_engine(db)
    with eng.connect() as c:
        rows = [r[0] for r in c.execute(text("SELECT kind FROM events WHERE kind LIKE 'camera.%' ORDER BY seq"))]
    eng.dispose()
    return rows


def test_import_csv_then_geojson_and_list(capsys, db, tmp_path):
    ctl(capsys, db, "unit", "add", "boat-01", "--kind", "patrol_boat")
    f = tmp_path / "cams.csv"
    f.write_text(CSV, encoding="utf-8")
    r = js(capsys, db, "cameras", "import", str(f))
    assert r == {"registered": ["cam-bridge", "cam-site", "cam-boat01"], "changed": [], "unchanged": []}
    cams = {c["id"]: c for c in js(capsys, db, "cameras")}
    assert cams["cam-bridge"]["kind"] == "fixed" and cams["cam-bridge"]["fov"] == 60
    assert cams["cam-site"]["kind"] == "fixed" and cams["cam-site"]["stream"].startswith("http://")
    assert cams["cam-boat01"]["kind"] == "mobile" and cams["cam-boat01"]["unit_id"] == "boat-01"
    assert cams["cam-boat01"]["lat"] is None
    out, _ = ctl(capsys, db, "cameras")
    assert "文惠桥东" in out and "boat-01" in out

    gj = tmp_path / "cams.geojson"
    gj.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [109.4102, 24.3301]},
         "properties": {"id": "cam-bridge", "name": "文惠桥东", "direction": 100, "fov": 60, "range_m": 150,
                        "zone": "文惠桥", "stream": "rtsp://127.0.0.1:8554/bridge"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [109.42, 24.32]},
         "properties": {"id": "cam-dock", "fov": 360, "range_m": 40, "stream": "file:///srv/dock.mp4"}},
    ]}), encoding="utf-8")
    r = js(capsys, db, "cameras", "import", str(gj))
    assert r == {"registered": ["cam-dock"], "changed": ["cam-bridge"], "unchanged": []}
    cams = {c["id"]: c for c in js(capsys, db, "cameras", "--kind", "fixed")}
    assert cams["cam-bridge"]["direction"] == 100 and cams["cam-dock"]["fov"] == 360
    assert set(cams) == {"cam-bridge", "cam-site", "cam-dock"}
    assert kinds(db) == ["camera.registered"] * 3 + ["camera.changed", "camera.registered"]
    r = js(capsys, db, "cameras", "import", str(gj))
    assert r["unchanged"] == ["cam-bridge", "cam-dock"] and not r["changed"] and not r["registered"]


def test_bad_row_named_and_nothing_imported(capsys, db, tmp_path):
    ctl(capsys, db, "unit", "add", "boat-01", "--kind", "patrol_boat")
    cases = [
        ("id,lat,lon,direction,fov,range_m\ncam-a,24.3,109.4,90,60,100\ncam-b,24.3,,90,60,100\n",
         "row 2 (line 3) (camera cam-b): a fixed camera needs lat and lon"),
        ("id,lat,lon,direction,fov,range_m\ncam-a,24.3,109.4,90,60,100\ncam-b,24.3,109.4,90,400,100\n",
         "row 2 (line 3) (camera cam-b): fov '400' out of range"),
        ("id,lat,lon,direction,fov,range_m,stream\ncam-a,24.3,109.4,90,60,100,ftp://x/y\n",
         "row 1 (line 2) (camera cam-a): stream 'ftp://x/y' is not an rtsp://"),
        ("id,kind,unit\ncam-m,mobile,boat-99\n", "row 1 (line 2) (camera cam-m): unknown unit 'boat-99'"),
        ("id,lat,lon,fov,range_m\ncam-a,24.3,109.4,60,100\n", "a fixed camera needs direction"),
        ("id,lat,lon,direction,fov,range_m\ncam-a,24.3,109.4,90,60,100\ncam-a,24.3,109.4,90,60,100\n",
         "row 2 (line 3): camera cam-a already given in row 1 (line 2)"),
        ("name,lat\nx,1\n", "needs a header line with at least id"),
    ]
    for i, (body, message) in enumerate(cases):
        f = tmp_path / f"bad{i}.csv"
        f.write_text(body, encoding="utf-8")
        _out, err = ctl(capsys, db, "cameras", "import", str(f), rc=1)
        assert message in err, (body, err)
    gj = tmp_path / "bad.geojson"
    gj.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [109.4, 24.3]},
         "properties": {"id": "ok-1", "direction": 1, "fov": 60, "range_m": 10}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[109.4, 24.3], [109.5, 24.4]]},
         "properties": {"id": "bad-2"}}]}), encoding="utf-8")
    _out, err = ctl(capsys, db, "cameras", "import", str(gj), rc=1)
    assert "feature 2: a camera's geometry is a Point" in err
    assert kinds(db) == [] and js(capsys, db, "cameras") == []


def test_permissions_of_the_evidence_operations():
    from dispatch.accounts.permissions import allowed

    assert allowed("viewer", "cameras", {}, "li")[0] and allowed("viewer", "evidence.footage", {}, "li")[0]
    assert not allowed("dispatcher", "cameras.import", {"rows": []}, "li")[0]
    assert allowed("engineer", "cameras.import", {"rows": []}, "li")[0]
    assert allowed("dispatcher", "evidence.frame", {"clip_id": 1, "at": 0}, "li")[0]
    ok, why = allowed("dispatcher", "evidence.frame", {"clip_id": 1, "at": 0, "out": "/tmp/x.png"}, "li")
    assert not ok and "shift_lead" in why  # a file written on the hub's machine is the shift lead's
