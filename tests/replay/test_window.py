"""The replay window offscreen: seek, play at 60x, and the map shows where every unit was then."""

from __future__ import annotations

import pytest

from console.replay.window import ReplayWindow
from dispatch.record.replay import Recording
from tests.conftest import page_js as js
from tests.replay.conftest import T0, expected_positions


def page_positions(qtbot, w) -> dict[str, tuple[float, float]]:  # type: ignore[no-untyped-def]
    return {r[0]: (r[1], r[2]) for r in js(qtbot, w.map, "ConsoleUnits.snapshot()")}


def want_at(shift, t: float) -> dict[str, tuple[float, float]]:  # type: ignore[no-untyped-def]
    return {u: (round(f.lat, 7), round(f.lon, 7)) for u, f in expected_positions(shift.fixes, t).items()}


@pytest.fixture
def window(qtbot, shift):  # type: ignore[no-untyped-def]
    w = ReplayWindow(Recording.of_store(shift.store), lang="en", window=(T0, shift.t_end), tick_ms=50)
    w.resize(1200, 800)
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=30000)
    return w


def test_seek_then_play_at_60x(qtbot, window, shift) -> None:  # type: ignore[no-untyped-def]
    w = window
    t = T0 + 700.3
    w.seek(t)
    want = want_at(shift, t)
    qtbot.waitUntil(lambda: page_positions(qtbot, w) == want, timeout=10000)
    # the unit that dropped out is drawn where it last was, and the trails are drawn
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleUnits.trailCount()") == len(shift.units), timeout=10000)
    # the event log follows the clock: the selected row is the last event at or before t
    past = [e for e in w.window_events if e.ts <= t]
    assert w.log.currentRow() == len(past) - 1

    w.play(60)
    qtbot.waitUntil(lambda: w.t >= t + 120, timeout=15000)  # two replay minutes in about two seconds
    w.pause()
    stopped = w.t
    assert w.speed == 60 and not w.playing
    qtbot.waitUntil(lambda: page_positions(qtbot, w) == want_at(shift, stopped), timeout=10000)
    assert page_positions(qtbot, w) != want  # they moved


def test_next_previous_event_and_clicking_the_log(qtbot, window, shift) -> None:  # type: ignore[no-untyped-def]
    w = window
    events = list(w.window_events)
    times = sorted({e.ts for e in events})
    assert len(times) >= 3
    w.seek(times[1] - 0.5)
    w.next_event()
    assert w.t == times[1]
    w.next_event()
    assert w.t == times[2]
    w.previous_event()
    assert w.t == times[1]
    w._on_log_clicked(2, 0)
    assert w.t == events[2].ts
    # the unit board shows the status of that time
    state_status = {u: x.status.value for u, x in w.rec.state_at(w.t).units.items()}
    board = {r["id"]: r["status"] for r in w.board.model.rows}
    assert board == state_status


def test_time_outside_the_recording_is_said_and_clamped(qtbot, window, shift) -> None:  # type: ignore[no-untyped-def]
    w = window
    w.seek(T0 - 3600)
    assert w.t == T0 and "outside" in w.message.text()


def test_opened_from_the_live_console_beside_it(qtbot, shift) -> None:  # type: ignore[no-untyped-def]
    from console.main_window import MainWindow
    from dispatch.city.data import load_city

    main = MainWindow(shift.core, load_city().geojson(), lang="en", store_label="test")
    qtbot.addWidget(main)
    action = next(a for a in main.view_menu.actions() if a.text().startswith("Replay"))
    action.trigger()
    replay = next(w for w in main.findChildren(ReplayWindow))
    assert replay.isWindow() and replay.isVisible()
    span = replay.rec.span()
    assert replay.t == span[1]
    assert main.push_timer.isActive()  # the live console keeps running
    replay.close()


def test_incident_list_and_markers_follow_the_clock(qtbot, window, shift) -> None:  # type: ignore[no-untyped-def]
    w = window
    assert w.timeline.markers["incident"].data.size == 1  # the incident filed at T0+300 is marked
    w.seek(T0 + 299.0)
    assert w.incidents.rowCount() == 0
    w.seek(T0 + 301.0)
    assert w.incidents.rowCount() == 1 and w.incidents.item(0, 0).text() == "#1"
    w.seek(T0 + 10.0)  # backwards again
    assert w.incidents.rowCount() == 0


def test_the_replay_map_shows_the_incidents_as_they_were(qtbot, window, shift) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 12: the replay map showed no incident markers (the live map does, and the list did)."""
    w = window
    w.seek(T0 + 301.0)
    qtbot.waitUntil(lambda: [r[0] for r in js(qtbot, w.map, "ConsoleIncidents.snapshot()") or []] == [1],
                    timeout=10000)
    w.seek(T0 + 10.0)  # before it was filed
    qtbot.waitUntil(lambda: (js(qtbot, w.map, "ConsoleIncidents.snapshot()") or []) == [], timeout=10000)


def test_the_log_incidents_and_units_read_as_words_and_fit(qtbot, shift) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 14: raw states and categories in Chinese mode, no time of day in the log, "Kind" cut to
    "incident.cre…", the units' name squeezed to "…"."""
    import re

    from PySide6.QtWidgets import QApplication

    from tests.conftest import ui_language

    with ui_language("zh_CN"):
        w = ReplayWindow(Recording.of_store(shift.store), lang="zh_CN", window=(T0, shift.t_end))
        w.resize(1500, 900)
        w.show()
        qtbot.addWidget(w)
        w.seek(T0 + 301.0)
        assert w.incidents.item(0, 1).text() == "已上报" and w.incidents.item(0, 2).text().startswith("漂浮垃圾")
        times = [w.log.item(i, 0).text() for i in range(w.log.rowCount())]
        assert times and all(re.fullmatch(r"\d\d:\d\d:\d\d", x) for x in times), times[:3]
        kinds = {w.log.item(i, 2).text() for i in range(w.log.rowCount())}
        assert "事件单：已上报" in kinds and not any(k.startswith("incident.") for k in kinds)
        QApplication.processEvents()
        for table in (w.log, w.incidents):
            h = table.horizontalHeader()
            last = h.count() - 1
            for c in range(last):  # every column but the last (which takes the rest) shows all it holds
                assert h.sectionSize(c) >= max(table.sizeHintForColumn(c), h.sectionSizeHint(c)), (table, c)
        w.side.setCurrentWidget(w.board)
        QApplication.processEvents()
        board = w.board.table
        name = board.horizontalHeader().sectionSize(0)
        assert name >= board.sizeHintForColumn(0), (name, board.sizeHintForColumn(0))
        w.close()


def test_a_replay_file_opens_from_the_live_consoles_file_menu(qtbot, shift, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """File → Open replay file… (issue 19, item 8: File held only Quit)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from console.main_window import MainWindow
    from dispatch.city.data import load_city
    from dispatch.record.export import export_replay

    out = tmp_path / "shift.replay"
    export_replay(shift.store.engine, T0 + 600, T0 + 1200, out)
    main = MainWindow(shift.core, load_city().geojson(), lang="en", store_label="test")
    qtbot.addWidget(main)
    replay = main.open_replay_file(str(out))
    assert isinstance(replay, ReplayWindow) and replay.isVisible() and "shift.replay" in replay.windowTitle()
    assert (replay.t1, replay.t2) == pytest.approx((T0 + 600, T0 + 1200))
    replay.close()
    bad = tmp_path / "not-a-replay.replay"
    bad.write_text("hello")
    seen: list[str] = []

    def close_box() -> None:
        box = next((b for b in main.findChildren(QMessageBox) if b.isVisible()), None)
        if box is None:
            QTimer.singleShot(20, close_box)
            return
        seen.append(box.text())
        box.accept()

    QTimer.singleShot(0, close_box)
    assert main.open_replay_file(str(bad)) is None
    assert seen and "not-a-replay" in seen[0]


def test_go_to_a_typed_moment_within_or_outside_the_window_on_show(qtbot, shift) -> None:  # type: ignore[no-untyped-def]
    """The "Go to" box follows the replay; a moment typed there is shown, the day around it opened when it lies
    outside the window on show; a moment nothing was recorded at is said, and nothing moves."""
    from PySide6.QtCore import QDateTime, Qt

    from console.replay.goto import day_around

    w = ReplayWindow(Recording.of_store(shift.store), lang="en", window=(T0 + 600, T0 + 900), tick_ms=50)
    w.resize(1400, 800)
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=30000)
    w.seek(T0 + 700)
    assert w.goto.edit.dateTime().toSecsSinceEpoch() == int(T0 + 700)  # it follows the replay
    target = int(T0 + 120)  # before the window on show, within the recording
    w.goto.edit.setDateTime(QDateTime.fromSecsSinceEpoch(target))
    qtbot.mouseClick(w.goto.findChild(type(w.play_button), "replayGo"), Qt.MouseButton.LeftButton)
    assert w.t == target and w.t1 <= target <= w.t2 and w.range_box.currentData() == "chosen"
    assert (w.t1, w.t2) == day_around(target, w.full_span) and w.t2 - w.t1 > 300  # the day, as far as recorded
    qtbot.waitUntil(lambda: page_positions(qtbot, w) == want_at(shift, target), timeout=10000)
    w.go_to(w.full_span[1] + 86400)  # a day after the recording ends
    assert w.t == target and "Nothing is recorded" in w.message.text()
    assert w.goto.edit.dateTime().toSecsSinceEpoch() == target


def test_the_units_box_takes_ids_and_names(qtbot, shift) -> None:  # type: ignore[no-untyped-def]
    from tests.replay.conftest import LAT0, LON0

    shift.core.register_units("system:test", [{"id": "boat-99", "name": "巡逻艇99", "kind": "patrol_boat"}])
    shift.core.ingest([("boat-99", shift.t_end - 10, LAT0, LON0, 0.0, None, "test")])
    shift.core.flush()
    w = ReplayWindow(Recording.of_store(shift.store), lang="en", tick_ms=50)
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=30000)
    w.seek(w.t2)
    w.units_edit.setText("巡逻艇99，truck-01")  # a name and an id, with a Chinese comma
    w._on_units()
    assert w._units() == ["boat-99", "truck-01"]
    qtbot.waitUntil(lambda: set(page_positions(qtbot, w)) == {"boat-99", "truck-01"}, timeout=10000)


def test_the_live_replay_exports_the_window_on_show(qtbot, shift, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Export… on the live store's replay window: the window on show as a replay file (opening as one) or an HTML
    track map, as the operator signed in; the outcome said on the window."""
    from console import operations
    from console.main_window import MainWindow
    from console.replay.opening import open_live_replay
    from dispatch.city.data import load_city

    main = MainWindow(shift.core, load_city().geojson(), lang="en", store_label="test")
    qtbot.addWidget(main)
    operations.set_core(shift.core)  # the console's core worker, as the console sets it at start-up
    try:
        _export_both(qtbot, open_live_replay(shift.core, main, lang="en"), tmp_path)
    finally:
        operations.set_core(None)


def _export_both(qtbot, w, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from console.replay.saving import default_name, export_to
    from dispatch.record.export import open_replay_file

    qtbot.addWidget(w)
    assert w.findChild(type(w.play_button), "replayExport") is not None
    assert default_name(w.t1, w.t2).startswith("replay-") and default_name(w.t1, w.t2).endswith(".replay")
    out = tmp_path / "window.replay"
    export_to(w, str(out))
    qtbot.waitUntil(lambda: w.message.text().startswith("Exported to"), timeout=20000)
    rf = open_replay_file(str(out))
    try:
        assert abs(rf.window[0] - w.t1) < 1e-3 and abs(rf.window[1] - w.t2) < 1e-3
        assert rf.recording().positions_at(w.t2)  # the units are in it
    finally:
        rf.close()
    page = tmp_path / "window.html"
    export_to(w, str(page), html=True)
    qtbot.waitUntil(lambda: w.message.text().startswith(f"Exported to {page}"), timeout=20000)
    assert "<html" in page.read_text(encoding="utf-8").lower()
    w.close()


def test_a_replay_from_a_file_saves_a_copy_of_it(qtbot, shift, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A seat attached to a hub replays a file fetched from it, gone when the window closes: "Save a copy…" keeps
    it, byte for byte; a place it cannot be written is said."""
    from console.replay.opening import open_replay_file
    from console.replay.saving import add_save_copy, save_copy
    from dispatch.record.export import export_replay

    fetched = tmp_path / "hub.replay"
    export_replay(shift.store.engine, T0, shift.t_end, fetched)
    w = open_replay_file(str(fetched), lang="en")
    qtbot.addWidget(w)
    assert add_save_copy(w, str(fetched)).objectName() == "replaySaveCopy"
    kept = tmp_path / "kept.replay"
    save_copy(w, str(fetched), str(kept))
    assert kept.read_bytes() == fetched.read_bytes() and w.message.text() == f"Saved a copy to {kept}"
    save_copy(w, str(fetched), str(tmp_path / "no-such-folder" / "x.replay"))
    assert w.message.text().startswith("Not saved: ")
    w.close()
