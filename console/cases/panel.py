"""The Cases side tab: the enforcement cases with their next legal deadline counting down, the overdue ones in
red, the two-year limitation; a filter (open, overdue, closed, all); the selected case's detail below.

The core's subscriber only marks the list dirty (it may run on any thread); a GUI timer re-reads it through the
`cases` and `cases.counts` operations off the GUI thread; a one-second timer moves the countdowns from the
deadlines the core computed (no business rule here: what is due and what is overdue is the core's word).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.cases.common import (
    FILTERS,
    countdown,
    deadline_label,
    may_reveal,
    stage_label,
    violation_label,
)
from console.cases.detail import CaseDetail
from console.i18n import t
from console.incidents.common import CLOSED_FG, OVERDUE_BG, OVERDUE_FG, SYSTEM_ACTOR, run_op
from console.operations import may
from dispatch.cases import law
from dispatch.hub.duties import DUTIES

DEADLINE_CHECK_MS = int(DUTIES["cases.check_deadlines"] * 1000)  # as a hub does for its seats


class CasesPanel(QWidget):
    status_message = Signal(str)
    counts_changed = Signal(dict)  # {cases, open, overdue, closed}: the tab's badge
    case_selected = Signal(int)

    COLUMNS = ("id", "party", "violation", "stage", "officers", "deadline", "limitation")

    def __init__(self, core: Any, parent: QWidget | None = None, *, clock: Callable[[], float] | None = None,
                 poll_ms: int = 300, check_deadlines: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("casesPanel")
        self.core = core
        self.clock = clock or core.clock
        self.reveal = may_reveal(core)
        self.rows: list[dict[str, Any]] = []
        self.officers: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, int] = {}
        self.title = QLabel(self.tr("Enforcement cases"), self)
        self.title.setObjectName("casesTitle")
        self.title.setStyleSheet("font-weight:bold")
        self.filter = QComboBox(self)
        self.filter.setObjectName("caseFilter")
        for key, text in FILTERS:
            self.filter.addItem(t(text), key)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setObjectName("caseTable")
        self.table.setHorizontalHeaderLabels([self.tr("No."), self.tr("Party"), self.tr("Violation"),
                                              self.tr("Step"), self.tr("Officers"), self.tr("Next deadline"),
                                              self.tr("Limitation")])
        # the header kept short (the column is a date): in a side panel its width went to the violation
        self.table.horizontalHeaderItem(len(self.COLUMNS) - 1).setToolTip(self.tr("Limitation (2 years)"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        # five cases at least: in a side panel under the incident detail the case detail's own height left the
        # list two rows
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height() + 5 * 24 + 4)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # the party and the violation keep a width of their own, elided (whole in the tooltip): stretched, the
        # violation took what the deadlines left, and in a side panel that was nothing ("lat…")
        for key, width in (("party", 150), ("violation", 180)):
            h.setSectionResizeMode(self.COLUMNS.index(key), QHeaderView.ResizeMode.Interactive)
            h.resizeSection(self.COLUMNS.index(key), width)
        h.setStretchLastSection(True)
        self.table.viewport().installEventFilter(self)  # the elided columns follow the panel's width
        self.table.itemSelectionChanged.connect(self._on_select)
        self.detail = CaseDetail(core, self, clock=self.clock, reveal=self.reveal)
        self.detail.changed.connect(self.refresh)
        self.detail.status_message.connect(self.status_message)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        theme.tone(self.message, "error_text")
        self.new_button = QPushButton(self.tr("New case…"), self)
        self.new_button.setObjectName("newCase")
        self.new_button.setToolTip(self.tr("Open a case: from the incident selected in the console, or directly"))
        self.new_button.clicked.connect(lambda: self.new_case())
        ok, why = may("case.open")
        if not ok:
            self.new_button.setEnabled(False)
            self.new_button.setToolTip(why)
        # the incident the console has selected (set by console/cases/__init__.py): a new case is opened from it
        self.current_incident: Callable[[], dict[str, Any] | None] = lambda: None
        self._select_after: int | None = None
        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        bar.addWidget(self.new_button)
        self.roster_button = QPushButton(self.tr("Officers…"), self)
        self.roster_button.setObjectName("roster")
        self.roster_button.setToolTip(self.tr("The enforcement officers and their certificates"))
        self.roster_button.clicked.connect(lambda: self.open_roster())
        bar.addWidget(self.roster_button)
        bar.addWidget(QLabel(self.tr("Show"), self))
        bar.addWidget(self.filter)
        top = QWidget(self)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addLayout(bar)
        tl.addWidget(self.table, 1)
        tl.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split)
        self.splitter = split

        self._lock = threading.Lock()
        self._dirty = True
        self._loading = False
        self.loaded_once = False
        self.poll = QTimer(self)
        self.poll.timeout.connect(self._poll)
        self.poll.start(poll_ms)
        self.ticker = QTimer(self)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start(1000)
        self._checking = False
        self.deadline_timer = QTimer(self)
        self.deadline_timer.timeout.connect(self.check_deadlines)
        if check_deadlines:
            self.deadline_timer.start(DEADLINE_CHECK_MS)

    def stop(self) -> None:
        for timer in (self.poll, self.ticker, self.deadline_timer):
            timer.stop()

    # ------------------------------------------------------------------ data
    def note_changes(self, changes: Any) -> None:
        """Core subscriber (any thread): only flag."""
        if any(e.startswith(("case:", "officer:", "cases")) for e in changes.entities):
            with self._lock:
                self._dirty = True
            self.detail.note_changes(changes)

    def _poll(self) -> None:
        with self._lock:
            dirty, self._dirty = self._dirty, False
        if dirty:
            self.refresh()

    def refresh(self) -> None:
        if self._loading:
            with self._lock:
                self._dirty = True
            return
        self._loading = True
        key = self.filter.currentData() or "open"
        args = {"reveal": self.reveal, "open": key == "open", "overdue": key == "overdue", "closed": key == "closed",
                "awaiting_approval": key == "approval"}

        def done(rows: list[dict[str, Any]]) -> None:
            self._loading = False
            self.show_rows(rows)

        def failed(msg: str) -> None:
            self._loading = False
            self.message.setText(msg)

        run_op(self, "officers", {}, on_done=self._set_officers, on_refused=lambda _m: None, quiet=True)
        run_op(self, "cases", args, on_done=done, on_refused=failed, quiet=True)
        run_op(self, "cases.counts", {}, on_done=self._set_counts, on_refused=lambda _m: None, quiet=True)

    def _set_officers(self, rows: list[dict[str, Any]]) -> None:
        self.officers = {o["id"]: o for o in rows}
        self.detail.set_roster(rows)

    def _set_counts(self, c: dict[str, int]) -> None:
        self.counts = c
        text = (self.tr("Enforcement cases: %1 open, %2 overdue, %3 closed").replace("%1", str(c["open"]))
                .replace("%2", str(c["overdue"])).replace("%3", str(c["closed"])))
        if c.get("awaiting_approval"):  # the shift lead's to approve (the filter lists them)
            text += " · " + self.tr("%1 awaiting approval").replace("%1", str(c["awaiting_approval"]))
        self.title.setText(text)
        theme.tone(self.title, "alarm" if c["overdue"] else "bold")
        self.counts_changed.emit(c)

    def officer_name(self, oid: str) -> str:
        o = self.officers.get(oid)
        return o["name"] if o else oid

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        keep = self.selected_case()
        self.rows = rows
        self.loaded_once = True
        self.message.setText("")
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            party = r["party"]
            v = r["violation"]
            cells = [str(r["id"]), party["name"], violation_label(v, code=False), stage_label(r["stage"]),
                     "、".join(self.officer_name(o) for o in r.get("officers") or []) or "—",
                     "", self._limitation_text(r)]
            tips = ["", party["name"] + ("\n" + self.tr("Personal data masked") if party.get("masked") else ""),
                    f"{violation_label(v)}\n{v.get('legal_basis', '')}\n{v.get('penalty_basis', '')}",
                    "", "", "", self.tr("§36: not filed within two years of the act, no penalty may be given")]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, r["id"])
                if tips[c]:
                    item.setToolTip(tips[c])
                if c == 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if r["overdue"]:
                    item.setBackground(OVERDUE_BG)
                    item.setForeground(OVERDUE_FG)
                elif not r["open"]:
                    item.setForeground(CLOSED_FG)
                self.table.setItem(i, c, item)
            if r["id"] == (self._select_after or keep):
                self.table.selectRow(i)
        self._select_after = None
        self.tick()
        self.fit_columns()
        if keep is not None and keep not in {r["id"] for r in rows}:
            self.detail.show_case(None)

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 (Qt)
        if obj is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return False

    def fit_columns(self) -> None:
        """The columns share the table's width, so that in a side panel nothing scrolls sideways (at 700 px the
        limitation date was out of sight): the next deadline keeps its countdown (150 px at least, its text at
        most), the party and the violation share the rest (at most 150 and 180 px, at least 70 and 90; elided, whole in
        their tooltips)."""
        if not self.table.isVisible():
            return  # a hidden table's width means nothing: fitted when shown (its viewport's resize)
        h = self.table.horizontalHeader()
        c = self.COLUMNS.index
        party, violation, deadline, last = c("party"), c("violation"), c("deadline"), len(self.COLUMNS) - 1
        fixed = sum(h.sectionSize(i) for i in range(last) if i not in (party, violation, deadline))
        last_w = max(self.table.sizeHintForColumn(last), h.sectionSizeFromContents(last).width())
        room = self.table.viewport().width() - fixed - last_w
        wanted = max(self.table.sizeHintForColumn(deadline), h.sectionSizeFromContents(deadline).width())
        deadline_w = int(max(min(150, wanted), min(wanted, room - 250)))  # 250: the party's and the violation's
        h.setSectionResizeMode(deadline, QHeaderView.ResizeMode.Interactive)
        h.resizeSection(deadline, deadline_w)
        rest = room - deadline_w
        h.resizeSection(party, int(max(70, min(150, rest * 0.4))))
        h.resizeSection(violation, int(max(90, min(180, rest * 0.6))))

    def _limitation_text(self, r: dict[str, Any]) -> str:
        d = r.get("limitation")
        if not d:
            return "—"
        if d.get("done") is not None:
            return self.tr("%1 (filed)").replace("%1", d["due_day"])
        return d["due_day"]

    def deadline_text(self, r: dict[str, Any], now: float) -> str:
        """The next legal deadline counting down, and the deadlines already missed."""
        parts = []
        missed = list(r.get("overdue") or [])
        nxt = r.get("next_deadline")
        if nxt:
            parts.append(f"{deadline_label(nxt['key'])} {countdown(nxt['due'] - now)}")
        late = [deadline_label(k) for k in missed if not nxt or k != nxt["key"]]
        if late:
            parts.append(self.tr("missed: %1").replace("%1", "、".join(late)))
        return " · ".join(parts) or "—"

    def tick(self) -> None:
        """Move the countdowns (the due times are the core's; only the clock moves here)."""
        now = self.clock()
        col = self.COLUMNS.index("deadline")
        for i, r in enumerate(self.rows):
            item = self.table.item(i, col)
            if item is None:
                continue
            item.setText(self.deadline_text(r, now))
            nxt = r.get("next_deadline")
            if nxt:
                item.setToolTip(f"{deadline_label(nxt['key'])} {nxt['article']} · {nxt['due_day']}")
        self.detail.tick()

    def check_deadlines(self) -> None:
        """Ask the core to record the legal deadlines passed unmet (case.overdue, once each, for the shift lead)
        and say so in the status bar; any seat's record reaches the others through the log."""
        if self._checking:
            return
        self._checking = True

        def done(found: list[dict[str, Any]] | None) -> None:
            self._checking = False
            for f in found or []:
                self.status_message.emit("⚠ " + self.tr("Case %1: %2 overdue since %3")
                                         .replace("%1", str(f["id"])).replace("%2", deadline_label(f["deadline"]))
                                         .replace("%3", law.iso_day(f["due"])))

        run_op(self, "cases.check_deadlines", {}, on_done=done, on_refused=lambda _m: done(None), quiet=True,
               actor=SYSTEM_ACTOR)

    # ---------------------------------------------------------------- a new case
    def new_case(self) -> None:
        """The catalogue read (off the GUI thread), the dialog, then the case opened and selected."""
        from PySide6.QtWidgets import QDialog

        from console.cases.dialogs import NewCaseDialog

        incident = self.current_incident()

        def ask(catalogue: dict[str, Any]) -> None:
            dialog = NewCaseDialog(catalogue, incident, self)
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            dialog.deleteLater()  # a child of the panel: not kept for the shift's length
            if not accepted:
                return

            def done(d: dict[str, Any]) -> None:
                self._select_after = int(d["id"])
                if self.filter.currentData() not in ("open", "all"):
                    self.filter.setCurrentIndex(self.filter.findData("open"))
                self.refresh()
                self.detail.show_case(int(d["id"]))
                text = self.tr("Case %1 opened").replace("%1", str(d["id"]))
                self.detail.say(text)

            run_op(self, "case.open", dialog.args(), on_done=done, on_refused=self.detail.show_refusal)

        run_op(self, "case.catalogue", {}, on_done=ask, on_refused=self.detail.show_refusal)

    def open_roster(self) -> None:
        from console.cases.roster import RosterDialog

        dialog = RosterDialog(self)
        dialog.exec()
        dialog.deleteLater()
        self.refresh()  # the next step's officers come from the roster

    # ---------------------------------------------------------------- select
    def selected_case(self) -> int | None:
        items = self.table.selectedItems()
        if not items:
            return None
        v = items[0].data(Qt.ItemDataRole.UserRole)
        return None if v is None else int(v)

    def _on_select(self) -> None:
        cid = self.selected_case()
        if cid is not None and cid != self.detail.case_id:
            self.detail.show_case(cid)
            self.case_selected.emit(cid)

    def select_case(self, case_id: int, *, anywhere: bool = False) -> bool:
        """Select case `case_id` in the list as it is filtered. With `anywhere` a case the filter hides (a closed one
        under "Open cases") is shown at once and selected once the list shows every case."""
        for i, r in enumerate(self.rows):
            if r["id"] == case_id:
                self.table.selectRow(i)
                return True
        if anywhere:
            self._select_after = case_id
            self.detail.show_case(case_id)
            if self.filter.currentData() != "all":
                self.filter.setCurrentIndex(self.filter.findData("all"))  # re-reads the list
            else:
                self.refresh()
        return False
