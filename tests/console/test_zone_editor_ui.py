"""Zones drawn and edited on the real map page (offscreen QWebEngineView, real core on a tmp SQLite store):
the page reports the geometry, the core decides; a refused shape shows the core's reason. The truck card
of a truck picked on the map, and its permit edited in the dialog. Every label ships in Chinese too."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from console import operations
from console.alerts import install
from console.main_window import MainWindow
from dispatch import ops
from dispatch.city.data import load_city
from dispatch.errors import Refused
from tests.conftest import page_js as js
from tests.rules.helpers import FRAME, local_ts, make_core, rows, setup_city

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def seat(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    core = make_core(tmp_path)
    setup_city(core)
    operations.set_core(core)
    w = MainWindow(core, load_city().geojson(), lang="en", store_label="test", push_interval_ms=100)
    w.slow_timer.stop()
    view = install(w)
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)
    qtbot.waitUntil(lambda: js(qtbot, w.map, "window.ConsoleZoneEdit ? 1 : 0") == 1, timeout=10000)
    qtbot.waitUntil(lambda: view.editor.list.count() == 7, timeout=10000)
    yield w, view, core
    view.close()
    w.close()
    core.close()


def corners(js_click, pts):  # type: ignore[no-untyped-def]
    for x, y in pts:
        lat, lon = FRAME.to_latlon(x, y)
        js_click(lat, lon)


def test_draw_a_restricted_area_then_move_a_corner(qtbot, seat):  # type: ignore[no-untyped-def]
    w, view, core = seat
    ed = view.editor
    assert w.show_side_tab("zones")
    ed.start_drawing("polygon")
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleZoneEdit.active()") == "draw", timeout=10000)
    corners(lambda a, b: js(qtbot, w.map, f"ConsoleZoneEdit.click({a},{b})"),
            [(5000, 0), (5400, 0), (5400, 400), (5000, 400)])
    assert js(qtbot, w.map, "ConsoleZoneEdit.finish() !== null") is True
    qtbot.waitUntil(lambda: ed.geometry is not None, timeout=10000)  # reported through the bridge
    assert ed.geometry["type"] == "Polygon" and len(ed.geometry["coordinates"][0]) == 5
    ed.kind.setCurrentIndex(ed.kind.findData("restricted"))
    ed.name.setText("新学校")
    ed.hours.setText("07:00-09:00")
    saved: list[dict] = []
    ed.saved.connect(saved.append)
    ed.save()
    qtbot.waitUntil(lambda: bool(saved), timeout=10000)
    z = saved[0]
    assert (z["kind"], z["name"], z["hours"], z["version"]) == ("restricted", "新学校", "07:00-09:00", 1)
    assert z["by"] == operations.seat_actor()  # the operator of the seat, not a typed name
    qtbot.waitUntil(lambda: ed.list.count() == 8, timeout=10000)
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleZones.count()") == 8, timeout=10000)
    # pick it on the map (the zones layer's click) and move a corner
    js(qtbot, w.map, f"ConsoleZoneEdit.picked({json.dumps(z['id'])})")
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleZoneEdit.active()") == "edit", timeout=10000)
    assert ed.current is not None and ed.current["id"] == z["id"]
    assert len(js(qtbot, w.map, "ConsoleZoneEdit.handles()")) == 4
    lat, lon = FRAME.to_latlon(5600, 400)
    js(qtbot, w.map, f"ConsoleZoneEdit.moveVertex(2,{lat},{lon})")
    saved.clear()
    ed.save()
    qtbot.waitUntil(lambda: bool(saved), timeout=10000)
    assert saved[0]["version"] == 2
    zone = next(f for f in ops.call(core, "zones.export", {}, actor="t")["features"] if f["id"] == z["id"])
    xs = sorted(round(FRAME.to_xy(p[1], p[0])[0]) for p in zone["geometry"]["coordinates"][0])
    assert xs[-1] == 5600


def mouse(view, kind, pos, *, buttons=None):  # type: ignore[no-untyped-def]
    """A mouse event as a user's hand makes it, to the widget the page's input goes to."""
    target = view.focusProxy()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    button = none if kind == QEvent.Type.MouseMove else left
    held = buttons if buttons is not None else (none if kind == QEvent.Type.MouseButtonRelease else left)
    p = QPointF(pos)
    QApplication.sendEvent(target, QMouseEvent(kind, p, target.mapToGlobal(p), button, held,
                                               Qt.KeyboardModifier.NoModifier))


def test_drawn_with_clicks_and_a_double_click_and_a_corner_dragged(qtbot, seat):  # type: ignore[no-untyped-def]
    w, view, core = seat
    ed = view.editor
    lat, lon = FRAME.to_latlon(2300, 550)
    js(qtbot, w.map, f"consoleMap.setView([{lat},{lon}], 15) && 1")
    ed.start_drawing("polygon")
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleZoneEdit.active()") == "draw", timeout=10000)

    def px(x: float, y: float) -> QPoint:
        la, lo = FRAME.to_latlon(x, y)
        q = js(qtbot, w.map, f"(function(){{var q=consoleMap.latLngToContainerPoint([{la},{lo}]);return [q.x,q.y]}})()")
        return QPoint(round(q[0]), round(q[1]))

    pts = [px(2000, 300), px(2600, 250), px(2700, 800), px(2100, 900)]
    for n, p in enumerate(pts, 1):
        mouse(w.map, QEvent.Type.MouseMove, p, buttons=Qt.MouseButton.NoButton)
        mouse(w.map, QEvent.Type.MouseButtonPress, p)
        mouse(w.map, QEvent.Type.MouseButtonRelease, p)
        qtbot.waitUntil(lambda n=n: len(js(qtbot, w.map, "ConsoleZoneEdit.handles()")) == n, timeout=10000)
    # the last corner double-clicked: Qt's second press is a double-click event
    mouse(w.map, QEvent.Type.MouseButtonDblClick, pts[-1])
    mouse(w.map, QEvent.Type.MouseButtonRelease, pts[-1])
    qtbot.waitUntil(lambda: ed.geometry is not None, timeout=10000)
    assert len(ed.geometry["coordinates"][0]) == 5  # four corners (the double-click's own clicks dropped), closed
    assert js(qtbot, w.map, "ConsoleZoneEdit.active()") == "edit"
    # drag the third corner 60 px right and 40 px down: only that corner moves, the map does not pan
    before = js(qtbot, w.map, "ConsoleZoneEdit.handles()")
    drawn = [list(c) for c in ed.geometry["coordinates"][0]]
    a = QPoint(round(before[2][0]), round(before[2][1]))
    mouse(w.map, QEvent.Type.MouseMove, a, buttons=Qt.MouseButton.NoButton)
    mouse(w.map, QEvent.Type.MouseButtonPress, a)
    for i in range(1, 11):
        mouse(w.map, QEvent.Type.MouseMove, a + QPoint(6 * i, 4 * i), buttons=Qt.MouseButton.LeftButton)
    mouse(w.map, QEvent.Type.MouseButtonRelease, a + QPoint(60, 40))
    qtbot.waitUntil(lambda: ed.geometry["coordinates"][0][2] != drawn[2], timeout=10000)  # "changed", reported
    after = js(qtbot, w.map, "ConsoleZoneEdit.handles()")
    assert after[0] == before[0] and after[1] == before[1] and after[3] == before[3]
    assert ed.geometry["coordinates"][0][:2] == drawn[:2] and ed.geometry["coordinates"][0][3] == drawn[3]
    assert abs(after[2][0] - before[2][0] - 60) <= 2 and abs(after[2][1] - before[2][1] - 40) <= 2
    # drag the midpoint of the first side out: a fifth corner; right-click it: gone again, and no map menu
    menus: list[tuple] = []
    w.map.context_menu.connect(lambda la, lo: menus.append((la, lo)))
    mid = QPoint(round((after[0][0] + after[1][0]) / 2), round((after[0][1] + after[1][1]) / 2))
    mouse(w.map, QEvent.Type.MouseMove, mid, buttons=Qt.MouseButton.NoButton)
    mouse(w.map, QEvent.Type.MouseButtonPress, mid)
    for i in range(1, 6):
        mouse(w.map, QEvent.Type.MouseMove, mid + QPoint(0, 8 * i), buttons=Qt.MouseButton.LeftButton)
    mouse(w.map, QEvent.Type.MouseButtonRelease, mid + QPoint(0, 40))
    qtbot.waitUntil(lambda: len(ed.geometry["coordinates"][0]) == 6, timeout=10000)
    new = js(qtbot, w.map, "ConsoleZoneEdit.handles()")[1]
    p = QPoint(round(new[0]), round(new[1]))
    target = w.map.focusProxy()
    for kind, held in ((QEvent.Type.MouseButtonPress, Qt.MouseButton.RightButton),
                       (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)):
        QApplication.sendEvent(target, QMouseEvent(kind, QPointF(p), target.mapToGlobal(QPointF(p)),
                                                   Qt.MouseButton.RightButton, held, Qt.KeyboardModifier.NoModifier))
    qtbot.waitUntil(lambda: len(ed.geometry["coordinates"][0]) == 5, timeout=10000)
    assert menus == []
    ed.name.setText("拖动过的工地")
    saved: list[dict] = []
    ed.saved.connect(saved.append)
    ed.save()
    qtbot.waitUntil(lambda: bool(saved), timeout=10000)
    assert saved[0]["kind"] == "construction_site"


def test_a_refused_shape_shows_the_cores_reason_and_stays(qtbot, seat):  # type: ignore[no-untyped-def]
    w, view, core = seat
    ed = view.editor
    n = len(ops.call(core, "zones", {}, actor="t"))
    ed.start_drawing("polygon")
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleZoneEdit.active()") == "draw", timeout=10000)
    corners(lambda a, b: js(qtbot, w.map, f"ConsoleZoneEdit.click({a},{b})"),
            [(0, 5000), (400, 5400), (400, 5000), (0, 5400)])  # a bow tie
    js(qtbot, w.map, "ConsoleZoneEdit.finish()")
    qtbot.waitUntil(lambda: ed.geometry is not None, timeout=10000)
    ed.name.setText("蝴蝶")
    ed.save()
    qtbot.waitUntil(lambda: "self-intersecting" in ed.message.text(), timeout=10000)
    assert ed.message.text().startswith("the zone (蝴蝶): self-intersecting Polygon")
    assert js(qtbot, w.map, "ConsoleZoneEdit.active()") == "edit"  # still there, to be corrected
    assert len(ops.call(core, "zones", {}, actor="t")) == n
    # a route with no width: the core says what is missing
    ed.start_drawing("line")
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleZoneEdit.active()") == "draw", timeout=10000)
    corners(lambda a, b: js(qtbot, w.map, f"ConsoleZoneEdit.click({a},{b})"), [(0, 6000), (2000, 6000)])
    js(qtbot, w.map, "ConsoleZoneEdit.finish()")
    qtbot.waitUntil(lambda: ed.geometry is not None and ed.geometry["type"] == "LineString", timeout=10000)
    assert ed.kind.currentData() == "route"
    ed.name.setText("新线路")
    ed.width.setValue(0)
    ed.save()
    qtbot.waitUntil(lambda: "a route needs width_m" in ed.message.text(), timeout=10000)


def test_delete_a_zone(qtbot, seat):  # type: ignore[no-untyped-def]
    w, view, core = seat
    ed = view.editor
    assert ed.select("pz-1")
    ed.remove("pz-1")
    qtbot.waitUntil(lambda: ed.list.count() == 6, timeout=10000)
    assert "pz-1" not in {z["id"] for z in ops.call(core, "zones", {}, actor="t")}


def test_truck_card_and_permit_edit(qtbot, seat):  # type: ignore[no-untyped-def]
    w, view, core = seat
    t = local_ts("2026-12-03 10:00")
    core.ingest(rows("truck-04", [(t + i, 1500.0 + 10 * i, 0.0, 10.0) for i in range(5)]))  # its company's permit expired
    card = view.card
    w.map.unit_clicked.emit("truck-04")  # what a click on its marker sends
    qtbot.waitUntil(lambda: card.card is not None and card.card["unit_id"] == "truck-04", timeout=10000)
    assert w.current_side_widget() is card
    text = card.body.text()
    assert "过期运输公司" in text and "Company permit expired 2026-06-30" in text
    qtbot.waitUntil(lambda: card.alerts.count() == 1, timeout=10000)
    assert "Permit expired" in card.alerts.item(0).text()
    assert card.alerts.item(0).text().endswith("桂B00004: Company permit expired 2026-06-30")  # said as the tab says it
    # the company's permit renewed in the dialog: the card says the papers are good
    card.open_company_dialog()
    dlg = card.dialog
    dlg.valid_to.set_value("2027-12-31")
    dlg.submit()
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: "valid now" in card.body.text(), timeout=10000)
    # the truck's own permit: a route and hours; dates the wrong way round are refused in the dialog
    card.open_permit_dialog()
    qtbot.waitUntil(lambda: card.dialog is not dlg and card.dialog is not None, timeout=10000)
    pd = card.dialog
    for i in range(pd.routes.count()):
        pd.routes.item(i).setCheckState(Qt.CheckState.Checked)
    pd.hours.setText("06:00-22:00")
    pd.valid_from.set_value("2026-12-31")
    pd.valid_to.set_value("2026-12-01")
    pd.submit()
    qtbot.waitUntil(lambda: "valid_to is before valid_from" in pd.message.text(), timeout=10000)
    assert pd.isVisible()
    pd.valid_to.set_value("2027-06-30")
    pd.submit()
    qtbot.waitUntil(lambda: not pd.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: "A到消纳场" in card.body.text(), timeout=10000)
    p = next(x for x in ops.call(core, "permits", {}, actor="t") if x["unit_id"] == "truck-04")
    assert (p["routes"], p["hours"], p["valid_to"]) == (["r-1"], "06:00-22:00", "2027-06-30")
    # its terminal read a driver's card (JT/T 808 0x0702): the card says who drives, until the card is out
    from dispatch.store import NewEvent

    said = {"unit": "truck-04", "terminal": "013900000004", "time": t, "card": "inserted", "read": "ok", "name": "韦建华",
            "certificate": "450200197001011234", "agency": "柳州市交通运输局", "valid_until": "2028-06-30"}
    core.record("system:jt808", [NewEvent("jt808.driver_identity", said, "unit:truck-04")])
    qtbot.waitUntil(lambda: "韦建华" in card.body.text(), timeout=10000)
    assert "certificate 450200197001011234" in card.body.text() and "Driver" in card.body.text()
    core.record("system:jt808", [NewEvent("jt808.driver_identity", {"unit": "truck-04", "terminal": "013900000004",
                                                                     "time": t + 60, "card": "removed"}, "unit:truck-04")])
    qtbot.waitUntil(lambda: "韦建华" not in card.body.text(), timeout=10000)
    # its terminal sent an electronic waybill (0x0701): the newest on the card, a long one cut short
    bill = "建筑垃圾处置联单 LZ-2026-0042 柳南区工地 -> 洛维消纳场 " + "核准" * 100
    core.record("system:jt808", [NewEvent("jt808.waybill", {"unit": "truck-04", "terminal": "013900000004",
                                                            "size": len(bill.encode("gbk")), "sha256": "0" * 64,
                                                            "at": t + 90, "text": bill, "truncated": False},
                                          "unit:truck-04")])
    qtbot.waitUntil(lambda: "LZ-2026-0042" in card.body.text(), timeout=10000)
    import html

    from console.alerts.truck_card import WAYBILL_SHOWN

    assert "Waybill" in card.body.text() and html.escape(bill[:WAYBILL_SHOWN - 1] + "…") in card.body.text()
    # a boat is no truck: no card
    w.show_side_tab("units")
    w.map.unit_clicked.emit("boat-01")
    assert w.current_side_widget() is not card


def test_every_new_label_ships_in_chinese():
    zh = json.loads((ROOT / "resources/i18n/zh_CN.json").read_text(encoding="utf-8"))
    for name in ("console/alerts/zone_editor.py", "console/alerts/truck_card.py", "console/alerts/__init__.py",
                 "console/alerts/truck_photo.py", "console/alerts/zone_terminals.py"):
        src = (ROOT / name).read_text(encoding="utf-8")
        for s in re.findall(r'(?:self|editor)\.tr\(\s*"([^"]+)"', src):
            assert s in zh, (name, s)


def test_a_zone_clicked_on_the_map_opens_for_editing_only_on_the_zones_tab(qtbot, seat):  # type: ignore[no-untyped-def]
    w, view, core = seat
    ed = view.editor
    lat, lon = FRAME.to_latlon(1200, 700)  # the middle of 实验小学 (rx-school)
    js(qtbot, w.map, f"consoleMap.setView([{lat},{lon}], 16) && 1")
    q = js(qtbot, w.map, f"(function(){{var q=consoleMap.latLngToContainerPoint([{lat},{lon}]);return [q.x,q.y]}})()")
    p = QPoint(round(q[0]), round(q[1]))

    def click(at: QPoint) -> None:
        mouse(w.map, QEvent.Type.MouseMove, at, buttons=Qt.MouseButton.NoButton)
        mouse(w.map, QEvent.Type.MouseButtonPress, at)
        mouse(w.map, QEvent.Type.MouseButtonRelease, at)

    w.show_side_tab("alerts")
    click(p + QPoint(0, 20))  # a dispatcher clicking around the map edits nothing (still inside the school)
    assert js(qtbot, w.map, "ConsoleZoneEdit.active()") is None
    w.show_side_tab("zones")
    assert ed.current is None
    assert js(qtbot, w.map, f"ConsoleZoneEdit.zoneAt({lat},{lon})") == "rx-school"
    click(p)
    qtbot.waitUntil(lambda: ed.current is not None and ed.current["id"] == "rx-school", timeout=10000)
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleZoneEdit.active()") == "edit", timeout=10000)
    assert ed.name.text() == "实验小学" and ed.hours.text() == "07:00-09:00" and ed.hours.isVisible()


def test_the_truck_cards_camera_shows_the_newest_photo_and_asks_for_one(qtbot, seat):  # type: ignore[no-untyped-def]
    """A photo its terminal uploaded (JT/T 808 0x0801, recorded by the gateway) shows on the card, full size on a
    click; the button has the truck's camera take one (the command recorded by the seat's operator)."""
    from dispatch.blobs import attachments_dir, store_blob
    from dispatch.store import NewEvent

    w, view, core = seat
    card = view.card
    cam = card.camera
    w.map.unit_clicked.emit("truck-04")
    qtbot.waitUntil(lambda: card.card is not None and card.card["unit_id"] == "truck-04", timeout=10000)
    assert not cam.isVisible()  # no terminal, no photo: the card keeps its room for the papers and alerts
    ops.call(core, "unit.bind_terminal", {"unit_id": "truck-04", "terminal": "013900000004"}, actor="engineer:t")
    qtbot.waitUntil(lambda: cam.isVisible(), timeout=10000)
    assert cam.take.isEnabled() and cam.thumb.text() == "No photo from this truck's cameras"
    jpeg = (ROOT / "resources/jt808/camera.jpg").read_bytes()
    sha, size = store_blob(attachments_dir(core), [jpeg])
    t = local_ts("2026-12-03 10:00")
    core.record("system:jt808", [NewEvent("jt808.media_received", {
        "unit": "truck-04", "terminal": "013900000004", "media_id": 9, "media_type": "image", "format": "jpeg",
        "mime": "image/jpeg", "event": "door_opened", "channel": 1, "time": t, "lat": 24.31, "lon": 109.41,
        "speed_kmh": 0.0, "course": 0, "alarms": [], "request": None, "name": "truck-04-ch1-9.jpg", "sha256": sha,
        "size": size}, "unit:truck-04")])
    qtbot.waitUntil(lambda: cam.pixmap is not None, timeout=10000)
    assert cam.thumb.pixmap().width() > 100 and "door opened" in cam.caption.text() and "Camera 1" in cam.caption.text()
    cam.open_full()
    assert cam.dialog is not None and cam.dialog.isVisible()
    cam.dialog.close()
    cam.take.click()
    qtbot.waitUntil(lambda: "offline" in cam.message.text(), timeout=10000)  # no gateway runs in this seat
    [cmd] = ops.call(core, "jt808.commands", {"unit_id": "truck-04"}, actor="t")
    assert (cmd["command"], cmd["channel"], cmd["photos"]) == ("photo", 1, 1) and cmd["by"] != "system:jt808"


def test_a_zone_sent_to_trucks_terminals(qtbot, seat):  # type: ignore[no-untyped-def]
    """Send to trucks…: one set_area command per truck chosen, by the seat's operator; a truck without a terminal is
    named with the core's reason."""
    from PySide6.QtCore import QTimer

    from console.alerts.zone_terminals import ZoneTerminalsDialog

    w, view, core = seat
    ed = view.editor
    ops.call(core, "unit.bind_terminal", {"unit_id": "truck-01", "terminal": "013912345678"}, actor="engineer:wu")
    assert ed.select("pz-1") and ed.send_button.isEnabled()
    seen: list[str] = []

    def answer() -> None:
        d = QApplication.activeModalWidget()
        if not isinstance(d, ZoneTerminalsDialog):
            QTimer.singleShot(20, answer)
            return
        seen.append(d.alarm.currentData())
        for i in range(d.trucks.count()):
            if d.trucks.item(i).data(Qt.ItemDataRole.UserRole) in ("truck-01", "truck-09"):
                d.trucks.item(i).setCheckState(Qt.CheckState.Checked)
        d.buttons.button(d.buttons.StandardButton.Ok).click()

    QTimer.singleShot(0, answer)
    qtbot.mouseClick(ed.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Not sent" in ed.message.text(), timeout=10000)
    assert seen == ["enter"]  # a protection zone alarms on entering it, by default
    assert "Sent to 1 trucks' terminals" in ed.message.text() and "truck-09" in ed.message.text()
    [sent] = [e for e in core.store.events(0) if e.kind == "jt808.command_sent"]
    assert (sent.payload["unit"], sent.payload["command"], sent.payload["zone"], sent.payload["alarm"]) == (
        "truck-01", "set_area", "pz-1", "enter")


def test_a_zone_kept_only_at_some_hours_is_not_sent_to_terminals(qtbot, seat):  # type: ignore[no-untyped-def]
    """A terminal keeps an area at every hour: a school's 07:00-09:00 restriction given to it would alarm all day. The
    tab says so before any truck is chosen, and the core refuses it as well; nothing is recorded."""
    w, view, core = seat
    ed = view.editor
    ops.call(core, "unit.bind_terminal", {"unit_id": "truck-01", "terminal": "013912345678"}, actor="engineer:wu")
    assert ed.select("rx-school") and ed.send_button.isEnabled()
    assert "实验小学  07:00-09:00  (v1)" in ed.list.currentItem().text()  # the list says which hours
    qtbot.mouseClick(ed.send_button, Qt.MouseButton.LeftButton)
    assert "07:00-09:00" in ed.message.text() and "not sent" in ed.message.text()
    assert QApplication.activeModalWidget() is None  # no dialog: nothing to choose
    with pytest.raises(Refused) as refused:
        ops.call(core, "jt808.set_area", {"unit_id": "truck-01", "zone_id": "rx-school"}, actor="engineer:wu")
    assert refused.value.code == "zone_has_hours"
    assert not [e for e in core.store.events(0) if e.kind == "jt808.command_sent"]
