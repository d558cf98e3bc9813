"""The enforcement case file in the console: the Cases side tab (console/cases/panel.py) with the selected case's
detail and the case officer's actions (console/cases/detail.py).

`install(window)` adds the tab (key "cases", so `--tab cases` opens on it), keeps its title's badge at the number
of cases with a legal deadline passed unmet, and re-reads the list when the core says a case or the roster changed.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel

from console import theme
from console.cases.common import link_target, stage_label, violation_label
from console.cases.panel import CasesPanel
from console.incidents.common import run_op

__all__ = ["CasesView", "install"]


class CasesView(QObject):
    def __init__(self, window: Any, *, duties: bool = True) -> None:
        super().__init__(window)
        self.window = window
        self.panel = CasesPanel(window.core, window, check_deadlines=duties)
        window.add_side_tab(self.panel, self.tr("Case files"), "cases")  # short: nine tabs share the side
        self.panel.current_incident = self._selected_incident
        self.panel.counts_changed.connect(lambda c: window.set_side_badge("cases", int(c.get("overdue") or 0)))
        self.panel.status_message.connect(lambda m: window.statusBar().showMessage(m, 10000))
        self.panel.detail.incident_requested.connect(self.show_incident)
        self.incident_cases: QLabel | None = None
        self.cases_read_for: int | None = None  # the incident whose cases the line shows (read, none or some)
        self._ticket = 0
        self._follow_incident_detail()
        window.core.subscribe(self.panel.note_changes)
        if hasattr(window, "closing"):
            window.closing.connect(self.close)

    def _incidents(self) -> Any:
        """The incident queue's panel (its detail below it), or None on a window without the incident workflow."""
        return getattr(getattr(self.window, "workflow", None), "panel", None)

    def _selected_incident(self) -> dict[str, Any] | None:
        """The incident open in the incident detail, if any: a new case is opened from it."""
        return getattr(getattr(self._incidents(), "detail", None), "incident", None)

    def show_incident(self, incident_id: int) -> None:
        """The report a case was opened from, in the incident detail (its history: who went, what they found) and on
        the map, beside the case file, which stays in front."""
        panel = self._incidents()
        if panel is None:
            return
        panel.select_incident(incident_id)  # a closed report too: the queue then shows every incident
        self.window.show_side_tab("detail")

    # ------------------------------------------- the incident detail: the cases opened from the incident shown
    def _follow_incident_detail(self) -> None:
        detail = getattr(self._incidents(), "detail", None)
        if detail is None:
            return
        label = self.incident_cases = QLabel(detail)
        label.setObjectName("incidentCases")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                      | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        theme.tone(label, "plans")
        label.linkActivated.connect(self._case_link)
        label.hide()
        detail.add_extra(label)
        detail.incident_shown.connect(self._incident_shown)

    def _incident_shown(self, d: dict[str, Any] | None) -> None:
        assert self.incident_cases is not None
        self._ticket += 1
        self.incident_cases.hide()
        if not d:
            return
        ticket, iid = self._ticket, d["id"]
        run_op(self.panel, "cases", {"incident_id": iid}, on_done=lambda rows: self._incident_cases(ticket, iid, rows),
               quiet=True)  # a role that may not read the case file: no line

    def _incident_cases(self, ticket: int, iid: int, rows: list[dict[str, Any]]) -> None:
        if ticket != self._ticket or self.incident_cases is None:
            return
        self.cases_read_for = iid
        if not rows:
            return
        links = " · ".join(f"<a href='case:{int(r['id'])}'>{self.tr('Case %1').replace('%1', str(r['id']))}</a> "
                           f"{escape(violation_label(r['violation']))} ({escape(stage_label(r['stage']))})"
                           for r in rows)
        self.incident_cases.setText(self.tr("Enforcement cases opened from it") + ": " + links)
        self.incident_cases.show()

    def _case_link(self, href: str) -> None:
        cid = link_target(href, "case")
        if cid is not None:
            self.show_case(cid)

    def show_case(self, case_id: int) -> None:
        """Case `case_id` in front, selected in the case file (shown in every list filter if the current one hides
        it)."""
        self.window.show_side_tab("cases")
        self.panel.select_case(case_id, anywhere=True)

    def close(self) -> None:
        self.panel.stop()
        self.window.core.unsubscribe(self.panel.note_changes)


def install(window: Any, *, duties: bool = True) -> CasesView:
    """`duties=False` on a seat attached to a hub: the hub records passed deadlines (dispatch/hub/duties.py)."""
    view = CasesView(window, duties=duties)
    window.cases_view = view
    return view
