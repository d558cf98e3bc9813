"""The top units for an incident or a task, by ETA, each with a one-click Assign button."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton, QWidget

from console.i18n import kind_label
from console.incidents.common import eta_text


class Recommendations(QGroupBox):
    assign_requested = Signal(str)  # unit id
    unit_focus = Signal(str)  # show this unit on the map

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Recommended units (by ETA)"))
        self.setObjectName("recommendations")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(6, 4, 6, 4)
        self.grid.setHorizontalSpacing(10)
        self.items: list[dict[str, Any]] = []
        self.buttons: dict[str, QPushButton] = {}
        self.message = QLabel(self)
        self.message.setObjectName("recommendMessage")
        self.set_items([])

    def _clear(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            w = item.widget()
            if w is not None and w is not self.message:
                w.deleteLater()
        self.message.hide()  # taken out of the grid but still a child: hide it, or it paints over row 1
        self.buttons = {}

    def set_loading(self) -> None:
        self._clear()
        self.message.setText(self.tr("Ranking units…"))
        self.grid.addWidget(self.message, 0, 0, 1, 5)
        self.message.show()

    def set_message(self, text: str) -> None:
        self._clear()
        self.items = []
        self.message.setText(text)
        self.grid.addWidget(self.message, 0, 0, 1, 5)
        self.message.show()

    def set_items(self, items: list[dict[str, Any]], *, enabled: bool = True) -> None:
        self._clear()
        self.items = list(items)
        if not items:
            self.message.setText(self.tr("No available unit of a suitable kind"))
            self.grid.addWidget(self.message, 0, 0, 1, 5)
            self.message.show()
            return
        for row, it in enumerate(items):
            rank = QLabel(f"{row + 1}.", self)
            name = QLabel(f"<b>{it.get('name') or it['unit_id']}</b>", self)
            name.setToolTip(it["unit_id"])
            kind = QLabel(kind_label(str(it.get("kind"))), self)
            eta = QLabel(self.tr("ETA %1").replace("%1", eta_text(it.get("eta_s"))), self)
            dist = it.get("distance_m")
            eta.setToolTip(self.tr("%1 km along %2").replace("%1", f"{(dist or 0) / 1000:.2f}")
                           .replace("%2", str(it.get("mode") or "")))
            if it.get("stale"):
                eta.setText(eta.text() + " · " + self.tr("stale fix"))
                eta.setStyleSheet("color:#9e9e9e")
            button = QPushButton(self.tr("Assign"), self)
            button.setObjectName(f"assign-{it['unit_id']}")
            button.setEnabled(enabled)
            button.clicked.connect(lambda _=False, uid=it["unit_id"]: self.assign_requested.emit(uid))
            self.buttons[it["unit_id"]] = button
            for col, w in enumerate((rank, name, kind, eta, button)):
                self.grid.addWidget(w, row, col, alignment=Qt.AlignmentFlag.AlignVCenter)
        self.grid.setColumnStretch(1, 1)
