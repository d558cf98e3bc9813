"""The enforcement case file in the console: the Cases side tab (console/cases/panel.py) with the selected case's
detail and the case officer's actions (console/cases/detail.py).

`install(window)` adds the tab (key "cases", so `--tab cases` opens on it), keeps its title's badge at the number
of cases with a legal deadline passed unmet, and re-reads the list when the core says a case or the roster changed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from console.cases.panel import CasesPanel

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
        window.core.subscribe(self.panel.note_changes)
        if hasattr(window, "closing"):
            window.closing.connect(self.close)

    def _selected_incident(self) -> dict[str, Any] | None:
        """The incident open in the incident detail, if any: a new case is opened from it."""
        wf = getattr(self.window, "workflow", None)
        return getattr(getattr(getattr(wf, "panel", None), "detail", None), "incident", None)

    def show_incident(self, incident_id: int) -> None:
        """The report a case was opened from, in the incident detail (its history: who went, what they found) and on
        the map, beside the case file, which stays in front."""
        panel = getattr(getattr(self.window, "workflow", None), "panel", None)
        if panel is None:
            return
        panel.select_incident(incident_id)  # a closed report too: the queue then shows every incident
        self.window.show_side_tab("detail")

    def close(self) -> None:
        self.panel.stop()
        self.window.core.unsubscribe(self.panel.note_changes)


def install(window: Any, *, duties: bool = True) -> CasesView:
    """`duties=False` on a seat attached to a hub: the hub records passed deadlines (dispatch/hub/duties.py)."""
    view = CasesView(window, duties=duties)
    window.cases_view = view
    return view
