"""The engineer's device bench: every feed with its live figures, a raw monitor, connect/disconnect, add feed.

Figures come from `dispatch.feeds.FeedManager` snapshots taken on a collector thread (never on
the GUI thread); a timer shows the latest. Connecting, disconnecting and saving the feed file
also run off the GUI thread, so a port that hangs on close cannot freeze the console. AIS
contacts (vessels bound to none of our units) are pushed to the map as kind "ais".
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dispatch import feed_config
from dispatch.errors import Refused
from dispatch.feed_config import FeedSpec
from dispatch.feeds import FeedManager, FeedStats, MonitorLine

log = logging.getLogger(__name__)

AIS_KIND = 4  # console.map.view KIND_INDEX["ais"]


class StatsCollector(threading.Thread):
    """Takes feed snapshots and new monitor lines every `interval` seconds, off the GUI thread."""

    def __init__(self, manager: FeedManager, interval: float = 0.5) -> None:
        super().__init__(name="feed-stats", daemon=True)
        self.manager = manager
        self.interval = interval
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.stats: list[FeedStats] = []
        self.lines: list[tuple[str, MonitorLine]] = []
        self._seen: dict[str, int] = {}
        self.contacts: list[dict[str, Any]] = []
        self._contacts_version = 0

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.collect()
            except Exception:
                log.exception("collecting feed figures failed")
            self.stop_event.wait(self.interval)

    def collect(self) -> None:
        stats = self.manager.stats()
        new: list[tuple[str, MonitorLine]] = []
        for name, feed in list(self.manager.feeds.items()):
            lines = feed.monitor_since(self._seen.get(name, 0))
            if lines:
                self._seen[name] = lines[-1].seq
                new.extend((name, m) for m in lines[-500:])
        version, contacts = self.manager.contacts_since(self._contacts_version)
        self._contacts_version = version
        with self.lock:
            self.stats = stats
            self.lines.extend(new)
            del self.lines[:-2000]
            self.contacts.extend(contacts)

    def take(self) -> tuple[list[FeedStats], list[tuple[str, MonitorLine]], list[dict[str, Any]]]:
        with self.lock:
            lines, self.lines = self.lines, []
            contacts, self.contacts = self.contacts, []
            return list(self.stats), lines, contacts


class DevicesPanel(QWidget):
    COLUMNS = ("name", "state", "port", "baud", "sentences_per_s", "checksum_errors", "unknown", "last_fix_age",
               "fix_quality", "satellites", "hdop", "unit")

    def __init__(self, manager: FeedManager, *, config_path: str | Path | None = None, map_view: Any = None,
                 parent: QWidget | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self.setObjectName("devicesPanel")
        self.manager = manager
        self.config_path = config_path
        self.map_view = map_view
        self.collector = StatsCollector(manager, interval_ms / 1000.0)
        self.collector.start()
        self.last_stats: list[FeedStats] = []

        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels([
            self.tr("Feed"), self.tr("State"), self.tr("Port"), self.tr("Baud"), self.tr("Sentences/s"),
            self.tr("Checksum errors"), self.tr("Unknown"), self.tr("Last fix age (s)"), self.tr("Fix quality"),
            self.tr("Satellites"), self.tr("HDOP"), self.tr("Unit")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)

        self.add_button = QPushButton(self.tr("Add feed…"), self)
        self.connect_button = QPushButton(self.tr("Connect"), self)
        self.disconnect_button = QPushButton(self.tr("Disconnect"), self)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.add_button.clicked.connect(self.add_feed)
        self.connect_button.clicked.connect(lambda: self._on_selected(self.manager.connect))
        self.disconnect_button.clicked.connect(lambda: self._on_selected(self.manager.disconnect))
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.connect_button, self.disconnect_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.monitor = QPlainTextEdit(self)
        self.monitor.setObjectName("rawMonitor")
        self.monitor.setReadOnly(True)
        self.monitor.setMaximumBlockCount(1000)
        self.monitor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.pause = QCheckBox(self.tr("Pause"), self)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(self.tr("Filter, e.g. GGA or !AIVDM"))
        self.only_selected = QCheckBox(self.tr("Selected feed only"), self)
        mon_bar = QHBoxLayout()
        mon_bar.addWidget(QLabel(self.tr("Raw monitor"), self))
        mon_bar.addWidget(self.filter, 1)
        mon_bar.addWidget(self.only_selected)
        mon_bar.addWidget(self.pause)

        top = QWidget(self)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.table)
        tl.addLayout(buttons)
        bottom = QWidget(self)
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addLayout(mon_bar)
        bl.addWidget(self.monitor)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.status = QLabel(self)
        layout.addWidget(self.status)

        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(interval_ms)

    # ------------------------------------------------------------ refresh
    def selected_feed(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.text() if item else None

    def refresh(self) -> None:
        stats, lines, contacts = self.collector.take()
        self.last_stats = stats
        self._fill(stats)
        if lines and not self.pause.isChecked():
            want = self.filter.text().strip().lower()
            only = self.selected_feed() if self.only_selected.isChecked() else None
            shown = []
            for name, m in lines:
                if only and name != only:
                    continue
                if want and want not in m.line.lower() and want not in name.lower():
                    continue
                mark = "" if m.status == "ok" else f"  <{self._status_text(m.status)}>"
                shown.append(f"{time.strftime('%H:%M:%S', time.localtime(m.ts))} [{name}] {m.line}{mark}")
            if shown:
                self.monitor.appendPlainText("\n".join(shown))
        if contacts and self.map_view is not None:
            now = time.time()
            rows = [[f"ais:{c['mmsi']}", round(c["lat"], 7), round(c["lon"], 7),
                     None if c.get("course") is None else round(float(c["course"]), 1), AIS_KIND, 0,
                     1 if now - (c.get("seen") or now) > 600 else 0, c.get("name") or str(c["mmsi"])]
                    for c in contacts]
            try:
                self.map_view.push_rows(rows)
            except Exception:
                log.exception("pushing AIS contacts to the map failed")

    def _status_text(self, status: str) -> str:
        return {"checksum": self.tr("checksum error"), "unknown": self.tr("unknown sentence"),
                "malformed": self.tr("malformed")}.get(status, status)

    def _state_text(self, s: FeedStats) -> str:
        if not s.enabled:
            return self.tr("disconnected")
        return {"connected": self.tr("connected"), "connecting": self.tr("connecting"),
                "detecting": self.tr("detecting baud"), "waiting": self.tr("waiting to retry"),
                "stopped": self.tr("stopped"), "idle": self.tr("idle")}.get(s.state, s.state)

    def _fill(self, stats: list[FeedStats]) -> None:
        t = self.table
        if t.rowCount() != len(stats):
            t.setRowCount(len(stats))
        for r, s in enumerate(stats):
            values = [s.name, self._state_text(s), s.port, "" if s.baud is None else str(s.baud),
                      f"{s.sentences_per_s:.1f}", str(s.checksum_errors), str(s.unknown),
                      "" if s.last_fix_age is None else f"{s.last_fix_age:.1f}",
                      "" if s.fix_quality is None else str(s.fix_quality),
                      "" if s.satellites is None else str(s.satellites),
                      "" if s.hdop is None else f"{s.hdop:.1f}", s.unit or ""]
            for c, v in enumerate(values):
                item = t.item(r, c)
                if item is None:
                    item = QTableWidgetItem(v)
                    t.setItem(r, c, item)
                elif item.text() != v:
                    item.setText(v)
                if c == 1:
                    item.setToolTip(s.last_error or "")
        bad = sum(s.checksum_errors + s.unknown + s.malformed for s in stats)
        self.status.setText(self.tr("%1 feeds, %2 connected, %3 bad lines").replace("%1", str(len(stats)))
                            .replace("%2", str(sum(s.connected for s in stats))).replace("%3", str(bad)))

    # ------------------------------------------------------------ actions
    def _background(self, fn: Any, *args: Any) -> None:
        def work() -> None:
            try:
                fn(*args)
                self._save()
            except Exception:
                log.exception("feed action failed")

        threading.Thread(target=work, name="feed-action", daemon=True).start()

    def _on_selected(self, fn: Any) -> None:
        name = self.selected_feed()
        if name:
            self._background(fn, name)

    def _remove(self) -> None:
        name = self.selected_feed()
        if name:
            self._background(self.manager.remove, name)

    def _save(self) -> None:
        if self.config_path is not None or feed_config.default_path().parent.exists():
            feed_config.save(self.manager.specs(), self.config_path)

    def add_feed(self) -> None:
        dlg = AddFeedDialog(self, existing=set(self.manager.feeds))
        if dlg.exec() != QDialog.DialogCode.Accepted or dlg.spec is None:
            return
        try:
            self.manager.add(dlg.spec, start=False)
        except Refused as exc:
            QMessageBox.warning(self, self.tr("Add feed"), str(exc))
            return
        self._background(self.manager.connect, dlg.spec.name)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self.timer.stop()
        self.collector.stop_event.set()


class AddFeedDialog(QDialog):
    """Kind, name and the settings of that kind; serial ports are listed with what is known of them."""

    def __init__(self, parent: QWidget | None = None, *, existing: set[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add feed"))
        self.existing = existing or set()
        self.spec: FeedSpec | None = None
        self.kind = QComboBox(self)
        for k, label in (("serial", self.tr("Serial port")), ("tcp", self.tr("TCP client")),
                         ("tcp-server", self.tr("TCP server")), ("udp", self.tr("UDP listener")),
                         ("gpsd", self.tr("gpsd")), ("file", self.tr("File replay"))):
            self.kind.addItem(label, k)
        self.name = QLineEdit(self)
        self.port = QComboBox(self)
        self.port.setEditable(True)
        self.refresh_ports()
        self.baud = QComboBox(self)
        self.baud.addItem(self.tr("auto"), "auto")
        for b in (4800, 9600, 19200, 38400, 57600, 115200):
            self.baud.addItem(str(b), b)
        self.host = QLineEdit(self)
        self.host.setPlaceholderText("127.0.0.1")
        self.net_port = QSpinBox(self)
        self.net_port.setRange(0, 65535)
        self.net_port.setValue(10110)
        self.path = QLineEdit(self)
        self.unit = QLineEdit(self)
        self.unit.setPlaceholderText(self.tr("unit id, e.g. boat-01 (optional)"))
        form = QFormLayout(self)
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Serial port"), self.port)
        form.addRow(self.tr("Baud"), self.baud)
        form.addRow(self.tr("Host"), self.host)
        form.addRow(self.tr("Network port"), self.net_port)
        form.addRow(self.tr("File"), self.path)
        form.addRow(self.tr("Unit"), self.unit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.form = form
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def refresh_ports(self) -> None:
        from devices.serial_ports import list_serial_ports

        self.port.clear()
        try:
            ports = list_serial_ports(include_pts=True)
        except Exception:
            log.exception("listing serial ports failed")
            ports = []
        for p in ports:
            self.port.addItem(p.label(), p.by_id or p.device)

    def _kind_changed(self) -> None:
        k = self.kind.currentData()
        for w, kinds in ((self.port, {"serial"}), (self.baud, {"serial"}), (self.host, {"tcp", "tcp-server", "udp",
                         "gpsd"}), (self.net_port, {"tcp", "tcp-server", "udp", "gpsd"}), (self.path, {"file"})):
            w.setEnabled(k in kinds)
        if k == "gpsd":
            self.net_port.setValue(2947)

    def build_spec(self) -> FeedSpec:
        """:raises Refused: what is missing or wrong."""
        k = self.kind.currentData()
        name = self.name.text().strip()
        if name in self.existing:
            raise Refused(self.tr("A feed named %1 exists already").replace("%1", name), "feed_exists")
        port = self.port.currentData() if self.port.currentIndex() >= 0 and self.port.currentText() == \
            self.port.itemText(self.port.currentIndex()) else self.port.currentText().strip()
        spec = FeedSpec(name=name, kind=k, unit=self.unit.text().strip() or None)
        if k == "serial":
            spec.port, spec.baud = port or None, self.baud.currentData()
        elif k == "file":
            spec.path = self.path.text().strip() or None
        else:
            spec.host = self.host.text().strip() or ("0.0.0.0" if k in ("tcp-server", "udp") else "127.0.0.1")
            spec.tcp_port = self.net_port.value()
        return spec.validate()

    def accept(self) -> None:
        try:
            self.spec = self.build_spec()
        except Refused as exc:
            QMessageBox.warning(self, self.tr("Add feed"), str(exc))
            return
        super().accept()
