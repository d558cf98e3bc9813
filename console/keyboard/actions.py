"""The dispatcher's actions that had no menu item of their own, each with its shortcut: moving through the
incident queue, assigning one of the recommended units, acknowledging alerts, finding a unit, centring the
map on what is selected, messaging a unit, going to a panel. They drive the widgets the other parts built
(the queue, the detail's recommendations, the alert list, the field link); every change still goes through
the core's operations there. Shortcuts avoid plain letters, so typing in a field never fires one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

# (object name, shortcut); the texts are in `Dispatcher._texts` so that tr() finds them
KEYS = {
    "nextIncident": "F8",
    "previousIncident": "Shift+F8",
    "assign1": "Alt+1",
    "assign2": "Alt+2",
    "assign3": "Alt+3",
    "acknowledgeAlert": "F9",
    "acknowledgeOverdue": "Shift+F9",
    "findUnit": "Ctrl+F",
    "centreSelection": "F4",
    "messageUnit": "Ctrl+M",
    "commandPalette": "Ctrl+K",
}
PANEL_KEYS = ("units", "incidents", "tasks", "alerts", "cases", "field", "devices")  # Ctrl+1 .., those present


class Dispatcher(QObject):
    """The keyboard's own actions for one main window, in a Dispatch menu (and View → Go to)."""

    def __init__(self, window: Any, palette: Callable[[str], Any]) -> None:
        super().__init__(window)
        self.window = window
        self.palette = palette
        self.selection: tuple[str, Any] | None = None  # ("unit", id) or ("incident", id): what was picked last
        self.actions: dict[str, QAction] = {}
        texts = self._texts()
        handlers: dict[str, Callable[[], Any]] = {
            "nextIncident": lambda: self.step_incident(+1),
            "previousIncident": lambda: self.step_incident(-1),
            "assign1": lambda: self.assign_recommended(1),
            "assign2": lambda: self.assign_recommended(2),
            "assign3": lambda: self.assign_recommended(3),
            "acknowledgeAlert": self.acknowledge_alert,
            "acknowledgeOverdue": self.acknowledge_overdue,
            "findUnit": lambda: self.palette("@"),
            "centreSelection": self.centre_selection,
            "messageUnit": self.message_unit,
            "commandPalette": lambda: self.palette(""),
        }
        for name, key in KEYS.items():
            a = QAction(texts[name], window)
            a.setObjectName(name)
            a.setShortcut(QKeySequence(key))
            a.triggered.connect(lambda _=False, fn=handlers[name]: fn())
            self.actions[name] = a
        self.menu = window.add_menu(self.tr("&Dispatch")) if hasattr(window, "add_menu") else window.menuBar().addMenu(
            self.tr("&Dispatch"))
        self.menu.setObjectName("dispatchMenu")
        groups = (("commandPalette", "findUnit"), ("nextIncident", "previousIncident", "assign1", "assign2", "assign3"),
                  ("acknowledgeAlert", "acknowledgeOverdue"), ("centreSelection", "messageUnit"))
        for i, group in enumerate(groups):
            if i:
                self.menu.addSeparator()
            for name in group:
                self.menu.addAction(self.actions[name])
        self.go_menu = self._panel_actions()
        self._follow_selection()

    def _texts(self) -> dict[str, str]:
        return {
            "nextIncident": self.tr("Next incident in the queue"),
            "previousIncident": self.tr("Previous incident in the queue"),
            "assign1": self.tr("Assign recommended unit 1"),
            "assign2": self.tr("Assign recommended unit 2"),
            "assign3": self.tr("Assign recommended unit 3"),
            "acknowledgeAlert": self.tr("Acknowledge the selected alert"),
            "acknowledgeOverdue": self.tr("Acknowledge the overdue alerts"),
            "findUnit": self.tr("Find unit…"),
            "centreSelection": self.tr("Centre the map on the selection"),
            "messageUnit": self.tr("Message the selected unit…"),
            "commandPalette": self.tr("Command palette…"),
        }

    def _panels(self) -> dict[str, str]:
        """The window's side panels, key -> title (side tabs, or docks where the window has them)."""
        w = self.window
        panels = getattr(w, "panels", None)
        if panels is not None and hasattr(panels, "docks"):
            return {k: str(getattr(panels, "titles", {}).get(k, k)) for k in panels.docks}
        titles = getattr(w, "side_titles", {})
        return {k: str(titles.get(widget, k)) for k, widget in getattr(w, "side_keys", {}).items()}

    def _panel_actions(self) -> QMenu | None:
        """View → Go to: Ctrl+1.. brings each side panel forward."""
        panels = self._panels()
        keys = [k for k in PANEL_KEYS if k in panels]
        if not keys or not hasattr(self.window, "view_menu"):
            return None
        menu = self.window.view_menu.addMenu(self.tr("Go to"))
        menu.setObjectName("goToMenu")
        for n, key in enumerate(keys, start=1):
            a = QAction(self.tr("%1 panel").replace("%1", panels[key]), self.window)
            a.setObjectName(f"goTo-{key}")
            a.setShortcut(QKeySequence(f"Ctrl+{n}"))
            a.triggered.connect(lambda _=False, k=key: self.window.show_side_tab(k))
            menu.addAction(a)
            self.actions[f"goTo-{key}"] = a
        return menu

    def _follow_selection(self) -> None:
        w = self.window
        w.board.unit_selected.connect(lambda uid: self._picked("unit", uid))
        w.map.unit_clicked.connect(lambda uid: self._picked("unit", uid))
        wf = getattr(w, "workflow", None)
        if wf is not None:
            wf.panel.incident_selected.connect(lambda iid: self._picked("incident", iid))
            w.map.incident_clicked.connect(lambda iid: self._picked("incident", iid))

    def _picked(self, what: str, ident: Any) -> None:
        self.selection = (what, ident)

    def say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    # --------------------------------------------------------------- the queue
    def step_incident(self, delta: int) -> int | None:
        """Select the next (or previous) incident in the queue as it is sorted and filtered; wraps around."""
        wf = getattr(self.window, "workflow", None)
        if wf is None:
            return None
        panel = wf.panel
        n = panel.proxy.rowCount()
        if n == 0:
            self.say(self.tr("The queue is empty"))
            return None
        self.window.show_side_tab("incidents")
        cur = panel.table.currentIndex()
        row = (cur.row() + delta) % n if cur.isValid() else (0 if delta > 0 else n - 1)
        panel.table.setCurrentIndex(panel.proxy.index(row, 0))  # the queue's own selection: detail and map follow
        panel.table.scrollTo(panel.proxy.index(row, 0))
        iid = panel.selected_incident()
        if iid is not None:
            self.selection = ("incident", iid)
        return iid

    def assign_recommended(self, n: int) -> str | None:
        """Assign the n-th recommended unit of the incident shown (as its Assign button does)."""
        wf = getattr(self.window, "workflow", None)
        if wf is None:
            return None
        detail = wf.panel.detail
        rec = detail.recommend
        if detail.incident_id is None or not rec.isVisible() or len(rec.items) < n:
            self.say(self.tr("No recommended unit %1 for this incident").replace("%1", str(n)))
            return None
        uid = str(rec.items[n - 1]["unit_id"])
        button = rec.buttons.get(uid)
        if button is not None and not button.isEnabled():
            return None
        detail.assign(uid)
        return uid

    # ----------------------------------------------------------------- alerts
    def acknowledge_alert(self) -> int | None:
        """The alert selected in the Alerts panel, or else the first open one, is acknowledged."""
        panel = self.window.findChild(QWidget, "alertsPanel")
        if panel is None:
            return None
        self.window.show_side_tab("alerts")
        aid = panel.selected_id()
        if aid is None:
            first = next((r for r, a in enumerate(panel.alerts) if a.get("state") == "open"), None)
            if first is None:
                self.say(self.tr("No open alert"))
                return None
            panel.table.selectRow(first)
            aid = panel.selected_id()
        panel.acknowledge()
        return aid

    def acknowledge_overdue(self) -> None:
        wf = getattr(self.window, "workflow", None)
        if wf is not None:
            wf.panel.acknowledge_alerts()

    # --------------------------------------------------------- the selection
    def centre_selection(self) -> tuple[str, Any] | None:
        sel = self.selection
        if sel is None:
            uid = self.window.board.selected_unit()
            sel = ("unit", uid) if uid else None
        if sel is None:
            self.say(self.tr("Select a unit or an incident first"))
            return None
        if sel[0] == "unit":
            self.window.map.select(sel[1], centre=True)
        else:
            self.window.map.select_incident(int(sel[1]), centre=True)
        return sel

    def message_unit(self) -> str | None:
        uid = self.selection[1] if self.selection and self.selection[0] == "unit" else self.window.board.selected_unit()
        panel = getattr(self.window, "hub_panel", None)
        if panel is None:
            self.say(self.tr("This console has no field link"))
            return None
        if not uid:
            self.say(self.tr("Select a unit first"))
            return None
        self.window.show_side_tab("field")
        panel.select_unit(uid)
        if panel.message.isEnabled():
            panel.message.setFocus()
        elif not self._focus_when_enabled:  # the panel is still fetching the unit: focus once it can be typed in
            self._focus_when_enabled = True
            panel.message.installEventFilter(self)
        return str(uid)

    _focus_when_enabled = False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if self._focus_when_enabled and event.type() == QEvent.Type.EnabledChange and obj.isEnabled():  # type: ignore[attr-defined]
            self._focus_when_enabled = False
            obj.removeEventFilter(self)
            obj.setFocus()  # type: ignore[attr-defined]
        return False
