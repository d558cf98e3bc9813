"""The dispatcher's workflow in the console: incident queue, form, detail, assignment, cleaning tasks.

`install(window)` adds the Incidents and Cleaning tasks side tabs to a MainWindow and wires them to
the map (markers, right-click "New incident here", polygon drawing, task areas), the unit board
(drag a unit onto an incident) and the menus. Everything reaches the core through operations
(console/incidents/common.run_op), off the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QCursor, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QWidget

from console.incidents.common import category_label, state_label
from console.incidents.form import IncidentForm
from console.incidents.panel import IncidentsPanel
from console.tasks.editor import TaskEditor, city_segments
from console.tasks.panel import TasksPanel

__all__ = ["Workflow", "install"]


class Workflow(QObject):
    """Owns the workflow tabs of one main window and the wiring between them, the map and the board."""

    def __init__(self, window: Any, *, timers: bool = True, duties: bool = True) -> None:
        super().__init__(window)
        self.window = window
        self.core = window.core
        # duties: this seat records passed deadlines and moves the tasks on (not a seat attached to a hub, whose hub
        # does it: dispatch/hub/duties.py); timers=False (tests): no timer at all
        self.panel = IncidentsPanel(self.core.clock, window, check_deadlines=timers and duties)
        self.panel.detail.unit_name = self.unit_name
        self.tasks = TasksPanel(window, tick=timers, run_tick=duties, unit_name=self.unit_name, segments=dict(city_segments()))
        self.forms: list[IncidentForm] = []
        self.editors: list[TaskEditor] = []
        self.context_menu: QMenu | None = None
        self._last_incidents: list[dict[str, Any]] = []
        self._last_tasks: list[dict[str, Any]] = []

        window.add_side_tab(self.panel, self.tr("Incidents"), "incidents")
        window.add_side_tab(self.tasks, self.tr("Tasks"), "tasks")  # short: nine tabs share the side
        if hasattr(window, "panels"):  # the detail is a panel of its own, under the queue (console/docks.py)
            from PySide6.QtCore import Qt

            detail = window.panels.add(self.panel.detail, self.tr("Incident detail"), "detail", tab=False)
            self.panel.split.setSizes([430, 100])  # the queue and the alerts without the detail between them
            self.panel.layout().invalidate()  # (its minimum height was the three together's)
            window.resizeDocks([window.side_dock("incidents"), detail], [560, 400], Qt.Orientation.Vertical)
        window.show_side_tab("incidents")

        m = window.map
        self.panel.incidents_loaded.connect(self._push_incidents)
        self.tasks.tasks_loaded.connect(self._push_tasks)
        m.ready.connect(self._repush)
        m.incident_clicked.connect(self.show_incident)
        m.context_menu.connect(self.map_menu)
        m.polygon_drawn.connect(self._polygon_drawn)
        self.panel.incident_selected.connect(lambda iid: m.select_incident(iid, centre=True))
        self.panel.new_incident_requested.connect(lambda: self.open_form())
        self.panel.status_message.connect(self.status)
        self.panel.alert_raised.connect(self._alert)
        self.tasks.status_message.connect(self.status)
        self.tasks.new_task_requested.connect(self.open_task_editor)
        window.board.table.setDragEnabled(True)

        self._build_actions()
        self.core.subscribe(self._on_core_changes)
        if hasattr(window, "closing"):
            window.closing.connect(self.close)
            window.quit_checks.append(self.open_urgent)
        else:
            window.installEventFilter(self)

    def open_urgent(self) -> str | None:
        """Why not to quit now: open P1 cases and overdue ones (asked by the window before it closes)."""
        rows = self.panel.model.rows
        p1 = sum(1 for r in rows if r.get("open") and r.get("priority") == "P1")
        late = sum(1 for r in rows if self.panel.model.is_overdue(r))
        parts = []
        if p1:
            parts.append(self.tr("%1 P1 incidents are open.").replace("%1", str(p1)))
        if late:
            parts.append(self.tr("%1 incidents are overdue.").replace("%1", str(late)))
        return " ".join(parts) or None

    def unit_name(self, unit_id: str) -> str:
        """The name dispatchers know a unit by (its id if it has none)."""
        u = self.core.state.units.get(unit_id)
        return (u.name if u is not None and u.name else None) or unit_id

    # ------------------------------------------------------------------ menus
    def _build_actions(self) -> None:
        w = self.window
        self.hotline_action = QAction(self.tr("New incident (hotline call)…"), w)
        self.hotline_action.setShortcut(QKeySequence("Ctrl+N"))
        self.hotline_action.triggered.connect(lambda: self.open_form(source="hotline"))
        self.task_action = QAction(self.tr("New cleaning task…"), w)
        self.task_action.setShortcut(QKeySequence("Ctrl+T"))
        self.task_action.triggered.connect(self.open_task_editor)
        self.queue_action = QAction(self.tr("Incident queue"), w)
        self.queue_action.setShortcut(QKeySequence("F2"))
        self.queue_action.triggered.connect(lambda: w.show_side_tab("incidents"))
        menu = w.add_menu(self.tr("&Incidents")) if hasattr(w, "add_menu") else w.menuBar().addMenu(
            self.tr("&Incidents"))
        for a in (self.hotline_action, self.task_action, self.queue_action):
            menu.addAction(a)
        if hasattr(w, "add_file_action"):
            w.add_file_action(self.hotline_action)
            w.add_file_action(self.task_action)
        bar = QToolBar(self.tr("Dispatch"), w)
        bar.setObjectName("dispatchToolbar")
        bar.setMovable(False)
        bar.addAction(self.hotline_action)
        bar.addAction(self.task_action)
        bar.addAction(self.queue_action)
        w.addToolBar(bar)
        self.toolbar = bar

    def status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 15000)

    def _alert(self, text: str) -> None:
        self.window.statusBar().showMessage("⚠ " + self.tr("Overdue: %1").replace("%1", text), 30000)

    # ---------------------------------------------------------------- the map
    def _push_incidents(self, rows: list[dict[str, Any]]) -> None:
        self._last_incidents = [
            {"id": r["id"], "lat": r["lat"], "lon": r["lon"], "priority": r["priority"], "state": r["state"],
             "overdue": bool(self.panel.model.is_overdue(r)), "open": bool(r.get("open")),
             "label": f"#{r['id']} {r['priority']} {category_label(r['category'])} · {state_label(r['state'])}"}
            for r in rows
        ]
        self.window.map.push_incidents(self._last_incidents)

    def _push_tasks(self, items: list[dict[str, Any]]) -> None:
        self._last_tasks = items
        self.window.map.push_tasks(items)

    def _repush(self) -> None:
        self.window.map.push_incidents(self._last_incidents)
        self.window.map.push_tasks(self._last_tasks)

    def show_incident(self, incident_id: int) -> None:
        self.window.show_side_tab("incidents")
        self.window.show_side_tab("detail")
        self.window.show_side_tab("incidents")  # the queue is the panel in front
        self.panel.select_incident(incident_id, emit=False)

    def map_menu(self, lat: float, lon: float) -> QMenu:
        """The right-click menu at a map point (non-blocking popup)."""
        menu = QMenu(self.window)
        menu.setObjectName("mapContextMenu")
        if getattr(self.window, "read_only", False):  # the wall: nothing to file from here
            return menu
        new = menu.addAction(self.tr("New incident here"))
        new.triggered.connect(lambda: self.open_form(lat=lat, lon=lon, source="hotline"))
        form = self._open_form()
        if form is not None:
            use = menu.addAction(self.tr("Use this location in the open form"))
            use.triggered.connect(lambda: (form.set_location(lat, lon), form.raise_(), form.activateWindow()))
        menu.addSeparator()
        coords = menu.addAction(f"{lat:.6f}, {lon:.6f}")
        coords.setEnabled(False)
        self.context_menu = menu
        menu.popup(QCursor.pos())
        return menu

    # ------------------------------------------------------------------ forms
    def _open_form(self) -> IncidentForm | None:
        self.forms = [f for f in self.forms if f.isVisible()]
        pending = [f for f in self.forms if f.result_incident is None]
        return pending[-1] if pending else None

    def open_form(self, *, lat: float | None = None, lon: float | None = None, source: str = "hotline") -> IncidentForm:
        form = IncidentForm(self.window, lat=lat, lon=lon, source=source)
        form.filed.connect(self._filed)
        form.merged.connect(self.show_incident)
        hint = self.tr("Right-click the map at the place and choose 'Use this location in the open form'")
        form.pick_on_map.connect(lambda: self.status(hint))
        self.forms.append(form)
        form.show()
        self.place_beside_map(form)
        form.raise_()
        return form

    def place_beside_map(self, dialog: QWidget) -> None:
        """Over the side panel, not the map: the dispatcher right-clicks the map to give the place."""
        w = self.window
        dock = w.side_dock("incidents") if hasattr(w, "side_dock") else None
        area = dock if dock is not None and dock.isVisible() else w
        side = area.mapToGlobal(area.rect().topLeft())
        frame = dialog.frameGeometry()
        x = side.x() + area.width() - frame.width()  # right-aligned over the side panel
        screen = w.screen().availableGeometry() if w.screen() is not None else None
        if screen is not None and screen.contains(w.frameGeometry()):  # and kept on the screen
            x = max(screen.left(), min(x, screen.right() - frame.width()))
        dialog.move(max(0, x), side.y())

    def _filed(self, inc: dict[str, Any]) -> None:
        self.status(self.tr("Incident #%1 filed").replace("%1", str(inc["id"])))
        self.panel.refresh()
        self.panel.detail.show_incident(int(inc["id"]))

    def open_task_editor(self) -> TaskEditor:
        ed = TaskEditor(city_segments(), self.window)
        ed.draw_requested.connect(self._start_drawing)
        ed.created.connect(lambda t: (self.tasks.refresh(), self.status(
            self.tr("Cleaning task #%1 created").replace("%1", str(t["id"])))))
        self.editors.append(ed)
        ed.show()
        self.place_beside_map(ed)  # the area may be drawn on the map
        return ed

    def _start_drawing(self) -> None:
        self.status(self.tr("Click the corners of the area on the map; double-click to finish"))
        self.window.map.start_drawing()

    def _polygon_drawn(self, points: list[list[float]]) -> None:
        self.editors = [e for e in self.editors if e.isVisible()]
        if self.editors:
            self.editors[-1].set_polygon(points)
            self.editors[-1].raise_()

    # ------------------------------------------------------------- lifecycle
    def _on_core_changes(self, changes: Any) -> None:
        self.panel.note_changes(changes)
        self.tasks.note_changes(changes)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.close()
        return False

    def close(self) -> None:
        self.core.unsubscribe(self._on_core_changes)
        for t in (self.panel.poll, self.panel.second, self.panel.deadlines, self.tasks.poll, self.tasks.ticker):
            t.stop()
        for w in self.forms + self.editors:
            w.close()


def install(window: Any, *, timers: bool = True, duties: bool = True) -> Workflow:
    """Add the workflow tabs, menus and map wiring to `window` (a MainWindow)."""
    wf = Workflow(window, timers=timers, duties=duties)
    window.workflow = wf
    return wf
