"""The dialogs of the Case files tab's actions (console/cases/actions.py): a new case, its party, the penalty with
the discretion benchmark's range, a review's outcome, a track excerpt. They only collect what the operation takes;
the core decides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from console.cases.common import violation_label, zh
from dispatch.cases import law
from dispatch.cases.catalogue import propose

_KIND_OF = {".jpg": "photo", ".jpeg": "photo", ".png": "photo", ".heic": "photo", ".webp": "photo",
            ".mp4": "video", ".mov": "video", ".avi": "video", ".mkv": "video", ".ts": "video",
            ".pdf": "document", ".doc": "document", ".docx": "document", ".gpx": "track", ".kml": "track"}


def evidence_kind(path: str) -> str:
    return _KIND_OF.get(Path(path).suffix.lower(), "other")


def circumstance_label(key: str) -> str:
    zh_name, en = law.CIRCUMSTANCE_NAMES[key]
    return zh_name if zh() else en


class _PartyFields:
    """The party's fields, shared by the new case's dialog and the party's."""

    def __init__(self, dialog: QDialog, form: QFormLayout, party: dict[str, Any] | None = None) -> None:
        p = party or {}
        self.type = QComboBox(dialog)
        self.type.setObjectName("partyType")
        self.type.addItem(dialog.tr("Person"), "person")
        self.type.addItem(dialog.tr("Organisation"), "organisation")
        self.type.setCurrentIndex(max(self.type.findData(p.get("type") or "person"), 0))
        self.name = QLineEdit(p.get("name") or "", dialog)
        self.name.setObjectName("partyName")
        self.id_number = QLineEdit(p.get("id_number") or "", dialog)
        self.address = QLineEdit(p.get("address") or "", dialog)
        self.contact = QLineEdit(p.get("contact") or "", dialog)
        self.representative = QLineEdit(p.get("representative") or "", dialog)
        form.addRow(dialog.tr("Party"), self.type)
        form.addRow(dialog.tr("Name"), self.name)
        form.addRow(dialog.tr("ID or credit code"), self.id_number)
        form.addRow(dialog.tr("Address"), self.address)
        form.addRow(dialog.tr("Contact"), self.contact)
        self._rep_label = QLabel(dialog.tr("Legal representative"), dialog)
        form.addRow(self._rep_label, self.representative)
        self.type.currentIndexChanged.connect(lambda _i: self._type_changed())
        self._type_changed()

    def _type_changed(self) -> None:
        org = self.type.currentData() == "organisation"
        self._rep_label.setVisible(org)
        self.representative.setVisible(org)

    def args(self) -> dict[str, Any]:
        org = self.type.currentData() == "organisation"
        return {"party_type": self.type.currentData(), "party_name": self.name.text().strip(),
                "id_number": self.id_number.text().strip() or None, "address": self.address.text().strip() or None,
                "contact": self.contact.text().strip() or None,
                "representative": (self.representative.text().strip() or None) if org else None}


def ok_cancel(dialog: QDialog, form: QFormLayout, ok: str | None = None) -> QDialogButtonBox:
    """The form's last row: OK (named `ok`, else the platform's word) and Cancel, accepting and rejecting the dialog."""
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog)
    if ok is not None:
        box.button(QDialogButtonBox.StandardButton.Ok).setText(ok)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    form.addRow(box)
    return box


class NewCaseDialog(QDialog):
    """A new case: the violation from the bureau's catalogue, the party, and where it came from. With the incident
    selected in the console, the case is opened from it (its facts, place and time unless given here)."""

    def __init__(self, catalogue: dict[str, Any], incident: dict[str, Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newCaseDialog")
        self.setWindowTitle(self.tr("Open a case"))
        form = QFormLayout(self)
        self.from_incident = QCheckBox(self)
        self.from_incident.setObjectName("fromIncident")
        self.incident = incident
        if incident is not None:
            self.from_incident.setText(self.tr("From incident %1: %2").replace("%1", str(incident["id"]))
                                       .replace("%2", str(incident.get("text") or "")[:60]))
            self.from_incident.setChecked(True)
            form.addRow(self.from_incident)
        self.violation = QComboBox(self)
        self.violation.setObjectName("caseViolation")
        for v in catalogue.get("violations") or []:
            self.violation.addItem(violation_label(v), v["code"])
            self.violation.setItemData(self.violation.count() - 1, v.get("legal_basis") or "",
                                       Qt.ItemDataRole.ToolTipRole)
        category = (incident or {}).get("category")
        match = next((i for i, v in enumerate(catalogue.get("violations") or []) if category
                      and v.get("category") == category), 0)
        self.violation.setCurrentIndex(match)
        form.addRow(self.tr("Violation"), self.violation)
        self.party = _PartyFields(self, form)
        self.place = QLineEdit(self)
        self.facts = QPlainTextEdit(self)
        self.facts.setObjectName("caseFacts")
        self.facts.setFixedHeight(70)
        self.when_given = QCheckBox(self.tr("Time of the violation"), self)
        self.when = QDateTimeEdit(QDateTime.currentDateTime(), self)
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.when.setEnabled(False)
        self.when_given.toggled.connect(self.when.setEnabled)
        form.addRow(self.tr("Place"), self.place)
        form.addRow(self.tr("Facts"), self.facts)
        form.addRow(self.when_given, self.when)
        self.from_incident.toggled.connect(lambda _on: self._placeholders())
        self._placeholders()
        self.buttons = ok_cancel(self, form, self.tr("Open case"))
        self.party.name.textChanged.connect(lambda _t: self._ok())
        self._ok()
        self.setMinimumWidth(520)

    def _placeholders(self) -> None:
        linked = self.incident is not None and self.from_incident.isChecked()
        self.place.setPlaceholderText(self.tr("the incident's address") if linked else "")
        self.facts.setPlaceholderText(self.tr("the incident's description") if linked else "")
        self.when_given.setText(self.tr("Time of the violation (else the incident's report time)") if linked
                                else self.tr("Time of the violation (else now)"))

    def _ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            bool(self.party.name.text().strip()) and self.violation.count() > 0)

    def args(self) -> dict[str, Any]:
        a: dict[str, Any] = {"violation": self.violation.currentData(), **self.party.args(),
                             "place": self.place.text().strip() or None,
                             "facts": self.facts.toPlainText().strip() or None}
        if self.incident is not None and self.from_incident.isChecked():
            a["incident_id"] = self.incident["id"]
        if self.when_given.isChecked():
            a["violation_at"] = self.when.dateTime().toSecsSinceEpoch()
        return a


class PartyDialog(QDialog):
    """The party corrected or completed (before the decision), with a note of why."""

    def __init__(self, case: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("partyDialog")
        self.setWindowTitle(self.tr("Party of case %1").replace("%1", str(case["id"])))
        form = QFormLayout(self)
        self.party = _PartyFields(self, form, case.get("party"))
        self.note = QLineEdit(self)
        self.note.setPlaceholderText(self.tr("Why (e.g. the ID checked on site)"))
        form.addRow(self.tr("Note"), self.note)
        self.buttons = ok_cancel(self, form, self.tr("Save"))
        self.setMinimumWidth(460)

    def args(self) -> dict[str, Any]:
        return {**self.party.args(), "note": self.note.text().strip() or None}


class PenaltyDialog(QDialog):
    """The penalty proposed: the circumstance and first or repeated offence give the benchmark's range, shown as it
    is chosen; a penalty outside it needs a written reason and then goes to the shift lead for approval."""

    def __init__(self, case: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("penaltyDialog")
        self.setWindowTitle(self.tr("Penalty of case %1").replace("%1", str(case["id"])))
        self.case = case
        pen = case.get("penalty") or {}
        form = QFormLayout(self)
        self.circumstance = QComboBox(self)
        self.circumstance.setObjectName("circumstance")
        for key in law.CIRCUMSTANCES:
            self.circumstance.addItem(circumstance_label(key), key)
        self.circumstance.setCurrentIndex(max(self.circumstance.findData(pen.get("circumstance") or "ordinary"), 0))
        self.repeat = QCheckBox(self.tr("Repeated offence"), self)
        self.repeat.setChecked(bool(pen.get("repeat")))
        self.kind = QComboBox(self)
        self.kind.setObjectName("penaltyKind")
        self.kind.addItem(self.tr("Fine"), "fine")
        self.kind.addItem(self.tr("Warning"), "warning")
        self.kind.setCurrentIndex(max(self.kind.findData(pen.get("kind") or "fine"), 0))
        self.amount = QDoubleSpinBox(self)
        self.amount.setObjectName("penaltyAmount")
        self.amount.setRange(0, 10_000_000)
        self.amount.setDecimals(2)
        self.amount.setSuffix(" " + self.tr("yuan"))
        self.range = QLabel(self)
        self.range.setObjectName("benchmarkRange")
        self.range.setWordWrap(True)
        self.reason = QPlainTextEdit(pen.get("reason") or "", self)
        self.reason.setObjectName("penaltyReason")
        self.reason.setFixedHeight(60)
        self.reason.setPlaceholderText(self.tr("Written reason, needed for a penalty outside the benchmark"))
        form.addRow(self.tr("Circumstance"), self.circumstance)
        form.addRow("", self.repeat)
        form.addRow(self.tr("Penalty"), self.kind)
        form.addRow(self.tr("Amount"), self.amount)
        form.addRow(self.tr("Benchmark"), self.range)
        form.addRow(self.tr("Reason"), self.reason)
        self.buttons = ok_cancel(self, form, self.tr("Propose"))
        if pen.get("amount"):
            self.amount.setValue(float(pen["amount"]))
        else:
            p = self.proposal()
            self.amount.setValue(p.low if p is not None else 0.0)
        for w in (self.circumstance, self.kind):
            w.currentIndexChanged.connect(lambda _i: self._update())
        self.repeat.toggled.connect(lambda _on: self._update())
        self.amount.valueChanged.connect(lambda _v: self._update())
        self._update()
        self.setMinimumWidth(460)

    def proposal(self) -> Any:
        bench = self.case.get("benchmark")
        if not bench:
            return None
        return propose({"benchmark": bench}, self.case["party"]["type"], self.circumstance.currentData(),
                       self.repeat.isChecked())

    def _update(self) -> None:
        warning = self.kind.currentData() == "warning"
        self.amount.setEnabled(not warning)
        p = self.proposal()
        if p is None:
            self.range.setText("—")
            return
        text = self.tr("%1–%2 yuan").replace("%1", f"{p.low:g}").replace("%2", f"{p.high:g}")
        if p.warning:
            text += self.tr(", or a warning")
        inside = p.contains(str(self.kind.currentData()), 0.0 if warning else self.amount.value())
        if not inside:
            text += "\n" + self.tr("Outside the benchmark: give the reason; the shift lead approves it")
        self.range.setText(text)
        self.range.setStyleSheet("" if inside else "color:#b71c1c")

    def args(self) -> dict[str, Any]:
        kind = self.kind.currentData()
        return {"circumstance": self.circumstance.currentData(), "kind": kind, "repeat": self.repeat.isChecked(),
                "amount": None if kind == "warning" else self.amount.value(),
                "reason": self.reason.toPlainText().strip() or None}


class ReviewDialog(QDialog):
    """The outcome of a reconsideration (行政复议) or a lawsuit (行政诉讼) on the decision: counted in the officers'
    supervision when it overturns."""

    def __init__(self, case: dict[str, Any], parent: QWidget | None = None) -> None:
        from PySide6.QtCore import QDate
        from PySide6.QtWidgets import QDateEdit

        super().__init__(parent)
        self.setObjectName("reviewDialog")
        self.setWindowTitle(self.tr("Review of case %1").replace("%1", str(case["id"])))
        form = QFormLayout(self)
        self.body = QComboBox(self)
        for key, (zh_name, en) in law.REVIEW_BODIES.items():
            self.body.addItem(zh_name if zh() else en, key)
        self.outcome = QComboBox(self)
        self.outcome.setObjectName("reviewOutcome")
        for key, (zh_name, en) in law.REVIEW_OUTCOMES.items():
            self.outcome.addItem(zh_name if zh() else en, key)
        self.date = QDateEdit(QDate.currentDate(), self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.number = QLineEdit(self)
        self.number.setObjectName("reviewNumber")
        self.number.setPlaceholderText(self.tr("e.g. 柳政复决〔2026〕12号"))
        self.note = QLineEdit(self)
        form.addRow(self.tr("Reviewed by"), self.body)
        form.addRow(self.tr("Outcome"), self.outcome)
        form.addRow(self.tr("Date"), self.date)
        form.addRow(self.tr("Document number"), self.number)
        form.addRow(self.tr("Note"), self.note)
        self.buttons = ok_cancel(self, form, self.tr("Record"))
        self.setMinimumWidth(420)

    def args(self) -> dict[str, Any]:
        return {"body": self.body.currentData(), "outcome": self.outcome.currentData(),
                "date": self.date.date().toString("yyyy-MM-dd"), "number": self.number.text().strip() or None,
                "note": self.note.text().strip() or None}


class TrackDialog(QDialog):
    """A unit's track excerpt as evidence: which unit, the window (by default half an hour either side of the
    violation, at most a day), GeoJSON, GPX or both."""

    def __init__(self, case: dict[str, Any], units: list[dict[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trackDialog")
        self.setWindowTitle(self.tr("Track excerpt for case %1").replace("%1", str(case["id"])))
        form = QFormLayout(self)
        self.unit = QComboBox(self)
        self.unit.setObjectName("trackUnit")
        for u in sorted(units, key=lambda u: (u.get("kind") != "truck", u.get("name") or u["id"])):
            name = u.get("name") or u["id"]
            self.unit.addItem(f"{name} ({u['id']})" if name != u["id"] else name, u["id"])
        at = QDateTime.fromSecsSinceEpoch(int(case.get("violation_at") or QDateTime.currentSecsSinceEpoch()))
        self.start = QDateTimeEdit(at.addSecs(-1800), self)
        self.end = QDateTimeEdit(at.addSecs(1800), self)
        for w in (self.start, self.end):
            w.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
            w.setCalendarPopup(True)
        self.format = QComboBox(self)
        for key, label in (("both", self.tr("GeoJSON and GPX")), ("geojson", "GeoJSON"), ("gpx", "GPX")):
            self.format.addItem(label, key)
        self.note = QLineEdit(self)
        form.addRow(self.tr("Whose track"), self.unit)
        form.addRow(self.tr("From"), self.start)
        form.addRow(self.tr("To"), self.end)
        form.addRow(self.tr("Format"), self.format)
        form.addRow(self.tr("Note"), self.note)
        self.buttons = ok_cancel(self, form, self.tr("Add"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.unit.count() > 0)

    def args(self) -> dict[str, Any]:
        return {"unit_id": self.unit.currentData(), "start": self.start.dateTime().toSecsSinceEpoch(),
                "end": self.end.dateTime().toSecsSinceEpoch(), "format": self.format.currentData(),
                "note": self.note.text().strip() or None}
