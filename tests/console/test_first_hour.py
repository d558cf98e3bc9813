"""What a dispatcher meets in the first hour (issue 19), in the real main window at its default size, in
Chinese and English: a real core on a tmp SQLite store, the real map page offscreen."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractItemView, QApplication

from console import operations
from console.incidents import install
from console.incidents.common import CATEGORIES
from console.main_window import MainWindow
from console.operations import seat_actor
from dispatch import ops
from dispatch.city.data import load_city
from dispatch.core import Dispatch
from dispatch.store import EventStore
from tests.conftest import Clock, ui_language

ACTOR = seat_actor()
UNITS = [
    {"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"},
    {"id": "vessel-01", "name": "保洁船01", "kind": "cleaning_vessel"},
    {"id": "vessel-02", "name": "保洁船02", "kind": "cleaning_vessel"},
    {"id": "officer-01", "name": "执法队员 韩俊", "kind": "officer"},
    {"id": "officer-02", "name": "执法队员 李勇", "kind": "officer"},
    {"id": "truck-01", "name": "桂B·A5365", "kind": "truck"},
]


def water_point(fraction: float) -> tuple[float, float]:
    lat, lon, _ = load_city().point_along_river(fraction)
    return lat, lon


BOTH = pytest.mark.parametrize("desk", ["zh_CN", "en"], indirect=True)  # what the words' widths decide


@pytest.fixture
def desk(request, qtbot, db_url):  # type: ignore[no-untyped-def]
    """The console as the dispatcher first sees it: incidents of every category, one dispatched late, a task
    (in English, or the language a test names with BOTH)."""
    lang = getattr(request, "param", "en")
    with ui_language(lang):
        clock = Clock(1_800_000_000.0)
        core = Dispatch(EventStore(db_url), clock=clock, stale_after=600.0)
        core.register_units("test", UNITS)
        clat, clon = load_city().center
        core.ingest([(u["id"], clock.t, *water_point(0.3 + 0.04 * i), 0.0, 0.0, "t") for i, u in enumerate(UNITS[:3])]
                    + [("officer-01", clock.t, clat, clon, 0.0, 0.0, "t"),
                       ("officer-02", clock.t, clat - 0.003, clon, 0.0, 0.0, "t"),
                       ("truck-01", clock.t, clat + 0.004, clon, 0.0, 0.0, "t")])
        for i, cat in enumerate(CATEGORIES):
            lat, lon = water_point(0.2 + 0.05 * i)
            ops.call(core, "incident.create", {"category": cat, "priority": f"P{i % 4 + 1}", "lat": lat, "lon": lon,
                                               "address": "中山路地块项目工地附近", "text": "t"}, actor=ACTOR)
        clock.t += 301  # the P1s' dispatch limit passed
        ops.call(core, "incidents.check_deadlines", {}, actor="system:console")
        ops.call(core, "incident.assign", {"incident_id": 1, "unit_id": "officer-01"}, actor=ACTOR)
        ops.call(core, "task.create", {"segment": "segment-1", "units": ["vessel-01", "vessel-02"]}, actor=ACTOR)
        operations.set_core(core)
        w = MainWindow(core, load_city().geojson(), lang=lang, store_label=db_url, push_interval_ms=100)
        w.slow_timer.stop()
        wf = install(w, timers=False)
        w.show()
        qtbot.addWidget(w)
        qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)
        qtbot.waitUntil(lambda: wf.panel.loaded_once and wf.tasks.loaded_once, timeout=10000)
        qtbot.waitUntil(lambda: len(wf.panel.model.rows) == len(CATEGORIES), timeout=10000)
        yield w, wf, core, clock
        w.close()
        core.close()


def cut_columns(view: QAbstractItemView, elided: set[int]) -> list[str]:
    """Headers of the columns narrower than their header or widest cell (but those allowed to elide)."""
    QApplication.processEvents()
    h = view.horizontalHeader()
    out = []
    for c in range(h.count()):
        if h.isSectionHidden(c) or c in elided:
            continue
        need = max(view.sizeHintForColumn(c), h.sectionSizeHint(c))
        if h.sectionSize(c) < need:
            out.append(f"{view.model().headerData(c, h.orientation())} {h.sectionSize(c)} < {need}")
    return out


@BOTH
def test_queue_and_task_columns_are_not_cut_at_the_default_window(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    """Item 3: 'riority', 'Report…', 'Floating garba…', 'rea (km²' and a horizontal scrollbar at 1600×960."""
    w, wf, core, clock = desk
    assert (w.width(), w.height()) == (1600, 960)
    queue = wf.panel.table
    location = wf.panel.model.COLUMNS.index("place")
    assert cut_columns(queue, {location}) == []
    assert queue.horizontalScrollBar().maximum() == 0
    assert queue.horizontalHeader().sectionSize(location) >= 60  # the address shows, elided if long
    w.show_side_tab("tasks")
    qtbot.waitUntil(lambda: wf.tasks.table.rowCount() == 1, timeout=10000)
    tasks = wf.tasks.table
    assert cut_columns(tasks, {wf.tasks.COLUMNS.index("name")}) == []
    assert tasks.horizontalScrollBar().maximum() == 0


@BOTH
def test_an_overdue_alert_does_not_widen_the_side_panel(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    """Item 3: when an overdue alert arrived the side panel widened by about 45 px and pushed the map."""
    w, wf, core, clock = desk
    wf.panel.count.setText(wf.panel.count.text().split(" · ")[0])  # as before any case was overdue
    QApplication.processEvents()
    before = w.side_dock("incidents").width()
    assert wf.panel.minimumSizeHint().width() < before - 150  # room to spare beside the map, in either language
    clock.t += 3600
    wf.panel.check_deadlines()
    qtbot.waitUntil(lambda: wf.panel.alerts.count() > 0 and "·" in wf.panel.count.text(), timeout=10000)
    QApplication.processEvents()
    assert w.side_dock("incidents").width() == before
    assert wf.panel.minimumSizeHint().width() < before - 150  # what the alert says needs no more room


@BOTH
def test_task_rows_and_the_timeline_name_segments_and_units_as_dispatchers_know_them(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    """Item 4: 'segment-1', 'vessel-01,…' instead of 柳江第1段, 保洁船01 (siblings: the map's task label,
    the incident timeline's 'unit officer-01')."""
    w, wf, core, clock = desk
    zh = wf.tasks.tr("Vessels") != "Vessels"
    qtbot.waitUntil(lambda: wf.tasks.table.rowCount() == 1, timeout=10000)
    cols = wf.tasks.COLUMNS
    assert wf.tasks.table.item(0, cols.index("name")).text() == ("柳江第1段" if zh else "Segment 1")
    assert wf.tasks.table.item(0, cols.index("units")).text() == "保洁船01, 保洁船02"
    assert "vessel-01" in wf.tasks.table.item(0, cols.index("units")).toolTip()  # the ids where one looks for them
    qtbot.waitUntil(lambda: bool(wf.tasks.map_items()), timeout=10000)
    assert wf.tasks.map_items()[0]["label"].startswith("#1 " + ("柳江第1段" if zh else "Segment 1"))
    wf.panel.select_incident(1)
    detail = wf.panel.detail
    qtbot.waitUntil(lambda: (detail.incident or {}).get("id") == 1, timeout=10000)
    changes = [detail.timeline.topLevelItem(i).text(2) for i in range(detail.timeline.topLevelItemCount())]
    assert any("执法队员 韩俊" in c for c in changes) and not any("officer-01" in c for c in changes)


@BOTH
def test_menus_end_with_help_file_has_more_than_quit_and_about_says_the_version(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    """Item 8: the menus ran File, View, Help, Incidents; File held only Quit; About had no version."""
    from console.main_window import app_version

    w, wf, core, clock = desk
    titles = [a.text().replace("&", "") for a in w.menuBar().actions()]
    assert titles[-1] == w.tr("&Help").replace("&", "") and len(titles) == 4
    assert titles.index(wf.tr("&Incidents").replace("&", "")) == 2
    file_actions = [a for a in w.file_menu.actions() if not a.isSeparator()]
    assert wf.hotline_action in file_actions and wf.task_action in file_actions
    assert file_actions[-1] is w.quit_action and len(file_actions) >= 4
    assert app_version() != "unknown" and app_version() in w.about_text()


def test_ctrl_q_with_urgent_cases_open_asks_first(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    """Item 8: Ctrl+Q quit at once with P1 incidents open and overdue."""
    from PySide6.QtWidgets import QMessageBox

    w, wf, core, clock = desk
    w.confirm_quit = True  # as the console's command line sets it
    closed: list[bool] = []
    w.closing.connect(lambda: closed.append(True))
    w.quit_action.trigger()
    qtbot.waitUntil(lambda: w.quit_box is not None and w.quit_box.isVisible(), timeout=5000)
    assert w.isVisible() and not closed
    assert "P1" in w.quit_box.text()
    w.quit_box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: not w.quit_box.isVisible(), timeout=5000)
    assert w.isVisible() and not closed and wf.panel.poll.isActive()  # the shift goes on
    w.quit_action.trigger()
    qtbot.waitUntil(lambda: w.quit_box.isVisible(), timeout=5000)
    quit_button = next(b for b in w.quit_box.buttons()
                       if w.quit_box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    quit_button.click()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=5000)
    assert closed == [True] and not wf.panel.poll.isActive()


def test_the_operator_is_shown_in_the_window(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    """Item 11: the operator's name was recorded but shown nowhere."""
    w, wf, core, clock = desk
    name = ACTOR.split(":", 1)[1]
    assert name in w.operator_label.text() and w.operator_label.isVisible()
    assert name in w.windowTitle() and name in w.about_text()


def test_the_new_incident_form_leaves_the_map_free_and_forgets_its_location_error(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    """Item 9: the form opened over the part of the map one must right-click; after the place was picked on
    the map its red 'Give the location…' stayed (sibling: the task editor, whose area may be drawn on the map)."""
    from PySide6.QtCore import QRect, Qt

    w, wf, core, clock = desk
    form = wf.open_form(source="hotline")
    qtbot.waitUntil(form.isVisible, timeout=5000)
    QApplication.processEvents()
    map_rect = QRect(w.map.mapToGlobal(w.map.rect().topLeft()), w.map.size())
    assert not form.frameGeometry().intersects(map_rect), (form.frameGeometry(), map_rect)
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)
    assert form.message.isVisible()  # no location yet
    lat, lon = water_point(0.5)
    menu = wf.map_menu(lat, lon)
    use = next(a for a in menu.actions() if a.text() == wf.tr("Use this location in the open form"))
    use.trigger()
    menu.close()
    assert form.lat.text() and not form.message.isVisible()
    form.close()
    ed = wf.open_task_editor()
    qtbot.waitUntil(ed.isVisible, timeout=5000)
    QApplication.processEvents()
    assert not ed.frameGeometry().intersects(map_rect)
    ed.close()


def test_unacknowledged_alerts_are_there_after_a_restart_until_acknowledged(qtbot, desk, db_url) -> None:  # type: ignore[no-untyped-def]
    """Item 2: the shift-lead alerts were gone after a restart while the header still said '超时 1 件'."""
    w, wf, core, clock = desk
    p1 = sum(1 for i, _ in enumerate(CATEGORIES) if i % 4 == 0)  # their dispatch limit passed before this seat opened
    qtbot.waitUntil(lambda: wf.panel.alerts.count() == p1, timeout=10000)
    assert "#1 " in "".join(wf.panel.alerts.item(i).text() for i in range(p1))
    wf.panel.acknowledge_button.click()
    qtbot.waitUntil(lambda: wf.panel.alerts.count() == 0, timeout=10000)
    acks = list(core.store.events(kinds=["incident.alerts_acknowledged"]))
    assert len(acks) == 1 and acks[0].actor == ACTOR and len(acks[0].payload["alerts"]) == p1
    clock.t += 3600  # more deadlines pass: new alerts, listed again
    wf.panel.check_deadlines()
    qtbot.waitUntil(lambda: wf.panel.alerts.count() > 0, timeout=10000)
    left = wf.panel.alerts.count()
    w.close()
    core.close()
    again = Dispatch(EventStore(db_url), clock=clock, stale_after=600.0)  # the next shift's console
    operations.set_core(again)
    w2 = MainWindow(again, load_city().geojson(), lang="en", store_label=db_url, push_interval_ms=100)
    w2.slow_timer.stop()
    wf2 = install(w2, timers=False)
    qtbot.addWidget(w2)
    try:
        qtbot.waitUntil(lambda: wf2.panel.alerts.count() == left, timeout=10000)
    finally:
        w2.close()
        again.close()


@BOTH
def test_a_water_report_placed_on_land_is_questioned_before_it_is_filed(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    """Item 10: a report placed on land for a water category gave no warning."""
    from PySide6.QtCore import Qt

    w, wf, core, clock = desk
    before = len(wf.panel.model.rows)
    clat, clon = load_city().center  # in town, away from the river
    form = wf.open_form(lat=clat, lon=clon)
    form.category.setCurrentIndex(form.category.findData("floating_garbage"))
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.submit.isEnabled() and form.message.isVisible(), timeout=10000)
    assert " m " in form.message.text() or "米" in form.message.text()
    assert form.result_incident is None and len(ops.call(core, "incidents", {}, actor="t")) == before
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)  # "File anyway"
    qtbot.waitUntil(lambda: form.result_incident is not None, timeout=10000)
    form.close()
    on_water = wf.open_form(lat=water_point(0.55)[0], lon=water_point(0.55)[1])
    on_water.category.setCurrentIndex(on_water.category.findData("floating_garbage"))
    qtbot.mouseClick(on_water.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: on_water.result_incident is not None, timeout=10000)  # no question asked
    on_water.close()


def test_recommendations_offer_no_truck(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    """Item 10: a construction-waste spill listed the regulated trucks (桂B plates) as responders."""
    w, wf, core, clock = desk
    spill = next(r for r in wf.panel.model.rows if r["category"] == "construction_waste_spill")
    wf.panel.select_incident(spill["id"])
    rec = wf.panel.detail.recommend
    qtbot.waitUntil(lambda: (wf.panel.detail.incident or {}).get("id") == spill["id"] and bool(rec.items), timeout=10000)
    assert {i["kind"] for i in rec.items} == {"officer"} and "truck-01" not in rec.buttons
