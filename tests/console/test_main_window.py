"""The main window on a real core: units on the map and the board, stale marking, selection."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

from console.main_window import MainWindow
from dispatch.city.data import load_city
from dispatch.core import Dispatch
from dispatch.store import EventStore
from tests.conftest import Clock
from tests.conftest import page_js as js


@pytest.fixture
def window(qtbot, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(1_800_000_000.0)
    core = Dispatch(EventStore(db_url), clock=clock, stale_after=5.0)
    core.register_units("test", [
        {"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"},
        {"id": "truck-01", "name": "桂B·A1234", "kind": "truck"},
    ])
    lat, lon = load_city().center
    core.ingest([("boat-01", clock.t, lat, lon, 3.0, 90.0, "t"), ("truck-01", clock.t, lat + 0.01, lon, 8.0, 0.0, "t")])
    w = MainWindow(core, load_city().geojson(), lang="en", store_label=db_url, push_interval_ms=100)
    w.slow_timer.stop()  # the test drives the once-a-second refresh itself
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)
    yield w, core, clock
    w.close()
    core.close()


def stale_flags(qtbot, w) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {r[0]: r[3] for r in js(qtbot, w.map, "ConsoleUnits.snapshot()")}


def test_units_reach_map_and_board(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    w, core, clock = window
    qtbot.waitUntil(lambda: stale_flags(qtbot, w) == {"boat-01": 0, "truck-01": 0}, timeout=10000)
    assert w.board.model.rowCount() == 2
    names = {w.board.model.rows[i]["name"] for i in range(2)}
    assert names == {"巡逻艇01", "桂B·A1234"}


def test_a_unit_that_stops_reporting_turns_stale_on_map_and_board(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    w, core, clock = window
    qtbot.waitUntil(lambda: stale_flags(qtbot, w) == {"boat-01": 0, "truck-01": 0}, timeout=10000)
    clock.t += 3.0
    lat, lon = load_city().center
    core.ingest([("truck-01", clock.t, lat + 0.011, lon, 8.0, 0.0, "t")])  # the truck keeps reporting
    clock.t += 3.0  # boat silent for 6 s > stale_after 5 s
    w.refresh_slow()
    qtbot.waitUntil(lambda: stale_flags(qtbot, w) == {"boat-01": 1, "truck-01": 0}, timeout=10000)
    row = w.board.model.index_of["boat-01"]
    status = w.board.model.data(w.board.model.index(row, 2), Qt.ItemDataRole.DisplayRole)
    assert "stale" in status
    # filter "stale" shows exactly that unit
    w.board.status_box.setCurrentIndex(w.board.status_box.findData("stale"))
    assert w.board.proxy.rowCount() == 1
    # it reports again: no longer stale
    core.ingest([("boat-01", clock.t, lat, lon, 3.0, 90.0, "t")])
    w.refresh_slow()
    qtbot.waitUntil(lambda: stale_flags(qtbot, w)["boat-01"] == 0, timeout=10000)


def test_selecting_a_row_selects_on_map_and_clicking_map_selects_row(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    w, core, clock = window
    qtbot.waitUntil(lambda: len(stale_flags(qtbot, w)) == 2, timeout=10000)
    w.board.select_unit("truck-01")
    assert w.board.selected_unit() == "truck-01"
    w.map.unit_clicked.emit("boat-01")
    assert w.board.selected_unit() == "boat-01"


class _Pinger(QObject):
    ping = Signal()


def test_survives_a_night_of_qt_calls(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """PySide6 on CPython 3.11 aborts after ~5,000 such calls (None/True refcount leak): not here."""
    w, core, clock = window
    p = _Pinger()
    hits = []
    p.ping.connect(lambda: hits.append(1))
    calls = 0
    for i in range(50_000):
        w.update()  # returns None
        p.ping.emit()  # returns True
        calls += 2
        if i % 10 == 0:
            QCoreApplication.processEvents()
            calls += 1
        if i % 1000 == 0:
            w.map.run("0")  # runJavaScript returns nothing too
            calls += 1
    assert len(hits) == 50_000 and calls > 100_000


def test_out_of_service_from_the_board_goes_through_the_core(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from console import operations

    w, core, clock = window
    operations.set_core(core)
    w.board._run("unit.status", {"unit_id": "truck-01", "status": "out_of_service"})
    qtbot.waitUntil(lambda: core.state.units["truck-01"].status.value == "out_of_service", timeout=10000)
    last = list(core.store.events())[-1]
    assert last.kind == "unit.status_set" and last.actor.startswith("dispatcher:")


def test_side_tabs_are_named_for_tab(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel

    w, _core, _clock = window
    extra = QLabel("x")
    w.add_side_tab(extra, "Extra", "extra")
    assert w.show_side_tab("extra") and w.current_side_widget() is extra
    assert w.show_side_tab("units") and w.current_side_widget() is w.board
    assert not w.show_side_tab("field") and w.current_side_widget() is w.board  # not installed here
    assert w.side_dock("extra").objectName() == "dock-extra"  # saveState/restoreState know every panel
