"""Keyboard-first (issue 17): every menu action has a shortcut and no two actions share one, in the window as
the console builds it; the dispatcher's actions work from the keyboard; the command palette (Ctrl+K) finds
actions, units, incidents and places in Chinese, pinyin and English; Help → Keyboard shortcuts lists them all."""

from __future__ import annotations

import json
import re
from argparse import Namespace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from console import operations
from console.keyboard import shortcut_clashes, without_shortcut
from console.keyboard.palette import menu_actions
from console.keyboard.sheet import shortcut_rows
from dispatch import ops
from dispatch.city.data import load_city
from dispatch.core import Dispatch
from dispatch.store import EventStore, NewEvent
from tests.conftest import Clock
from tests.conftest import page_js as js

ROOT = Path(__file__).resolve().parents[2]


def water_point(fraction: float) -> tuple[float, float]:
    lat, lon, _ = load_city().point_along_river(fraction)
    return lat, lon


@pytest.fixture
def seat(qtbot, db_url):  # type: ignore[no-untyped-def]
    """The main window with every part a single-seat console installs (console/cli/gui.py), the field link's
    panel as an attached seat has it, then the keyboard."""
    from console.alerts import install as install_alerts
    from console.analytics import install as install_dashboard
    from console.cases import install as install_cases
    from console.cli.gui import install_control_room
    from console.evidence import install as install_evidence
    from console.field_link.panel import HubPanel
    from console.incidents import install as install_workflow
    from console.main_window import MainWindow

    clock = Clock(1_800_000_000.0)
    core = Dispatch(EventStore(db_url), clock=clock, stale_after=600.0)
    core.register_units("test", [
        {"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"},
        {"id": "boat-02", "name": "巡逻艇02", "kind": "patrol_boat"},
        {"id": "truck-07", "name": "桂B·A1234", "kind": "truck"},
    ])
    (la1, lo1), (la2, lo2) = water_point(0.40), water_point(0.45)
    clat, clon = load_city().center
    core.ingest([("boat-01", clock.t, la1, lo1, 0.0, 0.0, "t"), ("boat-02", clock.t, la2, lo2, 0.0, 0.0, "t"),
                 ("truck-07", clock.t, clat, clon, 0.0, 0.0, "t")])
    operations.set_core(core)
    w = MainWindow(core, load_city().geojson(), lang="en", store_label=db_url, push_interval_ms=100)
    w.slow_timer.stop()
    panel = HubPanel(core, parent=w)
    w.add_side_tab(panel, panel.tr("Field link"), "field")
    w.hub_panel = panel
    wf = install_workflow(w, timers=False)
    install_dashboard(w, wf)
    install_alerts(w)
    install_cases(w)
    install_evidence(w)
    install_control_room(w, Namespace(shift_changes=None))
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)
    qtbot.waitUntil(lambda: wf.panel.loaded_once, timeout=10000)
    w.activateWindow()
    yield w, wf, core
    panel.cleanup()
    w.close()
    operations.core_pool().submit(lambda: None).result(timeout=30)  # what the core worker still had to answer
    QApplication.processEvents()  # ... is delivered while the widgets live
    core.close()


def in_front(w):  # type: ignore[no-untyped-def]
    """The side panel in front (a tab of the side, or the dock in front where the panels are docks)."""
    return w.current_side_widget() if hasattr(w, "current_side_widget") else w.side.currentWidget()


def press(qtbot, w, key: str) -> None:  # type: ignore[no-untyped-def]
    """A shortcut as the dispatcher presses it, through Qt's shortcut map."""
    seq = QKeySequence(key)[0]
    qtbot.keyClick(QApplication.focusWidget() or w, seq.key(), seq.keyboardModifiers())


def create(core, priority: str = "P2", fraction: float = 0.42, **kw):  # type: ignore[no-untyped-def]
    lat, lon = water_point(fraction)
    args = {"category": "floating_garbage", "priority": priority, "lat": lat, "lon": lon, **kw}
    return ops.call(core, "incident.create", args, actor="dispatcher:test")


def test_every_menu_action_has_a_shortcut_and_none_is_used_twice(seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core = seat
    assert shortcut_clashes(w) == {}
    assert without_shortcut(w) == []
    texts = {a.text(): a for _p, a in menu_actions(w)}
    for needed in ("New incident (hotline call)…", "Next incident in the queue", "Previous incident in the queue",
                   "Assign recommended unit 1", "Assign recommended unit 2", "Assign recommended unit 3",
                   "Acknowledge the selected alert", "Find unit…", "Centre the map on the selection",
                   "Message the selected unit…", "Replay…", "Command palette…", "Keyboard shortcuts",
                   "Mute alarm sounds until the end of the shift"):
        assert needed in texts and not texts[needed].shortcut().isEmpty(), needed
    assert texts["Command palette…"].shortcut() == QKeySequence("Ctrl+K")


def test_the_sheet_is_made_from_the_actions(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core = seat
    press(qtbot, w, "F1")
    qtbot.waitUntil(lambda: w.keyboard.sheet is not None and w.keyboard.sheet.isVisible(), timeout=5000)
    tree = w.keyboard.sheet.tree
    shown = {(tree.topLevelItem(i).text(0).strip(), tree.topLevelItem(i).text(1)) for i in range(tree.topLevelItemCount())}
    rows = shortcut_rows(w)
    assert len(rows) == len(menu_actions(w)) >= 25
    for _path, text, keys in rows:
        assert keys and (text, keys) in shown, text
    assert ("Next incident in the queue", "F8") in shown


def test_queue_navigation_and_assigning_a_recommended_unit_from_the_keyboard(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core = seat
    a, b = create(core, "P1", 0.41), create(core, "P3", 0.44)
    qtbot.waitUntil(lambda: wf.panel.proxy.rowCount() == 2, timeout=10000)
    wf.panel.table.clearSelection()
    wf.panel.table.setCurrentIndex(wf.panel.proxy.index(-1, 0))
    order = [wf.panel.model.rows[wf.panel.proxy.mapToSource(wf.panel.proxy.index(r, 0)).row()]["id"] for r in range(2)]
    assert order == [a["id"], b["id"]]  # P1 first
    press(qtbot, w, "F8")
    assert wf.panel.selected_incident() == a["id"]
    press(qtbot, w, "F8")
    assert wf.panel.selected_incident() == b["id"]
    press(qtbot, w, "Shift+F8")
    assert wf.panel.selected_incident() == a["id"]
    here = water_point(0.41)  # the map centres on the incident selected
    qtbot.waitUntil(lambda: abs(js(qtbot, w.map, "window.consoleMap.getCenter().lat") - here[0]) < 1e-4, timeout=10000)
    # verify the case, then Alt+1 assigns the first of the recommended units
    ops.call(core, "incident.transition", {"incident_id": a["id"], "state": "verified"}, actor="dispatcher:test")
    detail = wf.panel.detail
    qtbot.waitUntil(lambda: detail.recommend.isVisible() and len(detail.recommend.items) >= 1, timeout=15000)
    first = detail.recommend.items[0]["unit_id"]
    press(qtbot, w, "Alt+1")
    qtbot.waitUntil(lambda: ops.call(core, "incident.show", {"incident_id": a["id"]}, actor="t")["unit_id"] == first,
                    timeout=10000)
    press(qtbot, w, "Alt+3")  # no third recommendation for a dispatched case: said, nothing done
    assert "No recommended unit 3" in w.statusBar().currentMessage()


def test_acknowledging_an_alert_and_centring_and_messaging_from_the_keyboard(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core = seat
    lat, lon = water_point(0.5)
    core.record("system:rules", [NewEvent("alert.raised", {"key": "k1", "rule": "restricted_entry", "unit_id": "boat-02",
                                                           "lat": lat, "lon": lon, "ts": core.clock(), "severity": "high"},
                                          "alert")])
    from console.alerts.panel import AlertsPanel

    panel = w.findChild(AlertsPanel, "alertsPanel")
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=10000)
    press(qtbot, w, "F9")
    qtbot.waitUntil(lambda: ops.call(core, "alerts", {}, actor="t")[0]["state"] == "acknowledged", timeout=10000)
    assert in_front(w) is panel

    w.board.select_unit("boat-01")
    w.board.unit_selected.emit("boat-01")
    w.map.run("void window.consoleMap.setView([24.2, 109.2], 13)")  # (the map object itself is no answer to send)
    press(qtbot, w, "F4")
    want = water_point(0.40)
    qtbot.waitUntil(lambda: abs(js(qtbot, w.map, "window.consoleMap.getCenter().lat") - want[0]) < 1e-4, timeout=10000)

    core.record("test", [NewEvent("field.key_enrolled", {"unit_id": "boat-01", "public_key": "k" * 40}, "unit:boat-01")])
    press(qtbot, w, "Ctrl+M")  # boat-01 has a field client: its conversation, the cursor in the message box
    assert in_front(w) is w.hub_panel and w.hub_panel.selected == "boat-01"
    qtbot.waitUntil(lambda: w.hub_panel.message.hasFocus(), timeout=10000)  # the dispatcher types the message now


def palette_rows(w) -> list[str]:  # type: ignore[no-untyped-def]
    lst = w.palette_dialog.list
    return [lst.item(i).text() for i in range(lst.count())]


@pytest.mark.parametrize(("typed", "kind", "expect"), [
    ("dashboard", "action", "Dashboard"),  # an action, English
    ("next inc", "action", "Next incident in the queue"),
    ("xlt02", "unit", "boat-02"),  # a unit by the initials of its pinyin name (巡逻艇02)
    ("xunluoting01", "unit", "boat-01"),  # ... by its full pinyin
    ("巡逻艇02", "unit", "boat-02"),  # ... in Chinese
    ("truck-07", "unit", "truck-07"),  # ... by its id
])
def test_the_palette_finds_actions_and_units(qtbot, seat, typed, kind, expect) -> None:  # type: ignore[no-untyped-def]
    w, wf, core = seat
    press(qtbot, w, "Ctrl+K")
    qtbot.waitUntil(lambda: getattr(w, "palette_dialog", None) is not None and w.palette_dialog.isVisible(), timeout=5000)
    pal = w.palette_dialog
    pal.field.setText(typed)
    top = pal.shown[0]
    assert top.kind == kind
    chosen: list[tuple[str, object]] = []
    pal.chosen.connect(lambda k, t: chosen.append((k, t)))
    qtbot.keyClick(pal.field, Qt.Key.Key_Return)
    assert not pal.isVisible()
    if kind == "action":
        assert top.text == expect
        if expect == "Dashboard":
            assert w.dashboard_dock.isVisible()
    else:
        assert chosen == [("unit", expect)] and w.board.selected_unit() == expect


def test_the_palette_finds_incidents_and_places_and_centres_the_map(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core = seat
    inc = create(core, "P2", 0.43, address="文惠桥下游50米")
    qtbot.waitUntil(lambda: wf.panel.model.index_of.get(inc["id"]) is not None, timeout=10000)
    from console.keyboard.palette import open_palette

    pal = open_palette(w, f"#{inc['id']}")
    assert pal.shown[0].kind == "incident" and pal.shown[0].target == inc["id"]
    qtbot.keyClick(pal.field, Qt.Key.Key_Return)
    assert wf.panel.selected_incident() == inc["id"]

    pal = open_palette(w, "wenhui bridge")
    qtbot.waitUntil(lambda: any(h.kind == "place" and h.target["name"] == "文惠桥" for h in pal.shown), timeout=10000)
    row = next(i for i, h in enumerate(pal.shown) if h.kind == "place" and h.target["name"] == "文惠桥")
    place = pal.shown[row].target
    for _ in range(row):
        qtbot.keyClick(pal.field, Qt.Key.Key_Down)
    qtbot.keyClick(pal.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: abs(js(qtbot, w.map, "window.consoleMap.getCenter().lat") - place["lat"]) < 1e-5, timeout=10000)
    assert js(qtbot, w.map, "window.consoleMap.getZoom()") == 17

    pal = open_palette(w, "@")  # Find unit (Ctrl+F): units only
    assert pal.shown and all(h.kind == "unit" for h in pal.shown)
    qtbot.waitUntil(lambda: pal.isActiveWindow(), timeout=5000)
    w.activateWindow()  # the dispatcher clicks back into the console: the palette goes away
    qtbot.waitUntil(lambda: not pal.isVisible(), timeout=5000)


def test_every_keyboard_word_ships_in_chinese() -> None:
    zh = json.loads((ROOT / "resources/i18n/zh_CN.json").read_text(encoding="utf-8"))
    for f in sorted((ROOT / "console/keyboard").glob("*.py")):
        for s in re.findall(r'\.tr\("([^"]+)"\)', f.read_text(encoding="utf-8")):
            assert s in zh, (f.name, s)


def test_menu_words_are_shown_without_their_mnemonics() -> None:
    from console.keyboard.palette import plain

    assert [plain(t) for t in ("&File", "文件(&F)", "调度（&D）", "Replay…", "Save && close")] == [
        "File", "文件", "调度", "Replay", "Save & close"]
