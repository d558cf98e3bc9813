"""The cleaning-task editor: the area (a river segment, or a polygon drawn on the map), the vessels,
the sweep width, and when (now, at a time, or every day at HH:MM). The core validates and clips the
area to the water; a refusal (e.g. an area on land) is shown in the editor and nothing is stored."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.i18n import current_language, kind_label
from console.incidents.common import run_op


class TaskEditor(QDialog):
    created = Signal(dict)
    draw_requested = Signal()

    def __init__(self, segments: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        """`segments`: (id, display name) of the city's cleaning segments."""
        super().__init__(parent)
        self.setObjectName("taskEditor")
        self.setWindowTitle(self.tr("New cleaning task"))
        self.setModal(False)
        self.setMinimumWidth(420)
        self.polygon: list[list[float]] | None = None

        self.name = QLineEdit(self)
        self.name.setPlaceholderText(self.tr("optional, e.g. morning sweep"))
        self.use_segment = QRadioButton(self.tr("River segment"), self)
        self.use_polygon = QRadioButton(self.tr("Area drawn on the map"), self)
        self.use_segment.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.use_segment)
        group.addButton(self.use_polygon)
        self.segment = QComboBox(self)
        for sid, label in segments:
            self.segment.addItem(label, sid)
        self.draw = QPushButton(self.tr("Draw on map"), self)
        self.draw.setToolTip(self.tr("Click the corners on the map; double-click to finish"))
        self.draw.clicked.connect(self._draw)
        self.drawn = QLabel(self.tr("no area drawn"), self)
        theme.tone(self.drawn, "muted")
        seg_row = QHBoxLayout()
        seg_row.addWidget(self.use_segment)
        seg_row.addWidget(self.segment, 1)
        poly_row = QHBoxLayout()
        poly_row.addWidget(self.use_polygon)
        poly_row.addWidget(self.draw)
        poly_row.addWidget(self.drawn, 1)

        self.units = QListWidget(self)
        self.units.setObjectName("taskUnits")
        self.units.setFixedHeight(120)
        self.width = QDoubleSpinBox(self)
        self.width.setRange(0.5, 500)
        self.width.setValue(20.0)
        self.width.setSuffix(" m")
        self.when = QComboBox(self)
        self.when.addItem(self.tr("Start now"), "now")
        self.when.addItem(self.tr("At a time"), "at")
        self.when.addItem(self.tr("Every day at"), "daily")
        self.at = QDateTimeEdit(QDateTime.currentDateTime().addSecs(3600), self)
        self.at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.at.setCalendarPopup(True)
        self.daily = QTimeEdit(QTime(7, 0), self)
        self.daily.setDisplayFormat("HH:mm")
        when_row = QHBoxLayout()
        when_row.addWidget(self.when)
        when_row.addWidget(self.at)
        when_row.addWidget(self.daily)
        self.when.currentIndexChanged.connect(self._on_when)
        self._on_when()

        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Area"), seg_row)
        form.addRow("", poly_row)
        form.addRow(self.tr("Vessels"), self.units)
        form.addRow(self.tr("Sweep width"), self.width)
        form.addRow(self.tr("When"), when_row)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.submit = QPushButton(self.tr("Create task"), self)
        self.submit.setObjectName("createTask")
        self.submit.setDefault(True)
        self.submit.clicked.connect(self.create)
        close = QPushButton(self.tr("Close"), self)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.submit)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addLayout(buttons)
        self.load_units()

    def load_units(self) -> None:
        """Vessels and boats from the core (`units` op), available ones first."""
        def done(units: list[dict[str, Any]]) -> None:
            self.units.clear()
            water = [u for u in units if u.get("kind") in ("cleaning_vessel", "patrol_boat")]
            water.sort(key=lambda u: (u.get("kind") != "cleaning_vessel", u.get("status") != "available", u["id"]))
            for u in water:
                item = QListWidgetItem(f"{u.get('name') or u['id']}  ·  {kind_label(u['kind'])}")
                item.setData(Qt.ItemDataRole.UserRole, u["id"])
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.units.addItem(item)

        run_op(self, "units", {}, on_done=done, on_refused=self._refused)

    def _on_when(self) -> None:
        mode = self.when.currentData()
        self.at.setVisible(mode == "at")
        self.daily.setVisible(mode == "daily")

    def _draw(self) -> None:
        self.use_polygon.setChecked(True)
        self.drawn.setText(self.tr("click the corners on the map, double-click to finish"))
        self.draw_requested.emit()

    def set_polygon(self, points: list[list[float]]) -> None:
        self.polygon = points
        self.use_polygon.setChecked(True)
        self.drawn.setText(self.tr("%1 corners drawn").replace("%1", str(len(points))))

    def check_units(self, unit_ids: list[str]) -> None:
        for i in range(self.units.count()):
            it = self.units.item(i)
            if it.data(Qt.ItemDataRole.UserRole) in unit_ids:
                it.setCheckState(Qt.CheckState.Checked)

    def values(self) -> dict[str, Any]:
        args: dict[str, Any] = {"sweep_width_m": self.width.value()}
        if self.use_segment.isChecked():
            args["segment"] = self.segment.currentData()
        else:
            args["polygon"] = self.polygon or []
        args["units"] = [self.units.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.units.count())
                         if self.units.item(i).checkState() == Qt.CheckState.Checked]
        if self.name.text().strip():
            args["name"] = self.name.text().strip()
        mode = self.when.currentData()
        if mode == "at":
            args["at"] = self.at.dateTime().toString("yyyy-MM-dd'T'HH:mm")
        elif mode == "daily":
            args["every_day"] = self.daily.time().toString("HH:mm")
        return args

    def create(self) -> None:
        self.submit.setEnabled(False)
        run_op(self, "task.create", self.values(), on_done=self._created, on_refused=self._refused)

    def _refused(self, message: str) -> None:
        self.submit.setEnabled(True)
        self.message.setText(self.tr("Refused: %1").replace("%1", message))
        theme.tone(self.message, "error")
        self.message.show()

    def _created(self, task: dict[str, Any]) -> None:
        self.message.setText(self.tr("Created task #%1: %2 m² of water").replace("%1", str(task["id"])).replace(
            "%2", f"{task.get('area_m2', 0):,.0f}"))
        theme.tone(self.message, "ok")
        self.message.show()
        self.submit.setEnabled(True)
        self.created.emit(task)


def city_segments() -> list[tuple[str, str]]:
    """The demo/real city's cleaning segments as (id, display name) in the UI language."""
    from dispatch.city.data import load_city

    zh = current_language().startswith("zh")
    return [(s.id, s.name if zh else s.name_en) for s in load_city().segments]
