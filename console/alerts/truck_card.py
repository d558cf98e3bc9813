"""The truck card: a truck selected on the map or the unit board shows its company and the company's permit,
its own permit (permitted routes, sites and hours, validity) and its open alerts; the permits are edited here.

Reads are the core's `truck.card`; edits are `truck.permit_save` and `company.save`, whose refusals (an unknown
route, dates the wrong way round, hours that are not windows) are shown in the dialog, which stays open.
"""

from __future__ import annotations

import html
import threading
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.alerts.describe import describe, papers_issue
from console.alerts.truck_photo import TruckPhoto
from console.alerts.words import RULES, SEVERITIES, ZONE_KINDS, label
from console.incidents.common import clock_text, run_op

SITE_KINDS = ("construction_site", "disposal_site")
WAYBILL_SHOWN = 160  # characters of a waybill on the card (ctl jt808 waybills has it whole)


class DateField(QWidget):
    """A date or none (an open end): a calendar date edit beside a check box."""

    def __init__(self, text: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.use = QCheckBox(self)
        self.use.setToolTip(self.tr("Unchecked: no date (open)"))
        self.date = QDateEdit(self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        d = QDate.fromString(text or "", "yyyy-MM-dd")
        self.use.setChecked(d.isValid())
        self.date.setDate(d if d.isValid() else QDate.currentDate())
        self.date.setEnabled(d.isValid())
        self.use.toggled.connect(self.date.setEnabled)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.use)
        lay.addWidget(self.date, 1)

    def value(self) -> str | None:
        return self.date.date().toString("yyyy-MM-dd") if self.use.isChecked() else None

    def set_value(self, text: str | None) -> None:
        d = QDate.fromString(text or "", "yyyy-MM-dd")
        self.use.setChecked(d.isValid())
        if d.isValid():
            self.date.setDate(d)


def _checklist(parent: QWidget, zones: list[dict[str, Any]], chosen: set[str]) -> QListWidget:
    w = QListWidget(parent)
    for z in zones:
        p = z["properties"]
        item = QListWidgetItem(f"{p['name']}  ({label(ZONE_KINDS, p['kind'])})")
        item.setData(Qt.ItemDataRole.UserRole, z["id"])
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if z["id"] in chosen else Qt.CheckState.Unchecked)
        w.addItem(item)
    w.setMaximumHeight(120)
    return w


def _checked(w: QListWidget) -> list[str]:
    return [str(w.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(w.count())
            if w.item(i).checkState() == Qt.CheckState.Checked]


class PermitDialog(QDialog):
    """A truck's permit: company, permitted routes and sites, hours, validity (`truck.permit_save`)."""

    def __init__(self, card: dict[str, Any], companies: list[dict[str, Any]], zones: list[dict[str, Any]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("permitDialog")
        self.unit_id = card["unit_id"]
        p = card.get("permit") or {}
        self.setWindowTitle(self.tr("Permit of %1").replace("%1", card["plate"]))
        self.plate = QLineEdit(p.get("plate") or card["plate"], self)
        self.company = QComboBox(self)
        self.company.addItem(self.tr("(none)"), None)
        for c in companies:
            self.company.addItem(f"{c['name']} ({c['id']})", c["id"])
        self.company.setCurrentIndex(max(0, self.company.findData(p.get("company"))))
        self.routes = _checklist(self, [z for z in zones if z["properties"]["kind"] == "route"],
                                 {r["id"] for r in p.get("routes", [])})
        self.sites = _checklist(self, [z for z in zones if z["properties"]["kind"] in SITE_KINDS],
                                {s["id"] for s in p.get("sites", [])})
        self.hours = QLineEdit(p.get("hours") or "", self)
        self.hours.setPlaceholderText(self.tr("e.g. 06:00-22:00 (empty: any time)"))
        self.valid_from = DateField(p.get("valid_from"), self)
        self.valid_to = DateField(p.get("valid_to"), self)
        self.message = _form(self, [(self.tr("Plate"), self.plate), (self.tr("Company"), self.company),
                                    (self.tr("Permitted routes"), self.routes), (self.tr("Permitted sites"), self.sites),
                                    (self.tr("Permitted hours"), self.hours), (self.tr("Valid from"), self.valid_from),
                                    (self.tr("Valid to (inclusive)"), self.valid_to)])
        self.message.setObjectName("permitMessage")
        self.resize(520, 480)

    def values(self) -> dict[str, Any]:
        return {"unit_id": self.unit_id, "plate": self.plate.text().strip(), "company": self.company.currentData(),
                "routes": _checked(self.routes), "sites": _checked(self.sites), "hours": self.hours.text().strip(),
                "valid_from": self.valid_from.value(), "valid_to": self.valid_to.value()}

    def submit(self) -> None:
        run_op(self, "truck.permit_save", {"truck": self.values()}, on_done=lambda _r: self.accept(),
               on_refused=self.message.setText)


def _form(dialog: Any, rows: list[tuple[str, QWidget]]) -> QLabel:
    """Lay out a permit dialog: its rows, the line for the core's refusal (returned), Save and Cancel."""
    message = QLabel("", dialog)
    message.setWordWrap(True)
    theme.tone(message, "error_text")
    form = QFormLayout()
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    for caption, field in rows:
        form.addRow(caption, field)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, dialog)
    buttons.accepted.connect(dialog.submit)
    buttons.rejected.connect(dialog.reject)
    lay = QVBoxLayout(dialog)
    lay.addLayout(form)
    lay.addWidget(message)
    lay.addWidget(buttons)
    return message


class CompanyDialog(QDialog):
    """A transport company's permit: number and validity (`company.save`)."""

    def __init__(self, company: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("companyDialog")
        self.company_id = company["id"]
        self.setWindowTitle(self.tr("Company permit of %1").replace("%1", company.get("name") or company["id"]))
        self.name = QLineEdit(company.get("name") or "", self)
        self.permit_no = QLineEdit(company.get("permit_no") or "", self)
        self.valid_from = DateField(company.get("valid_from"), self)
        self.valid_to = DateField(company.get("valid_to"), self)
        self.message = _form(self, [(self.tr("Company"), self.name), (self.tr("Permit number"), self.permit_no),
                                    (self.tr("Valid from"), self.valid_from),
                                    (self.tr("Valid to (inclusive)"), self.valid_to)])

    def values(self) -> dict[str, Any]:
        return {"id": self.company_id, "name": self.name.text().strip(), "permit_no": self.permit_no.text().strip(),
                "valid_from": self.valid_from.value(), "valid_to": self.valid_to.value()}

    def submit(self) -> None:
        run_op(self, "company.save", {"company": self.values()}, on_done=lambda _r: self.accept(),
               on_refused=self.message.setText)


class TruckCard(QWidget):
    """The selected truck's papers and open alerts; reloaded when its permit, company or alerts change."""

    loaded = Signal(dict)
    show_on_map = Signal(float, float)

    def __init__(self, parent: QWidget | None = None, *, poll_ms: int = 400) -> None:
        super().__init__(parent)
        self.setObjectName("truckCard")
        self.unit_id: str | None = None
        self.card: dict[str, Any] | None = None
        self.zones: list[dict[str, Any]] = []  # features, for the permit dialog's choices
        self.title = QLabel(self.tr("Select a truck on the map or in the unit board"), self)
        self.title.setStyleSheet("font-weight:bold;font-size:15px")
        self.title.setWordWrap(True)
        self.body = QLabel("", self)
        self.body.setObjectName("truckCardBody")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.alerts = QListWidget(self)
        self.alerts.setObjectName("truckAlerts")
        self.alerts.itemDoubleClicked.connect(self._locate)
        self.edit_permit = QPushButton(self.tr("Edit permit…"), self)
        self.edit_permit.clicked.connect(self.open_permit_dialog)
        self.edit_company = QPushButton(self.tr("Edit company permit…"), self)
        self.edit_company.clicked.connect(self.open_company_dialog)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        theme.tone(self.message, "error_text")
        row = QHBoxLayout()
        row.addWidget(self.edit_permit)
        row.addWidget(self.edit_company)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.title)
        lay.addWidget(self.body)
        self.camera = TruckPhoto(self)  # the newest photo of its cameras, and one asked for now
        lay.addWidget(self.camera)
        self.alerts_title = QLabel(self.tr("Open alerts"), self)
        self.alerts_title.setStyleSheet("font-weight:bold")
        lay.addWidget(self.alerts_title)
        lay.addWidget(self.alerts, 1)
        lay.addLayout(row)
        lay.addWidget(self.message)
        self.dialog: QDialog | None = None
        self._lock = threading.Lock()
        self._dirty = False
        self._show_buttons(False)
        self.poll = QTimer(self)
        self.poll.timeout.connect(self._poll)
        self.poll.start(poll_ms)

    def _show_buttons(self, on: bool) -> None:
        self.edit_permit.setEnabled(on)
        self.edit_company.setEnabled(on and bool(self.card and self.card.get("company")))

    # ------------------------------------------------------------- loading
    def note_changes(self, changes: Any) -> None:
        """Core subscriber (any thread): reload when this truck's papers, its company or alerts changed."""
        uid = self.unit_id
        if uid is None:
            return
        if changes.alerts or f"unit:{uid}" in changes.entities or any(
                e.startswith(("company:", "zone:")) or e == "zones" for e in changes.entities):
            with self._lock:
                self._dirty = True

    def _poll(self) -> None:
        with self._lock:
            dirty, self._dirty = self._dirty, False
        if dirty and self.unit_id is not None:
            self.refresh()

    def show_unit(self, unit_id: str) -> None:
        self.unit_id = unit_id
        self.refresh()

    def refresh(self) -> None:
        uid = self.unit_id
        if uid is None:
            return
        run_op(self, "truck.card", {"unit_id": uid}, on_done=self.render, on_refused=self.message.setText,
               quiet=True)

    def render(self, card: dict[str, Any]) -> None:
        if card["unit_id"] != self.unit_id:
            return  # an older answer than the selection
        self.card = card
        self.message.setText("")
        self.title.setText(f"{card['plate']}  ·  {card['name']}" if card["plate"] != card["name"] else card["plate"])
        esc = html.escape
        none = esc(self.tr("none"))
        c, p = card.get("company"), card.get("permit")
        lines = []

        def row(name: str, value: str) -> None:
            lines.append(f"<tr><td style='color:#546e7a;padding-right:10px'>{esc(name)}</td><td>{value}</td></tr>")

        def validity(x: dict[str, Any] | None) -> str:
            if not x or not (x.get("valid_from") or x.get("valid_to")):
                return esc(self.tr("no dates"))
            return esc(f"{x.get('valid_from') or '…'} — {x.get('valid_to') or '…'}")

        row(self.tr("Company"), esc(c["name"]) if c else none)
        if c:
            row(self.tr("Company permit"), esc(c.get("permit_no") or "—"))
            row(self.tr("Company permit valid"), validity(c))
        if p:
            row(self.tr("Truck permit valid"), validity(p))
            row(self.tr("Permitted routes"), esc(", ".join(z["name"] for z in p["routes"])) or none)
            row(self.tr("Permitted sites"), esc(", ".join(z["name"] for z in p["sites"])) or none)
            row(self.tr("Permitted hours"), esc(p.get("hours") or self.tr("any time")))
        else:
            row(self.tr("Permit"), esc(self.tr("no permit on record")))
        if card.get("permit_issue"):
            row(self.tr("Papers"), f"<b style='color:#c62828'>{esc(papers_issue(*card['permit_issue']))}</b>")
        elif p:
            good = esc(self.tr("valid now"))
            row(self.tr("Papers"), f"<span style='color:#2e7d32'>{good}</span>")
        d = card.get("driver")
        if d:  # a terminal with a card reader read the driver's qualification card (JT/T 808 0x0702)
            who = [esc(d.get("name") or self.tr("(no name on the card)"))]
            if d.get("certificate"):
                who.append(esc(self.tr("certificate %1").replace("%1", d["certificate"])))
            if d.get("time"):
                who.append(esc(self.tr("card in since %1").replace("%1", clock_text(d["time"], with_date=True))))
            row(self.tr("Driver"), " · ".join(who))
        w = card.get("waybill")
        if w:  # the newest electronic waybill its terminal sent (JT/T 808 0x0701)
            said = w["text"] if w.get("text") is not None else self.tr("%1 bytes, not text").replace("%1", str(w["size"]))
            said = said if len(said) <= WAYBILL_SHOWN else said[:WAYBILL_SHOWN - 1] + "…"
            row(self.tr("Waybill"), esc(said) + " · " + esc(clock_text(w["at"], with_date=True)))
        pos = card.get("position")
        if pos:
            row(self.tr("Last fix"), esc(clock_text(pos["ts"], with_date=True)))
        self.body.setText("<table>" + "".join(lines) + "</table>")
        self.alerts.clear()
        for a in card["alerts"]:
            text = f"{label(SEVERITIES, a['severity'])} · {label(RULES, a['rule'])} · {clock_text(a['ts'])}"
            said = describe(a)
            if said:
                text += f" · {said}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, (a["lat"], a["lon"]))
            self.alerts.addItem(item)
        self.alerts_title.setText(self.tr("Open alerts: %1").replace("%1", str(len(card["alerts"]))))
        self._show_buttons(card["kind"] == "truck")
        self.camera.set_card(card)
        self.loaded.emit(card)

    def _locate(self, item: QListWidgetItem) -> None:
        lat, lon = item.data(Qt.ItemDataRole.UserRole)
        self.show_on_map.emit(float(lat), float(lon))

    # ------------------------------------------------------------- editing
    def open_permit_dialog(self) -> None:
        if self.card is None:
            return
        card = self.card

        def got(companies: list[dict[str, Any]]) -> None:
            self.dialog = PermitDialog(card, companies, self.zones, self)
            self.dialog.accepted.connect(self.refresh)
            self.dialog.open()

        run_op(self, "companies", {}, on_done=got, on_refused=self.message.setText)

    def open_company_dialog(self) -> None:
        if self.card is None or not self.card.get("company"):
            return
        self.dialog = CompanyDialog(self.card["company"], self)
        self.dialog.accepted.connect(self.refresh)
        self.dialog.open()
