"""The gazetteer: a hotline address typed in Chinese, pinyin, initials or English finds the place; the
bureau's own places import all or nothing and are found the same way."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch import ops
from dispatch.errors import Refused
from dispatch.gazetteer.search import Entry, keys_of, norm, search
from tests.dispatch.incident_helpers import make_core

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def core(tmp_path):
    c = make_core(tmp_path)
    yield c
    c.close()


def find(core, q, **kw):
    return ops.call(core, "places.search", {"q": q, **kw}, actor="t")


@pytest.mark.parametrize("q", ["文惠桥", "wenhuiqiao", "wen hui qiao", "whq", "Wenhui Bridge", "wenhui bridge"])
def test_a_bridge_by_any_spelling(core, q):
    top = find(core, q, limit=1)[0]
    assert (top["name"], top["kind"]) == ("文惠桥", "bridge")
    assert 24.2 < top["lat"] < 24.4 and 109.3 < top["lon"] < 109.5


def test_segments_roads_districts_and_intersections(core):
    assert find(core, "柳江第5段", limit=1)[0]["name"] == "柳江第5段"
    assert find(core, "liujiang di 5 duan", limit=1)[0]["name"] == "柳江第5段"
    assert find(core, "城中区", limit=1)[0]["kind"] == "district"
    x = find(core, "五一路 庆云路", kind="intersection", limit=1)[0]
    assert x["name"] == "五一路与庆云路交叉口" and x["name_en"] == "Wuyi Road & Qingyun Road"
    assert find(core, "庆云路五一路", kind="intersection", limit=1)[0]["name"] == x["name"]
    assert find(core, "no such place anywhere") == []
    with pytest.raises(Refused):
        find(core, "x" * 300)


def test_scoring_prefers_the_exact_name():
    a = Entry("a", "文惠桥", "bridge", 0, 0, "Wenhui Bridge", keys=keys_of("文惠桥", "Wenhui Bridge"))
    b = Entry("b", "文惠桥及引道", "road", 0, 0, keys=keys_of("文惠桥及引道"))
    assert [h["id"] for h in search([b, a], "文惠桥")] == ["a", "b"]
    assert norm(" Wen-Hui  Qiao ") == "wenhuiqiao"


def test_the_bureaus_places_import_all_or_nothing(core, tmp_path):
    good = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [109.41, 24.32]},
         "properties": {"name": "五星步行街公厕", "kind": "toilet", "aliases": "五星公厕"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [109.42, 24.31]},
         "properties": {"name": "窑埠古镇停车场", "kind": "parking", "name_en": "Yaobu parking"}}]}
    bad = json.loads(json.dumps(good))
    bad["features"][1]["geometry"]["coordinates"] = [24.31, 109.42]  # lat/lon swapped
    (tmp_path / "bad.geojson").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "good.geojson").write_text(json.dumps(good, ensure_ascii=False), encoding="utf-8")
    url = core.store.url
    core.close()

    def ctl(*args):
        return subprocess.run([sys.executable, str(ROOT / "main.py"), "ctl", "--db", url, *args], capture_output=True,
                              text=True, cwd=ROOT, timeout=60)

    p = ctl("places", "import", str(tmp_path / "bad.geojson"))
    assert p.returncode == 1 and "feature 2" in p.stderr and "swapped" in p.stderr
    p = ctl("--json", "places", "search", "五星公厕")
    assert json.loads(p.stdout) == []  # nothing of the bad file was kept
    p = ctl("places", "import", str(tmp_path / "good.geojson"))
    assert p.returncode == 0 and "2 places added" in p.stdout
    p = ctl("places", "import", str(tmp_path / "good.geojson"))
    assert "0 places added" in p.stdout  # again: already there
    hits = json.loads(ctl("--json", "places", "search", "wxgc").stdout)
    assert hits[0]["name"] == "五星步行街公厕" and hits[0]["source"] == "bureau"
    (tmp_path / "p.csv").write_text("name,lat,lon,kind\n柳侯公园东门,24.3268,109.4138,park\n", encoding="utf-8-sig")
    assert ctl("places", "import", str(tmp_path / "p.csv")).returncode == 0
    assert json.loads(ctl("--json", "places", "search", "liuhou").stdout)[0]["name"] == "柳侯公园东门"
