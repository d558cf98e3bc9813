"""The Alerts side tab: the rules' alerts, most severe first; acknowledge with a note, make an incident.

The core's subscriber only marks the list dirty (it may run on any thread); a GUI timer reloads it through
the `alerts` operation off the GUI thread. A new severe alert beeps and flashes the tab's header.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.alerts.describe import describe, unit_text
from console.alerts.words import RULES, SEVERITIES, STATES, label, summary
from console.incidents.common import clock_text, run_op

COLOURS = theme.colours("severity_ink")  # the theme's live colours (console/theme.py)

class AlertsPanel(QWidget):
    alerts_loaded = Signal(list)
    status_message = Signal(str)
    show_on_map = Signal(float, float)
    incident_made = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, poll_ms: int = 300) -> None:
        super().__init__(parent)
        self.setObjectName("alertsPanel")
        self.title = QLabel(self.tr("Alerts"), self)
        self.title.setStyleSheet("font-weight:bold")
        self.table = QTableWidget(0, 6, self)
        self.table.setObjectName("alertTable")
        self.table.setHorizontalHeaderLabels([self.tr("Severity"), self.tr("Rule"), self.tr("Unit"), self.tr("Time"),
                                              self.tr("State"), self.tr("Where / what")])
        for c in range(5):  # a terminal's alarm names the rule at length: the columns fit their text
            self.table.horizontalHeader().setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemDoubleClicked.connect(lambda _i: self._locate())
        self.note = QLineEdit(self)
        self.note.setPlaceholderText(self.tr("Note"))
        self.ack_button = QPushButton(self.tr("Acknowledge"), self)
        self.ack_button.clicked.connect(self.acknowledge)
        self.incident_button = QPushButton(self.tr("Make incident"), self)
        self.incident_button.clicked.connect(self.make_incident)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        theme.tone(self.message, "alarm")
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.ack_button)
        row.addWidget(self.incident_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.title)
        lay.addWidget(self.table, 1)
        lay.addLayout(row)
        lay.addWidget(self.message)
        self.alerts: list[dict[str, Any]] = []
        self._seen: set[int] = set()
        self._first = True
        self._lock = threading.Lock()
        self._dirty = True
        self._loading = False
        self._flashes = 0
        self.flash_timer = QTimer(self)
        self.flash_timer.timeout.connect(self._flash)
        self.poll = QTimer(self)
        self.poll.timeout.connect(self._poll)
        self.poll.start(poll_ms)

    # ------------------------------------------------------------- loading
    def note_changes(self, changes: Any) -> None:
        """Core subscriber: any thread; only marks the list dirty."""
        if changes.alerts:
            with self._lock:
                self._dirty = True

    def _poll(self) -> None:
        with self._lock:
            dirty, self._dirty = self._dirty, False
        if dirty and not self._loading:
            self.refresh()
        elif dirty:
            with self._lock:
                self._dirty = True

    def refresh(self) -> None:
        self._loading = True

        def done(rows: list[dict[str, Any]]) -> None:
            self._loading = False
            self.show_alerts(rows)

        def failed(msg: str) -> None:
            self._loading = False
            self.message.setText(msg)

        run_op(self, "alerts", {"limit": 500}, on_done=done, on_refused=failed, quiet=True)

    def show_alerts(self, rows: list[dict[str, Any]]) -> None:
        selected = self.selected_id()
        new_severe = [a for a in rows if a["id"] not in self._seen and a["severity"] == "high" and a["state"] == "open"]
        self._seen.update(a["id"] for a in rows)
        self.alerts = rows
        self.table.setRowCount(len(rows))
        for r, a in enumerate(rows):
            cells = [label(SEVERITIES, a["severity"]), label(RULES, a["rule"]), unit_text(a),
                     clock_text(a["ts"], with_date=True), label(STATES, a["state"]), describe(a)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == len(cells) - 1:
                    item.setToolTip(text)  # a route's or an area's name makes it longer than the column
                if c == 0:
                    item.setData(Qt.ItemDataRole.UserRole, a["id"])
                    item.setForeground(COLOURS.get(a["severity"], QColor("#000")))
                if a["state"] in ("cleared", "incident"):
                    item.setForeground(theme.colour("closed_fg"))
                self.table.setItem(r, c, item)
            if a["id"] == selected:
                self.table.selectRow(r)
        active = sum(1 for a in rows if a["state"] == "open")
        self.title.setText(self.tr("Alerts: %1 open").replace("%1", str(active)))
        self.alerts_loaded.emit(rows)
        if new_severe and not self._first:
            self.raise_severe(new_severe[0])
        self._first = False

    def raise_severe(self, a: dict[str, Any]) -> None:
        """Sound and a flash for a new severe alert, and a word in the status bar."""
        QApplication.beep()
        self._flashes = 8
        self.flash_timer.start(250)
        self.status_message.emit(self.tr("Alert: %1 — %2").replace("%1", label(RULES, a["rule"]))
                                 .replace("%2", unit_text(a)))

    def _flash(self) -> None:
        self._flashes -= 1
        on = self._flashes % 2 == 1
        theme.tone(self.title, "alarm_on" if on else "bold")
        if self._flashes <= 0:
            self.flash_timer.stop()

    # ------------------------------------------------------------- actions
    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def _selected(self) -> dict[str, Any] | None:
        aid = self.selected_id()
        if aid is None:
            self.message.setText(self.tr("Select an alert first"))
            return None
        return next((a for a in self.alerts if a["id"] == aid), None)

    def _locate(self) -> None:
        a = self._selected()
        if a is not None:
            self.show_on_map.emit(float(a["lat"]), float(a["lon"]))

    def acknowledge(self) -> None:
        a = self._selected()
        if a is None:
            return
        note = self.note.text().strip() or None

        def done(_r: Any) -> None:
            self.note.clear()
            self.message.setText("")
            self.status_message.emit(self.tr("Alert %1 acknowledged").replace("%1", str(a["id"])))

        run_op(self, "alert.acknowledge", {"alert_id": a["id"], "note": note}, on_done=done,
               on_refused=self.message.setText)

    def make_incident(self) -> None:
        a = self._selected()
        if a is None:
            return
        note = self.note.text().strip() or None

        def done(r: dict[str, Any]) -> None:
            self.note.clear()
            self.message.setText("")
            self.status_message.emit(self.tr("Alert %1 is incident %2 (track kept as evidence)")
                                     .replace("%1", str(a["id"])).replace("%2", str(r["incident_id"])))
            self.incident_made.emit(int(r["incident_id"]))

        run_op(self, "alert.incident", {"alert_id": a["id"], "note": note, "summary": summary(a)}, on_done=done,
               on_refused=self.message.setText)
