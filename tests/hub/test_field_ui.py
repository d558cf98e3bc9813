"""The field window and the console's field panel on a real hub over real sockets (Qt offscreen)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from console import operations
from console.field.link import FieldLink
from console.field.window import FieldWindow
from console.field_link.panel import HubPanel
from dispatch import ops
from dispatch.hub.keys import load_key_file

pytestmark = pytest.mark.usefixtures("qapp")


def incident_state(core: Any, iid: str) -> str:
    return str(ops.call(core, "incident.show", {"incident_id": iid}, actor="t")["state"])


def assign_new(core: Any, unit: str, note: str | None = None) -> str:
    r = ops.call(core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.32,
                                           "lon": 109.41}, actor="dispatcher:wang")
    args = {"incident_id": r["id"], "unit_id": unit}
    if note:
        args["note"] = note
    ops.call(core, "incident.assign", args, actor="dispatcher:wang")
    return str(r["id"])


@pytest.fixture
def windows(link, qtbot):  # type: ignore[no-untyped-def]
    made: list[FieldWindow] = []

    def open_window(unit: str, *, show_map: bool = False) -> FieldWindow:
        fl = FieldLink(unit, link.hub.field_endpoint, load_key_file(link.keys, unit),
                       state_path=link.keys / f"{unit}.state.json", durable=False)
        w = FieldWindow(fl, lang="en", show_map=show_map)
        qtbot.addWidget(w)
        w.show()
        fl.start()
        made.append(w)
        qtbot.waitUntil(fl.online, timeout=10000)
        return w

    yield open_window
    for w in made:
        w.close()


@pytest.fixture
def panel(link, qtbot):  # type: ignore[no-untyped-def]
    operations.set_core(link.core)
    p = HubPanel(link.core, hub=link.hub, refresh_ms=300)
    qtbot.addWidget(p)
    p.show()
    yield p
    p.cleanup()


def test_assignment_shows_and_accept_moves_the_incident(link, windows, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = windows("boat-01", show_map=True)
    iid = assign_new(link.core, "boat-01", note="Take the net")
    qtbot.waitUntil(lambda: w.current == f"incident:{iid}", timeout=10000)
    assert w.accept_button.isEnabled() and not w.en_route_button.isEnabled()
    assert "#" + iid in w.ref_label.text() and "Take the net" in w.instructions.text()
    assert w.priority.text() == "P2"
    qtbot.mouseClick(w.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: incident_state(link.core, iid) == "accepted", timeout=10000)
    assert w.en_route_button.isEnabled() and not w.accept_button.isEnabled()
    qtbot.waitUntil(lambda: w.link.waiting() == 0, timeout=10000)  # the hub acknowledged the answer


def test_the_window_names_the_unit_as_the_control_room_does(link, windows, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The header said "boat-01"; the crew and the dispatcher both call it by its registered name."""
    w = windows("boat-01")
    qtbot.waitUntil(lambda: w.unit_label.text() == "Boat 1", timeout=10000)  # from the hub's welcome
    assert w.unit_label.toolTip() == "boat-01" and "Boat 1 (boat-01)" in w.windowTitle()


def test_decline_with_a_reason_returns_the_incident(link, windows, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = windows("boat-01")
    iid = assign_new(link.core, "boat-01")
    qtbot.waitUntil(lambda: w.current == f"incident:{iid}", timeout=10000)
    qtbot.mouseClick(w.decline_button, Qt.MouseButton.LeftButton)
    dlg = w.decline_dialog
    assert dlg is not None and dlg.isVisible()
    ok = dlg.box.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # a decline needs a reason
    qtbot.mouseClick(dlg.buttons[2], Qt.MouseButton.LeftButton)  # "Equipment fault"
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: incident_state(link.core, iid) == "verified", timeout=10000)
    from dispatch.hub.state import field_state

    view = field_state(link.core.state).assignments["boat-01"][f"incident:{iid}"]
    qtbot.waitUntil(lambda: view.declined is not None, timeout=5000)  # the reply is recorded after the unassign
    assert view.reason == "Equipment fault"
    assert w.current is None and w.idle.isVisible()


def test_a_job_taken_is_handed_back_not_declined(link, windows, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Accepted, then the engine fails on the way: the button said "Decline…" still; it says "Hand back…", and
    the incident goes back to the dispatcher with the reason, as a decline does."""
    w = windows("boat-01")
    iid = assign_new(link.core, "boat-01")
    qtbot.waitUntil(lambda: w.current == f"incident:{iid}", timeout=10000)
    assert w.decline_button.text() == "Decline…"
    qtbot.mouseClick(w.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: incident_state(link.core, iid) == "accepted", timeout=10000)
    assert w.decline_button.text() == "Hand back…" and w.decline_button.isEnabled()
    qtbot.mouseClick(w.decline_button, Qt.MouseButton.LeftButton)
    dlg = w.decline_dialog
    assert dlg is not None and dlg.windowTitle() == "Hand back assignment"
    qtbot.mouseClick(dlg.buttons[2], Qt.MouseButton.LeftButton)  # "Equipment fault"
    qtbot.mouseClick(dlg.box.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: incident_state(link.core, iid) == "verified", timeout=10000)
    assert w.current is None and "Handed back" in w.banner.text()


def test_status_buttons_walk_the_incident(link, windows, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = windows("boat-01")
    iid = assign_new(link.core, "boat-01")
    qtbot.waitUntil(lambda: w.current == f"incident:{iid}", timeout=10000)
    qtbot.mouseClick(w.accept_button, Qt.MouseButton.LeftButton)
    for button, state in ((w.en_route_button, "en_route"), (w.on_scene_button, "on_scene")):
        qtbot.waitUntil(button.isEnabled, timeout=5000)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda s=state: incident_state(link.core, iid) == s, timeout=10000)
    assert w.resolved_button.isEnabled()
    qtbot.mouseClick(w.resolved_button, Qt.MouseButton.LeftButton)
    dlg = w.resolve_dialog
    assert dlg is not None
    dlg.choose(0)
    dlg.other.setText("bags on the pier")
    qtbot.mouseClick(dlg.box.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: incident_state(link.core, iid) == "resolved", timeout=10000)
    history = ops.call(link.core, "incident.show", {"incident_id": iid}, actor="t")
    assert "bags on the pier" in str(history)
    assert w.current is None


def test_messages_both_ways_between_panel_and_window(link, windows, panel, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = windows("boat-01")
    qtbot.waitUntil(lambda: panel.unit_row("boat-01") is not None, timeout=10000)
    panel.select_unit("boat-01")
    qtbot.waitUntil(lambda: panel.selected == "boat-01" and panel.message.isEnabled(), timeout=5000)
    panel.message.setText("Check the east pier")
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any("Check the east pier" in w.messages.item(i).text()
                                for i in range(w.messages.count())), timeout=10000)
    w.reply.setText("On our way, 5 min")
    qtbot.mouseClick(w.send_button, Qt.MouseButton.LeftButton)

    def panel_has_reply() -> bool:
        texts = [panel.conversation.item(i).text() for i in range(panel.conversation.count())]
        return any("On our way, 5 min" in t for t in texts) and any("Check the east pier" in t for t in texts)

    qtbot.waitUntil(panel_has_reply, timeout=10000)


def test_the_crews_conversation_is_there_after_a_restart(link, windows, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 15: 'Messages (0)' after a restart though the crew had sent and received messages."""
    w = windows("boat-01")
    ops.call(link.core, "field.send", {"unit_id": "boat-01", "text": "Check the east pier"}, actor="dispatcher:wang")
    qtbot.waitUntil(lambda: w.messages.count() == 1, timeout=10000)
    w.reply.setText("On our way, 5 min")
    qtbot.mouseClick(w.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.link.waiting() == 0 and any(
        m["dir"] == "in" for m in ops.call(link.core, "field.messages", {"unit_id": "boat-01"}, actor="t")),
        timeout=10000)
    w.close()  # the crew restarts the client
    again = windows("boat-01")
    texts = [again.messages.item(i).text() for i in range(again.messages.count())]
    assert len(texts) == 2 and "Check the east pier" in texts[0] and "On our way, 5 min" in texts[1]
    assert "Control room" in texts[0] and "Me" in texts[1]
    assert again.tabs.tabText(0) == "Messages (2)"
    ops.call(link.core, "field.send", {"unit_id": "boat-01", "text": "Thanks"}, actor="dispatcher:wang")
    qtbot.waitUntil(lambda: again.messages.count() == 3, timeout=10000)  # nothing shown twice


def test_broadcast_reaches_two_windows(link, windows, panel, qtbot) -> None:  # type: ignore[no-untyped-def]
    a, b = windows("boat-01"), windows("boat-02")
    panel.broadcast_kind.setCurrentIndex(panel.broadcast_kind.findData("patrol_boat"))
    panel.broadcast_text.setText("Flood warning: all boats to the docks")
    qtbot.mouseClick(panel.broadcast_button, Qt.MouseButton.LeftButton)
    for w in (a, b):
        qtbot.waitUntil(lambda w=w: any("Flood warning" in w.messages.item(i).text()
                                        for i in range(w.messages.count())), timeout=10000)
    assert "Broadcast" in a.messages.item(a.messages.count() - 1).text()


def test_panel_shows_a_unit_going_offline_when_its_client_stops(link, windows, panel, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = windows("boat-01")

    def link_cell() -> str:
        for i in range(panel.table.rowCount()):
            if panel.table.item(i, 0) and panel.table.item(i, 0).data(Qt.ItemDataRole.UserRole) == "boat-01":
                return panel.table.item(i, 1).text()
        return ""

    qtbot.waitUntil(lambda: "Online" in link_cell(), timeout=10000)
    t0 = time.monotonic()
    w.close()  # stops the engine: no more heartbeats
    qtbot.waitUntil(lambda: "Offline" in link_cell(), timeout=7000)
    assert time.monotonic() - t0 <= 5.0  # the issue: shown offline on the console within 5 s
    assert link.core.state.units["boat-01"].online is False


def test_gps_receiver_positions_reach_the_hub_and_the_map(link, windows, qtbot) -> None:  # type: ignore[no-untyped-def]
    """--gps: NMEA from a serial receiver (a pty pair here) -> the window's link -> the hub -> the core."""
    import os
    import pty
    import threading
    import tty

    from console.field.positions import serial_positions
    from devices.nmea import encode

    w = windows("boat-01")
    master, slave = pty.openpty()
    tty.setraw(slave)
    stop = threading.Event()
    serial_positions(os.ttyname(slave), w.link.report_position, stop, 4800)
    line = (encode.rmc("GN", time.time(), 24.3264, 109.4152, 5.0, 90.0) + "\r\n").encode()

    def arrived() -> bool:
        os.write(master, line)  # the port may open after a first write (opening flushes its input)
        u = link.core.state.units["boat-01"]
        return u.position is not None and abs(u.position.lat - 24.3264) < 1e-4

    try:
        qtbot.waitUntil(arrived, timeout=10000)
        assert w.own is not None and abs(w.own[1] - 109.4152) < 1e-4
        assert abs(link.core.state.units["boat-01"].position.lon - 109.4152) < 1e-4
    finally:
        stop.set()
        os.close(master)
        os.close(slave)


def test_a_window_without_gps_shows_its_boat_where_the_control_room_sees_it(link, windows, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 16: the field map showed the incident but not the boat itself."""
    from tests.conftest import page_js

    w = windows("boat-01", show_map=True)
    iid = assign_new(link.core, "boat-01")
    qtbot.waitUntil(lambda: w.current == f"incident:{iid}", timeout=10000)
    link.core.ingest([("boat-01", time.time(), 24.3301, 109.4011, 2.0, 90.0, "ais")])  # the boat's own AIS
    qtbot.waitUntil(lambda: w.own == (24.3301, 109.4011), timeout=10000)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)

    def drawn() -> set[str]:
        return {r[0] for r in page_js(qtbot, w.map, "ConsoleUnits.snapshot()") or []}

    qtbot.waitUntil(lambda: "boat-01" in drawn(), timeout=10000)
    assert drawn() == {"boat-01"}  # the boat alone among the units: its job is not drawn as a vessel
    # the incident beside it, as the console draws one: its priority's pin, its title beside it all the time
    pins = page_js(qtbot, w.map, "ConsoleIncidents.snapshot()")
    assert [(p[1], p[2]) for p in pins] == [("P2", "dispatched")]
    label = page_js(qtbot, w.map, "Array.from(document.querySelectorAll('.leaflet-tooltip')).map(e => e.textContent)")
    assert f"Incident #{iid} · Floating garbage" in label


def test_simulated_positions_reach_the_hub(link, windows, qtbot) -> None:  # type: ignore[no-untyped-def]
    import threading

    from console.field.positions import simulated_positions

    w = windows("boat-02")
    stop = threading.Event()
    simulated_positions("boat-02", w.link.report_position, stop, interval=0.1)
    try:
        qtbot.waitUntil(lambda: link.core.state.units["boat-02"].position is not None, timeout=10000)
        p = link.core.state.units["boat-02"].position
        assert 24.0 < p.lat < 24.6 and 109.2 < p.lon < 109.7  # the demo city's river
    finally:
        stop.set()


def test_unit_board_shows_field_link_presence(qapp) -> None:  # type: ignore[no-untyped-def]
    from console.unit_board import UnitTableModel

    m = UnitTableModel(60.0)
    now = time.time()
    base = {"name": "Boat", "kind": "patrol_boat", "status": "available", "time": now, "speed": 0.0}
    m.set_units([{**base, "id": "a", "online": True}, {**base, "id": "b", "online": False},
                 {**base, "id": "c", "online": None}], now)
    status = [m.data(m.index(r, 2)) for r in range(3)]
    assert "link offline" in status[1] and "link offline" not in status[0] and "link offline" not in status[2]
    icons = [m.data(m.index(r, 0), Qt.ItemDataRole.DecorationRole) for r in range(3)]
    assert icons[0] is not None and icons[1] is not None and icons[2] is None
    assert icons[0].pixmap(12, 12).toImage().pixelColor(6, 6) != icons[1].pixmap(12, 12).toImage().pixelColor(6, 6)


def test_a_cleaning_task_shows_its_name_and_where(link, windows, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import page_js

    w = windows("boat-02", show_map=True)
    t = ops.call(link.core, "task.create", {"segment": "segment-3", "units": "boat-02", "name": "Sweep below bridge 3"},
                 actor="dispatcher:wang")
    qtbot.waitUntil(lambda: w.current == f"task:{t['id']}", timeout=10000)
    assert w.category.text() == "Sweep below bridge 3"
    assert "not given" not in w.place.text() and "24." in w.place.text()
    # on the map: the area to sweep, as the console shades a task, and the pin of the point inside it
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)
    qtbot.waitUntil(lambda: page_js(qtbot, w.map, "ConsoleTasks.snapshot()") == [[str(t["id"]), "active", None]],
                    timeout=10000)
    assert len(page_js(qtbot, w.map, "ConsoleIncidents.snapshot()")) == 1


def test_panel_summary_is_the_units_newest_assignment_when_two_were_sent_together() -> None:
    # "sent" is when the hub recorded the queueing, and several are recorded in one batch with one time:
    # the order the unit was sent them (seq) decides
    row = {"assignments": [{"ref": "incident:1", "sent": 100.0, "seq": 1, "declined": 101.0},
                           {"ref": "incident:2", "sent": 100.0, "seq": 2, "accepted": 101.0}]}
    assert HubPanel._latest(row)["ref"] == "incident:2"


def test_a_message_from_a_boat_is_signalled_and_counted_unread_until_read(link, windows, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 5: a text from a boat gave the dispatcher no signal (no badge, no status-bar line, no
    sound); it was only visible under Field link → the unit → Conversation."""
    from console.main_window import MainWindow
    from dispatch.city.data import load_city

    operations.set_core(link.core)
    main = MainWindow(link.core, load_city().geojson(), lang="en", store_label="test", push_interval_ms=100)
    qtbot.addWidget(main)
    panel = HubPanel(link.core, hub=link.hub, refresh_ms=300)
    main.add_side_tab(panel, "Field link", "field")
    main.watch_field_link(panel)
    main.show()  # on the Units tab: the field link is not in front
    try:
        w = windows("boat-01")
        w.reply.setText("Engine trouble, drifting near bridge 3")
        qtbot.mouseClick(w.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: any("Engine trouble" in n for n in main.notified), timeout=10000)
        assert "Boat 1" in main.notified[-1] and "Engine trouble" in main.statusBar().currentMessage()
        qtbot.waitUntil(lambda: main.side_title("field") == "Field link (1)", timeout=10000)
        assert ops.call(link.core, "field.unread", {}, actor="t") == {"boat-01": 1}
        qtbot.waitUntil(lambda: panel.unit_row("boat-01") is not None, timeout=10000)
        panel.select_unit("boat-01")  # selected while the tab is behind: nothing is read yet
        qtbot.waitUntil(lambda: panel.data.get("unit_id") == "boat-01", timeout=10000)
        assert ops.call(link.core, "field.unread", {}, actor="t") == {"boat-01": 1}
        row = next(i for i in range(panel.table.rowCount())
                   if panel.table.item(i, 0).data(Qt.ItemDataRole.UserRole) == "boat-01")
        assert "✉ 1" in panel.table.item(row, 0).text()
        main.show_side_tab("field")  # the dispatcher looks at it
        qtbot.waitUntil(lambda: main.side_title("field") == "Field link", timeout=10000)
        assert ops.call(link.core, "field.unread", {}, actor="t") == {}
        read = list(link.core.store.events(kinds=["field.messages_read"]))
        assert len(read) == 1 and read[0].actor == operations.seat_actor()
    finally:
        panel.cleanup()
        main.close()


def test_the_field_maps_pin_is_ringed_once_the_deadline_has_passed() -> None:
    from console.field.mini_map import target_item

    a = {"ref": "incident:7", "incident_id": "7", "priority": "P1", "lat": 24.33, "lon": 109.40, "state": "dispatched",
         "deadline": {"stage": "arrive", "due": time.time() + 600, "remaining_s": 600}}
    assert target_item(a, "Incident #7")["overdue"] is False  # type: ignore[index]
    a["deadline"]["due"] = time.time() - 1  # type: ignore[index]  (the clock went past it since the message)
    assert target_item(a, "Incident #7")["overdue"] is True  # type: ignore[index]
    assert target_item({**a, "deadline": None}, "Incident #7")["overdue"] is False  # type: ignore[index]
    assert target_item({**a, "lat": None}, "Incident #7") is None  # no place, no pin
