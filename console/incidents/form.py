"""The incident form: from a right-click on the map (coordinates filled) or a hotline call (address text).

Category, priority P1-P4, location (an address the gazetteer finds as it is typed, coordinates from the map
or typed), source, reporter and contact, description and attachments (files picked here are attached once the incident exists).
The core validates everything; a refusal is shown in the form and nothing is stored. After filing,
the form shows the new incident's number and, if the core flags likely duplicates, a one-click merge.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.incidents.address import AddressSearch
from console.incidents.common import (
    CATEGORIES,
    PRIORITIES,
    PRIORITY_COLOURS,
    SOURCES,
    category_label,
    priority_label,
    run_op,
    source_label,
    state_label,
)


class IncidentForm(QDialog):
    filed = Signal(dict)  # the new incident (as the core returned it)
    merged = Signal(int)  # the incident kept after a merge
    pick_on_map = Signal()  # the dispatcher wants to right-click the map for the location

    def __init__(self, parent: QWidget | None = None, *, lat: float | None = None, lon: float | None = None,
                 source: str = "hotline", address: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("incidentForm")
        self.setWindowTitle(self.tr("New incident"))
        self.setModal(False)
        self.setMinimumWidth(460)
        self.result_incident: dict[str, Any] | None = None
        self.pending_files: list[str] = []
        self.attached: list[dict[str, Any]] = []
        self.place: dict[str, Any] | None = None  # the gazetteer's place chosen for the address, if any

        self.category = QComboBox(self)
        for key in CATEGORIES:
            self.category.addItem(category_label(key), key)
        self.category.currentIndexChanged.connect(lambda _i: self._location_changed())
        self.priority = QComboBox(self)
        for key in PRIORITIES:
            self.priority.addItem(priority_label(key), key)
            self.priority.setItemData(self.priority.count() - 1, PRIORITY_COLOURS[key], Qt.ItemDataRole.ForegroundRole)
        self.priority.setCurrentIndex(2)
        self.source = QComboBox(self)
        for key in SOURCES:
            self.source.addItem(source_label(key), key)
        self.source.setCurrentIndex(max(0, self.source.findData(source)))
        self.lat = QLineEdit(self)
        self.lat.setPlaceholderText(self.tr("latitude, e.g. 24.3178"))
        self.lon = QLineEdit(self)
        self.lon.setPlaceholderText(self.tr("longitude, e.g. 109.4120"))
        self._location_error = False  # the message shown asks for the location
        self._warned_for: tuple[Any, ...] | None = None  # (category, lat, lon) the place warning was shown for
        self.lat.textChanged.connect(self._location_changed)
        self.lon.textChanged.connect(self._location_changed)
        pick = QPushButton(self.tr("From map…"), self)
        pick.setToolTip(self.tr("Right-click the map and choose 'Use this location in the open form'"))
        pick.clicked.connect(self.pick_on_map)
        where = QHBoxLayout()
        where.addWidget(self.lat)
        where.addWidget(self.lon)
        where.addWidget(pick)
        self.address = QLineEdit(address or "", self)
        self.address.setPlaceholderText(self.tr("street, bridge, pier or river segment, in Chinese, pinyin or English"))
        self.address.setObjectName("addressSearch")
        self.address_search = AddressSearch(self.address)  # the gazetteer's matches; choosing one sets the place
        self.address_search.place_chosen.connect(self._place_chosen)
        self.reporter = QLineEdit(self)
        self.reporter.setPlaceholderText(self.tr("name (optional)"))
        self.contact = QLineEdit(self)
        self.contact.setPlaceholderText(self.tr("phone or app account (optional)"))
        self.text = QPlainTextEdit(self)
        self.text.setPlaceholderText(self.tr("what the reporter saw"))
        self.text.setFixedHeight(70)
        self.files = QListWidget(self)
        self.files.setFixedHeight(54)
        add_files = QPushButton(self.tr("Add files…"), self)
        add_files.clicked.connect(self._pick_files)
        files_row = QHBoxLayout()
        files_row.addWidget(self.files, 1)
        files_row.addWidget(add_files, 0, Qt.AlignmentFlag.AlignTop)

        form = QFormLayout()
        form.addRow(self.tr("Category"), self.category)
        form.addRow(self.tr("Priority"), self.priority)
        form.addRow(self.tr("Source"), self.source)
        form.addRow(self.tr("Address"), self.address)  # a hotline address first: a match fills the coordinates
        form.addRow(self.tr("Coordinates"), where)
        form.addRow(self.tr("Reporter"), self.reporter)
        form.addRow(self.tr("Contact"), self.contact)
        form.addRow(self.tr("Description"), self.text)
        form.addRow(self.tr("Attachments"), files_row)

        self.message = QLabel(self)
        self.message.setObjectName("formMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        self.result_box = QWidget(self)
        self.result_layout = QVBoxLayout(self.result_box)
        self.result_layout.setContentsMargins(0, 0, 0, 0)
        self.result_box.hide()

        self.submit = QPushButton(self.tr("File incident"), self)
        self.submit.setObjectName("fileIncident")
        self.submit.setDefault(True)
        self.submit.clicked.connect(self.file)
        self.close_button = QPushButton(self.tr("Close"), self)
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.submit)
        buttons.addWidget(self.close_button)

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addWidget(self.result_box)
        lay.addLayout(buttons)
        if lat is not None and lon is not None:
            self.set_location(lat, lon)

    # ---------------------------------------------------------------- input
    def set_location(self, lat: float, lon: float) -> None:
        self.lat.setText(f"{lat:.6f}")
        self.lon.setText(f"{lon:.6f}")

    def _place_chosen(self, p: dict[str, Any]) -> None:
        self.set_location(float(p["lat"]), float(p["lon"]))
        self.place = p

    def _location_changed(self) -> None:
        """Once there is a location, the request for one goes (e.g. after picking the place on the map);
        a new place or category is checked again."""
        if self._location_error and self.lat.text().strip() and self.lon.text().strip():
            self._location_error = False
            self.message.hide()
        if self._warned_for is not None and self.result_incident is None:
            self._warned_for = None
            self.message.hide()
            self.submit.setText(self.tr("File incident"))

    def _pick_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Attach files"), "",
                                                self.tr("Photos, video, documents (*)"))
        for f in files:
            self.add_file(f)

    def add_file(self, path: str) -> None:
        if path not in self.pending_files:
            self.pending_files.append(path)
            self.files.addItem(path)

    def values(self) -> dict[str, Any]:
        """The form as `incident.create` arguments; typed text goes to the core as typed (it validates)."""
        return {
            "category": self.category.currentData(),
            "priority": self.priority.currentData(),
            "source": self.source.currentData(),
            "lat": self.lat.text().strip() or None,
            "lon": self.lon.text().strip() or None,
            "address": self.address.text().strip() or None,
            "reporter": self.reporter.text().strip() or None,
            "contact": self.contact.text().strip() or None,
            "text": self.text.toPlainText().strip() or None,
        }

    def _show_message(self, text: str, error: bool) -> None:
        self._location_error = False
        self.message.setText(text)
        theme.tone(self.message, "error" if error else "ok")
        self.message.show()

    # ---------------------------------------------------------------- filing
    def file(self) -> None:
        v = self.values()
        if v["lat"] is None or v["lon"] is None:
            self._show_message(self.tr("Give the location: right-click the map, or type the coordinates"), True)
            self._location_error = True
            return
        self.submit.setEnabled(False)
        where = (v["category"], v["lat"], v["lon"])
        if self._warned_for == where:  # the dispatcher saw the warning and files it all the same
            run_op(self, "incident.create", v, on_done=self._filed, on_refused=self._refused)
            return
        run_op(self, "incident.check", {"category": v["category"], "lat": v["lat"], "lon": v["lon"]},
               on_done=lambda r: self._checked(r, v, where), on_refused=self._refused)

    def _checked(self, result: dict[str, Any], v: dict[str, Any], where: tuple[Any, ...]) -> None:
        """Filed at once if the place looks right; otherwise say why and let the dispatcher decide."""
        warnings = result.get("warnings") or []
        if not warnings:
            run_op(self, "incident.create", v, on_done=self._filed, on_refused=self._refused)
            return
        self._warned_for = where
        texts = [self.tr("%1 happens on the river, but this place is %2 m from the water. Move it on the map, "
                         "or file it here.").replace("%1", category_label(v["category"]))
                 .replace("%2", str(w.get("distance_m"))) if w.get("code") == "on_land" else str(w.get("message"))
                 for w in warnings]
        self.message.setText("\n".join(texts))
        theme.tone(self.message, "warn")
        self.message.show()
        self._location_error = False
        self.submit.setText(self.tr("File anyway"))
        self.submit.setEnabled(True)

    def _refused(self, message: str) -> None:
        self.submit.setEnabled(True)
        self._show_message(self.tr("Refused: %1").replace("%1", message), True)

    def _filed(self, inc: dict[str, Any]) -> None:
        self.result_incident = inc
        self.filed.emit(inc)
        self._show_message(self.tr("Filed as incident #%1 (%2)").replace("%1", str(inc["id"])).replace(
            "%2", state_label(inc["state"])), False)
        self.submit.setText(self.tr("Filed"))
        for w in self.findChildren(QLineEdit) + [self.text, self.category, self.priority, self.source]:
            w.setEnabled(False)
        self._attach_next()
        self._show_duplicates(inc)

    def _attach_next(self) -> None:
        if not self.pending_files or self.result_incident is None:
            return
        path = self.pending_files.pop(0)
        iid = self.result_incident["id"]

        def done(a: dict[str, Any]) -> None:
            self.attached.append(a)
            self._attach_next()

        def refused(msg: str) -> None:  # the incident stays filed; say which file failed
            self._show_message(self.tr("Incident #%1 filed, but an attachment was refused: %2").replace(
                "%1", str(iid)).replace("%2", msg), True)
            self._attach_next()

        run_op(self, "incident.attach", {"incident_id": iid}, file=path, on_done=done, on_refused=refused)

    def _show_duplicates(self, inc: dict[str, Any]) -> None:
        dups = inc.get("possible_duplicates") or []
        if not dups:
            return
        head = QLabel(self.tr("Likely duplicate of an open incident nearby:"), self.result_box)
        head.setStyleSheet("color:#e65100;font-weight:bold")
        self.result_layout.addWidget(head)
        for other in dups:
            row = QHBoxLayout()
            row.addWidget(QLabel(f"#{other}", self.result_box), 1)
            b = QPushButton(self.tr("Merge this report into #%1").replace("%1", str(other)), self.result_box)
            b.setObjectName(f"merge-into-{other}")
            b.clicked.connect(lambda _=False, keep=other: self.merge_into(keep))
            row.addWidget(b)
            self.result_layout.addLayout(row)
        self.result_box.show()

    def merge_into(self, keep: int) -> None:
        if self.result_incident is None:
            return
        dup = self.result_incident["id"]
        for b in self.result_box.findChildren(QPushButton):
            b.setEnabled(False)

        def done(_kept: dict[str, Any]) -> None:
            self._show_message(self.tr("Incident #%1 merged into #%2: both reports and attachments kept").replace(
                "%1", str(dup)).replace("%2", str(keep)), False)
            self.merged.emit(keep)

        run_op(self, "incident.merge", {"incident_id": keep, "duplicate_id": dup}, on_done=done,
               on_refused=self._refused)
