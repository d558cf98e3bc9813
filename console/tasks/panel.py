"""The Cleaning tasks side tab: every task with its live coverage, and the areas shaded on the map.

Progress comes from the core (`tasks`: coverage from the vessels' stored tracks); the panel only shows
it. Every few seconds it asks the core to start due tasks, spawn recurring ones and finish swept ones
(`tasks.tick`), then re-reads the list. Task areas (GeoJSON) are fetched once per task (`task.show`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.incidents.common import SYSTEM_ACTOR, run_op, task_state_label
from dispatch.hub.duties import DUTIES

TICK_MS = int(DUTIES["tasks.tick"] * 1000)  # as a hub does for its seats


def _start_text(ts: float | None) -> str:
    """Today's times as HH:MM, other days with the date."""
    if ts is None:
        return ""
    from datetime import datetime

    dt = datetime.fromtimestamp(ts)
    return dt.strftime("%H:%M") if dt.date() == datetime.now().date() else dt.strftime("%m-%d %H:%M")


class TasksPanel(QWidget):
    tasks_loaded = Signal(list)  # [{id, name, state, coverage, area, label}] for the map
    status_message = Signal(str)
    new_task_requested = Signal()
    task_selected = Signal(int)

    COLUMNS = ("id", "name", "state", "units", "coverage", "area", "distance", "time")

    def __init__(self, parent: QWidget | None = None, *, tick: bool = True, run_tick: bool = True,
                 unit_name: Callable[[str], str] | None = None, segments: dict[str, str] | None = None) -> None:
        """`unit_name(id)`: the name dispatchers know a vessel by; `segments`: river segment id -> its name."""
        super().__init__(parent)
        self.setObjectName("tasksPanel")
        self.unit_name = unit_name or (lambda uid: uid)
        self.segments = dict(segments or {})
        self.rows: list[dict[str, Any]] = []
        self.areas: dict[int, dict[str, Any]] = {}
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setObjectName("taskTable")
        self.table.setHorizontalHeaderLabels([self.tr("No."), self.tr("Task"), self.tr("State"), self.tr("Vessels"),
                                              self.tr("Swept"), self.tr("Area (km²)"), self.tr("Distance (km)"),
                                              self.tr("Start")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setAlternatingRowColors(True)
        h = self.table.horizontalHeader()  # every column as wide as its contents; the name takes the rest
        h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(self.COLUMNS.index("name"), QHeaderView.ResizeMode.Stretch)
        h.setMinimumSectionSize(24)
        self.table.itemSelectionChanged.connect(self._on_select)
        new = QPushButton(self.tr("New cleaning task…"), self)
        new.setObjectName("newTask")
        new.clicked.connect(self.new_task_requested)
        self.finish = QPushButton(self.tr("Finish"), self)
        self.finish.clicked.connect(lambda: self._act("task.finish"))
        self.cancel = QPushButton(self.tr("Cancel task"), self)
        self.cancel.clicked.connect(lambda: self._act("task.cancel"))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(new)
        bar.addStretch(1)
        bar.addWidget(self.finish)
        bar.addWidget(self.cancel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.message)

        self._lock = threading.Lock()
        self._dirty = True
        self._loading = False
        self._ticking = False
        self.run_tick = run_tick  # False on a seat attached to a hub: the hub runs tasks.tick (dispatch/hub/duties.py)
        self.loaded_once = False
        self.poll = QTimer(self)
        self.poll.timeout.connect(self._poll)
        self.poll.start(250)
        self.ticker = QTimer(self)
        self.ticker.timeout.connect(self.tick)
        if tick:
            self.ticker.start(TICK_MS)

    # ------------------------------------------------------------------ data
    def note_changes(self, changes: Any) -> None:
        """Core subscriber (any thread): only flag."""
        if changes.tasks:
            with self._lock:
                self._dirty = True

    def _poll(self) -> None:
        with self._lock:
            dirty, self._dirty = self._dirty, False
        if dirty:
            self.refresh()

    def tick(self) -> None:
        """Start/spawn/finish on the core, then re-read progress (coverage moves without any event)."""
        if not self.run_tick:
            self.refresh()  # the progress all the same
            return
        if self._ticking:
            return
        self._ticking = True

        def done(_r: Any) -> None:
            self._ticking = False
            self.refresh()

        run_op(self, "tasks.tick", {}, on_done=done, on_refused=lambda _m: done(None), quiet=True, actor=SYSTEM_ACTOR)

    def refresh(self) -> None:
        if self._loading:
            with self._lock:
                self._dirty = True
            return
        self._loading = True

        def done(rows: list[dict[str, Any]]) -> None:
            self._loading = False
            self._set_rows(rows)

        def failed(msg: str) -> None:
            self._loading = False
            self.status_message.emit(msg)

        run_op(self, "tasks", {}, on_done=done, on_refused=failed, quiet=True)

    def _set_rows(self, rows: list[dict[str, Any]]) -> None:
        keep = self.selected_task()
        self.rows = rows
        self.loaded_once = True
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            p = r.get("progress") or {}
            cov = p.get("coverage")
            res = r.get("result") or {}
            cells = [str(r["id"]), self.display_name(r), task_state_label(r.get("state")),
                     ", ".join(self.unit_name(u) for u in r.get("units", [])),
                     None, f"{r.get('area_m2', 0) / 1e6:.3f}",
                     f"{(p.get('distance_m') or res.get('distance_m') or 0) / 1000:.2f}",
                     (self.tr("daily %1").replace("%1", r["every_day"]) if r.get("every_day")
                      else _start_text(r.get("started_at") or r.get("at")))]
            for c, text in enumerate(cells):
                if text is None:
                    continue
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, r["id"])
                item.setToolTip(text if c not in (1, 3) else f"{text}\n{self._ids(r, c)}")
                if c in (0, 5, 6):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, c, item)
            bar = self.table.cellWidget(i, 4)
            if not isinstance(bar, QProgressBar):
                bar = QProgressBar(self.table)
                bar.setRange(0, 1000)
                bar.setTextVisible(True)
                self.table.setCellWidget(i, 4, bar)
            bar.setValue(0 if cov is None else round(float(cov) * 1000))
            bar.setFormat("—" if cov is None else f"{float(cov) * 100:.1f} %")
            bar.setProperty("coverage", cov)
        if keep is not None:
            for i, r in enumerate(rows):
                if r["id"] == keep:
                    self.table.selectRow(i)
        self._fetch_areas()
        self._push_map()

    def display_name(self, r: dict[str, Any]) -> str:
        """The task's name; one named after its segment (no name was given) by the segment's own name."""
        name, seg = str(r.get("name") or ""), r.get("segment")
        if seg and seg in self.segments and (name == seg or name.startswith(f"{seg} ")):
            return self.segments[seg] + name[len(seg):]  # a daily task's date stays
        return name

    @staticmethod
    def _ids(r: dict[str, Any], column: int) -> str:
        return ", ".join(r.get("units", [])) if column == 3 else str(r.get("segment") or "")

    def _fetch_areas(self) -> None:
        for r in self.rows:
            tid = r["id"]
            if tid in self.areas or r.get("state") == "cancelled":
                continue
            self.areas[tid] = {}  # asked once

            def done(t: dict[str, Any], tid: int = tid) -> None:
                self.areas[tid] = t.get("area") or {}
                self._push_map()

            run_op(self, "task.show", {"task_id": tid}, on_done=done, on_refused=lambda _m: None, quiet=True)

    def map_items(self) -> list[dict[str, Any]]:
        out = []
        for r in self.rows:
            area = self.areas.get(r["id"])
            if not area or r.get("state") in ("cancelled", "recurring"):
                continue
            cov = (r.get("progress") or {}).get("coverage")
            label = f"#{r['id']} {self.display_name(r)} · {task_state_label(r.get('state'))}"
            if cov is not None:
                label += f" · {float(cov) * 100:.0f} %"
            out.append({"id": r["id"], "name": self.display_name(r), "state": r.get("state"), "coverage": cov,
                        "area": area, "label": label})
        return out

    def _push_map(self) -> None:
        self.tasks_loaded.emit(self.map_items())

    # --------------------------------------------------------------- actions
    def selected_task(self) -> int | None:
        items = self.table.selectedItems()
        if not items:
            return None
        v = items[0].data(Qt.ItemDataRole.UserRole)
        return None if v is None else int(v)

    def _on_select(self) -> None:
        tid = self.selected_task()
        if tid is not None:
            self.task_selected.emit(tid)

    def _act(self, op_name: str) -> None:
        tid = self.selected_task()
        if tid is None:
            self.message.setText(self.tr("Select a task first"))
            return

        def done(t: dict[str, Any]) -> None:
            theme.tone(self.message, None)
            self.message.setText(self.tr("Task %1: %2").replace("%1", str(tid)).replace(
                "%2", task_state_label(t.get("state"))))
            self.refresh()

        def refused(msg: str) -> None:
            theme.tone(self.message, "error_text")
            self.message.setText(self.tr("Refused: %1").replace("%1", msg))

        run_op(self, op_name, {"task_id": tid}, on_done=done, on_refused=refused)
