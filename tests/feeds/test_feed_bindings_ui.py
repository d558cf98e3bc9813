"""The device bench edits a live feed's bindings (pytest-qt, offscreen, a real UDP feed on 127.0.0.1)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from PySide6.QtCore import Qt

from dispatch.feeds.config import FeedSpec, load
from dispatch.feeds.manager import FeedManager
from tests.feeds.talkers import MMSI, UdpTalkers, at

ROOT = Path(__file__).resolve().parents[2]


def test_bench_edits_bindings_of_a_live_feed_and_binds_heard_sources(qtbot, core, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from console.device_bench.dialogs import BindSourceDialog
    from console.device_bench.panel import DevicesPanel

    path = tmp_path / "feeds.toml"
    mgr = FeedManager(core, [FeedSpec("river", "udp", host="127.0.0.1", tcp_port=0),
                             FeedSpec("spare", "tcp-server", host="127.0.0.1", tcp_port=0)]).start()
    transport = mgr.feeds["river"].transport
    qtbot.waitUntil(lambda: transport.stats.connected, timeout=5000)
    talkers = UdpTalkers(transport.port).start()  # type: ignore[attr-defined]
    panel = DevicesPanel(mgr, config_path=path, interval_ms=100)
    qtbot.addWidget(panel)
    try:
        qtbot.waitUntil(lambda: panel.table.rowCount() == 2 and len(panel.units) == 3, timeout=5000)
        assert panel.selected_feed() == "river"  # the bench opens on its first feed
        panel.select_feed("spare")
        panel.select_feed("river")
        assert panel.edit_button.isEnabled()

        def heard() -> set[tuple[str, str]]:
            return {(panel.unbound_table.item(r, 0).text(), panel.unbound_table.item(r, 1).text())
                    for r in range(panel.unbound_table.rowCount())}

        qtbot.waitUntil(lambda: {("Talker", "GP"), ("Talker", "GN"), ("MMSI", str(MMSI)),
                                 ("Peer address", talkers.peer)} <= heard(), timeout=10000)
        assert "not bound" in panel.unbound_title.text()

        # ---- the edit dialog: the add form filled in, and the bindings table
        dlg = panel.edit_dialog()
        assert dlg is not None
        qtbot.addWidget(dlg)
        assert dlg.name.text() == "river" and dlg.kind.currentData() == "udp" and dlg.bindings.rowCount() == 0
        assert dlg.host.text() == "127.0.0.1" and dlg.net_port.value() == 0  # as declared: any free port

        def refused(says: str) -> None:
            dlg.accept()
            assert dlg.result() != dlg.DialogCode.Accepted and dlg.spec is None
            assert dlg.error.isVisibleTo(dlg) and says in dlg.error.text(), dlg.error.text()

        dlg.add_binding("talker", "GPS", "boat-01")
        refused("Row 1: A talker is two letters (GP, GN, BD…), not 'GPS'")
        assert dlg.bindings.currentRow() == 0
        dlg.bindings.item(0, 1).setText("gp")
        dlg.add_binding("mmsi", "41200011", "boat-02")
        refused("Row 2: An MMSI is 9 digits, not '41200011'")
        dlg.bindings.item(1, 1).setText(str(MMSI))
        r = dlg.add_binding("talker", "GN", "")
        picker = dlg.bindings.cellWidget(r, 2)
        qtbot.keyClicks(picker.lineEdit(), "truck-99")
        refused("Row 3: Unknown unit 'truck-99'")
        picker.lineEdit().clear()
        qtbot.keyClicks(picker.lineEdit(), "truck-01")
        dlg.add_binding("talker", "gp", "truck-01")
        refused("Row 4: GP is bound twice (rows 1 and 4)")
        dlg.bindings.selectRow(3)
        dlg.remove_binding()
        assert dlg.bindings.rowCount() == 3
        dlg.name.setText("spare")
        refused("A feed named 'spare' exists already")
        dlg.name.setText("river AIS")
        dlg.accept()
        assert dlg.result() == dlg.DialogCode.Accepted and dlg.spec is not None
        assert dlg.spec.bind == {"GP": "boat-01", f"mmsi:{MMSI}": "boat-02", "GN": "truck-01"}
        assert mgr.feeds["river"].spec.bind == {}  # nothing applied by the dialog itself

        # boat-02's own MMSI (the unit board's binding) is another vessel's: a feed may bind this one to it
        panel.apply_edit(dlg.old_name, dlg.spec)
        qtbot.waitUntil(lambda: "connection was kept" in panel.notice.text(), timeout=5000)
        qtbot.waitUntil(lambda: at(core.state.units["boat-01"].position, "GP")
                        and at(core.state.units["truck-01"].position, "GN")
                        and at(core.state.units["boat-02"].position, "mmsi"), timeout=10000)
        assert mgr.feeds["river AIS"].transport is transport
        assert transport.stats.disconnects == 0 and transport.stats.connects == 1
        qtbot.waitUntil(lambda: panel.selected_feed() == "river AIS", timeout=5000)
        qtbot.waitUntil(lambda: panel.unbound_table.rowCount() == 0, timeout=5000)
        assert "Every source on river AIS is bound" in panel.unbound_title.text()
        qtbot.waitUntil(lambda: panel.table.item(0, 11).text() == "3 bindings", timeout=5000)
        saved = load(path)
        assert saved == mgr.specs() and saved[0].bind == dlg.spec.bind
        ev = list(core.store.events(kinds=["feed.bindings_changed"]))
        assert len(ev) == 1 and ev[0].actor.startswith("dispatcher:") and ev[0].payload["renamed_from"] == "river"

        # ---- one click: unbind GN in the dialog, then bind it again from the heard sources
        dlg2 = panel.edit_dialog()
        qtbot.addWidget(dlg2)
        assert dlg2.binding_rows() == [("talker", "GP", "boat-01"), ("mmsi", str(MMSI), "boat-02"),
                                       ("talker", "GN", "truck-01")]
        dlg2.bindings.selectRow(2)
        dlg2.remove_binding()
        dlg2.accept()
        panel.apply_edit(dlg2.old_name, dlg2.spec)
        qtbot.waitUntil(lambda: ("Talker", "GN") in heard(), timeout=10000)
        row = next(r for r in range(panel.unbound_table.rowCount()) if panel.unbound_table.item(r, 1).text() == "GN")
        panel.unbound_table.selectRow(row)
        src = panel.selected_unbound()
        assert src is not None and src.kind == "talker" and src.value == "GN"
        bd = BindSourceDialog(panel, feed="river AIS", source=src, units=panel.units)
        qtbot.addWidget(bd)
        assert not bd.whole_unit.isVisibleTo(bd)  # only for an MMSI
        bd.accept()
        assert bd.result() != bd.DialogCode.Accepted and "Choose the unit that GN belongs to" in bd.error.text()
        bd.unit.set_unit("boat-02")
        bd.accept()
        assert bd.result_binding == ("talker", "GN", "boat-02")
        panel.apply_binding("river AIS", *bd.result_binding, unit_wide=bd.unit_wide)
        # boat-02 now has two sources (the MMSI and GN): the better one (GN's GGA has an HDOP) wins
        qtbot.waitUntil(lambda: at(core.state.units["boat-02"].position, "GN"), timeout=10000)
        qtbot.waitUntil(lambda: "Talker GN on river AIS now moves boat-02" in panel.notice.text(), timeout=5000)
        assert load(path)[0].bind["GN"] == "boat-02"
        assert transport.stats.disconnects == 0

        # ---- an MMSI bound to the unit itself, as the unit board does (unit.mmsi_bound, every feed)
        from dispatch.feeds.feed import UnboundSource

        other = UnboundSource("mmsi", "412000222", "", 0.0, 1)
        bm = BindSourceDialog(panel, feed="river AIS", source=other, units=panel.units)
        qtbot.addWidget(bm)
        assert bm.whole_unit.isVisibleTo(bm) and bm.whole_unit.isChecked()
        bm.unit.set_unit("boat-02")
        assert "boat-02 has MMSI 413801002 now; it will be replaced." in bm.note.text()
        bm.accept()
        panel.apply_binding("river AIS", *bm.result_binding, unit_wide=bm.unit_wide)
        qtbot.waitUntil(lambda: core.state.units["boat-02"].mmsi == 412000222, timeout=5000)
        # the bench says so once its worker is done (before the next action, as a person would read it)
        qtbot.waitUntil(lambda: "is now boat-02's AIS transponder" in panel.notice.text(), timeout=10000)
        assert [e.actor.startswith("dispatcher:") for e in core.store.events(kinds=["unit.mmsi_bound"])] == [True]
        assert "river AIS" in mgr.feeds and f"mmsi:{MMSI}" in mgr.feeds["river AIS"].spec.bind

        # ---- a refusal by the core (after the dialog) is shown on the bench, nothing changes
        bad = FeedSpec("river AIS", "udp", host="127.0.0.1", tcp_port=0, bind={"GP": "nobody"})
        panel.apply_edit("river AIS", bad)
        qtbot.waitUntil(lambda: "Row 1: Unknown unit 'nobody'" in panel.notice.text(), timeout=5000)
        assert mgr.feeds["river AIS"].spec.bind["GP"] == "boat-01" and load(path)[0].bind["GP"] == "boat-01"

        # ---- the Edit… button opens the dialog on the selected feed; OK applies it
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        from console.device_bench.dialogs import EditFeedDialog

        seen: list[str] = []

        def answer() -> None:
            d = QApplication.activeModalWidget()
            if not isinstance(d, EditFeedDialog):
                QTimer.singleShot(20, answer)
                return
            seen.append(d.windowTitle())
            d.priority.setValue(5)
            d.buttons.button(d.buttons.StandardButton.Ok).click()

        QTimer.singleShot(0, answer)
        qtbot.mouseClick(panel.edit_button, Qt.MouseButton.LeftButton)
        assert seen == ["Edit feed river AIS"]
        qtbot.waitUntil(lambda: mgr.feeds["river AIS"].spec.priority == 5, timeout=5000)
        assert mgr.feeds["river AIS"].transport is transport and transport.stats.disconnects == 0

        # ---- a transport change restarts only that feed
        spare = mgr.feeds["spare"].transport
        dlg3 = panel.edit_dialog("river AIS")
        qtbot.addWidget(dlg3)
        dlg3.kind.setCurrentIndex(dlg3.kind.findData("tcp-server"))
        dlg3.accept()
        panel.apply_edit(dlg3.old_name, dlg3.spec)
        qtbot.waitUntil(lambda: "reconnects with the new settings" in panel.notice.text(), timeout=5000)
        assert mgr.feeds["river AIS"].transport is not transport and mgr.feeds["spare"].transport is spare
        assert load(path)[0].kind == "tcp-server" and load(path)[0].bind["GN"] == "boat-02"
    finally:
        panel.shutdown()
        talkers.stop()
        mgr.stop()


def _strings(path: Path) -> set[str]:
    """The literal source strings a module shows: tr(), t(), match_label's and FeedRefused templates."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            if name in ("tr", "t", "FeedRefused"):
                out.add(node.args[0].value)
    return out


def test_every_string_of_the_bench_and_of_feed_refusals_has_a_chinese_translation() -> None:
    zh = json.loads((ROOT / "resources/i18n/zh_CN.json").read_text(encoding="utf-8"))
    from console.device_bench.words import match_label  # noqa: F401 - its words are t() literals in the module
    from dispatch.feeds.config import ROW_PREFIX

    wanted = set().union(*(_strings(p) for p in sorted((ROOT / "console/device_bench").glob("*.py"))))
    wanted |= _strings(ROOT / "dispatch/feeds/config.py")
    wanted |= {"Talker", "MMSI", "Peer address", "Device id", ROW_PREFIX}
    assert len(wanted) > 60
    missing = sorted(s for s in wanted if not zh.get(s))
    assert not missing, missing
    bad = sorted(s for s in wanted if s.count("%") != zh[s].count("%"))
    assert not bad, bad  # every placeholder kept

