"""The selected case: what it is, its deadlines counting down, the timeline of its steps (who and when), its
documents (number, hash; save the PDF) and evidence, and what a case officer does next: advance a step with the
officers picked from the roster, or issue a document. Everything goes to the core through operations off the GUI
thread; a refusal is shown in the core's own words (it names the article of the law).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.cases import actions
from console.cases.common import (
    DOCUMENTS,
    EVIDENCE_KINDS,
    STEP_ARGS,
    countdown,
    deadline_label,
    document_label,
    link_target,
    review_label,
    save_document,
    stage_label,
    step_label,
    violation_label,
)
from console.i18n import t
from console.incidents.common import clock_text, run_op, size_text
from dispatch.cases import law


def _button(parent: QWidget, text: str, name: str, slot: Callable[[], Any]) -> QPushButton:
    """A push button named `name` (tests and the greying find it by it) that runs `slot` when clicked."""
    b = QPushButton(text, parent)
    b.setObjectName(name)
    b.clicked.connect(lambda: slot())
    return b


def _page(page: QWidget, table: QWidget, *buttons: QWidget) -> None:
    """A tab's page: its table, and below it on the right the buttons that act on it."""
    lay = QVBoxLayout(page)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(table, 1)
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    lay.addLayout(row)


def _table(parent: QWidget, name: str, headers: list[str], stretch: int) -> QTableWidget:
    tbl = QTableWidget(0, len(headers), parent)
    tbl.setObjectName(name)
    tbl.setHorizontalHeaderLabels(headers)
    tbl.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    tbl.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    tbl.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    tbl.verticalHeader().setVisible(False)
    tbl.verticalHeader().setDefaultSectionSize(22)
    h = tbl.horizontalHeader()
    h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    h.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return tbl


def _fill(tbl: QTableWidget, rows: list[list[str]], tips: list[list[str]] | None = None) -> None:
    tbl.setRowCount(len(rows))
    for i, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            tip = tips[i][c] if tips else ""
            item.setToolTip(tip or text)
            tbl.setItem(i, c, item)


class CaseDetail(QWidget):
    changed = Signal()  # a step or a document was recorded: the list re-reads
    status_message = Signal(str)
    incident_requested = Signal(int)  # the report the case was opened from, clicked in the header

    def __init__(self, core: Any, parent: QWidget | None = None, *, clock: Callable[[], float] | None = None,
                 reveal: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("caseDetail")
        self.core = core
        self.clock = clock or core.clock
        self.reveal = reveal
        self.case_id: int | None = None
        self.data: dict[str, Any] | None = None
        self.roster: list[dict[str, Any]] = []
        self._ticket = 0
        self._lock = threading.Lock()

        self.header = QLabel(self.tr("Select a case"), self)
        self.header.setObjectName("caseHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                            | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.header.linkActivated.connect(self._link)
        self.deadlines = QLabel("", self)
        self.deadlines.setObjectName("caseDeadlines")
        self.deadlines.setWordWrap(True)
        self.deadlines.setTextFormat(Qt.TextFormat.RichText)

        self.tabs = QTabWidget(self)
        self.timeline = _table(self, "caseTimeline", [self.tr("Time"), self.tr("Who"), self.tr("Step"),
                                                      self.tr("Officers"), self.tr("Note")], 4)
        docs = QWidget(self)
        self.documents = _table(docs, "caseDocuments", [self.tr("Number"), self.tr("Document"), self.tr("Issued"),
                                                        self.tr("SHA-256"), self.tr("State")], 1)
        self.save_button = _button(docs, self.tr("Save PDF…"), "saveDocument", lambda: self.save_selected_document())
        self.export_button = _button(docs, self.tr("Export dossier…"), "exportDossier",
                                     lambda: actions.export_dossier(self))
        _page(docs, self.documents, self.save_button, self.export_button)
        evidence = QWidget(self)
        self.evidence = _table(evidence, "caseEvidence", [self.tr("Kind"), self.tr("Name"), self.tr("Size"),
                                                          self.tr("SHA-256"), self.tr("Added by")], 1)
        self.photo_button = _button(evidence, self.tr("Add a truck photo…"), "addTruckPhoto",
                                    lambda: self.open_photo_picker())
        self.photo_button.setToolTip(self.tr("A photo a truck's camera uploaded (JT/T 808), by its SHA-256"))
        self.evidence_button = _button(evidence, self.tr("Add files…"), "addEvidence",
                                       lambda: actions.add_evidence_files(self))
        self.video_button = _button(evidence, self.tr("Incident's video"), "videoToCase",
                                    lambda: actions.carry_video(self))
        self.track_button = _button(evidence, self.tr("Track excerpt…"), "trackToCase",
                                    lambda: actions.add_track(self))
        _page(evidence, self.evidence, self.evidence_button, self.video_button, self.track_button, self.photo_button)
        self.photo_picker: QDialog | None = None
        self.tabs.addTab(self.timeline, self.tr("Timeline"))
        self.tabs.addTab(docs, self.tr("Documents"))
        self.tabs.addTab(evidence, self.tr("Evidence"))

        # ---- what a case officer does next
        box = QGroupBox(self.tr("Next step"), self)
        self.step = QComboBox(box)
        self.step.setObjectName("caseStep")
        self.step.currentIndexChanged.connect(lambda _i: self._show_step_fields())
        self.officer_a = QComboBox(box)
        self.officer_a.setObjectName("officerA")
        self.officer_b = QComboBox(box)
        self.officer_b.setObjectName("officerB")
        self.note = QLineEdit(box)
        self.note.setObjectName("caseNote")
        self.note.setPlaceholderText(self.tr("Note (what was done, the party's statement…)"))
        self.at = QDateEdit(box)
        self.at.setCalendarPopup(True)
        self.at.setDisplayFormat("yyyy-MM-dd")
        self.at.setDate(QDate.currentDate().addDays(10))  # §64(2): the hearing at least 7 working days ahead
        self.days = QSpinBox(box)
        self.days.setRange(1, 90)
        self.days.setValue(law.EXTENSION_DAYS)
        self.days.setSuffix(" " + t("%1 d").replace("%1", "").strip())
        self.amount = QDoubleSpinBox(box)
        self.amount.setRange(0, 10_000_000)
        self.amount.setDecimals(2)
        self.amount.setSuffix(" " + self.tr("yuan"))
        self.penalty = QComboBox(box)
        self.penalty.addItem(self.tr("Fine"), "fine")
        self.penalty.addItem(self.tr("Warning"), "warning")
        self.fields = {"at": (QLabel(self.tr("Hearing on"), box), self.at),
                       "days": (QLabel(self.tr("Extended by"), box), self.days),
                       "amount": (QLabel(self.tr("Amount"), box), self.amount),
                       "penalty": (QLabel(self.tr("Penalty"), box), self.penalty)}
        self.advance_button = _button(box, self.tr("Record step"), "advanceCase", self.advance)
        self.doc_kind = QComboBox(box)
        self.doc_kind.setObjectName("documentKind")
        for kind in DOCUMENTS:
            self.doc_kind.addItem(document_label(kind), kind)
        self.reissue = QCheckBox(self.tr("Supersede the current one"), box)
        self.doc_button = _button(box, self.tr("Issue document"), "issueDocument", self.issue_document)
        # four columns, so the box fits a side panel beside the map (640 px in a 1600-px window): the step and
        # its button, the two officers, the step's own fields and the note, the document and its button
        for combo in (self.step, self.doc_kind):  # long labels elided in the box, shown whole in the list
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        _fit_popup(self.doc_kind)
        g = QGridLayout(box)
        g.setContentsMargins(6, 6, 6, 6)
        g.addWidget(QLabel(self.tr("Step"), box), 0, 0)
        g.addWidget(self.step, 0, 1, 1, 2)
        g.addWidget(self.advance_button, 0, 3)
        g.addWidget(QLabel(self.tr("Officers"), box), 1, 0)
        g.addWidget(self.officer_a, 1, 1)
        g.addWidget(self.officer_b, 1, 2)
        extra = QHBoxLayout()
        for label, w in self.fields.values():
            extra.addWidget(label)
            extra.addWidget(w)
        extra.addWidget(self.note, 1)
        g.addLayout(extra, 2, 0, 1, 4)
        g.addWidget(QLabel(self.tr("Document"), box), 3, 0)
        g.addWidget(self.doc_kind, 3, 1, 1, 2)
        g.addWidget(self.doc_button, 3, 3)
        g.addWidget(self.reissue, 4, 1, 1, 3)
        g.setColumnStretch(1, 1)
        g.setColumnStretch(2, 1)
        self.actions = box
        self.message = QLabel("", self)
        self.message.setObjectName("caseMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # what changes the case besides its steps: the party, the penalty and its approval (console/cases/actions.py)
        self.party_button = _button(self, self.tr("Party…"), "editParty", lambda: actions.edit_party(self))
        self.penalty_button = _button(self, self.tr("Penalty…"), "proposePenalty",
                                      lambda: actions.propose_penalty(self))
        self.approve_button = _button(self, self.tr("Approve penalty…"), "approvePenalty",
                                      lambda: actions.approve_penalty(self))
        self.review_button = _button(self, self.tr("Review…"), "recordReview", lambda: actions.record_review(self))
        case_row = QHBoxLayout()
        case_row.addWidget(self.party_button)
        case_row.addWidget(self.penalty_button)
        case_row.addWidget(self.approve_button)
        case_row.addWidget(self.review_button)
        case_row.addStretch(1)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(self.header)
        lay.addLayout(case_row)
        lay.addWidget(self.deadlines)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(box)
        lay.addWidget(self.message)
        self._show_step_fields()
        self._set_enabled(False)

    # ------------------------------------------------------------------ data
    def _set_enabled(self, on: bool) -> None:
        self.actions.setEnabled(on)
        self.save_button.setEnabled(on)
        self.photo_button.setEnabled(on)
        now = actions.may_now(self) if on else {}
        for key, button in (("party", self.party_button), ("penalty", self.penalty_button),
                            ("approve", self.approve_button), ("evidence", self.evidence_button),
                            ("video", self.video_button), ("track", self.track_button),
                            ("review", self.review_button),
                            ("export", self.export_button)):
            ok, why = now.get(key, (False, ""))
            button.setEnabled(ok)
            button.setToolTip("" if ok else why)

    def open_photo_picker(self) -> None:
        """A truck camera's photo into this case's evidence (console/cases/photos.py)."""
        if self.case_id is None:
            return
        from console.cases.photos import PhotoPicker

        self.photo_picker = PhotoPicker(self.case_id, self)
        self.photo_picker.accepted.connect(self.reload)
        self.photo_picker.open()

    def note_changes(self, changes: Any) -> None:
        """Core subscriber (any thread): the shown case changed elsewhere -> re-read it (on the GUI thread)."""
        if self.case_id is not None and f"case:{self.case_id}" in changes.entities:
            from console.operations import run_on_main

            run_on_main(self.reload)

    def set_roster(self, officers: list[dict[str, Any]]) -> None:
        """The officers to pick from: every one on the roster (the core refuses an invalid certificate, §55)."""
        if [o["id"] for o in officers] == [o["id"] for o in self.roster] and \
                [o["valid"] for o in officers] == [o["valid"] for o in self.roster]:
            return
        self.roster = list(officers)
        for combo in (self.officer_a, self.officer_b):
            keep = combo.currentData()
            combo.clear()
            combo.addItem("—", None)
            for o in officers:
                label = f"{o['name']} ({o['certificate']})"
                if not o["valid"]:
                    label += " · " + (self.tr("revoked") if o["revoked"] else self.tr("expired"))
                combo.addItem(label, o["id"])
            i = combo.findData(keep)
            combo.setCurrentIndex(max(i, 0))

    def show_case(self, case_id: int | None) -> None:
        self.case_id = case_id
        self.message.setText("")
        if case_id is None:
            self.data = None
            self.header.setText(self.tr("Select a case"))
            self.deadlines.setText("")
            for tbl in (self.timeline, self.documents, self.evidence):
                tbl.setRowCount(0)
            self._set_enabled(False)
            return
        self.reload()

    def reload(self) -> None:
        if self.case_id is None:
            return
        self._ticket += 1
        ticket, cid = self._ticket, self.case_id

        def done(d: dict[str, Any]) -> None:
            if ticket == self._ticket and cid == self.case_id:
                self.render(d)

        run_op(self, "case.show", {"case_id": cid, "reveal": self.reveal}, on_done=done,
               on_refused=self.show_refusal, quiet=True)

    def _link(self, href: str) -> None:
        iid = link_target(href, "incident")
        if iid is not None:
            self.incident_requested.emit(iid)

    # ---------------------------------------------------------------- render
    def render(self, d: dict[str, Any]) -> None:
        self.data = d
        self._set_enabled(True)
        p, pen = d["party"], d.get("penalty") or {}
        party = _esc(" · ".join(x for x in (p["name"], p.get("id_number"), p.get("address"), p.get("contact")) if x))
        if p.get("masked"):
            party += " <span style='color:#78909c'>(" + self.tr("personal data masked") + ")</span>"
        if pen.get("kind") == "warning":
            ptext = self.tr("warning")
        elif pen:
            ptext = self.tr("fine %1 yuan").replace("%1", f"{float(pen['amount']):g}")
            if pen.get("outside_range") and not pen.get("approved"):
                ptext += " (" + self.tr("outside the benchmark, awaiting approval") + ")"
        else:
            ptext = "—"
        proc = self.tr("simple procedure") if d["procedure"] == "simple" else self.tr("ordinary procedure")
        lines = [f"<b>{self.tr('Case %1').replace('%1', str(d['id']))}</b> · {stage_label(d['stage'])} · {proc}"
                 + (f" · <a href='incident:{int(d['incident_id'])}'>"
                    f"{self.tr('from incident %1').replace('%1', str(d['incident_id']))}</a>"
                    if d.get("incident_id") else ""),
                 f"{self.tr('Violation')}: {_esc(violation_label(d['violation']))} "
                 f"<span style='color:#78909c'>{_esc(d['violation'].get('legal_basis', ''))}</span>",
                 f"{self.tr('Party')}: {party}",
                 f"{self.tr('Penalty')}: {ptext}"]
        if d.get("review"):
            r = d["review"]
            colour = "#b71c1c" if d.get("overturned") else "#2e7d32"
            lines.append(f"{self.tr('Review')}: <span style='color:{colour}'>{_esc(review_label(r))}</span> "
                         f"{law.iso_day(r['date'])} {_esc(r['number'])}")
        self.header.setText("<br>".join(lines))
        self._render_deadlines()
        names = {o["id"]: o["name"] for o in self.roster}
        acts = d.get("acts") or []
        _fill(self.timeline, [[clock_text(a["time"], with_date=True), a["actor"].split(":", 1)[-1],
                               step_label(a.get("step")) or a["kind"],
                               "、".join(names.get(o, o) for o in a.get("officers") or []), a.get("note") or ""]
                              for a in acts],
              [["", a["actor"], a["kind"], ", ".join(a.get("officers") or []), a.get("note") or ""] for a in acts])
        self.timeline.scrollToBottom()
        docs = d.get("documents") or []
        _fill(self.documents, [[x["number"], document_label(x["kind"]), clock_text(x.get("issued_at"), with_date=True),
                                x["sha256"][:16] + "…",
                                self.tr("superseded by %1").replace("%1", x["superseded_by"])
                                if x.get("superseded_by") else self.tr("in force")] for x in docs],
              [[x["number"], x.get("title", ""), "", x["sha256"], ""] for x in docs])
        for i, x in enumerate(docs):
            self.documents.item(i, 0).setData(Qt.ItemDataRole.UserRole, x["number"])
        ev = d.get("evidence") or []
        _fill(self.evidence, [[t(EVIDENCE_KINDS.get(e.get("kind") or "", "Other")), e["name"], size_text(e.get("size")),
                               e["sha256"][:16] + "…", str(e.get("added_by", "")).split(":", 1)[-1]] for e in ev],
              [["", e.get("note") or e["name"], "", e["sha256"], ""] for e in ev])
        self.tabs.setTabText(1, self.tr("Documents (%1)").replace("%1", str(len(docs))))
        self.tabs.setTabText(2, self.tr("Evidence (%1)").replace("%1", str(len(ev))))
        keep = self.step.currentData()
        self.step.clear()
        for k in d.get("allowed") or []:
            s = law.STEP[k]
            self.step.addItem(f"{step_label(k)} ({s.article})" if s.article else step_label(k), k)
        _fit_popup(self.step)
        i = self.step.findData(keep)
        self.step.setCurrentIndex(max(i, 0))
        self._show_step_fields()

    def _render_deadlines(self) -> None:
        d = self.data
        if not d:
            return
        now = self.clock()
        parts = []
        for x in d.get("deadlines") or []:
            name = f"{deadline_label(x['key'])} ({x['article']}) {x['due_day']}"
            if x["done"] is not None:
                state = self.tr("met") if x["met"] else self.tr("missed")
                colour = "#2e7d32" if x["met"] else "#b71c1c"
            elif not d["open"]:
                state, colour = "—", "#78909c"
            else:
                left = x["due"] - now
                state = countdown(left)
                colour = "#b71c1c" if left < 0 else ("#ef6c00" if left < 2 * law.DAY else "#000000")
            parts.append(f"{_esc(name)} <b style='color:{colour}'>{state}</b>")
        self.deadlines.setText(self.tr("Deadlines") + ": " + ("&nbsp;&nbsp;·&nbsp;&nbsp;".join(parts) or "—"))

    def tick(self) -> None:
        self._render_deadlines()

    def _show_step_fields(self) -> None:
        wanted = STEP_ARGS.get(self.step.currentData() or "", ())
        for key, (label, w) in self.fields.items():
            label.setVisible(key in wanted)
            w.setVisible(key in wanted)

    # --------------------------------------------------------------- actions
    def show_refusal(self, message: str) -> None:
        theme.tone(self.message, "error_text")
        self.message.setText(self.tr("Refused: %1").replace("%1", message))

    def say(self, text: str) -> None:
        """A success said under the case (and in the status bar): the detail's and its actions' (console/cases/actions.py)."""
        theme.tone(self.message, "ok_text")
        self.message.setText(text)
        self.status_message.emit(text)

    def picked_officers(self) -> list[str]:
        out: list[str] = []
        for combo in (self.officer_a, self.officer_b):
            v = combo.currentData()
            if v and v not in out:
                out.append(v)
        return out

    def advance(self) -> None:
        step = self.step.currentData()
        if self.case_id is None or not step:
            self.show_refusal(self.tr("nothing can be recorded on this case now"))
            return
        cid = self.case_id
        args: dict[str, Any] = {"case_id": cid, "step": step, "officers": self.picked_officers(),
                                "note": self.note.text().strip() or None}
        wanted = STEP_ARGS.get(step, ())
        if "at" in wanted:
            args["at"] = self.at.date().toString("yyyy-MM-dd")
        if "days" in wanted:
            args["days"] = self.days.value()
        if "amount" in wanted and self.amount.value() > 0:
            args["amount"] = self.amount.value()
        if "penalty" in wanted:
            args["kind"] = self.penalty.currentData()

        def done(d: dict[str, Any]) -> None:
            self.note.clear()
            if cid == self.case_id:
                self.render(d)
            self.say(self.tr("Case %1: %2 recorded").replace("%1", str(cid)).replace("%2", step_label(step)))
            self.changed.emit()

        run_op(self, "case.advance", args, on_done=done, on_refused=self.show_refusal)

    def issue_document(self) -> None:
        if self.case_id is None:
            return
        cid, kind = self.case_id, self.doc_kind.currentData()

        def done(r: dict[str, Any]) -> None:
            self.say(self.tr("%1 %2 issued, SHA-256 %3").replace("%1", document_label(kind))
                       .replace("%2", r["number"]).replace("%3", r["sha256"][:16] + "…"))
            self.reissue.setChecked(False)
            if cid == self.case_id:
                self.reload()
            self.changed.emit()

        run_op(self, "case.document", {"case_id": cid, "kind": kind, "reissue": self.reissue.isChecked(),
                                       "note": self.note.text().strip() or None},
               on_done=done, on_refused=self.show_refusal)

    def selected_document(self) -> str | None:
        rows = self.documents.selectionModel().selectedRows() if self.documents.selectionModel() else []
        if not rows:
            return None
        item = self.documents.item(rows[0].row(), 0)
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def save_selected_document(self, path: str | None = None) -> None:
        """Save the selected document's PDF (asks where unless `path` is given)."""
        number = self.selected_document()
        if self.case_id is None or number is None:
            self.show_refusal(self.tr("select a document first"))
            return
        if path is None:
            doc = next((x for x in (self.data or {}).get("documents") or [] if x["number"] == number), {})
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Save PDF"), doc.get("name") or "document.pdf",
                                                  self.tr("PDF (*.pdf)"))
            if not path:
                return
        save_document(self, self.case_id, number, path,
                      on_done=lambda p: self.say(self.tr("%1 saved to %2").replace("%1", number).replace("%2", p)),
                      on_refused=self.show_refusal)


def _esc(s: str) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fit_popup(combo: QComboBox) -> None:
    """The combo's list as wide as its longest entry (the box itself may be narrower and elide it)."""
    combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 2 * combo.view().frameWidth() + 8)
