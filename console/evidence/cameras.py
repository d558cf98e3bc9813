"""The camera register in the console (View → Camera register): the cameras in a table, one camera's fields in a
form (name, fixed or mobile, position or the unit carrying it, view direction, field of view, range, zone, stream
address), added, edited, moved and removed through the core's camera.save / camera.remove (events with the
operator; the core checks every field). Greyed out for operators the permission table does not let edit it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.incidents.common import run_op
from console.operations import may
from console.tables import fit_columns

CAM_ROLE = Qt.ItemDataRole.UserRole


def _spin(lo: float, hi: float, decimals: int, suffix: str = "") -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setDecimals(decimals)
    s.setSuffix(suffix)
    return s


class CameraEditor(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Camera register"))
        self.table = QTableWidget(0, 7, self)
        self.table.setHorizontalHeaderLabels([self.tr("Camera"), self.tr("Name"), self.tr("Kind"), self.tr("Where"),
                                              self.tr("Direction"), self.tr("Stream"), self.tr("State")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        fit_columns(self.table, stretch=5)
        self.cid = QLineEdit(self)
        self.cid.setPlaceholderText("cam-bridge-01")
        self.name = QLineEdit(self)
        self.kind = QComboBox(self)
        self.kind.addItem(self.tr("fixed"), "fixed")
        self.kind.addItem(self.tr("mobile (on a unit)"), "mobile")
        self.unit = QComboBox(self)
        self.lat = _spin(-90, 90, 6, "°")
        self.lon = _spin(-180, 180, 6, "°")
        self.direction = _spin(0, 359.9, 1, "°")
        self.fov = _spin(1, 360, 1, "°")
        self.range_m = _spin(1, 10000, 0, " m")
        self.zone = QLineEdit(self)
        self.stream = QLineEdit(self)
        self.stream.setPlaceholderText("rtsp://… / http://… / file://…")
        self.form = QFormLayout()
        for label, w in ((self.tr("Camera id"), self.cid), (self.tr("Name"), self.name), (self.tr("Kind"), self.kind),
                         (self.tr("Carried by"), self.unit), (self.tr("Latitude"), self.lat),
                         (self.tr("Longitude"), self.lon), (self.tr("View direction (from north)"), self.direction),
                         (self.tr("Field of view"), self.fov), (self.tr("Range"), self.range_m),
                         (self.tr("Zone"), self.zone), (self.tr("Stream address"), self.stream)):
            self.form.addRow(label, w)
        self.new_btn = QPushButton(self.tr("New camera"), self)
        self.save_btn = QPushButton(self.tr("Save"), self)
        self.remove_btn = QPushButton(self.tr("Remove"), self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setObjectName("cameraEditorStatus")
        buttons = QHBoxLayout()
        for b in (self.new_btn, self.save_btn, self.remove_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(self.form)
        right.addLayout(buttons)
        right.addWidget(self.status)
        right.addStretch(1)
        lay = QHBoxLayout(self)
        lay.addWidget(self.table, 3)
        lay.addLayout(right, 2)
        self.adding = True
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.table.itemSelectionChanged.connect(self._picked)
        self.new_btn.clicked.connect(self.start_new)
        self.save_btn.clicked.connect(self.save)
        self.remove_btn.clicked.connect(self.remove)
        self.start_new()
        self.apply_permissions()

    # ------------------------------------------------------------------ permissions
    def apply_permissions(self) -> None:
        ok, why = may("camera.save")
        for w in (self.new_btn, self.save_btn, self.remove_btn):
            w.setEnabled(ok)
        if not ok:
            self.status.setText(self.tr("Only engineers and administrators edit the camera register (%1).")
                                .replace("%1", why))

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        run_op(self, "units", {}, on_done=self._fill_units, quiet=True)
        run_op(self, "cameras", {}, on_done=self.fill, quiet=True)

    def _fill_units(self, units: list[dict[str, Any]]) -> None:
        current = self.unit.currentData()
        self.unit.clear()
        for u in units:
            self.unit.addItem(f"{u['id']} · {u.get('name') or ''}", u["id"])
        i = self.unit.findData(current)
        if i >= 0:
            self.unit.setCurrentIndex(i)

    def fill(self, cams: list[dict[str, Any]]) -> None:
        keep = self.cid.text().strip()
        self.table.blockSignals(True)
        self.table.setRowCount(len(cams))
        for r, c in enumerate(cams):
            where = c["unit_id"] if c["kind"] == "mobile" else f"{c['lat']:.5f}, {c['lon']:.5f}"
            cells = (c["id"], c.get("name") or "", self.kind.itemText(self.kind.findData(c["kind"])), where,
                     f"{c['direction']:g}° ± {c['fov'] / 2:g}°, {c['range_m']:g} m", c.get("stream") or "",
                     self.tr("unreachable") if c.get("down") else "")
            for j, v in enumerate(cells):
                item = QTableWidgetItem(str(v))
                item.setData(CAM_ROLE, c)
                if j == 6 and c.get("down"):
                    item.setToolTip(c["down"])
                self.table.setItem(r, j, item)
            if c["id"] == keep and not self.adding:
                self.table.selectRow(r)
        self.table.blockSignals(False)

    def _picked(self) -> None:
        items = self.table.selectedItems()
        if items:
            self.show_camera(items[0].data(CAM_ROLE))

    def show_camera(self, c: dict[str, Any]) -> None:
        """Put one camera's fields in the form, to edit, move or remove it."""
        self.adding = False
        self.cid.setText(c["id"])
        self.cid.setReadOnly(True)
        self.name.setText(c.get("name") or "")
        self.kind.setCurrentIndex(max(0, self.kind.findData(c["kind"])))
        i = self.unit.findData(c.get("unit_id"))
        if i >= 0:
            self.unit.setCurrentIndex(i)
        if c.get("lat") is not None:
            self.lat.setValue(float(c["lat"]))
            self.lon.setValue(float(c["lon"]))
        self.direction.setValue(float(c["direction"]))
        self.fov.setValue(float(c["fov"]))
        self.range_m.setValue(float(c["range_m"]))
        self.zone.setText(c.get("zone") or "")
        self.stream.setText(c.get("stream") or "")
        self._kind_changed()
        self.status.clear()
        self.apply_permissions()

    def start_new(self) -> None:
        self.adding = True
        self.table.clearSelection()
        self.cid.clear()
        self.cid.setReadOnly(False)
        self.name.clear()
        self.zone.clear()
        self.stream.clear()
        self.direction.setValue(0.0)
        self.fov.setValue(90.0)
        self.range_m.setValue(100.0)
        self._kind_changed()
        self.cid.setFocus()

    def _kind_changed(self) -> None:
        mobile = self.kind.currentData() == "mobile"
        self.unit.setEnabled(mobile)
        self.lat.setEnabled(not mobile)
        self.lon.setEnabled(not mobile)
        self.remove_btn.setEnabled(not self.adding and may("camera.remove")[0])

    # ------------------------------------------------------------------ saving
    def fields(self) -> dict[str, Any]:
        """The form as the core's camera fields (a mobile camera has no position of its own, a fixed one no unit)."""
        mobile = self.kind.currentData() == "mobile"
        return {"id": self.cid.text().strip(), "name": self.name.text().strip(), "kind": self.kind.currentData(),
                "lat": None if mobile else self.lat.value(), "lon": None if mobile else self.lon.value(),
                "unit": self.unit.currentData() if mobile else None, "direction": self.direction.value(),
                "fov": self.fov.value(), "range_m": self.range_m.value(), "zone": self.zone.text().strip(),
                "stream": self.stream.text().strip()}

    def save(self) -> None:
        cam = self.fields()

        def done(r: dict[str, Any]) -> None:
            self.adding = False
            self.cid.setReadOnly(True)
            words = {"registered": self.tr("Camera %1 added"), "changed": self.tr("Camera %1 changed"),
                     "unchanged": self.tr("Camera %1: nothing changed")}
            self.status.setText(words.get(r["action"], "%1").replace("%1", r["id"]))
            self.load()

        run_op(self, "camera.save", {"camera": cam, "new": self.adding}, on_done=done,
               on_refused=self.status.setText)

    def remove(self) -> None:
        cid = self.cid.text().strip()
        if self.adding or not cid:
            return

        def done(r: dict[str, Any]) -> None:
            self.status.setText(self.tr("Camera %1 removed; its clips are kept").replace("%1", r["id"]))
            self.start_new()
            self.load()

        run_op(self, "camera.remove", {"camera_id": cid}, on_done=done, on_refused=self.status.setText)
