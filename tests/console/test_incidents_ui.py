"""The dispatcher's incident workflow in the real main window: a real core on a tmp SQLite store, the real
map page offscreen, every change through the core's operations on the core worker."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from console import operations
from console.incidents import install
from console.incidents.common import OVERDUE_BG
from console.main_window import MainWindow
from console.operations import seat_actor
from dispatch import ops
from dispatch.city.data import load_city
from dispatch.core import Dispatch
from dispatch.store import EventStore
from tests.conftest import Clock
from tests.conftest import page_js as js

ACTOR = seat_actor()

# Qt 6 marks the QPoint drag-event constructors deprecated, yet they are what a real drag delivers
pytestmark = pytest.mark.filterwarnings("ignore:Function.*QDrag.*deprecated:DeprecationWarning")


def water_point(fraction: float) -> tuple[float, float]:
    lat, lon, _ = load_city().point_along_river(fraction)
    return lat, lon


@pytest.fixture
def seat(qtbot, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(1_800_000_000.0)
    core = Dispatch(EventStore(db_url), clock=clock, stale_after=600.0)
    core.register_units("test", [
        {"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"},
        {"id": "vessel-01", "name": "保洁船01", "kind": "cleaning_vessel"},
        {"id": "officer-01", "name": "执法队员01", "kind": "officer"},
    ])
    (la1, lo1), (la2, lo2) = water_point(0.40), water_point(0.47)
    clat, clon = load_city().center
    core.ingest([("boat-01", clock.t, la1, lo1, 0.0, 0.0, "t"), ("vessel-01", clock.t, la2, lo2, 0.0, 0.0, "t"),
                 ("officer-01", clock.t, clat, clon, 0.0, 0.0, "t")])
    operations.set_core(core)
    w = MainWindow(core, load_city().geojson(), lang="en", store_label=db_url, push_interval_ms=100)
    w.slow_timer.stop()
    wf = install(w, timers=False)  # the tests ask for deadline checks themselves, with the injected clock
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)
    qtbot.waitUntil(lambda: wf.panel.loaded_once, timeout=10000)
    yield w, wf, core, clock
    w.close()
    core.close()


def create(core, **kw):  # type: ignore[no-untyped-def]
    args = {"category": "floating_garbage", "priority": "P2", "text": "test"}
    args.update(kw)
    if "lat" not in args:
        args["lat"], args["lon"] = water_point(0.42)
    return ops.call(core, "incident.create", args, actor=ACTOR)


def drop_unit(view, row: int, mime: QMimeData) -> None:  # type: ignore[no-untyped-def]
    """What a mouse drag from the board does at the row: enter, move, drop (Qt only drops after an enter)."""
    pos = QPointF(view.visualRect(view.model().index(row, 2)).center())
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    for ev in (QDragEnterEvent(pos.toPoint(), *args), QDragMoveEvent(pos.toPoint(), *args), QDropEvent(pos, *args)):
        QApplication.sendEvent(view.viewport(), ev)


def row_of(wf, iid: int) -> dict | None:  # type: ignore[no-untyped-def,type-arg]
    i = wf.panel.model.index_of.get(iid)
    return None if i is None else wf.panel.model.rows[i]


def test_right_click_form_files_an_incident_that_shows_in_queue_and_on_map(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, clock = seat
    lat, lon = water_point(0.42)
    # a right-click in the page goes through incidents.js and the bridge to the console's menu
    js(qtbot, w.map, f"ConsoleIncidents.contextMenuAt({lat}, {lon})")
    qtbot.waitUntil(lambda: wf.context_menu is not None, timeout=10000)
    new_here = wf.context_menu.actions()[0]
    assert new_here.text() == "New incident here"
    new_here.trigger()
    form = wf.forms[-1]
    assert float(form.lat.text()) == pytest.approx(lat, abs=1e-6)
    form.category.setCurrentIndex(form.category.findData("illegal_fishing"))
    form.priority.setCurrentIndex(form.priority.findData("P1"))
    form.address.setText("柳江 文惠桥下游")
    form.contact.setText("13800000000")
    form.text.setPlainText("两条船在电鱼")
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.result_incident is not None, timeout=10000)
    iid = form.result_incident["id"]
    shown = ops.call(core, "incident.show", {"incident_id": iid}, actor="test")
    assert (shown["category"], shown["priority"], shown["contact"]) == ("illegal_fishing", "P1", "13800000000")
    assert shown["history"][0]["actor"] == ACTOR
    # in the queue, translated labels, and on the map as a marker
    qtbot.waitUntil(lambda: row_of(wf, iid) is not None, timeout=10000)
    m = wf.panel.model
    assert m.data(m.index(m.index_of[iid], 2)) == "Illegal fishing"
    qtbot.waitUntil(lambda: any(r[0] == iid and r[1] == "P1" for r in js(qtbot, w.map, "ConsoleIncidents.snapshot()")),
                    timeout=10000)
    # clicking the marker selects it in the queue
    js(qtbot, w.map, f"ConsoleIncidents.click({iid})")
    qtbot.waitUntil(lambda: wf.panel.selected_incident() == iid and wf.panel.detail.incident is not None, timeout=10000)


def test_form_refuses_bad_coordinates_and_stores_nothing(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, clock = seat
    form = wf.open_form(source="hotline")
    form.lat.setText("124.5")
    form.lon.setText("109.4")
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.message.isVisible() and "out of range" in form.message.text(), timeout=10000)
    assert form.result_incident is None and form.submit.isEnabled()
    assert ops.call(core, "incidents", {}, actor="test") == []


def test_a_likely_duplicate_is_merged_from_the_form(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, clock = seat
    first = create(core)
    lat, lon = water_point(0.42)
    form = wf.open_form(lat=lat, lon=lon)
    form.category.setCurrentIndex(form.category.findData("floating_garbage"))
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.result_box.isVisible(), timeout=10000)
    dup = form.result_incident["id"]
    merge = form.result_box.findChild(type(form.submit), f"merge-into-{first['id']}")
    qtbot.mouseClick(merge, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "merged" in form.message.text(), timeout=10000)
    kept = ops.call(core, "incident.show", {"incident_id": first["id"]}, actor="test")
    assert dup in kept["merged"]
    assert ops.call(core, "incident.show", {"incident_id": dup}, actor="test")["state"] == "rejected"


def test_assign_from_a_recommendation_dispatches_and_the_board_shows_the_unit_assigned(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, clock = seat
    inc = create(core)
    qtbot.waitUntil(lambda: row_of(wf, inc["id"]) is not None, timeout=10000)
    wf.panel.select_incident(inc["id"])
    rec = wf.panel.detail.recommend
    qtbot.waitUntil(lambda: bool(rec.buttons), timeout=10000)
    assert {it["unit_id"] for it in rec.items} <= {"boat-01", "vessel-01"}  # water units for floating garbage
    assert all(it["eta_s"] is not None for it in rec.items)
    first = rec.items[0]["unit_id"]
    qtbot.mouseClick(rec.buttons[first], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (row_of(wf, inc["id"]) or {}).get("state") == "dispatched", timeout=10000)
    assert row_of(wf, inc["id"])["unit_id"] == first
    board = w.board.model
    qtbot.waitUntil(lambda: board.rows[board.index_of[first]]["status"] == "assigned", timeout=10000)
    # the detail now offers the next steps from the core, and no assign any more
    qtbot.waitUntil(lambda: "accepted" in wf.panel.detail.action_buttons, timeout=10000)
    assert not wf.panel.detail.recommend.isVisible()


def test_dragging_a_unit_from_the_board_onto_an_incident_assigns_it(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, clock = seat
    inc = create(core, category="illegal_dumping", lat=load_city().center[0], lon=load_city().center[1])
    qtbot.waitUntil(lambda: row_of(wf, inc["id"]) is not None, timeout=10000)
    board = w.board.model
    qtbot.waitUntil(lambda: "officer-01" in board.index_of, timeout=10000)
    mime = board.mimeData([board.index(board.index_of["officer-01"], 0)])
    assert mime.text() == "officer-01"
    view = wf.panel.table
    row = wf.panel.proxy.mapFromSource(wf.panel.model.index(wf.panel.model.index_of[inc["id"]], 0)).row()
    drop_unit(view, row, mime)
    qtbot.waitUntil(lambda: (row_of(wf, inc["id"]) or {}).get("unit_id") == "officer-01", timeout=10000)
    assert row_of(wf, inc["id"])["state"] == "dispatched"
    # a second one-click drop of the same (now assigned) unit is refused, nothing stored
    other = create(core, category="street_vending", lat=load_city().center[0] + 0.001, lon=load_city().center[1])
    qtbot.waitUntil(lambda: row_of(wf, other["id"]) is not None, timeout=10000)
    row = wf.panel.proxy.mapFromSource(wf.panel.model.index(wf.panel.model.index_of[other["id"]], 0)).row()
    mime2 = QMimeData()
    mime2.setText("officer-01")
    drop_unit(view, row, mime2)
    banner = wf.panel.detail.banner
    qtbot.waitUntil(lambda: banner.isVisible() and "officer-01 is no longer free" in banner.text(), timeout=10000)
    assert ops.call(core, "incident.show", {"incident_id": other["id"]}, actor="t")["state"] == "reported"
    # the dispatcher may still stack it behind the unit's first job: the core decides, and says so
    qtbot.waitUntil(lambda: wf.panel.detail.queue_anyway.isVisible(), timeout=10000)
    wf.panel.detail.queue_anyway.click()
    qtbot.waitUntil(lambda: (row_of(wf, other["id"]) or {}).get("state") == "dispatched", timeout=10000)
    assert "queued behind #1" in w.statusBar().currentMessage()


def test_an_illegal_transition_shows_the_refusal_and_stores_nothing(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, clock = seat
    inc = create(core)
    qtbot.waitUntil(lambda: row_of(wf, inc["id"]) is not None, timeout=10000)
    wf.panel.select_incident(inc["id"])
    detail = wf.panel.detail
    qtbot.waitUntil(lambda: "verified" in detail.action_buttons, timeout=10000)
    # another seat rejects it first; this seat's "Verify" button is now out of date
    ops.call(core, "incident.transition", {"incident_id": inc["id"], "state": "rejected"}, actor="dispatcher:other")
    before = ops.call(core, "incident.show", {"incident_id": inc["id"]}, actor="t")
    detail.action_buttons["verified"].click()
    qtbot.waitUntil(lambda: detail.banner.isVisible(), timeout=10000)
    assert "cannot go from rejected to verified" in detail.banner.text()
    assert "allowed from rejected: reopened" in detail.banner.text()
    after = ops.call(core, "incident.show", {"incident_id": inc["id"]}, actor="t")
    assert after["history"] == before["history"] and after["state"] == "rejected"
    # and the detail catches up with what the core says is allowed now
    qtbot.waitUntil(lambda: set(detail.action_buttons) == {"reopened"}, timeout=10000)


def test_walking_the_lifecycle_with_the_detail_buttons(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, clock = seat
    inc = create(core)
    ops.call(core, "incident.assign", {"incident_id": inc["id"], "unit_id": "boat-01"}, actor=ACTOR)
    qtbot.waitUntil(lambda: (row_of(wf, inc["id"]) or {}).get("state") == "dispatched", timeout=10000)
    wf.panel.select_incident(inc["id"])
    detail = wf.panel.detail
    for step in ("accepted", "en_route", "on_scene", "resolved", "closed"):
        qtbot.waitUntil(lambda s=step: s in detail.action_buttons and (detail.incident or {}).get("id") == inc["id"],
                        timeout=10000)
        detail.note.setText(f"note {step}")
        detail.action_buttons[step].click()
        qtbot.waitUntil(lambda s=step: (detail.incident or {}).get("state") == s, timeout=10000)
    hist = ops.call(core, "incident.show", {"incident_id": inc["id"]}, actor="t")["history"]
    assert [h.get("to") for h in hist if h["kind"] == "incident.transitioned"][-5:] == [
        "accepted", "en_route", "on_scene", "resolved", "closed"]
    assert hist[-1]["note"] == "note closed"
    assert detail.timeline.topLevelItemCount() == len(hist)


def test_overdue_with_an_injected_clock_turns_the_row_red_and_alerts_the_shift_lead(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, clock = seat
    inc = create(core, priority="P1")  # P1: 5 minutes to dispatch
    qtbot.waitUntil(lambda: row_of(wf, inc["id"]) is not None, timeout=10000)
    m = wf.panel.model

    def bg() -> object:
        return m.data(m.index(m.index_of[inc["id"]], 0), Qt.ItemDataRole.BackgroundRole)

    assert bg() is None
    assert m.data(m.index(m.index_of[inc["id"]], 4)).endswith(("04:59", "05:00"))
    panel = wf.panel
    assert not panel.alerts.isVisible() and panel.alerts_box.height() < 50  # no alert: the queue has the room
    clock.t += 301
    wf.panel.check_deadlines()
    qtbot.waitUntil(lambda: wf.panel.alerts.count() == 1, timeout=10000)
    assert panel.alerts.isVisible() and panel.alerts.height() >= 60  # the list opens for the alert
    assert f"#{inc['id']}" in wf.panel.alerts.item(0).text()
    hist = ops.call(core, "incident.show", {"incident_id": inc["id"]}, actor="t")["history"]
    assert [(h["actor"], h["stage"]) for h in hist if h["kind"] == "incident.overdue"] == [("system:console", "dispatch")]
    assert "Overdue" in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: row_of(wf, inc["id"]).get("overdue") is True, timeout=10000)
    assert bg().color() == OVERDUE_BG
    assert m.data(m.index(m.index_of[inc["id"]], 4)).startswith("Dispatch -")
    qtbot.waitUntil(lambda: any(r[0] == inc["id"] and r[3] for r in js(qtbot, w.map, "ConsoleIncidents.snapshot()")),
                    timeout=10000)
    # a second check records nothing new: one alert per stage
    wf.panel.check_deadlines()
    qtbot.waitUntil(lambda: not wf.panel._checking, timeout=10000)
    assert wf.panel.alerts.count() == 1
    # it stays marked while worked on, and is cleared once closed
    ops.call(core, "incident.assign", {"incident_id": inc["id"], "unit_id": "boat-01"}, actor=ACTOR)
    qtbot.waitUntil(lambda: row_of(wf, inc["id"])["state"] == "dispatched", timeout=10000)
    assert bg().color() == OVERDUE_BG
    for s in ("accepted", "on_scene", "resolved", "closed"):
        ops.call(core, "incident.transition", {"incident_id": inc["id"], "state": s}, actor=ACTOR)
    wf.panel.mode.setCurrentIndex(wf.panel.mode.findData("all"))
    qtbot.waitUntil(lambda: row_of(wf, inc["id"])["state"] == "closed", timeout=10000)
    assert bg() is None


def test_attachments_are_listed_with_their_hash_and_an_unreadable_file_is_refused(qtbot, seat, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    w, wf, core, clock = seat
    inc = create(core)
    qtbot.waitUntil(lambda: row_of(wf, inc["id"]) is not None, timeout=10000)
    wf.panel.select_incident(inc["id"])
    detail = wf.panel.detail
    qtbot.waitUntil(lambda: (detail.incident or {}).get("id") == inc["id"], timeout=10000)
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 40)
    detail.attach(str(photo))
    qtbot.waitUntil(lambda: detail.attachments.topLevelItemCount() == 1, timeout=10000)
    item = detail.attachments.topLevelItem(0)
    assert item.text(0) == "现场照片.jpg"
    assert item.text(3) == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert item.text(1) == "10.0 KB"
    before = ops.call(core, "incident.show", {"incident_id": inc["id"]}, actor="t")["history"]
    detail.attach(str(tmp_path / "gone.jpg"))
    qtbot.waitUntil(lambda: detail.banner.isVisible(), timeout=10000)
    assert "cannot read attachment" in detail.banner.text()
    assert ops.call(core, "incident.show", {"incident_id": inc["id"]}, actor="t")["history"] == before
    assert detail.attachments.topLevelItemCount() == 1


def test_the_detail_countdown_moves_with_the_queue(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 1: the detail repainted only when the incident changed (frozen at 1:59:59)."""
    w, wf, core, clock = seat
    inc = create(core, priority="P4")
    qtbot.waitUntil(lambda: row_of(wf, inc["id"]) is not None, timeout=10000)
    wf.panel.select_incident(inc["id"])
    detail, m = wf.panel.detail, wf.panel.model
    qtbot.waitUntil(lambda: (detail.incident or {}).get("id") == inc["id"], timeout=10000)

    def queue_text() -> str:
        return str(m.data(m.index(m.index_of[inc["id"]], 4)))

    assert detail.deadline.text() == queue_text()
    for step in (27, 60, 3600):
        clock.t += step
        wf.panel.tick()  # what the panel's one-second timer does
        assert detail.deadline.text() == queue_text()
    clock.t += 3 * 3600  # past the deadline: the running countdown, in red, in both
    wf.panel.tick()
    assert detail.deadline.text() == queue_text() and "-" in detail.deadline.text()
    assert "b71c1c" in detail.deadline.styleSheet()


def test_a_late_dispatch_is_named_and_the_arrival_countdown_ahead_is_not_red(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 6: once dispatched late, the row showed its arrival countdown in red though it was ahead."""
    w, wf, core, clock = seat
    inc = create(core, priority="P1")  # 5 minutes to dispatch
    qtbot.waitUntil(lambda: row_of(wf, inc["id"]) is not None, timeout=10000)
    panel = wf.panel
    assert not panel.alerts.isVisible() and panel.alerts_box.height() < 50  # no alert: the queue has the room
    clock.t += 301
    wf.panel.check_deadlines()
    qtbot.waitUntil(lambda: wf.panel.alerts.count() == 1, timeout=10000)
    assert panel.alerts.isVisible() and panel.alerts.height() >= 60  # the list opens for the alert
    ops.call(core, "incident.assign", {"incident_id": inc["id"], "unit_id": "boat-01"}, actor=ACTOR)
    qtbot.waitUntil(lambda: row_of(wf, inc["id"])["state"] == "dispatched", timeout=10000)
    m = wf.panel.model
    cell = m.index(m.index_of[inc["id"]], 4)
    text = m.data(cell)
    assert text.startswith("Dispatch late · Arrival ") and "-" not in text.split("Arrival ")[1]
    assert m.data(cell, Qt.ItemDataRole.ForegroundRole) is None  # the arrival deadline is ahead
    assert m.data(cell, Qt.ItemDataRole.BackgroundRole).color() == OVERDUE_BG  # still marked until closed
    wf.panel.select_incident(inc["id"])
    detail = wf.panel.detail
    qtbot.waitUntil(lambda: (detail.incident or {}).get("state") == "dispatched", timeout=10000)
    assert detail.deadline.text() == text and "b71c1c" not in detail.deadline.styleSheet()
    clock.t += 3600  # now the arrival is late too: that countdown turns red
    wf.panel.tick()
    assert "Arrival -" in m.data(cell) and m.data(cell, Qt.ItemDataRole.ForegroundRole) is not None
