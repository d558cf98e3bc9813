"""The map page kept between runs (console/map/pagecache.py): composed by folium once, read back after, and
composed again whenever something it is made of changes; a damaged or unwritable cache costs only the composing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import console.map.page as page
from console.map.pagecache import map_html
from console.theme import get, map_palette
from dispatch.city.data import load_city


@pytest.fixture
def composed(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The languages of the pages folium composed (the real composer, counted)."""
    calls: list[str] = []
    real = page.build_map_html

    def counted(*args: Any, **kw: Any) -> str:
        calls.append(kw.get("lang", "?"))
        return real(*args, **kw)

    monkeypatch.setattr(page, "build_map_html", counted)
    return calls


def test_the_page_is_composed_once_then_read_back(qapp, tmp_path, composed) -> None:  # type: ignore[no-untyped-def]
    city = load_city().geojson()
    first = map_html(city, lang="en", folder=tmp_path)
    again = map_html(city, lang="en", folder=tmp_path)
    assert composed == ["en"] and again == first
    assert "Schematic map, not survey data" in first and first.rstrip().endswith("</html>")
    assert len(list(tmp_path.glob("map-*.html"))) == 1


def test_whatever_the_page_is_made_of_changing_composes_it_again(qapp, tmp_path, composed) -> None:  # type: ignore[no-untyped-def]
    city = load_city().geojson()
    renamed = copy.deepcopy(city)
    district = next(f for f in renamed["features"] if f["properties"].get("layer") == "district")
    district["properties"]["name_en"] = "New Town District"
    pages = [map_html(city, lang="en", folder=tmp_path), map_html(city, lang="zh_CN", folder=tmp_path),
             map_html(city, lang="en", theme=map_palette(get("dark")), folder=tmp_path),
             map_html(renamed, lang="en", folder=tmp_path)]
    assert composed == ["en", "zh_CN", "en", "en"] and len(list(tmp_path.glob("map-*.html"))) == 4
    assert "示意地图" in pages[1] and "New Town District" in pages[3] and "New Town District" not in pages[0]
    assert map_html(renamed, lang="en", folder=tmp_path) == pages[3] and len(composed) == 4


def test_a_damaged_or_unwritable_cache_costs_only_the_composing(qapp, tmp_path, composed) -> None:  # type: ignore[no-untyped-def]
    city = load_city().geojson()
    whole = map_html(city, lang="en", folder=tmp_path)
    (cached,) = tmp_path.glob("map-*.html")
    cached.write_text(whole[: len(whole) // 2], encoding="utf-8")  # cut off (a full disk, a crash)
    assert map_html(city, lang="en", folder=tmp_path).rstrip().endswith("</html>") and len(composed) == 2
    assert cached.read_text(encoding="utf-8").rstrip().endswith("</html>")  # written whole again
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    assert map_html(city, lang="en", folder=blocked).rstrip().endswith("</html>") and len(composed) == 3


def test_a_page_with_tiles_is_composed_every_time(qapp, tmp_path, composed) -> None:  # type: ignore[no-untyped-def]
    city = load_city().geojson()
    for _ in range(2):
        assert "tile.example" in map_html(city, lang="en", tiles_url="https://tile.example/{z}/{x}/{y}.png",
                                          folder=tmp_path)
    assert len(composed) == 2 and not list(tmp_path.iterdir())
