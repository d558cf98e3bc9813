"""The gateway on the device bench (pytest-qt, offscreen): a feed row, its terminals and raw frames,
a refused terminal among the unbound sources and bound in one step, a text to a truck's display."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from devices.jt808 import encode
from dispatch.feeds.manager import FeedManager
from tests.devices.jt808_frames import FIXED_7E, LOCATION_FIXED, PHONE_2013, unescaped
from tests.jt808.terminal import RawTerminal
from tests.jt808.test_gateway import REGISTER_2013, login

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 11, 26, 12, 0, 5, tzinfo=UTC).timestamp()


def test_gateway_on_the_bench(qtbot, core, gateway, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from console.device_bench.panel import DevicesPanel

    mgr = FeedManager(core, []).start()
    panel = DevicesPanel(mgr, config_path=tmp_path / "feeds.toml", interval_ms=100, gateway=gateway)
    qtbot.addWidget(panel)
    stranger, truck = RawTerminal(gateway.address), RawTerminal(gateway.address)
    try:
        col = {c: i for i, c in enumerate(DevicesPanel.COLUMNS)}

        def cell(name: str) -> str:
            item = panel.table.item(0, col[name])
            return item.text() if item else ""

        qtbot.waitUntil(lambda: cell("name") == "jt808", timeout=5000)
        assert cell("state") == "listening" and gateway.endpoint in cell("port")
        assert "2 bindings" in cell("unit")  # truck-41 and truck-42 have terminals
        panel.table.selectRow(0)
        assert panel.gateway_view.isVisibleTo(panel) and not panel.edit_button.isEnabled()
        # a terminal no unit has: refused, and listed among the unbound sources
        stranger.send_frame("0100 002D", "01 39 00 00 00 99", "0001", REGISTER_2013)
        assert stranger.expect(0x8100)[0].result == 4
        qtbot.waitUntil(lambda: panel.unbound_table.rowCount() == 1, timeout=5000)
        assert [panel.unbound_table.item(0, c).text() for c in range(3)] == ["Terminal", "013900000099",
                                                                             "桂B12345 · LZCG · ZT-1"]
        panel.unbound_table.selectRow(0)
        assert panel.selected_unbound().kind == "terminal"
        done: list[object] = []
        panel.bind_terminal("013900000099", "truck-43", done=done.append)  # what the dialog's OK does
        qtbot.waitUntil(lambda: bool(done), timeout=5000)
        assert core.state.units["truck-43"].attributes["terminal"] == "013900000099"
        assert "truck-43" in panel.notice.text()
        qtbot.waitUntil(lambda: gateway.unit_for("013900000099") == "truck-43", timeout=5000)
        stranger.send_frame("0100 002D", "01 39 00 00 00 99", "0002", REGISTER_2013)
        assert stranger.expect(0x8100, 2)[-1].result == 0
        qtbot.waitUntil(lambda: panel.unbound_table.rowCount() == 0, timeout=5000)
        # a bound terminal: its row with edition, rates and last message; its raw frames in hex
        login(truck)
        truck.send_frame("0200 001C", PHONE_2013, "0003", LOCATION_FIXED)
        view = panel.gateway_view
        tcol = {c: i for i, c in enumerate(view.COLUMNS)}

        def row_of(phone: str) -> int:
            return next((r for r in range(view.table.rowCount())
                         if view.table.item(r, 0) and view.table.item(r, 0).text() == phone), -1)

        qtbot.waitUntil(lambda: row_of("013912345678") >= 0 and view.table.item(
            row_of("013912345678"), tcol["last_message"]).text() == "0x0200", timeout=5000)
        r = row_of("013912345678")
        assert [view.table.item(r, tcol[c]).text() for c in ("unit", "edition", "authenticated", "messages")] == [
            "truck-41", "2013", "yes", "3"]
        view.table.selectRow(r)
        qtbot.waitUntil(lambda: "0x0200 #3" in view.monitor.toPlainText(), timeout=5000)
        text = view.monitor.toPlainText()
        assert "← 0x0100 #1" in text and "→ 0x8100 #1" in text and "7e 02 00 00 1c 01 39 12 34 56 78" in text
        # a report its terminal cut with a bare 0x7E: the two pieces shown as what they made, not as bad frames
        truck.send(unescaped("0200 001C", PHONE_2013, "0004", FIXED_7E))
        qtbot.waitUntil(lambda: "0x0200 #4 · piece 2/2" in view.monitor.toPlainText(), timeout=5000)
        assert "0x0200 #4 · piece 1/2" in view.monitor.toPlainText() and "<" not in view.monitor.toPlainText()
        # a dispatcher's text to the truck's display
        sent: list[object] = []
        panel.send_text("truck-41", "请到3号工地", done=sent.append)
        assert truck.expect(0x8300)[0].text == "请到3号工地"
        qtbot.waitUntil(lambda: bool(sent), timeout=5000)
        assert panel.notice.text() == "Text sent to truck-41."
        # the selected terminal's position asked for, its answer moves the truck and shows as the outcome
        assert view.query_button.isEnabled() and view.track_button.isEnabled()
        view.query_button.click()
        query = truck.expect(0x8201)[0]
        qtbot.waitUntil(lambda: panel.notice.text() == "Position query sent to truck-41.", timeout=5000)
        later = LOCATION_FIXED[:-17] + "24 11 26 20 01 05"
        truck.send_frame("0201 001E", PHONE_2013, "0004", f"{query.header.serial:04X}", later)
        qtbot.waitUntil(lambda: view.table.item(row_of("013912345678"), tcol["last_command"]).text()
                        == "Position query: acked", timeout=5000)
        qtbot.waitUntil(lambda: core.state.units["truck-41"].position.ts == T0 + 60, timeout=5000)
        # track it for 5 minutes (what the dialog's OK does); the terminal does not answer: shown as sent
        tracked: list[object] = []
        panel.send_command("jt808.track", "truck-41", {"minutes": 5}, done=tracked.append)
        msg = truck.expect(0x8202)[0]
        assert (msg.interval_s, msg.duration_s) == (10, 300)
        qtbot.waitUntil(lambda: view.table.item(row_of("013912345678"), tcol["last_command"]).text()
                        == "Tracking: sent", timeout=5000)
        # an engineer tries the truck's camera 2 (what the dialog's OK does): its answer shows as the outcome
        assert view.photo_button.isEnabled()
        panel.send_command("jt808.take_photo", "truck-41", {"channel": 2, "photos": 1})
        shoot = truck.expect(0x8801)[0]
        assert (shoot.channel, shoot.command) == (2, 1)
        truck.send_frame("0805 0005", PHONE_2013, "0005", f"{shoot.header.serial:04X}", "02", "0000")
        qtbot.waitUntil(lambda: view.table.item(row_of("013912345678"), tcol["last_command"]).text()
                        == "Photo: not supported", timeout=5000)
        # and reads the terminal's parameters: what it answered shows on the row's last command
        assert view.params_button.isEnabled()
        panel.send_command("jt808.read_params", "truck-41", {})
        ask = truck.expect(0x8104)[0]
        truck.send(encode.frame(encode.PARAMETERS_REPLY, "013912345678", 6, encode.parameters_reply_body(
            ask.header.serial, {"heartbeat_interval_s": 30, "apn": "cmnet"})))
        qtbot.waitUntil(lambda: view.table.item(row_of("013912345678"), tcol["last_command"]).text()
                        == "Parameters read: acked", timeout=5000)
        qtbot.waitUntil(lambda: view.table.item(row_of("013912345678"), tcol["last_command"]).toolTip()
                        == "heartbeat_interval_s = 30\napn = cmnet", timeout=5000)
        # and asks what the terminal is: its maker, model, SIM and firmware show on its number
        assert view.attributes_button.isEnabled()
        panel.send_command("jt808.read_attributes", "truck-41", {})
        truck.expect(0x8107)
        truck.send(encode.frame(encode.TERMINAL_ATTRIBUTES, "013912345678", 7, encode.attributes_body(
            manufacturer="XC", model="C5L", terminal_id="9887125", iccid="89883030000131882455", firmware="V2.6")))
        qtbot.waitUntil(lambda: view.table.item(row_of("013912345678"), tcol["last_command"]).text()
                        == "Attributes read: acked", timeout=5000)
        qtbot.waitUntil(lambda: view.table.item(row_of("013912345678"), 0).toolTip().splitlines()[:3] == [
            "XC C5L, terminal 9887125", "Firmware V2.6, hardware HW1.0", "SIM ICCID 89883030000131882455"],
            timeout=5000)
    finally:
        stranger.close()
        truck.close()
        panel.shutdown()
        mgr.stop()


def test_every_string_of_the_gateway_bench_has_a_chinese_translation() -> None:
    from tests.feeds.test_feed_bindings_ui import _strings

    zh = json.loads((ROOT / "resources/i18n/zh_CN.json").read_text(encoding="utf-8"))
    wanted = set().union(*(_strings(p) for p in (ROOT / "console/device_bench").glob("*.py")))
    wanted |= _strings(ROOT / "console/cli/gui.py")
    wanted |= {"Terminal"}
    missing = sorted(s for s in wanted if not zh.get(s))
    assert not missing, missing
    assert all(s.count("%") == zh[s].count("%") for s in wanted)
