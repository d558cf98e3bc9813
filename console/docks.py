"""The main window's panels as dock widgets: moved, tabbed, floated onto another monitor, closed and reopened.

`Panels` keeps them by key (units, incidents, detail, alerts, field, devices, tasks, dashboard...), arranges
the named layouts ("dispatcher", "shift-lead", "case-officer", "engineer", "wall"), and saves and restores the arrangement
and the window's geometry in QSettings (`saveState`/`restoreState`: every dock has an objectName). A layout
the user saves is a named `saveState` too. The main window keeps its old API (add_side_tab, show_side_tab,
set_side_badge) on top of this.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QTabBar, QWidget
from shiboken6 import isValid

STATE_VERSION = 1  # saveState's version: a state saved by another arrangement of docks is not restored
LAYOUTS = ("dispatcher", "shift-lead", "case-officer", "engineer", "wall")
LAYOUT_TITLES = {"dispatcher": "Dispatcher", "shift-lead": "Shift lead", "case-officer": "Case officer",
                 "engineer": "Engineer", "wall": "Wall"}
REST = "*"  # in a layout: every panel the layout does not name
RIGHT, BOTTOM, TOP = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea, \
    Qt.DockWidgetArea.TopDockWidgetArea

# area -> groups, one above the other; a group is tabbed, its first panel in front. Panels not placed are closed.
ARRANGEMENTS: dict[str, dict[Qt.DockWidgetArea, list[list[str]]]] = {
    "dispatcher": {RIGHT: [["incidents", "units", "alerts", "field", "tasks", REST], ["detail"]]},
    "shift-lead": {RIGHT: [["incidents", "alerts", "tasks", "units", "field", REST], ["detail"]],
                   BOTTOM: [["dashboard"]]},
    # the case file in front and tall (its list, its detail, the next step's form); the incident a case is opened
    # from below it
    "case-officer": {RIGHT: [["cases", "incidents", "alerts", REST], ["detail"]]},
    "engineer": {RIGHT: [["devices", "field", "units", "alerts", "incidents", "tasks", REST]]},
    "wall": {TOP: [["wall"]]},
}
NOT_IN_REST = {"dashboard", "evidence", "wall", "detail"}  # opened on purpose only (View → Panels)
SIDE_WIDTH = 740  # the queue's columns need the room more than the map
SIDE_HEIGHTS = {"case-officer": [720, 240]}  # the side's groups one above the other (default DEFAULT_HEIGHTS)
DEFAULT_HEIGHTS = [560, 400]


def in_front(widget: QWidget) -> bool:
    """Is `widget` looked at: shown and not behind another panel's tab (Qt only moves those out of sight)."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def layout_name(text: str) -> str:
    """'shift lead', 'Shift_Lead' -> 'shift-lead'. :raises ValueError: not a layout's name."""
    name = re.sub(r"[\s_]+", "-", text.strip().lower())
    if name not in LAYOUTS:
        raise ValueError(f"unknown layout {text!r}; choose one of {', '.join(LAYOUTS)}")
    return name


class Panels(QObject):
    current_changed = Signal(str)  # the side panel brought forward last (what a tab widget's currentChanged said)

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.docks: dict[str, QDockWidget] = {}
        self.home: dict[str, Qt.DockWidgetArea] = {}  # where a panel that a layout leaves closed is docked again
        self.titles: dict[str, str] = {}
        self.widgets: dict[str, QWidget] = {}
        self._current: str | None = None
        self.layout: str | None = None
        self.restored = False  # the arrangement and sizes came from the last session (nothing to fit)
        self.geometry_restored = False  # the window's size and place too (else it opens maximized: show_at_start)
        window.setDockOptions(QMainWindow.DockOption.AllowTabbedDocks | QMainWindow.DockOption.AllowNestedDocks
                              | QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.GroupedDragging)
        self.added: list[Any] = []  # callbacks(key, dock): the View → Panels menu

    @property
    def current(self) -> str | None:
        return self._current

    @current.setter
    def current(self, key: str | None) -> None:
        if key != self._current:
            self._current = key
            self.current_changed.emit(key or "")

    # ------------------------------------------------------------------ panels
    def add(self, widget: QWidget, title: str, key: str | None = None, *, tab: bool = True) -> QDockWidget:
        """`widget` in a new dock beside the map, tabbed with the side panels (or alone when `tab` is False)."""
        key = key or self._free_key(widget.objectName() or title)
        dock = QDockWidget(title, self.window)
        dock.setObjectName(f"dock-{key}")
        # in a scroll area: a dock may be made smaller than its panel needs (a 1080p monitor, two panels above
        # each other) without pushing the window off the screen
        scroll = QScrollArea(dock)
        scroll.setObjectName(f"scroll-{key}")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(widget)
        dock.setWidget(scroll)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        first = next((d for k, d in self.docks.items() if self._is_side(k, d)), None)
        self.window.addDockWidget(RIGHT, dock)
        if tab and first is not None:
            self.window.tabifyDockWidget(first, dock)
            front = self.docks.get(self.current or "")
            if front is not None:
                front.raise_()  # a new panel joins the tabs behind the one in front, as a new tab did
        self._register(key, dock, title, widget)
        if first is None:
            self.window.resizeDocks([dock], [SIDE_WIDTH], Qt.Orientation.Horizontal)
            self.current = key
        return dock

    def adopt(self, dock: QDockWidget, key: str) -> None:
        """A dock made elsewhere (the dashboard, video evidence) joins the panels under `key`."""
        if key not in self.docks:
            self._register(key, dock, dock.windowTitle())

    def adopt_all(self) -> None:
        """Every dock of the window not known yet (made by a part of the console that docks its own)."""
        for dock in self.window.findChildren(QDockWidget):
            if dock not in self.docks.values():
                name = dock.objectName() or dock.windowTitle()
                key = re.sub(r"Dock$", "", name) or self._free_key("panel")
                self.adopt(dock, self._free_key(key) if key in self.docks else key)

    def _register(self, key: str, dock: QDockWidget, title: str, widget: QWidget | None = None) -> None:
        self.docks[key] = dock
        area = self.window.dockWidgetArea(dock)
        self.home[key] = area if area != Qt.DockWidgetArea.NoDockWidgetArea else RIGHT
        self.titles[key] = title
        if (widget or dock.widget()) is not None:
            self.widgets[key] = widget or dock.widget()
        dock.visibilityChanged.connect(lambda shown, k=key: self._shown(k, shown))
        for fn in self.added:
            fn(key, dock)

    def _is_side(self, key: str, dock: QDockWidget) -> bool:
        return key not in NOT_IN_REST and self.window.dockWidgetArea(dock) == RIGHT and not dock.isFloating()

    def _free_key(self, base: str) -> str:
        base = re.sub(r"\W+", "-", base).strip("-").lower() or "panel"
        key, n = base, 2
        while key in self.docks:
            key, n = f"{base}-{n}", n + 1
        return key

    def _shown(self, key: str, shown: bool) -> None:
        if not isValid(self.window):
            return  # the window is going
        w = self.widgets.get(key)
        if shown and w is not None and hasattr(w, "brought_forward"):
            # a tab brought forward is not shown again (Qt had only moved it out of sight): tell the panel
            QTimer.singleShot(0, lambda: isValid(w) and w.brought_forward())
        if shown and self.window.isVisible() and key not in NOT_IN_REST:
            self.current = key

    def show(self, key: str) -> bool:
        """Bring panel `key` forward (opening it if it was closed); False if there is none."""
        dock = self.docks.get(key)
        if dock is None:
            return False
        dock.show()
        dock.raise_()
        if not self.window.isVisible():
            # Before the window is first shown Qt has not made the tab bars of tabbed panels yet, and makes them
            # with the first panel in front (`--tab cases` opened on the incidents): raised again once it is shown,
            # in the order asked
            QTimer.singleShot(0, lambda d=dock: isValid(d) and d.raise_())
        self.current = key
        return True

    def fit(self) -> None:
        """The side panels' width (and the detail's height) as the layout wants them, once the window is laid out."""
        w = self.window
        front = [d for k, d in self.docks.items() if k not in ("wall", "dashboard", "evidence") and d.isVisible()
                 and not d.isFloating() and w.dockWidgetArea(d) == RIGHT]
        if front:
            w.resizeDocks(front[:1], [SIDE_WIDTH], Qt.Orientation.Horizontal)
        detail = self.docks.get("detail")
        if detail is not None and len(front) > 1 and detail in front:
            others = [d for d in front if d is not detail][:1]
            w.resizeDocks([*others, detail], SIDE_HEIGHTS.get(self.layout or "", DEFAULT_HEIGHTS),
                          Qt.Orientation.Vertical)

    def key_of(self, widget: QWidget) -> str | None:
        return next((k for k, w in self.widgets.items() if w is widget), None)

    def current_widget(self) -> QWidget | None:
        return self.widgets.get(self.current) if self.current else None

    def title(self, key: str) -> str:
        dock = self.docks.get(key)
        return dock.windowTitle() if dock is not None else ""

    def set_badge(self, key: str, count: int, colour: Any) -> None:
        """"Field link (2)" on the dock's title and its tab, the tab's text in the alarm colour; none at 0."""
        dock = self.docks.get(key)
        if dock is None:
            return
        old, base = dock.windowTitle(), self.titles[key]
        new = f"{base} ({count})" if count else base
        dock.setWindowTitle(new)
        for bar in self.window.findChildren(QTabBar):
            for i in range(bar.count()):
                if bar.tabText(i) in (old, new):
                    bar.setTabTextColor(i, colour if count else bar.palette().text().color())

    # ----------------------------------------------------------------- layouts
    def apply(self, name: str) -> None:
        """Arrange the panels as layout `name` (see ARRANGEMENTS); :raises ValueError: an unknown name."""
        name = layout_name(name)
        self.adopt_all()
        plan = ARRANGEMENTS[name]
        named = {k for groups in plan.values() for g in groups for k in g}
        rest = [k for k in self.docks if k not in named and k not in NOT_IN_REST] if name != "wall" else []
        w = self.window
        for dock in self.docks.values():
            dock.setFloating(False)
            w.removeDockWidget(dock)
        front: list[str] = []
        tabs: list[list[str]] = []
        for area, groups in plan.items():
            for group in groups:  # the groups' first panels one above the other, before any is tabbed
                keys = [k for item in group for k in (rest if item == REST else [item]) if k in self.docks]
                if not keys:
                    continue
                w.addDockWidget(area, self.docks[keys[0]], Qt.Orientation.Vertical)
                self.docks[keys[0]].show()
                front.append(keys[0])
                tabs.append(keys)
        for keys in tabs:
            for k in keys[1:]:
                w.tabifyDockWidget(self.docks[keys[0]], self.docks[k])
                self.docks[k].show()
        placed = {k for keys in tabs for k in keys}
        for k, dock in self.docks.items():  # closed by this layout: docked at home, hidden, so that opening it
            if k not in placed:             # later (View) docks it there, not as a loose window of no size
                w.addDockWidget(self.home.get(k, RIGHT), dock)
                dock.hide()
        for k in front:
            self.docks[k].raise_()
            if not w.isVisible():  # as in show(): raised again once the window is shown and its tab bars are made,
                # after what an earlier show() asked for (the queue, at start), not behind it
                QTimer.singleShot(0, lambda d=self.docks[k]: isValid(d) and d.raise_())
        side = [self.docks[k] for k in front if w.dockWidgetArea(self.docks[k]) == RIGHT]
        if side:
            w.resizeDocks(side[:1], [SIDE_WIDTH], Qt.Orientation.Horizontal)
        if len(side) > 1:
            w.resizeDocks(side, SIDE_HEIGHTS.get(name, DEFAULT_HEIGHTS)[:len(side)], Qt.Orientation.Vertical)
        bottom = [self.docks[k] for k in front if w.dockWidgetArea(self.docks[k]) == BOTTOM]
        if bottom:
            w.resizeDocks(bottom[:1], [300], Qt.Orientation.Vertical)
        self.current = front[0] if front and front[0] not in NOT_IN_REST else self.current
        self.layout = name

    def save_named(self, name: str) -> None:
        """The current arrangement as the user's layout `name` (View → Layout)."""
        s = QSettings()
        s.setValue(f"layouts/{name}", self.window.saveState(STATE_VERSION))
        s.sync()

    @staticmethod
    def saved_names() -> list[str]:
        s = QSettings()
        s.beginGroup("layouts")
        names = sorted(s.childKeys())
        s.endGroup()
        return names

    def restore_named(self, name: str) -> bool:
        self.adopt_all()
        state = QSettings().value(f"layouts/{name}")
        ok = bool(state) and self.window.restoreState(state, STATE_VERSION)
        if ok:
            self.layout = name
        return ok

    def remember(self) -> None:
        """The arrangement and the window's geometry, for the next start."""
        s = QSettings()
        s.setValue("window/geometry", self.window.saveGeometry())
        s.setValue("window/state", self.window.saveState(STATE_VERSION))
        s.setValue("window/layout", self.layout or "")
        s.sync()

    def restore(self, default: str = "dispatcher") -> str:
        """Last session's arrangement and geometry if there is one, else layout `default`. Returns what was done."""
        self.adopt_all()
        s = QSettings()
        geometry, state = s.value("window/geometry"), s.value("window/state")
        if state and self.window.restoreState(state, STATE_VERSION):
            self.layout = str(s.value("window/layout") or "") or None
            self.restored = True
            if geometry:  # after the docks: the window's minimum size is the arrangement's
                self.geometry_restored = bool(self.window.restoreGeometry(geometry))
            return "restored"
        if geometry:
            self.geometry_restored = bool(self.window.restoreGeometry(geometry))
        self.apply(default)
        return default
