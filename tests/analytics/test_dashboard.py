"""The dashboard dock in the real main window: it shows the period's figures as ctl stats computes them, and a
click on a bar filters the incident queue and the map to those incidents."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console import operations
from console.analytics import install as install_dashboard
from console.incidents import install
from console.main_window import MainWindow
from dispatch import ops
from dispatch.city.data import load_city
from tests.analytics.test_indicators import T0, month
from tests.conftest import page_js as js
from tests.dispatch.incident_helpers import Clock, add_unit, make_core, river_point


@pytest.fixture
def seat(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    clock = Clock(T0)
    core = make_core(tmp_path, clock)
    add_unit(core, "boat-01", "patrol_boat", *river_point(0.3))
    add_unit(core, "boat-02", "patrol_boat", *river_point(0.5))
    add_unit(core, "officer-01", "officer", 24.33, 109.41)
    month(core, clock)
    operations.set_core(core)
    w = MainWindow(core, load_city().geojson(), lang="en", store_label="t", push_interval_ms=100)
    w.slow_timer.stop()
    wf = install(w, timers=False)
    dash = install_dashboard(w, wf)
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)
    qtbot.waitUntil(lambda: wf.panel.loaded_once, timeout=10000)
    yield w, wf, dash, core, clock
    w.close()
    core.close()


def test_dashboard_figures_and_a_click_filter_the_queue_and_the_map(seat, qtbot, tmp_path):
    w, wf, dash, core, clock = seat
    w.dashboard_dock.show()
    dash.period.setCurrentIndex(dash.period.findData("month"))
    qtbot.waitUntil(lambda: dash.data.get("count") == 9, timeout=10000)
    t1, t2 = dash.window()
    for key in ("dispatch", "arrive", "close"):  # a response-time chart's title and figures fit its width
        plot = dash.plots[key]
        title = plot.getPlotItem().titleLabel
        assert "median" in title.text and "p90" in title.text
        assert title.item.boundingRect().width() <= plot.width(), (key, title.text, plot.width())
    s = ops.call(core, "analytics.stats", {"start": t1, "end": t2}, actor="t")["total"]
    text = dash.figures.text()
    assert f"Cases filed <b>{s['filed']}</b>" in text and f"Cases closed <b>{s['closed']}</b>" in text
    # the category bars are sorted most first: floating garbage (4 of the 9)
    cats = dash.data["by_category"]
    assert (cats[0]["key"], cats[0]["count"]) == ("floating_garbage", 4)
    hit = dash.where_at("category", 0.1, 1.0)
    assert hit == ({"category": "floating_garbage"}, "Floating garbage")
    picked = []
    dash.filter_requested.connect(lambda where, label: picked.append(where))
    dash.filter_requested.emit({"start": t1, "end": t2, **hit[0]}, hit[1])
    qtbot.waitUntil(lambda: len(wf.panel.visible_rows()) == 4, timeout=10000)
    assert {r["category"] for r in wf.panel.visible_rows()} == {"floating_garbage"}
    assert wf.panel._only is not None and wf.panel._only.isVisible() and "(4)" in wf.panel._only.text()
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleIncidents.count()") == 4, timeout=10000)
    dash.density.setChecked(True)  # the density layer, computed in Python, drawn on the map
    cells = dash.data["density"]
    assert sum(c[4] for c in cells) == 9
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleDensity.count()") == len(cells), timeout=10000)
    dash.density.setChecked(False)
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleDensity.count()") == 0, timeout=10000)
    wf.panel._only.click()  # back to every incident
    assert wf.panel.proxy.ids is None and len(wf.panel.visible_rows()) == 9
    # the evaluation tab: the same figures per unit, sortable, exported
    w.evaluation.by.setCurrentIndex(w.evaluation.by.findData("unit"))
    w.dashboard_dock.widget().setCurrentIndex(1)  # the tab shown: its table is fetched
    qtbot.waitUntil(lambda: w.evaluation.result.get("by") == "unit", timeout=10000)
    names = [w.evaluation.table.item(r, 0).text() for r in range(w.evaluation.table.rowCount())]
    assert {"boat-01", "boat-02", "officer-01"} <= set(names)
    w.evaluation.table.sortItems(1, Qt.SortOrder.DescendingOrder)  # by cases filed
    filed = [w.evaluation.table.item(r, 1).value for r in range(w.evaluation.table.rowCount())]
    assert filed == sorted(filed, reverse=True)
    out = w.evaluation.export("xlsx", str(tmp_path / "eval.xlsx"))
    assert out and (tmp_path / "eval.xlsx").stat().st_size > 1000
    from console.i18n import current_language, word

    zh = current_language() == "zh_CN"
    assert w.evaluation.table.horizontalHeaderItem(0).text() == ("单位" if zh else "Unit")
    w.evaluation.by.setCurrentIndex(w.evaluation.by.findData("team"))  # a group of domain words: named
    qtbot.waitUntil(lambda: w.evaluation.result.get("by") == "team", timeout=10000)
    names = {w.evaluation.table.item(r, 0).text() for r in range(w.evaluation.table.rowCount())}
    assert w.evaluation.table.horizontalHeaderItem(0).text() == ("队伍" if zh else "Team")
    teams = {r["team"] for r in w.evaluation.result["rows"] if r["team"]}
    assert {"patrol_boat", "officer"} <= teams and {word(x) for x in teams} <= names and not teams & names
    w.dashboard_dock.widget().setCurrentIndex(2)  # unit utilisation
    qtbot.waitUntil(lambda: len(w.utilisation.rows) == 3, timeout=10000)
    assert w.utilisation.table.rowCount() == 3
    # supervision: the late case is flagged, a notice goes to its unit, the crew's answer shows
    w.dashboard_dock.widget().setCurrentIndex(4)
    want = ops.call(core, "supervision.flagged", {"start": t1, "end": t2}, actor="t")
    assert want and all("overdue" in f["reasons"] for f in want)
    qtbot.waitUntil(lambda: w.supervision.flagged == want, timeout=10000)
    row = next(i for i, f in enumerate(want) if f["unit_id"] == "boat-01")
    w.supervision.cases.selectRow(row)
    w.supervision.send_notice("请说明超时原因")
    qtbot.waitUntil(lambda: len(w.supervision.notices) == 1, timeout=10000)
    from dispatch.store import NewEvent

    core.record("unit:boat-01", [NewEvent("field.message_received", {"unit_id": "boat-01", "text": "已处理"},
                                          "unit:boat-01")])
    w.supervision.refresh()
    qtbot.waitUntil(lambda: w.supervision.sent.item(0, 4) is not None and w.supervision.sent.item(0, 4).text() == "已处理",
                    timeout=10000)
    # hotspots: the tab lists them; a plan made from the tab is recorded
    w.dashboard_dock.widget().setCurrentIndex(3)
    qtbot.waitUntil(lambda: "recurring hotspots" in w.hotspots.status.text(), timeout=10000)
    w.hotspots.make_plan({"category": "floating_garbage", "lat": 24.31, "lon": 109.40, "band": "06:00-09:00",
                          "note": "先派船"})
    qtbot.waitUntil(lambda: "recorded" in w.hotspots.status.text(), timeout=10000)
    assert [p["note"] for p in ops.call(core, "plans", {}, actor="t")] == ["先派船"]
    # the plan opens with the next case of that category there
    new = ops.call(core, "incident.create", {"category": "floating_garbage", "priority": "P3", "lat": 24.3105,
                                             "lon": 109.4005}, actor="t")["id"]
    wf.panel.detail.show_incident(new)
    qtbot.waitUntil(lambda: wf.panel.detail.plans.isVisible() and "先派船" in wf.panel.detail.plans.text(), timeout=10000)
    # the shift report from the console: the dashboard's period, written off the GUI thread's way
    from console.analytics import write_report

    written = []
    write_report(w, str(tmp_path / "shift.html"), t1, t2, lang="en", done=written.append)
    qtbot.waitUntil(lambda: bool(written), timeout=20000)
    assert "Shift report" in (tmp_path / "shift.html").read_text(encoding="utf-8")
    # a live change reaches the dashboard (while its charts are shown)
    w.dashboard_dock.widget().setCurrentIndex(0)
    ops.call(core, "incident.create", {"category": "street_vending", "priority": "P2", "lat": 24.33, "lon": 109.41},
             actor="t")
    qtbot.waitUntil(lambda: dash.data.get("count") == 11, timeout=15000)  # and the plan test's case


def test_district_and_segment_bars_are_named_in_the_seats_language(qapp) -> None:  # type: ignore[no-untyped-def]
    """The figures are kept by a place's Chinese name; an English seat reads the city's English one."""
    from console.analytics.dashboard import place_label
    from tests.conftest import ui_language

    with ui_language("en"):
        assert place_label("城中区") == "Chengzhong District" and place_label("柳江第3段") == "Segment 3"
        assert place_label("某个新区") == "某个新区" and place_label(None) == "—"  # not in the city: as recorded
    with ui_language("zh_CN"):
        assert place_label("城中区") == "城中区"


def test_count_charts_draw_whole_number_lines(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Every bar chart counts something (the dashboard's and the shift report's): its lines are 0, 1, 2..., not
    0.2, 0.4... as pyqtgraph chose for a period with one case in each category."""
    import pyqtgraph as pg

    from console.report.charts import bar_plot, count_step

    assert [count_step(t) for t in (1, 4, 5, 7, 23, 120, 1000)] == [1, 1, 1, 2, 5, 50, 200]
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(300, 200)
    w.show()
    for values in ([1, 1, 1], [0, 3, 7], [40, 120, 75]):
        p = w.getPlotItem()
        bar_plot(p, [str(i) for i in range(len(values))], values)
        axis = p.getAxis("left")
        lo, hi = p.viewRange()[1]
        ticks = [v for _spacing, vs in axis.tickValues(lo, hi, 200) for v in vs]
        assert ticks and all(float(v).is_integer() for v in ticks), (values, ticks)
        assert len([v for v in ticks if v > 0]) <= 5


def test_company_bars_are_named_by_what_tells_them_apart() -> None:
    from console.report.charts import distinct_parts

    names = ["柳州市顺达土石方工程有限公司", "柳州市桂通建筑垃圾清运有限公司", "柳州市鑫城渣土运输有限公司"]
    assert distinct_parts(names) == ["顺达土石方工程", "桂通建筑垃圾清运", "鑫城渣土运输"]
    assert distinct_parts([*names, "(no papers)"]) == [*names, "(no papers)"]  # nothing shared: as they are
    assert distinct_parts(["柳州市顺达", "柳州市顺达二队"]) == ["柳州市顺达", "柳州市顺达二队"]  # one would be empty
    assert distinct_parts(names[:1]) == names[:1]
