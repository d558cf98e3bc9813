"""The main window: the live map beside the unit board, a status bar with feed health.

It renders what the core publishes and calls the core only through console/operations.
Position updates are pulled from the core on a timer and pushed to the map in one batch,
so a thousand fixes a second cost one JavaScript call per tick, not one per fix.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget, QWidget

from console.map.view import MapView, unit_row
from console.unit_board import UnitBoard
from dispatch.core import Dispatch

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, core: Dispatch, city_geojson: dict[str, Any], *, lang: str, store_label: str,
                 tiles_url: str | None = None, push_interval_ms: int = 300) -> None:
        super().__init__()
        self.core = core
        self.city_geojson = city_geojson
        self.setWindowTitle(self.tr("City and waterway command console"))
        self.resize(1600, 960)
        self.map = MapView(city_geojson, lang=lang, tiles_url=tiles_url, parent=self)
        self.board = UnitBoard(core.stale_after, self)
        self.side = QTabWidget(self)
        self.side.setObjectName("sideTabs")
        self.side.addTab(self.board, self.tr("Units"))
        self.side_keys: dict[str, QWidget] = {"units": self.board}
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.map)
        split.addWidget(self.side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([1080, 520])
        self.setCentralWidget(split)
        self.splitter = split

        self.feed_label = QLabel(self)
        self.units_label = QLabel(self)
        self.store_label = QLabel(self.tr("Store: %1").replace("%1", store_label), self)
        for w in (self.feed_label, self.units_label):
            self.statusBar().addPermanentWidget(w)
        self.statusBar().addWidget(self.store_label)

        self.map.unit_clicked.connect(self.board.select_unit)
        self.board.unit_selected.connect(lambda uid: self.map.select(uid, centre=True))
        self.map.ready.connect(self._push_all)
        self._build_menus()

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
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        quit_action = QAction(self.tr("Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.view_menu = self.menuBar().addMenu(self.tr("&View"))
        replay_action = QAction(self.tr("Replay…"), self)
        replay_action.triggered.connect(self.open_replay)
        self.view_menu.addAction(replay_action)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        about = QAction(self.tr("About"), self)
        about.triggered.connect(
            lambda: QMessageBox.about(self, self.tr("About"), self.tr("City and waterway command console"))
        )
        help_menu.addAction(about)

    def open_replay(self) -> QWidget | None:
        """The replay window on this store, beside the live console (which keeps running)."""
        if getattr(self.core, "store", None) is None:  # attached to a hub: the store is the hub's
            QMessageBox.information(self, self.tr("Replay"), self.tr(
                "This console is attached to a hub and has no store: replay a shift on the hub's machine "
                "(main.py replay, ctl --hub events, ctl --hub seats)."))
            return None
        from console import i18n
        from console.replay.window import open_live_replay

        w = open_live_replay(self.core, self, lang=i18n.current_language(), city_geojson=self.city_geojson)
        w.show()
        return w

    def add_side_tab(self, widget: QWidget, title: str, key: str | None = None) -> None:
        """Add a tab beside the map; `key` names it for `show_side_tab` (and `--tab`)."""
        self.side.addTab(widget, title)
        if key:
            self.side_keys[key] = widget

    def show_side_tab(self, key: str) -> bool:
        """Bring the tab named `key` forward; False if there is none (e.g. the hub is off)."""
        widget = self.side_keys.get(key)
        if widget is None:
            return False
        self.side.setCurrentWidget(widget)
        return True

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
        for u in changed:
            stale = self.core.is_stale(u, now)
            self._stale_shown[u.id] = stale
            rows.append(unit_row(u, stale))
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

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.push_timer.stop()
        self.slow_timer.stop()
        self.core.unsubscribe(self._on_core_changes)
        super().closeEvent(event)
