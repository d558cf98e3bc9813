"""The main window: the live map beside the unit board, a status bar with feed health.

It renders what the core publishes and calls the core only through console/operations.
Position updates are pulled from the core on a timer and pushed to the map in one batch,
so a thousand fixes a second cost one JavaScript call per tick, not one per fix.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QWidget,
)

from console import theme
from console.docks import LAYOUT_TITLES, LAYOUTS, Panels
from console.map.view import MapView, unit_row
from console.unit_board import UnitBoard
from dispatch.core import Dispatch
from dispatch.runtime import GilShare

log = logging.getLogger(__name__)
PANEL_KEYS = [f"Alt+Shift+{d}" for d in "1234567890"] + [f"Ctrl+Alt+Shift+{d}" for d in "123456789"]


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("liuzhou-console")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


class MainWindow(QMainWindow):
    closing = Signal()  # the window is closing for good (after any confirmation)

    def __init__(self, core: Dispatch, city_geojson: dict[str, Any], *, lang: str, store_label: str,
                 tiles_url: str | None = None, push_interval_ms: int = 300, basemap: Any = None) -> None:
        super().__init__()
        self.core = core
        self.city_geojson = city_geojson
        self.resize(1600, 960)
        self.map = MapView(city_geojson, lang=lang, tiles_url=tiles_url, parent=self, basemap=basemap,
                           theme=theme.map_palette())
        self.board = UnitBoard(core.stale_after, self)
        self.notified: list[str] = []  # what `notify` said, newest last
        self.setCentralWidget(self.map)
        # the side panels are docks (console/docks.py): moved, tabbed, floated, closed, reopened from View → Panels
        self.panels = Panels(self)
        self.read_only = False  # the wall (--wall): nothing here changes anything
        self._fitted = False
        self.remember_layout = False  # save the arrangement on close: the console's run turns it on (not --screenshot)

        from console.operations import seat_actor

        self.operator = seat_actor().split(":", 1)[-1]
        self.store_url = store_label
        self.feed_label = QLabel(self)
        self.units_label = QLabel(self)
        self.store_label = QLabel(self.tr("Store: %1").replace("%1", store_label), self)
        self.operator_label = QLabel(self.tr("Operator: %1").replace("%1", self.operator), self)
        self.operator_label.setObjectName("operatorLabel")
        for w in (self.feed_label, self.units_label, self.operator_label):
            self.statusBar().addPermanentWidget(w)
        self.statusBar().addWidget(self.store_label)
        self.setWindowTitle(self.tr("City and waterway command console") + " — " + self.operator)
        # asked before quitting: each returns why not to (open urgent cases...) or None; the GUI turns it on
        self.confirm_quit = False
        self.quit_checks: list[Callable[[], str | None]] = []
        self.quit_box: QMessageBox | None = None
        self._quit_confirmed = False

        self.map.unit_clicked.connect(self.board.select_unit)
        self.board.unit_selected.connect(lambda uid: self.map.select(uid, centre=True))
        self.map.ready.connect(self._push_all)
        self._build_menus()
        self.panels.added.append(self._panel_added)
        self.panels.add(self.board, self.tr("Units"), "units")
        theme.notifier().changed.connect(self._theme_changed)

        self._pos_version = 0
        self._stale_shown: dict[str, bool] = {}
        self._fix_counts: deque[tuple[float, int]] = deque(maxlen=20)
        self.first_frame_at: float | None = None
        self.push_timer = QTimer(self)
        self.push_timer.timeout.connect(self.push_positions)
        self.push_timer.start(push_interval_ms)
        self.slow_timer = QTimer(self)
        self.slow_timer.timeout.connect(self.refresh_slow)
        self.slow_timer.start(1000)
        self.core.subscribe(self._on_core_changes)
        self._units_dirty = True
        self.refresh_slow()

    # ------------------------------------------------------------- menus
    def _build_menus(self) -> None:
        """File, View, (the workflow's menus, added with `add_menu`), Help: Help stays last."""
        self.file_menu = self.menuBar().addMenu(self.tr("&File"))
        self._file_end = self.file_menu.addSeparator()  # the workflow's "New ..." go above it
        open_file = QAction(self.tr("Open replay file…"), self)
        open_file.setShortcut(QKeySequence.StandardKey.Open)
        open_file.triggered.connect(lambda: self.open_replay_file())
        self.file_menu.addAction(open_file)
        self.file_menu.addSeparator()
        self.quit_action = QAction(self.tr("Quit"), self)
        self.quit_action.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Quit)
                                      or [QKeySequence("Ctrl+Q")])  # some platforms name no Quit key
        self.quit_action.triggered.connect(self.close)
        self.file_menu.addAction(self.quit_action)
        self.view_menu = self.menuBar().addMenu(self.tr("&View"))
        replay_action = QAction(self.tr("Replay…"), self)
        replay_action.setShortcut(QKeySequence("Ctrl+R"))
        replay_action.triggered.connect(self.open_replay)
        self.view_menu.addAction(replay_action)
        self._build_view_menus()
        self.help_menu = self.menuBar().addMenu(self.tr("&Help"))
        about = QAction(self.tr("About"), self)
        about.setShortcut(QKeySequence("Shift+F1"))
        about.triggered.connect(lambda: QMessageBox.about(self, self.tr("About"), self.about_text()))
        self.help_menu.addAction(about)

    def _build_view_menus(self) -> None:
        """View → Theme (day, night), Layout (the named ones, the user's, save), Panels (every dock, to reopen)."""
        self.theme_menu = self.view_menu.addMenu(self.tr("Theme"))
        self.theme_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for name, title, keys in (("light", self.tr("Day (light)"), "Ctrl+Alt+L"),
                                  ("dark", self.tr("Night (dark)"), "Ctrl+Alt+D")):
            a = QAction(title, self, checkable=True)
            a.setShortcut(QKeySequence(keys))
            a.setChecked(theme.current().name == name)
            a.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            group.addAction(a)
            self.theme_menu.addAction(a)
            self.theme_actions[name] = a
        self.layout_menu = self.view_menu.addMenu(self.tr("Layout"))
        self.layout_menu.aboutToShow.connect(self._fill_layout_menu)
        self._fill_layout_menu()
        self.panels_menu = self.view_menu.addMenu(self.tr("Panels"))

    def _layout_title(self, name: str) -> str:
        return {"dispatcher": self.tr("Dispatcher"), "shift-lead": self.tr("Shift lead"),
                "case-officer": self.tr("Case officer"), "engineer": self.tr("Engineer"),
                "wall": self.tr("Wall")}.get(name, LAYOUT_TITLES.get(name, name))

    def _fill_layout_menu(self) -> None:
        m = self.layout_menu
        m.clear()
        n = 0
        for name in LAYOUTS:
            if name == "wall" and not self.read_only:
                continue  # the wall's arrangement is the wall mode's (--wall)
            n += 1
            a = m.addAction(self._layout_title(name))
            a.setObjectName(f"layout-{name}")
            a.setShortcut(QKeySequence(f"Ctrl+Alt+{n}"))
            a.triggered.connect(lambda _c=False, name=name: self.apply_layout(name))
        saved = self.panels.saved_names()
        if saved:
            m.addSeparator()
            for name in saved:  # the user's: Ctrl+Alt+4.. (the first six have a key)
                a = m.addAction(name)
                n += 1
                if n <= 9:
                    a.setShortcut(QKeySequence(f"Ctrl+Alt+{n}"))
                a.triggered.connect(lambda _c=False, name=name: self.panels.restore_named(name))
        m.addSeparator()
        save = m.addAction(self.tr("Save current layout…"))
        save.setShortcut(QKeySequence("Ctrl+Alt+S"))
        save.setEnabled(not self.read_only)
        save.triggered.connect(lambda: self.save_layout())

    def _panel_added(self, key: str, dock: QDockWidget) -> None:
        if key in ("dashboard", "evidence"):
            return  # already in View with their own shortcuts
        a = dock.toggleViewAction()
        a.setText(dock.windowTitle())
        a.setObjectName(f"panel-{key}")
        n = len(self.panels_menu.actions())
        if n < len(PANEL_KEYS):  # open or close it: Alt+Shift+1..9, 0, then Ctrl+Alt+Shift+1..9 in the menu's order
            a.setShortcut(QKeySequence(PANEL_KEYS[n]))
        self.panels_menu.addAction(a)

    def apply_layout(self, name: str) -> None:
        """One of the named layouts: dispatcher, shift-lead, case-officer, engineer, wall. :raises ValueError: unknown."""
        self.panels.apply(name)
        self.statusBar().showMessage(self.tr("Layout: %1").replace("%1", self._layout_title(self.panels.layout or name)),
                                     5000)

    def save_layout(self, name: str | None = None) -> str | None:
        """The current arrangement under a name the user gives (View → Layout lists it)."""
        if name is None:
            name, ok = QInputDialog.getText(self, self.tr("Save current layout"), self.tr("Name of the layout:"))
            if not ok:
                return None
        name = name.strip().replace("/", "-")
        if not name:
            return None
        self.panels.save_named(name)
        self.statusBar().showMessage(self.tr("Layout saved: %1").replace("%1", name), 5000)
        return name

    def restore_layout(self, name: str | None = None) -> str:
        """At start, once every panel is in: layout `name` if given, else last session's arrangement, else the
        dispatcher's. Returns the layout used ("restored" for last session's)."""
        if name:
            self.panels.apply(name)
            return self.panels.layout or name
        return self.panels.restore("dispatcher")

    def show_at_start(self, *, maximize: bool = True) -> None:
        """Show the window once start-up is done: where and as large as it was left, else (a first start, or
        --layout, which does not restore the window) maximized: a control room gives the console its screen, and
        at 1600 × 960 on a larger one the charts' and the lists' columns were cut. The wall is full screen
        already; `maximize=False` (a screenshot, the start-up probe) keeps the window's own size."""
        if maximize and not self.panels.geometry_restored and not self.isFullScreen():
            screen = self.screen()
            if screen is not None:  # also where no window manager maximizes (a bare X server, a kiosk)
                self.setGeometry(screen.availableGeometry())
            self.showMaximized()
        else:
            self.show()

    def set_theme(self, name: str, *, remember: bool = True) -> None:
        """Day or night, at once: widgets, charts and the map (and remembered for the next start)."""
        theme.apply(name)
        if remember:
            theme.save(name)

    def _theme_changed(self, name: str) -> None:
        self.map.set_theme(theme.map_palette())
        if name in getattr(self, "theme_actions", {}):
            self.theme_actions[name].setChecked(True)
        for key, dock in self.panels.docks.items():  # the badges' colour
            title = dock.windowTitle()
            if title != self.panels.titles.get(key):
                count = title.rsplit("(", 1)[-1].rstrip(")")
                self.set_side_badge(key, int(count) if count.isdigit() else 0)

    def enter_wall(self) -> None:
        """The video wall: full screen, the map and the live counters, nothing that changes anything (--wall)."""
        from console import operations
        from console.wall import WallCounters

        self.read_only = True
        operations.set_read_only(True)  # and the operations layer refuses any change, as for a viewer
        counters = WallCounters(self)
        dock = self.panels.add(counters, self.tr("Wall counters"), "wall", tab=False)
        dock.setTitleBarWidget(QWidget(dock))  # no title, no close button on the wall
        dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.wall = counters
        for bar in self.findChildren(QWidget):
            if bar.metaObject().className() == "QToolBar":
                bar.hide()
        keep = {*self.theme_actions.values(), self.quit_action}

        def disable(menu: QMenu) -> None:  # every action that could change something, in every submenu
            for a in menu.actions():
                if a.menu() is not None:
                    disable(a.menu())
                elif a not in keep:
                    a.setEnabled(False)

        for a in self.menuBar().actions():
            if a.menu() is not None:
                disable(a.menu())
        for a in self.actions():  # shortcuts held by the window itself
            if a not in keep and a.menu() is None:
                a.setEnabled(False)
        self.menuBar().hide()
        self.addActions([self.quit_action, *self.theme_actions.values()])  # their keys without a menu bar
        self.panels.apply("wall")
        screen = self.screen()
        if screen is not None:
            self.setGeometry(screen.geometry())  # also where no window manager honours full screen
        self.showFullScreen()
        QTimer.singleShot(500, self.map.fit_city)  # once the full-screen size is the page's

    def add_menu(self, title: str) -> QMenu:
        """A menu of its own for a part of the console, before Help."""
        menu = QMenu(title, self.menuBar())
        self.menuBar().insertMenu(self.help_menu.menuAction(), menu)
        return menu

    def add_file_action(self, action: QAction) -> None:
        """An action at the top of the File menu (New incident, New cleaning task...)."""
        self.file_menu.insertAction(self._file_end, action)

    def about_text(self) -> str:
        import platform

        from PySide6 import __version__ as pyside_version

        lines = [f"<b>{self.tr('City and waterway command console')}</b>",
                 self.tr("Version %1").replace("%1", app_version()),
                 self.tr("Operator: %1").replace("%1", self.operator),
                 self.tr("Store: %1").replace("%1", self.store_url),
                 f"Python {platform.python_version()} · Qt (PySide6) {pyside_version}"]
        return "<br>".join(lines)

    def open_replay_file(self, path: str | None = None) -> QWidget | None:
        """An exported replay file in the replay window, beside the live console."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, self.tr("Open replay file"), "",
                                                  self.tr("Replay files (*.replay);;All files (*)"))
            if not path:
                return None
        from console import i18n
        from console.replay.opening import open_replay_file

        try:
            w = open_replay_file(path, self, lang=i18n.current_language(), city_geojson=self.city_geojson)
        except ValueError as exc:
            QMessageBox.warning(self, self.tr("Open replay file"), str(exc))
            return None
        w.show()
        return w

    def open_replay(self) -> QWidget | None:
        """The replay window on this store, beside the live console (which keeps running). Attached to a hub
        (no store here) the last shift is fetched from the hub first; the window opens when it has arrived
        (`self.hub_replay` is the fetch's future, `self.replay_window` the window)."""
        from console import i18n

        if getattr(self.core, "store", None) is None:  # attached to a hub: the store is the hub's
            from console.replay.opening import fetch_hub_replay

            def ready(w: QWidget) -> None:
                self.replay_window = w
                w.show()

            self.statusBar().showMessage(self.tr("Fetching the last shift from the hub for the replay…"), 10000)
            self.hub_replay = fetch_hub_replay(self.core, self, ready, lang=i18n.current_language(),
                                               city_geojson=self.city_geojson)
            return None
        from console.replay.opening import open_live_replay

        w = open_live_replay(self.core, self, lang=i18n.current_language(), city_geojson=self.city_geojson)
        w.show()
        return w

    def add_side_tab(self, widget: QWidget, title: str, key: str | None = None) -> QDockWidget:
        """A panel beside the map (a dock, tabbed with the others); `key` names it for `show_side_tab` and `--tab`."""
        return self.panels.add(widget, title, key)

    def set_side_badge(self, key: str, count: int) -> None:
        """A count after a panel's title, e.g. unread messages: "Field link (2)"; none at 0."""
        self.panels.set_badge(key, count, theme.colour("badge"))

    def notify(self, text: str) -> None:
        """Something for the dispatcher now (a message from a unit): the status bar says it, with a beep."""
        self.statusBar().showMessage(text, 60000)
        QApplication.beep()
        self.notified.append(text)
        del self.notified[:-50]

    def watch_field_link(self, panel: Any) -> None:
        """Messages from units: a status-bar line and a beep each, the unread count on the tab."""
        panel.message_arrived.connect(lambda name, text: self.notify(
            "✉ " + self.tr("Message from %1: %2").replace("%1", name).replace("%2", text)))
        panel.unread_changed.connect(lambda n: self.set_side_badge("field", n))

    def show_side_tab(self, key: str) -> bool:
        """Bring the panel named `key` forward (reopening it if closed); False if there is none (e.g. no hub)."""
        return self.panels.show(key)

    def side_dock(self, key: str) -> QDockWidget | None:
        return self.panels.docks.get(key)

    def side_title(self, key: str) -> str:
        """The panel's title as shown on its tab, with its badge."""
        return self.panels.title(key)

    def current_side_widget(self) -> QWidget | None:
        """The side panel brought forward last (by the dispatcher or `show_side_tab`)."""
        return self.panels.current_widget()

    def ask_quit(self, reasons: list[str]) -> QMessageBox:
        """Quit anyway? Non-blocking: Quit closes the window, Cancel keeps the shift going."""
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Quit the console?"), "\n".join(reasons),
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("quitBox")
        box.setInformativeText(self.tr("Nobody at this seat will see new alerts once it is closed."))
        quit_button = box.addButton(self.tr("Quit anyway"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered() -> None:
            if box.clickedButton() is quit_button:
                self._quit_confirmed = True
                self.close()

        box.finished.connect(lambda _r: answered())
        self.quit_box = box
        box.open()
        return box

    # ----------------------------------------------------------- updates
    def _on_core_changes(self, changes: Any) -> None:
        # Called on whichever thread made the change: only set a flag, the timer renders.
        if changes.units:
            self._units_dirty = True

    def _push_all(self) -> None:
        self._pos_version = 0
        self.push_positions()

    def push_positions(self) -> None:
        """Send every unit whose position changed since the last tick to the map, in one call."""
        now = self.core.clock()
        version, changed = self.core.positions_since(self._pos_version)
        self._pos_version = version
        if not changed and not self._units_dirty:
            return
        rows = []
        share = GilShare()  # a thousand rows: the hub's field loop is not kept waiting (dispatch/runtime.py)
        for u in changed:
            stale = self.core.is_stale(u, now)
            self._stale_shown[u.id] = stale
            rows.append(unit_row(u, stale))
            share()
        if self._units_dirty:  # statuses may have changed without a new fix
            self._units_dirty = False
            rows_ids = {r[0] for r in rows}
            rows.extend(
                unit_row(u, self.core.is_stale(u, now))
                for u in list(self.core.state.units.values())
                if u.position is not None and u.id not in rows_ids
            )
            self.board.model.update_units([u.as_dict(now) for u in list(self.core.state.units.values())], now)
        if rows:
            self.map.push_rows(rows)
        if self.first_frame_at is None and rows and self.map.is_ready:
            self.first_frame_at = time.time()

    def refresh_slow(self) -> None:
        """Once a second: stale transitions, ages on the board, feed health in the status bar."""
        now = self.core.clock()
        units = list(self.core.state.units.values())
        flips = []
        stale_count = 0
        for u in units:
            stale = self.core.is_stale(u, now)
            stale_count += stale
            if u.position is not None and self._stale_shown.get(u.id) != stale:
                self._stale_shown[u.id] = stale
                flips.append(unit_row(u, stale))
        if flips:
            self.map.push_rows(flips)
        self.board.model.update_units([u.as_dict(now) for u in units], now)
        self._fix_counts.append((time.monotonic(), self.core.fixes_ingested))
        rate = 0.0
        if len(self._fix_counts) >= 2:
            (t0, n0), (t1, n1) = self._fix_counts[0], self._fix_counts[-1]
            rate = (n1 - n0) / max(1e-6, t1 - t0)
        self.feed_label.setText(self.tr("Feeds: %1 fixes/s").replace("%1", f"{rate:.0f}"))
        self.units_label.setText(
            self.tr("Units: %1 · stale %2").replace("%1", str(len(units))).replace("%2", str(stale_count))
        )

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._fitted and not self.panels.restored:
            self._fitted = True
            QTimer.singleShot(0, self.panels.fit)  # once laid out: the queue gets its width back

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        if self.confirm_quit and not self._quit_confirmed:
            reasons = [r for r in (check() for check in self.quit_checks) if r]
            if reasons:
                event.ignore()
                self.ask_quit(reasons)
                return
        if self.remember_layout and not self.read_only:
            self.panels.remember()
        self.closing.emit()
        self.push_timer.stop()
        self.slow_timer.stop()
        self.core.unsubscribe(self._on_core_changes)
        super().closeEvent(event)
