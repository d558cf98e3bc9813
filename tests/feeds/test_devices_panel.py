"""The device bench shows live figures of a simulated pty receiver (pytest-qt, offscreen)."""

from __future__ import annotations

from devices.sim.fleet import SimTrack
from devices.sim.pty import GpsReceiver, PtySimulator, VirtualSerialPort
from dispatch.feeds.config import FeedSpec, load
from dispatch.feeds.manager import FeedManager


def test_bench_shows_live_figures_of_a_simulated_receiver(qtbot, core, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from console.device_bench.dialogs import AddFeedDialog
    from console.device_bench.panel import DevicesPanel

    tr = SimTrack("sim:boat", [(24.32, 109.42), (24.33, 109.43)], 4.0, talker="GN", jitter_m=0)
    port = VirtualSerialPort(9600, "boat")
    sim = PtySimulator([(port, GpsReceiver(tr))]).start()
    mgr = FeedManager(core, [FeedSpec("boat gps", "serial", port=port.name, baud="auto", unit="boat-01")]).start()
    panel = DevicesPanel(mgr, config_path=tmp_path / "feeds.toml", interval_ms=100)
    qtbot.addWidget(panel)
    try:
        col = {c: i for i, c in enumerate(DevicesPanel.COLUMNS)}

        def cell(name: str) -> str:
            item = panel.table.item(0, col[name])
            return item.text() if item else ""

        qtbot.waitUntil(lambda: cell("baud") == "9600" and cell("satellites") != "" and cell("hdop") != "",
                        timeout=15000)
        qtbot.waitUntil(lambda: float(cell("sentences_per_s") or 0) > 2, timeout=10000)
        assert cell("state") == "connected" and cell("port") == port.name and cell("fix_quality") == "1"
        assert float(cell("last_fix_age")) < 5
        qtbot.waitUntil(lambda: "GGA" in panel.monitor.toPlainText(), timeout=5000)
        panel.filter.setText("RMC")
        panel.monitor.clear()
        qtbot.waitUntil(lambda: "RMC" in panel.monitor.toPlainText(), timeout=5000)
        assert "GSV" not in panel.monitor.toPlainText()
        assert core.state.units["boat-01"].position is not None
        # every figure of the feed, also those beyond the side panel's width, in the line under the table
        qtbot.waitUntil(lambda: "HDOP" in panel.detail.text() and "9600" in panel.detail.text(), timeout=5000)
        assert panel.detail.isVisibleTo(panel) and "boat gps" in panel.detail.text()

        dlg = AddFeedDialog(panel, existing={"boat gps"})
        qtbot.addWidget(dlg)
        assert any(port.name in dlg.port.itemText(i) for i in range(dlg.port.count()))
        dlg.kind.setCurrentIndex(dlg.kind.findData("udp"))
        dlg.name.setText("ais udp")
        dlg.net_port.setValue(0)
        spec = dlg.build_spec()
        mgr.add(spec, start=False)
        panel._save()
        assert [s.name for s in load(tmp_path / "feeds.toml")] == ["boat gps", "ais udp"]
    finally:
        panel.shutdown()
        mgr.stop()
        sim.stop()


def test_a_feed_bound_to_an_unknown_unit_says_its_fixes_are_dropped(qtbot, core, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from console.device_bench.panel import DevicesPanel

    mgr = FeedManager(core, [FeedSpec("typo", "udp", host="127.0.0.1", tcp_port=0, unit="boat-99",
                                      bind={"GP": "boat-01", "GN": "truck-9"})]).start()
    panel = DevicesPanel(mgr, config_path=tmp_path / "feeds.toml", interval_ms=100)
    qtbot.addWidget(panel)
    try:
        assert mgr.stats()[0].unknown_units == ("boat-99", "truck-9")  # boat-01 is registered
        unit_col = DevicesPanel.COLUMNS.index("unit")
        qtbot.waitUntil(lambda: panel.table.item(0, unit_col) is not None, timeout=5000)
        assert "boat-99" in panel.table.item(0, unit_col).text() and "truck-9" in panel.table.item(0, unit_col).text()
        panel.table.selectRow(0)
        qtbot.waitUntil(lambda: "dropped" in panel.detail.text(), timeout=5000)
    finally:
        panel.shutdown()
        mgr.stop()


def test_the_bench_shows_the_demo_citys_simulated_receivers_that_feed_the_map(qtbot, core, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 7: the Devices tab said "0 feeds" while the status bar counted 116 fixes/s from the demo."""
    from console.device_bench.panel import DevicesPanel
    from dispatch.demo.fleet import demo_simulator
    from dispatch.feeds.pump import demo_pump

    units, sim = demo_simulator()
    core.register_units("system:demo", [u.registration() for u in units])
    pump = demo_pump(core, sim)
    pump.start()
    mgr = FeedManager(core, []).start()
    panel = DevicesPanel(mgr, config_path=tmp_path / "feeds.toml", interval_ms=100, pumps=[pump])
    qtbot.addWidget(panel)
    try:
        col = {c: i for i, c in enumerate(DevicesPanel.COLUMNS)}

        def cell(name: str) -> str:
            item = panel.table.item(0, col[name])
            return item.text() if item else ""

        qtbot.waitUntil(lambda: cell("name") == "demo" and float(cell("sentences_per_s") or 0) > 10, timeout=15000)
        assert cell("port") == f"demo city, {len(sim.tracks)} simulated receivers" and len(sim.tracks) == len(units)
        assert cell("state") == "simulated, running" and float(cell("last_fix_age")) < 5
        assert panel.status.text().startswith("1 feeds, 1 connected")
        qtbot.waitUntil(lambda: panel.selected_feed() == "demo", timeout=5000)  # the bench opens on it
        assert not panel.edit_button.isEnabled() and not panel.remove_button.isEnabled()
        assert panel.edit_dialog() is None  # not a configured feed: nothing to edit
        qtbot.waitUntil(lambda: "simulated receivers" in panel.unbound_title.text(), timeout=5000)
        # the raw monitor shows the simulated sentences, as a receiver's (it stayed empty for the demo city)
        qtbot.waitUntil(lambda: "[demo] $" in panel.monitor.toPlainText(), timeout=10000)
        qtbot.waitUntil(lambda: "[demo] !AIVDM" in panel.monitor.toPlainText(), timeout=10000)
        panel.filter.setText("GGA")
        n = panel.monitor.blockCount()
        qtbot.waitUntil(lambda: panel.monitor.blockCount() > n + 5, timeout=10000)
        new = panel.monitor.toPlainText().splitlines()[n:]
        assert new and all("GGA" in line for line in new)
    finally:
        panel.shutdown()
        mgr.stop()
        pump.stop()
