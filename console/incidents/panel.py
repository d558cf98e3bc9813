"""The Incidents side tab: filter bar, the queue, the selected incident's detail, and the shift-lead alerts.

It refreshes from the core's `incidents` operation whenever the core reports incident changes (from
any seat), repaints the countdown every second, and on a console that keeps its own store asks the core
every few seconds to record deadlines that passed (`incidents.check_deadlines`; a hub does that itself for
its seats: dispatch/hub/duties.py). An `incident.overdue` event becomes a line in the non-modal alert list
and a status-bar message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.incidents.common import (
    CATEGORIES,
    OVERDUE_FG,
    STATES,
    SYSTEM_ACTOR,
    category_label,
    clock_text,
    priority_label,
    run_op,
    stage_label,
    state_label,
)
from console.incidents.detail import IncidentDetail
from console.incidents.queue import IncidentFilter, IncidentTableModel, QueueView
from dispatch.hub.duties import DUTIES

DEADLINE_CHECK_MS = int(DUTIES["incidents.check_deadlines"] * 1000)  # as a hub does for its seats


class IncidentsPanel(QWidget):
    incident_selected = Signal(int)
    incidents_loaded = Signal(list)  # the rows the queue shows, for the map
    status_message = Signal(str)
    alert_raised = Signal(str)
    new_incident_requested = Signal()

    def __init__(self, clock: Callable[[], float], parent: QWidget | None = None, *,
                 check_deadlines: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("incidentsPanel")
        self.clock = clock
        self.model = IncidentTableModel(clock, self)
        self.proxy = IncidentFilter(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setDynamicSortFilter(True)

        self.mode = QComboBox(self)
        self.mode.setObjectName("queueMode")
        self.mode.addItem(self.tr("Open incidents"), "open")
        self.mode.addItem(self.tr("All incidents"), "all")
        for s in STATES:
            self.mode.addItem(state_label(s), s)
        self.category = QComboBox(self)
        self.category.addItem(self.tr("All categories"), None)
        for c in CATEGORIES:
            self.category.addItem(category_label(c), c)
        for combo in (self.mode, self.category):  # as wide as their longest item would push the map aside
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        self.count = QLabel(self)
        theme.tone(self.count, "muted")
        new = QPushButton(self.tr("New incident…"), self)
        new.setObjectName("newIncident")
        new.clicked.connect(self.new_incident_requested)
        bar = QHBoxLayout()
        bar.addWidget(self.mode)
        bar.addWidget(self.category, 1)
        bar.addWidget(self.count)
        bar.addWidget(new)
        self._bar = bar
        self._only: QPushButton | None = None

        self.table = QueueView(self)
        self.table.setModel(self.proxy)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.table.fit_columns()
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        self.table.unit_dropped.connect(self._on_unit_dropped)

        self.detail = IncidentDetail(self, clock=clock)
        self.detail.status_message.connect(self.status_message)

        alerts_box = QWidget(self)
        alerts_title = QLabel(self.tr("Shift-lead alerts"), alerts_box)
        theme.tone(alerts_title, "alarm")
        self.alerts = QListWidget(alerts_box)
        self.alerts.setObjectName("alertList")
        self.alerts.itemActivated.connect(self._on_alert)
        self.alerts.itemClicked.connect(self._on_alert)
        clear = QPushButton(self.tr("Acknowledge all"), alerts_box)
        clear.setObjectName("acknowledgeAlerts")
        clear.clicked.connect(self.acknowledge_alerts)
        self.acknowledge_button = clear
        ah = QHBoxLayout()
        ah.addWidget(alerts_title, 1)
        ah.addWidget(clear)
        al = QVBoxLayout(alerts_box)
        al.setContentsMargins(0, 0, 0, 0)
        al.addLayout(ah)
        al.addWidget(self.alerts)
        self.alerts_box = alerts_box
        self._alert_list_shown = True

        top = QWidget(self)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addLayout(bar)
        tl.addWidget(self.table)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(self.detail)
        split.addWidget(alerts_box)
        split.setSizes([330, 470, 90])
        split.setChildrenCollapsible(False)
        self.split = split
        self._show_alert_list(False)  # until the core's list says there are some
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split)

        self.mode.currentIndexChanged.connect(self._on_filter)
        self.category.currentIndexChanged.connect(self._on_filter)

        self._lock = threading.Lock()
        self._dirty = True
        self._detail_dirty = False
        self._alerts_dirty = True  # the alerts nobody acknowledged are read from the core at start
        self._new_alerts: list[dict[str, Any]] = []
        self._loading = False
        self._loading_alerts = False
        self._checking = False
        self.loaded_once = False
        self.poll = QTimer(self)
        self.poll.timeout.connect(self._poll)
        self.poll.start(250)
        self.second = QTimer(self)
        self.second.timeout.connect(self.tick)
        self.second.start(1000)
        self.deadlines = QTimer(self)
        self.deadlines.timeout.connect(self.check_deadlines)
        if check_deadlines:
            self.deadlines.start(DEADLINE_CHECK_MS)

    def tick(self) -> None:
        """Once a second: the queue's and the detail's countdowns move on together."""
        self.model.tick()
        self.detail.tick()

    # -------------------------------------------------------------- core changes
    def note_changes(self, changes: Any) -> None:
        """Core subscriber: may run on any thread, so only record what to do; the GUI timer does it."""
        if not (changes.incidents or changes.assignments or changes.alerts or changes.units):
            return
        alerts = [ev for ev in getattr(changes, "events", []) if getattr(ev, "kind", "") == "incident.overdue"]
        with self._lock:
            if changes.incidents or changes.assignments or changes.alerts:
                self._dirty = True
            if changes.alerts:
                self._alerts_dirty = True
            if self.detail.incident_id is not None and (
                    f"incident:{self.detail.incident_id}" in changes.entities or changes.units):
                self._detail_dirty = True
            self._new_alerts.extend({"incident_id": ev.payload.get("id"), **ev.payload, "ts": ev.ts} for ev in alerts)

    def _poll(self) -> None:
        with self._lock:
            dirty, self._dirty = self._dirty, False
            detail, self._detail_dirty = self._detail_dirty, False
            alerts, self._new_alerts = self._new_alerts, []
            reload_alerts, self._alerts_dirty = self._alerts_dirty and not self._loading_alerts, \
                self._alerts_dirty and self._loading_alerts
        for a in alerts:
            self._announce_alert(a)
        if reload_alerts:
            self.load_alerts()
        if dirty:
            if self._loading:
                with self._lock:
                    self._dirty = True
            else:
                self.refresh()
        if detail:
            self.detail.reload()

    def refresh(self) -> None:
        self._loading = True

        def done(rows: list[dict[str, Any]]) -> None:
            self._loading = False
            self._set_rows(rows)

        def failed(msg: str) -> None:
            self._loading = False
            self.status_message.emit(msg)

        run_op(self, "incidents", {}, on_done=done, on_refused=failed, quiet=False)

    def _set_rows(self, rows: list[dict[str, Any]]) -> None:
        current = self.selected_incident()
        self.model.set_rows(rows)
        self.loaded_once = True
        if current is not None:
            self.select_incident(current, emit=False)
        elif self.detail.incident_id is None and self.proxy.rowCount():
            top = self.proxy.index(0, 0)  # the most urgent case, so the detail is never empty at start
            self.select_incident(int(self.model.rows[self.proxy.mapToSource(top).row()]["id"]), emit=False)
        self._update_count()
        self.incidents_loaded.emit(self.visible_rows())

    def show_only(self, ids: list[int] | None, label: str = "") -> None:
        """Show only these incidents in the queue and on the map (a dashboard click); None shows all again."""
        self.proxy.ids = None if ids is None else frozenset(int(i) for i in ids)
        if ids is not None:
            self.mode.setCurrentIndex(self.mode.findData("all"))
            if self._only is None:
                self._only = QPushButton(self)
                self._only.setObjectName("onlySelection")
                self._only.clicked.connect(lambda: self.show_only(None))
                self._bar.insertWidget(0, self._only)
            self._only.setText(self.tr("%1 (%2) ✕").replace("%1", label).replace("%2", str(len(ids))))
            self._only.setToolTip(self.tr("Only the incidents picked on the dashboard; click to show all again"))
            self._only.show()
        elif self._only is not None:
            self._only.hide()
        self.proxy.refilter()
        self._update_count()
        self.incidents_loaded.emit(self.visible_rows())

    def visible_rows(self) -> list[dict[str, Any]]:
        out = []
        for i in range(self.proxy.rowCount()):
            src = self.proxy.mapToSource(self.proxy.index(i, 0))
            out.append(self.model.rows[src.row()])
        return out

    def _update_count(self) -> None:
        n_open = sum(1 for r in self.model.rows if r.get("open"))
        n_over = sum(1 for r in self.model.rows if self.model.is_overdue(r))
        text = self.tr("%1 open").replace("%1", str(n_open))
        if n_over:
            text += " · " + self.tr("%1 overdue").replace("%1", str(n_over))
        self.count.setText(text)

    def check_deadlines(self) -> None:
        """Ask the core to record passed deadlines (the alerts arrive through note_changes)."""
        if self._checking:
            return
        self._checking = True

        def done(_found: Any) -> None:
            self._checking = False
            self._update_count()

        run_op(self, "incidents.check_deadlines", {}, on_done=done, on_refused=lambda _m: done(None), quiet=True,
               actor=SYSTEM_ACTOR)

    def alert_text(self, a: dict[str, Any]) -> str:
        iid = a.get("incident_id")
        cat = a.get("category")
        if cat is None and iid in self.model.index_of:
            cat = self.model.rows[self.model.index_of[iid]]["category"]
        text = self.tr("%1  #%2 %3 %4: %5 deadline passed").replace("%1", clock_text(a.get("at") or a.get("ts")))
        return (text.replace("%2", str(iid)).replace("%3", priority_label(a.get("priority")))
                .replace("%4", category_label(cat) if cat else "").replace("%5", stage_label(a.get("stage"))))

    def _announce_alert(self, a: dict[str, Any]) -> None:
        """A deadline just passed (an incident.overdue event from any seat): the status bar says so.
        The list itself is the core's: the alerts nobody has acknowledged (`load_alerts`)."""
        text = self.alert_text(a)
        self.alert_raised.emit(text)
        self.status_message.emit(self.tr("Overdue: %1").replace("%1", text))

    def load_alerts(self) -> None:
        self._loading_alerts = True

        def done(rows: list[dict[str, Any]]) -> None:
            self._loading_alerts = False
            self.show_alerts(rows)

        def failed(_msg: str) -> None:
            self._loading_alerts = False

        run_op(self, "incidents.alerts", {}, on_done=done, on_refused=failed, quiet=True)

    def show_alerts(self, rows: list[dict[str, Any]]) -> None:
        self.alerts.clear()
        for a in rows:
            item = QListWidgetItem(self.alert_text(a))
            item.setData(Qt.ItemDataRole.UserRole, a.get("incident_id"))
            item.setData(Qt.ItemDataRole.UserRole + 1, a.get("seq"))
            item.setForeground(QBrush(OVERDUE_FG))
            self.alerts.addItem(item)
        self.acknowledge_button.setEnabled(bool(rows))
        self._show_alert_list(bool(rows))

    ALERT_LIST_PX = 110  # the list's share of the splitter when alerts come in

    def _show_alert_list(self, shown: bool) -> None:
        """No alert: only the title line, and the queue above takes the room (on a short screen the empty
        list left it two rows). Alerts: the list opens, its room taken from the queue."""
        if shown == self._alert_list_shown:
            return
        self._alert_list_shown = shown
        box = self.alerts_box
        self.alerts.setVisible(shown)
        if not shown:
            box.setMaximumHeight(box.layout().sizeHint().height())
            return
        box.setMaximumHeight(16777215)  # QWIDGETSIZE_MAX
        sizes, i = self.split.sizes(), self.split.indexOf(box)
        short = self.ALERT_LIST_PX - sizes[i]
        if short > 0 and sum(sizes):
            sizes[0] = max(sizes[0] - short, 60)
            sizes[i] = self.ALERT_LIST_PX
            self.split.setSizes(sizes)

    def acknowledge_alerts(self) -> None:
        """Acknowledge the alerts shown (recorded: who and when); one arriving meanwhile stays."""
        seqs = [self.alerts.item(i).data(Qt.ItemDataRole.UserRole + 1) for i in range(self.alerts.count())]
        seqs = [int(x) for x in seqs if x is not None]
        if seqs:
            run_op(self, "incidents.acknowledge_alerts", {"alerts": seqs}, on_done=lambda _r: self.load_alerts(),
                   on_refused=self.status_message.emit)

    def _on_alert(self, item: QListWidgetItem) -> None:
        iid = item.data(Qt.ItemDataRole.UserRole)
        if iid is not None:
            self.select_incident(int(iid))

    # ----------------------------------------------------------------- selection
    def _on_filter(self) -> None:
        self.proxy.mode = self.mode.currentData()
        self.proxy.category = self.category.currentData()
        self.proxy.refilter()
        self.incidents_loaded.emit(self.visible_rows())

    def _on_row(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if not current.isValid():
            return
        iid = int(self.model.rows[self.proxy.mapToSource(current).row()]["id"])
        if iid != self.detail.incident_id:
            self.detail.show_incident(iid)
        if not self._selecting:
            self.incident_selected.emit(iid)

    _selecting = False

    def selected_incident(self) -> int | None:
        idx = self.table.currentIndex()
        if not idx.isValid():
            return None
        return int(self.model.rows[self.proxy.mapToSource(idx).row()]["id"])

    def select_incident(self, incident_id: int, *, emit: bool = True) -> bool:
        """Select a row (clearing filters that hide it); shows its detail."""
        row = self.model.index_of.get(incident_id)
        if row is None:
            self.detail.show_incident(incident_id)  # not loaded yet: the detail asks the core itself
            return False
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        if not idx.isValid():
            self.mode.setCurrentIndex(self.mode.findData("all"))
            self.category.setCurrentIndex(0)
            idx = self.proxy.mapFromSource(self.model.index(row, 0))
        self._selecting = not emit
        try:
            self.table.setCurrentIndex(idx)
            self.table.scrollTo(idx)
        finally:
            self._selecting = False
        if self.detail.incident_id != incident_id:
            self.detail.show_incident(incident_id)
        return True

    def _on_unit_dropped(self, incident_id: int, unit_id: str) -> None:
        self.select_incident(incident_id)
        self.detail.assign(unit_id, incident_id)
