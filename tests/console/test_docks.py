"""Issue 17, item 2: the side panels are docks (moved, tabbed, floated, closed and reopened from View → Panels),
named layouts, the arrangement and geometry saved and restored (QSettings), and the read-only wall (--wall)."""

from __future__ import annotations

import argparse

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QLabel

from console import operations
from console.cli import gui
from console.incidents import install
from console.main_window import MainWindow
from dispatch import ops
from dispatch.city.data import load_city
from dispatch.core import Dispatch
from dispatch.errors import Refused
from dispatch.store import EventStore
from tests.conftest import Clock

ACTOR = "dispatcher:wang"


@pytest.fixture
def desk(qtbot, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(1_800_000_000.0)
    core = Dispatch(EventStore(db_url), clock=clock, stale_after=600.0)
    core.register_units("test", [{"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"},
                                 {"id": "officer-01", "name": "执法队员01", "kind": "officer"}])
    lat, lon = load_city().center
    core.ingest([("boat-01", clock.t, lat, lon, 0.0, 0.0, "t"), ("officer-01", clock.t, lat + 0.002, lon, 0.0, 0.0, "t")])
    for p in ("P1", "P1", "P3"):
        ops.call(core, "incident.create", {"category": "illegal_dumping", "priority": p, "lat": lat, "lon": lon,
                                           "text": "t"}, actor=ACTOR)
    operations.set_core(core)
    w = MainWindow(core, load_city().geojson(), lang="en", store_label=db_url, push_interval_ms=100)
    w.slow_timer.stop()
    wf = install(w, timers=False)
    for key, title in (("alerts", "Alerts"), ("field", "Field link"), ("devices", "Devices")):
        w.add_side_tab(QLabel(title), title, key)
    w.show()
    qtbot.addWidget(w)
    yield w, wf, core, clock
    operations.set_read_only(False)
    wf.close()
    w.close()
    core.close()
    s = QSettings()
    s.remove("window")
    s.remove("layouts")


def front(w) -> set[str]:  # type: ignore[no-untyped-def]
    """The panels a dispatcher sees: open and not behind another's tab."""
    from console.docks import in_front

    return {k for k, d in w.panels.docks.items() if k in w.panels.widgets and in_front(w.panels.widgets[k])}


def test_every_side_panel_is_a_dock_that_can_move_float_and_close(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    w, wf, _core, _clock = desk
    keys = {"units", "incidents", "detail", "tasks", "alerts", "field", "devices"}
    assert keys <= set(w.panels.docks)
    names = [d.objectName() for d in w.findChildren(QDockWidget)]
    assert len(names) == len(set(names)) and all(names)  # saveState/restoreState find each one by name
    for k in keys:
        f = w.side_dock(k).features()
        assert f & QDockWidget.DockWidgetFeature.DockWidgetFloatable and f & QDockWidget.DockWidgetFeature.DockWidgetClosable
        assert f & QDockWidget.DockWidgetFeature.DockWidgetMovable
    assert w.current_side_widget() is wf.panel and {"incidents", "detail"} <= front(w)
    # floated (onto another monitor), closed, and reopened from View → Panels
    units = w.side_dock("units")
    units.setFloating(True)
    qtbot.waitUntil(lambda: units.isFloating() and units.isVisible(), timeout=5000)
    alerts = w.side_dock("alerts")
    alerts.close()
    assert not alerts.isVisible()
    reopen = next(a for a in w.panels_menu.actions() if a.objectName() == "panel-alerts")
    assert not reopen.isChecked()
    reopen.trigger()
    qtbot.waitUntil(alerts.isVisible, timeout=5000)
    alerts.close()
    assert w.show_side_tab("alerts") and alerts.isVisible()  # the old API opens it as well


@pytest.mark.parametrize(("name", "first", "shown", "closed"), [
    ("dispatcher", "incidents", {"incidents", "detail"}, {"dashboard"}),
    ("shift lead", "incidents", {"incidents", "detail", "dashboard"}, set()),
    ("engineer", "devices", {"devices"}, {"detail", "dashboard"}),
    ("case officer", "cases", {"cases", "detail"}, {"dashboard"}),
])
def test_named_layouts(qtbot, desk, name, first, shown, closed) -> None:  # type: ignore[no-untyped-def]
    w, _wf, _core, _clock = desk
    from console.analytics import install as install_dashboard

    install_dashboard(w, _wf)
    w.add_side_tab(QLabel("Case files"), "Case files", "cases")
    w.apply_layout(name)
    qtbot.waitUntil(lambda: shown <= front(w), timeout=5000)
    assert w.panels.current == first
    if name == "case officer":  # the case file has most of the side's height, the incident detail the rest
        assert w.panels.docks["cases"].height() > 2 * w.panels.docks["detail"].height()
    for k in closed:
        assert not w.panels.docks[k].isVisible(), k
    if "dashboard" in closed:  # opened later from View: docked under the map, not a loose window of no size
        dock = w.panels.docks["dashboard"]
        dock.toggleViewAction().trigger()
        qtbot.waitUntil(dock.isVisible, timeout=5000)
        assert not dock.isFloating() and w.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
        qtbot.waitUntil(lambda: dock.height() >= 300, timeout=5000)  # its charts are 150 px high, two rows
    by_action = {a.objectName() for a in w.layout_menu.actions()}
    assert {"layout-dispatcher", "layout-shift-lead", "layout-case-officer", "layout-engineer"} <= by_action


def test_the_arrangement_is_saved_and_restored_and_a_layout_can_be_named(qtbot, desk, db_url) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, _clock = desk
    w.apply_layout("dispatcher")
    units = w.side_dock("units")
    w.removeDockWidget(units)
    w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, units)
    units.show()
    w.side_dock("tasks").close()
    w.save_layout("night desk")
    w.resize(760, 580)  # within the offscreen screen (800×600): restoreGeometry keeps a window on its screen
    w.panels.remember()  # as on closing
    # the next start
    w2 = MainWindow(core, load_city().geojson(), lang="en", store_label=db_url, push_interval_ms=100)
    wf2 = install(w2, timers=False)
    for key, title in (("alerts", "Alerts"), ("field", "Field link"), ("devices", "Devices")):
        w2.add_side_tab(QLabel(title), title, key)
    qtbot.addWidget(w2)
    try:
        assert w2.restore_layout() == "restored"
        w2.show_at_start()
        qtbot.waitUntil(lambda: w2.side_dock("units").isVisible(), timeout=5000)
        assert w2.dockWidgetArea(w2.side_dock("units")) == Qt.DockWidgetArea.LeftDockWidgetArea
        assert not w2.side_dock("tasks").isVisible()
        assert w2.width() == 760  # the geometry of last time, not the default 1600 (the height: as the docks need)
        assert not w2.isMaximized()  # as it was left
        w2.apply_layout("engineer")
        assert w2.dockWidgetArea(w2.side_dock("units")) == Qt.DockWidgetArea.RightDockWidgetArea
        assert "night desk" in [a.text() for a in _layout_actions(w2)]
        assert w2.panels.restore_named("night desk")
        assert w2.dockWidgetArea(w2.side_dock("units")) == Qt.DockWidgetArea.LeftDockWidgetArea
    finally:
        wf2.close()
        w2.close()


def test_a_first_start_opens_the_window_maximized(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    """No window kept from a last session (or --layout, which restores none): the console takes its screen; a
    screenshot keeps the window's own size."""
    from PySide6.QtCore import QSettings

    w, _wf, _core, _clock = desk
    s = QSettings()
    s.remove("window/geometry")
    s.remove("window/state")
    assert w.restore_layout() == "dispatcher"
    w.show_at_start()
    qtbot.waitUntil(w.isMaximized, timeout=5000)
    w.showNormal()
    w.panels.remember()  # as on closing: the next start has a geometry
    assert w.restore_layout() == "restored" and w.panels.geometry_restored
    w.show_at_start()
    assert not w.isMaximized()


def _layout_actions(w):  # type: ignore[no-untyped-def]
    w._fill_layout_menu()
    return w.layout_menu.actions()


def test_layout_names_on_the_command_line() -> None:
    p = argparse.ArgumentParser()
    gui.add_arguments(p)
    assert p.parse_args(["--layout", "shift lead"]).layout == "shift-lead"
    assert p.parse_args(["--layout", "Engineer", "--theme", "dark", "--wall"]).layout == "engineer"
    with pytest.raises(SystemExit):
        p.parse_args(["--layout", "boss"])


def test_the_wall_is_full_screen_read_only_with_the_cores_counters(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, clock = desk
    w.enter_wall()
    qtbot.waitUntil(lambda: w.wall.counts is not None, timeout=10000)
    assert w.isFullScreen() and w.menuBar().isHidden() and wf.toolbar.isHidden()
    assert front(w) == {"wall"}  # the map and the counters, nothing else
    live = ops.call(core, "analytics.live", {}, actor=ACTOR)
    assert w.wall.counts["incidents"] == live["incidents"] and w.wall.figures["P1"].text() == "2"
    assert w.wall.figures["P3"].text() == "1" and w.wall.figures["P2"].text() == "0"
    assert not wf.hotline_action.isEnabled() and not wf.task_action.isEnabled()
    assert not any(a.isEnabled() for a in w.panels_menu.actions())  # no panel to open on the wall
    # the operations layer refuses any change, as it does for a viewer; reading goes on
    refused: list[str] = []
    from console.incidents.common import run_op

    run_op(w, "incident.create", {"category": "illegal_dumping", "priority": "P2", "lat": 24.3, "lon": 109.4,
                                  "text": "t"}, on_refusal=lambda exc: refused.append(exc.code))
    qtbot.waitUntil(lambda: bool(refused), timeout=10000)
    assert refused == ["read_only"] and len(ops.call(core, "incidents", {}, actor=ACTOR)) == 3
    seen: list[BaseException] = []
    fut = operations.DispatchOp(parent=None, op=lambda c: c.command(ACTOR, lambda s: [])).failure(seen.append) \
        .run_in_background()
    with pytest.raises(Refused):
        fut.result(timeout=10)
    assert wf.map_menu(24.3, 109.4).actions() == []  # no "New incident here" on a right-click
    # a change made elsewhere (another seat) reaches the counters
    ops.call(core, "incident.create", {"category": "illegal_dumping", "priority": "P2", "lat": 24.3, "lon": 109.4,
                                       "text": "t"}, actor=ACTOR)
    w.wall.refresh()
    qtbot.waitUntil(lambda: w.wall.figures["P2"].text() == "1", timeout=10000)


FRONT_PROBE = """
import json, sys
from PySide6.QtCore import QTimer
from console import docks
from console.main_window import MainWindow
shown = MainWindow.show_at_start

def show_at_start(self, **kw):
    shown(self, **kw)
    def say():
        p = self.panels
        print(json.dumps(sorted(k for k in p.docks if k in p.widgets and docks.in_front(p.widgets[k]))), flush=True)
    QTimer.singleShot(1500, say)

MainWindow.show_at_start = show_at_start
from console.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize(("asked", "want"), [(["--tab", "cases"], "cases"), (["--layout", "engineer"], "devices"),
                                            (["--layout", "case-officer"], "cases")])
def test_the_panel_asked_for_is_in_front_when_the_console_opens(tmp_path, asked, want) -> None:  # type: ignore[no-untyped-def]
    """`main.py --tab cases` (or a layout whose first panel is not the queue): asked for before the window is first
    shown, the panel came up behind the incident queue (the workflow brings the queue forward as it is installed;
    Qt makes the tab bars when the window is laid out). The real program, watched from inside once it has opened."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    p = subprocess.run([sys.executable, "-c", FRONT_PROBE, "--db", f"sqlite:///{tmp_path / 's.db'}", "--no-hub",
                        "--lang", "en", *asked, "--screenshot", str(tmp_path / "shot.png"), "--run-for", "3"],
                       cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    in_front = json.loads(p.stdout.strip().splitlines()[-1])
    assert want in in_front and "incidents" not in in_front, in_front
