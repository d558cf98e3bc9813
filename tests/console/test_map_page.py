"""The live map in the real QWebEngineView, offscreen: offline resources, markers where they belong."""

from __future__ import annotations

import pytest

from console.map.view import MapView
from dispatch.city.data import load_city
from tests.conftest import page_js as js


@pytest.fixture
def map_view(qtbot):  # type: ignore[no-untyped-def]
    view = MapView(load_city().geojson(), lang="zh_CN", page_name="test-map.html")
    view.resize(900, 700)
    view.show()
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.is_ready, timeout=20000)
    return view


def test_page_loads_every_resource_locally_and_nothing_else(qtbot, map_view) -> None:  # type: ignore[no-untyped-def]
    guard, handler = map_view.guard, map_view.handler
    assert guard.blocked == [], f"the page tried to reach outside the machine: {guard.blocked}"
    requested = [u for u in guard.requested if u.startswith("app://")]
    assert any(u.endswith("leaflet/leaflet.js") for u in requested)
    served = {f"app://console/{p}" for p in handler.served}
    missing = [u for u in requested if u.split("#")[0].split("?")[0] not in served]
    assert missing == [], f"resources that did not resolve: {missing}"
    # Leaflet really ran: the map object exists and tiles are off (offline)
    assert js(qtbot, map_view, "typeof L.version === 'string' && !!window.consoleMap") is True
    # nothing in the rendered page points at a CDN
    page = handler.pages["test-map.html"].decode()
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()


def test_pushed_units_stand_where_they_should(qtbot, map_view) -> None:  # type: ignore[no-untyped-def]
    city = load_city()
    lat0, lon0 = city.center
    n = 500
    rows = [[f"u{i}", lat0 + (i % 25) * 0.001, lon0 + (i // 25) * 0.001, 90.0, i % 4, 0, 0, f"单位{i}"]
            for i in range(n)]
    map_view.push_rows(rows)
    qtbot.waitUntil(lambda: js(qtbot, map_view, "ConsoleUnits.count()") == n, timeout=10000)
    snap = js(qtbot, map_view, "ConsoleUnits.snapshot()")
    assert isinstance(snap, list) and len(snap) == n
    got = {r[0]: r for r in snap}
    for uid, lat, lon, *_ in rows:
        assert got[uid][1] == pytest.approx(lat) and got[uid][2] == pytest.approx(lon)
    # and the pixel positions follow the geography: east is right, north is up
    a, b = got["u0"], got["u26"]  # u26 is 1 step north and 1 step east of u0
    assert b[4] > a[4] and b[5] < a[5]
    # a second batch moves a unit without duplicating it
    map_view.push_rows([["u0", lat0 - 0.01, lon0 - 0.01, 0.0, 0, 2, 1, None]])
    qtbot.waitUntil(
        lambda: next(r for r in js(qtbot, map_view, "ConsoleUnits.snapshot()") if r[0] == "u0")[1]
        == pytest.approx(lat0 - 0.01),
        timeout=10000,
    )
    assert js(qtbot, map_view, "ConsoleUnits.count()") == n


def test_clicking_a_unit_reports_it(qtbot, map_view) -> None:  # type: ignore[no-untyped-def]
    lat0, lon0 = load_city().center
    map_view.push_rows([["boat-x", lat0, lon0, 45.0, 0, 0, 0, "巡逻艇X"]])
    qtbot.waitUntil(lambda: js(qtbot, map_view, "ConsoleUnits.count()") == 1, timeout=10000)
    snap = js(qtbot, map_view, "ConsoleUnits.snapshot()")
    x, y = snap[0][4], snap[0][5]
    with qtbot.waitSignal(map_view.unit_clicked, timeout=10000) as blocker:
        map_view.run(f"consoleMap.fire('click', {{containerPoint: L.point({x + 2}, {y + 1}),"
                     f" latlng: consoleMap.containerPointToLatLng([{x}, {y}])}})")
    assert blocker.args == ["boat-x"]


def test_removing_and_clearing_keep_packed_updates_working(qtbot, map_view) -> None:  # type: ignore[no-untyped-def]
    lat0, lon0 = load_city().center
    rows = [[f"u{i}", lat0 + i * 0.001, lon0, 0.0, 2, 0, 0, None] for i in range(5)]
    map_view.push_rows(rows)
    qtbot.waitUntil(lambda: js(qtbot, map_view, "ConsoleUnits.count()") == 5, timeout=10000)
    map_view.remove(["u1", "u3"])
    qtbot.waitUntil(lambda: js(qtbot, map_view, "ConsoleUnits.count()") == 3, timeout=10000)
    map_view.push_rows([["u4", lat0 - 0.02, lon0, 0.0, 2, 0, 0, None]])  # a packed update after the removal

    def lat_of(uid: str) -> float:
        return next(r[1] for r in js(qtbot, map_view, "ConsoleUnits.snapshot()") if r[0] == uid)

    qtbot.waitUntil(lambda: lat_of("u4") == pytest.approx(lat0 - 0.02), timeout=10000)
    assert lat_of("u0") == pytest.approx(lat0)
    map_view.clear()
    map_view.push_rows([["u9", lat0, lon0 + 0.01, 0.0, 3, 0, 0, "桂B·X"]])
    qtbot.waitUntil(lambda: js(qtbot, map_view, "ConsoleUnits.count()") == 1, timeout=10000)
    qtbot.waitUntil(lambda: lat_of("u9") == pytest.approx(lat0), timeout=10000)


def test_the_scale_bar_is_metric_only(qtbot, map_view) -> None:  # type: ignore[no-untyped-def]
    """A Chinese bureau measures in metres: one scale line (km or m), not a second one in miles or feet."""
    lines = js(qtbot, map_view, "Array.from(document.querySelectorAll('.leaflet-control-scale-line'))"
                                ".map(e => e.textContent).join('|')")
    assert isinstance(lines, str) and len(lines.split("|")) == 1, lines
    assert lines.endswith(" km") or lines.endswith(" m"), lines
