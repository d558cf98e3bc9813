"""The device bench's dialogs: add a feed, edit a feed and its per-source bindings, bind one heard
source to a unit; and the unit picker they share.

The dialogs only collect and show: what a valid feed or binding is is decided by
`dispatch.feeds.config` (`check_unit`, `check_bindings`, `plan_edit`).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.device_bench.words import ERROR_STYLE, match_label, refusal_text, source_detail
from console.i18n import kind_label
from dispatch.errors import Refused
from dispatch.feeds import config as feed_config
from dispatch.feeds.config import BINDING_KINDS, FeedRefused, FeedSpec
from dispatch.feeds.feed import UnboundSource

log = logging.getLogger(__name__)


class UnitPicker(QComboBox):
    """A unit chosen from the known units, typed with search (any part of id, name or MMSI)."""

    def __init__(self, parent: QWidget | None = None, *, units: list[dict[str, Any]] | None = None,
                 optional: bool = False) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        units = units or []
        self.units = {u["id"]: u for u in units}
        if optional:
            self.addItem("", None)
        for u in units:
            label = f"{u['id']} · {u['name']}" if u.get("name") and u["name"] != u["id"] else u["id"]
            self.addItem(label, u["id"])
            tip = " · ".join(x for x in (kind_label(u["kind"]) if u.get("kind") else "",
                                         f"MMSI {u['mmsi']}" if u.get("mmsi") else "") if x)
            if tip:
                self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        comp = self.completer()
        comp.setFilterMode(Qt.MatchFlag.MatchContains)
        comp.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        comp.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.lineEdit().setPlaceholderText(self.tr("Search units…"))
        self.setMinimumContentsLength(18)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        if optional:
            self.setCurrentIndex(0)
        else:
            self.setCurrentIndex(-1)
            self.setEditText("")

    def unit_id(self) -> str:
        """The chosen unit's id; what was typed, if it names no item (the checks then say so)."""
        text = self.currentText().strip()
        i = self.currentIndex()
        if i >= 0 and self.itemText(i) == self.currentText():
            return str(self.itemData(i) or "")
        if text in self.units:
            return text
        i = self.findText(text)
        if i >= 0:
            return str(self.itemData(i) or "")
        return text

    def set_unit(self, unit: str | None) -> None:
        i = self.findData(unit) if unit else (0 if self.itemData(0) is None and self.count() else -1)
        if i >= 0:
            self.setCurrentIndex(i)
        else:
            self.setCurrentIndex(-1)
            self.setEditText(unit or "")
        self.lineEdit().setCursorPosition(0)  # the id first, where a long name does not fit


class AddFeedDialog(QDialog):
    """Kind, name and the settings of that kind; serial ports are listed with what is known of them."""

    def __init__(self, parent: QWidget | None = None, *, existing: set[str] | None = None,
                 units: list[dict[str, Any]] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add feed"))
        self.existing = existing or set()
        self.known_units = list(units or [])
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
        self.unit = UnitPicker(self, units=self.known_units, optional=True)
        self.unit.lineEdit().setPlaceholderText(self.tr("every fix of this feed to one unit (optional)"))
        self.priority = QSpinBox(self)
        self.priority.setRange(-99, 99)
        self.priority.setToolTip(self.tr("Between two sources of one unit with equal fix quality, the higher wins"))
        form = QFormLayout()
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Serial port"), self.port)
        form.addRow(self.tr("Baud"), self.baud)
        form.addRow(self.tr("Host"), self.host)
        form.addRow(self.tr("Network port"), self.net_port)
        form.addRow(self.tr("File"), self.path)
        form.addRow(self.tr("Unit"), self.unit)
        form.addRow(self.tr("Priority"), self.priority)
        self.form = form
        self.error = QLabel(self)  # why OK was refused
        self.error.setObjectName("feedError")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addLayout(form)
        self.layout_.addWidget(self.error)
        self.layout_.addWidget(self.buttons)
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
        if k == "gpsd" and self.net_port.value() == 10110:
            self.net_port.setValue(2947)

    def form_spec(self) -> FeedSpec:
        """The spec the form says (not checked)."""
        k = self.kind.currentData()
        port = self.port.currentData() if self.port.currentIndex() >= 0 and self.port.currentText() == \
            self.port.itemText(self.port.currentIndex()) else self.port.currentText().strip()
        spec = FeedSpec(name=self.name.text().strip(), kind=k, unit=self.unit.unit_id() or None,
                        priority=self.priority.value())
        if k == "serial":
            spec.port, spec.baud = port or None, self.baud.currentData()
        elif k == "file":
            spec.path = self.path.text().strip() or None
        else:
            spec.host = self.host.text().strip() or ("0.0.0.0" if k in ("tcp-server", "udp") else "127.0.0.1")
            spec.tcp_port = self.net_port.value()
        return spec

    def build_spec(self) -> FeedSpec:
        """:raises FeedRefused: what is missing or wrong."""
        spec = self.form_spec()
        if spec.name in self.existing:
            raise FeedRefused("A feed named '%1' exists already", spec.name, code="feed_exists", field="name")
        feed_config.check_unit(spec.unit, {u["id"] for u in self.known_units} if self.known_units else None)
        return spec.validate()

    def show_error(self, exc: BaseException) -> None:
        self.error.setText(refusal_text(exc))
        self.error.show()
        target = {"name": self.name, "port": self.port, "host": self.host, "tcp_port": self.net_port,
                  "path": self.path, "unit": self.unit, "baud": self.baud, "kind": self.kind}.get(
                      getattr(exc, "field", None) or "")
        if target is not None:
            target.setFocus()

    def accept(self) -> None:
        try:
            self.spec = self.build_spec()
        except Refused as exc:
            self.show_error(exc)
            return
        super().accept()


class EditFeedDialog(AddFeedDialog):
    """A feed's settings (the add form, filled in) and its per-source bindings table.

    Rows are (match kind, value, unit); the checks are `dispatch.feeds.config.plan_edit`'s. On OK
    `spec` holds the checked new settings and `old_name` the feed's name before the edit.
    """

    def __init__(self, parent: QWidget | None = None, *, specs: list[FeedSpec], name: str,
                 units: list[dict[str, Any]] | None = None) -> None:
        super().__init__(parent, existing={s.name for s in specs if s.name != name}, units=units)
        self.specs = specs
        self.old_name = name
        old = next(s for s in specs if s.name == name)
        self.setWindowTitle(self.tr("Edit feed %1").replace("%1", name))
        self._fill_form(old)

        box = QGroupBox(self.tr("Bindings: which unit each source of this feed moves"), self)
        self.bindings = QTableWidget(0, 3, box)
        self.bindings.setObjectName("bindingsTable")
        self.bindings.setHorizontalHeaderLabels([self.tr("Match"), self.tr("Value"), self.tr("Unit")])
        hh = self.bindings.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.bindings.setColumnWidth(1, 170)
        self.bindings.verticalHeader().setVisible(True)
        self.bindings.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.bindings.setMinimumHeight(160)
        self.add_row_button = QPushButton(self.tr("Add binding"), box)
        self.remove_row_button = QPushButton(self.tr("Remove binding"), box)
        self.add_row_button.clicked.connect(lambda: self.add_binding("talker", "", ""))
        self.remove_row_button.clicked.connect(self.remove_binding)
        hint = QLabel(self.tr("Talker: GP, GN, BD… · MMSI: 9 digits · Peer address: 192.168.1.20 or "
                              "192.168.1.20:4001 · Device id: as gpsd names it, e.g. /dev/ttyUSB0. "
                              "A binding wins over the feed's unit."), box)
        hint.setWordWrap(True)
        hint.setObjectName("bindingsHint")
        hint.setStyleSheet("color: palette(mid);")
        row_buttons = QHBoxLayout()
        row_buttons.addWidget(self.add_row_button)
        row_buttons.addWidget(self.remove_row_button)
        row_buttons.addStretch(1)
        bl = QVBoxLayout(box)
        bl.addWidget(self.bindings)
        bl.addLayout(row_buttons)
        bl.addWidget(hint)
        self.layout_.insertWidget(1, box, 1)
        for key, unit in old.bind.items():
            self.add_binding(*feed_config.split_key(key), unit)
        self.resize(640, 620)

    def _fill_form(self, spec: FeedSpec) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(spec.kind)))
        self.name.setText(spec.name)
        if spec.port:
            i = self.port.findData(spec.port)
            if i >= 0:
                self.port.setCurrentIndex(i)
            else:
                self.port.setEditText(spec.port)
        i = self.baud.findData(spec.baud)
        self.baud.setCurrentIndex(max(0, i))
        self.host.setText(spec.host or "")
        self.net_port.setValue(int(spec.tcp_port) if spec.tcp_port is not None else self.net_port.value())
        self.path.setText(spec.path or "")
        self.unit.set_unit(spec.unit)
        self.priority.setValue(spec.priority)
        self.pace = spec.pace  # not on the form: kept as it was

    def add_binding(self, kind: str, value: str, unit: str) -> int:
        r = self.bindings.rowCount()
        self.bindings.insertRow(r)
        combo = QComboBox(self.bindings)
        for k in BINDING_KINDS:
            combo.addItem(match_label(k), k)
        combo.setCurrentIndex(max(0, combo.findData(kind)))
        self.bindings.setCellWidget(r, 0, combo)
        self.bindings.setItem(r, 1, QTableWidgetItem(value))
        picker = UnitPicker(self.bindings, units=self.known_units)
        picker.set_unit(unit or None)
        self.bindings.setCellWidget(r, 2, picker)
        if not value:
            self.bindings.setCurrentCell(r, 1)
        return r

    def remove_binding(self) -> None:
        rows = sorted({i.row() for i in self.bindings.selectedIndexes()} | (
            {self.bindings.currentRow()} if self.bindings.currentRow() >= 0 else set()), reverse=True)
        for r in rows:
            self.bindings.removeRow(r)

    def binding_rows(self) -> list[tuple[str, str, str]]:
        out = []
        for r in range(self.bindings.rowCount()):
            combo = self.bindings.cellWidget(r, 0)
            item = self.bindings.item(r, 1)
            picker = self.bindings.cellWidget(r, 2)
            out.append((combo.currentData() if isinstance(combo, QComboBox) else "talker",
                        item.text() if item is not None else "",
                        picker.unit_id() if isinstance(picker, UnitPicker) else ""))
        return out

    def build_spec(self) -> FeedSpec:
        """:raises FeedRefused: what is wrong (the setting or the row)."""
        spec = self.form_spec()
        spec.pace = self.pace
        units = {u["id"] for u in self.known_units} if self.known_units else None
        unit_mmsi = {int(u["mmsi"]): u["id"] for u in self.known_units if u.get("mmsi")}
        spec.bind = feed_config.check_bindings(self.binding_rows(), units, unit_mmsi)
        return feed_config.plan_edit(self.specs, self.old_name, spec, units=units, unit_mmsi=unit_mmsi).spec

    def show_error(self, exc: BaseException) -> None:
        super().show_error(exc)
        row = getattr(exc, "row", None)
        if row is not None and 0 <= row < self.bindings.rowCount():
            self.bindings.selectRow(row)
            self.bindings.setCurrentCell(row, 1)


class BindSourceDialog(QDialog):
    """One source heard on a feed, to a unit. An MMSI may be bound to the unit itself (every feed)."""

    def __init__(self, parent: QWidget | None = None, *, feed: str, source: UnboundSource,
                 units: list[dict[str, Any]] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Bind to unit"))
        self.feed = feed
        self.source = source
        self.known_units = list(units or [])
        self.result_binding: tuple[str, str, str] | None = None
        self.unit_wide = False
        what = QLabel(self.tr("%1 heard on feed %2").replace("%1", f"{match_label(source.kind)} {source.value}")
                      .replace("%2", feed), self)
        what.setWordWrap(True)
        what.setStyleSheet("font-weight: 600;")
        self.value = QLineEdit(source.value, self)
        self.unit = UnitPicker(self, units=self.known_units)
        self.unit.currentIndexChanged.connect(self._unit_changed)
        self.unit.editTextChanged.connect(self._unit_changed)
        form = QFormLayout()
        form.addRow(what)
        if source.detail:
            form.addRow(self.tr("Details"), QLabel(source_detail(source), self))
        form.addRow(match_label(source.kind), self.value)
        form.addRow(self.tr("Unit"), self.unit)
        self.whole_unit = QCheckBox(self.tr("Bind to the unit itself (every feed; shown on the unit board)"), self)
        self.whole_unit.setChecked(True)
        self.whole_unit.setVisible(source.kind == "mmsi")
        self.whole_unit.toggled.connect(self._unit_changed)
        form.addRow(self.whole_unit)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        form.addRow(self.note)
        self.error = QLabel(self)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        form.addRow(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.setLayout(form)
        self.setMinimumWidth(460)
        self._unit_changed()

    def _unit_changed(self, *_: Any) -> None:
        u = next((x for x in self.known_units if x["id"] == self.unit.unit_id()), None)
        text = ""
        if self.source.kind == "mmsi" and self.whole_unit.isChecked() and u is not None and u.get("mmsi") and \
                str(u["mmsi"]) != self.value.text().strip():
            text = self.tr("%1 has MMSI %2 now; it will be replaced.").replace("%1", u["id"]).replace(
                "%2", str(u["mmsi"]))
        elif self.source.kind == "mmsi" and not self.whole_unit.isChecked():
            text = self.tr("Only this feed's reports of this MMSI will move the unit.")
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def accept(self) -> None:
        kind, unit = self.source.kind, self.unit.unit_id()
        try:
            key = feed_config.binding_key(kind, self.value.text())
            units = {u["id"] for u in self.known_units} if self.known_units else None
            if not unit:
                raise FeedRefused("Choose the unit that %1 belongs to", key, field="unit")
            feed_config.check_unit(unit, units)
        except Refused as exc:
            self.error.setText(refusal_text(exc))
            self.error.show()
            return
        self.unit_wide = kind == "mmsi" and self.whole_unit.isChecked()
        self.result_binding = (kind, feed_config.split_key(key)[1] if kind == "mmsi" else key, unit)
        super().accept()
