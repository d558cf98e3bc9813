"""A truck camera's photo into a case's evidence: the photos trucks' JT/T 808 terminals uploaded (`jt808.photos`,
newest first, by truck), the selected one shown, and added (`evidence.photo_to_case`: by its SHA-256, with whose
camera took it, when, where and why). A refusal (the case archived, the photo already in it) stays in the dialog.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.alerts.truck_photo import EVENTS
from console.evidence.fetch import local_file
from console.incidents.common import clock_text, run_op

LIMIT = 500  # the newest photos offered (a truck picked: its whole history)


class PhotoPicker(QDialog):
    """Pick a truck photo and add it to case `case_id`; accepted once the core recorded it."""

    def __init__(self, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("casePhotoPicker")
        self.case_id = case_id
        self.setWindowTitle(self.tr("Add a truck photo to case %1").replace("%1", str(case_id)))
        self.rows: list[dict[str, Any]] = []
        self.truck = QComboBox(self)
        self.truck.setObjectName("photoTruck")
        self.truck.addItem(self.tr("All trucks"), None)
        self.truck.currentIndexChanged.connect(lambda _i: self.load())
        self.table = QTableWidget(0, 5, self)
        self.table.setObjectName("casePhotos")
        self.table.setHorizontalHeaderLabels([self.tr("Taken"), self.tr("Truck"), self.tr("Camera"), self.tr("Why"),
                                              self.tr("Where")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self.preview)
        self.table.itemDoubleClicked.connect(lambda _i: self.submit())
        self.picture = QLabel(self.tr("Select a photo"), self)
        self.picture.setObjectName("casePhotoPreview")
        self.picture.setFixedSize(320, 240)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("border:1px solid palette(mid)")
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        theme.tone(self.message, "error_text")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.add = buttons.addButton(self.tr("Add to the case"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.add.setObjectName("addPhotoToCase")
        self.add.setEnabled(False)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Truck"), self))
        top.addWidget(self.truck, 1)
        middle = QHBoxLayout()
        middle.addWidget(self.table, 1)
        middle.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(middle, 1)
        lay.addWidget(self.message)
        lay.addWidget(buttons)
        self.resize(960, 480)
        self._pixmap_for: int | None = None
        self.load()

    def load(self) -> None:
        unit = self.truck.currentData()
        args = {"limit": LIMIT} if unit is None else {"unit_id": unit, "limit": LIMIT}
        run_op(self, "jt808.photos", args, on_done=self._fill, on_refused=self.message.setText)

    def _fill(self, rows: list[dict[str, Any]]) -> None:
        self.rows = list(reversed(rows))  # newest first
        if self.truck.currentData() is None:  # the trucks to pick from: those with photos
            for u in sorted({r["unit"] for r in rows}):
                if self.truck.findData(u) < 0:
                    self.truck.addItem(u, u)
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            where = f"{r['lat']:.5f}, {r['lon']:.5f}" if r.get("lat") is not None else self.tr("no position fix")
            cells = [clock_text(r.get("time") or r.get("ts"), with_date=True), r["unit"], str(r.get("channel")),
                     self.tr(EVENTS.get(str(r.get("event")), str(r.get("event")))), where]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"SHA-256 {r['sha256']}")
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.add.setEnabled(False)

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def preview(self) -> None:
        r = self.selected()
        self.add.setEnabled(r is not None)
        self.message.setText("")
        if r is None:
            return
        seq = r["seq"]
        self._pixmap_for = seq
        self.picture.setText(self.tr("Loading the photo…"))

        def show(path: str) -> None:
            if self._pixmap_for != seq:
                return
            pm = QPixmap(path)
            if pm.isNull():
                self.picture.setText(self.tr("The photo cannot be shown (not an image this console reads)"))
                return
            self.picture.setPixmap(pm.scaled(318, 238, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation))

        local_file(self, r["sha256"], r.get("path"), on_ready=lambda p: show(str(p)), on_failed=self.message.setText)

    def submit(self) -> None:
        r = self.selected()
        if r is None:
            return
        run_op(self, "evidence.photo_to_case", {"case_id": self.case_id, "photo": r["seq"]},
               on_done=lambda _r: self.accept(), on_refused=self.message.setText)
