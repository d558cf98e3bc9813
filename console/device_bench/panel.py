"""The engineer's device bench: every feed with its live figures, a raw monitor, connect/disconnect,
add and edit feeds with their per-source bindings, and the sources a feed hears that no unit has.

Figures come from `dispatch.feeds.manager.FeedManager` snapshots taken on a collector thread (never on
the GUI thread); a timer shows the latest. Connecting, disconnecting, editing and saving the feed
file also run off the GUI thread, so a port that hangs on close cannot freeze the console. AIS
contacts (vessels bound to none of our units) are pushed to the map as kind "ais".

The widgets only collect and show: what a valid feed or binding is, and what an edit does to a
running feed, is decided by `dispatch.feeds.config` and `FeedManager.update`.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.device_bench.collector import Deliver, StatsCollector
from console.device_bench.dialogs import AddFeedDialog, BindSourceDialog, EditFeedDialog
from console.device_bench.feed_table import FeedTable, detail_text, status_text
from console.device_bench.guard import guarded, may
from console.device_bench.words import ERROR_STYLE, match_label, refusal_text, source_detail
from dispatch.errors import Refused
from dispatch.feeds import config as feed_config
from dispatch.feeds.config import FeedSpec
from dispatch.feeds.feed import FeedStats, UnboundSource
from dispatch.feeds.manager import FeedManager

log = logging.getLogger(__name__)

AIS_KIND = 4  # console.map.view KIND_INDEX["ais"]


class DevicesPanel(QWidget):
    COLUMNS = FeedTable.COLUMNS
    UNBOUND_COLUMNS = ("kind", "value", "detail", "age", "count")

    def __init__(self, manager: FeedManager, *, config_path: str | Path | None = None, map_view: Any = None,
                 parent: QWidget | None = None, interval_ms: int = 500, pumps: list[Any] | None = None,
                 gateway: Any = None) -> None:
        """`pumps`: feeds not configured here (the demo city's simulated receivers), shown read-only;
        `gateway`: a JT/T 808 gateway (dispatch.jt808), a row with its terminals (console/device_bench/jt808.py)."""
        super().__init__(parent)
        self.setObjectName("devicesPanel")
        self.manager = manager
        self.gateway = gateway
        self.config_path = config_path
        self.save_enabled = True  # False: the feeds file had errors at start; never overwrite it
        self.map_view = map_view
        self._deliver = Deliver(self)
        self.collector = StatsCollector(manager, interval_ms / 1000.0, pumps, gateway)
        self.collector.start()
        self.last_stats: list[FeedStats] = []
        self.last_unbound: list[UnboundSource] = []
        self.units: list[dict[str, Any]] = []
        self.busy = 0  # edits running off the GUI thread
        self._first_selected = False

        self.table = FeedTable(self)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit_feed())

        self.add_button = QPushButton(self.tr("Add feed…"), self)
        self.edit_button = QPushButton(self.tr("Edit…"), self)
        self.connect_button = QPushButton(self.tr("Connect"), self)
        self.disconnect_button = QPushButton(self.tr("Disconnect"), self)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.add_button.clicked.connect(self.add_feed)
        self.edit_button.clicked.connect(self.edit_feed)
        self.connect_button.clicked.connect(lambda: self._on_selected(guarded(self, self.manager.connect)))
        self.disconnect_button.clicked.connect(lambda: self._on_selected(guarded(self, self.manager.disconnect)))
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.connect_button, self.disconnect_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

        # the sources the selected feed hears that no binding covers, with one-click binding
        self.unbound_title = QLabel(self)
        self.unbound_table = QTableWidget(0, len(self.UNBOUND_COLUMNS), self)
        self.unbound_table.setObjectName("unboundSources")
        self.unbound_table.setHorizontalHeaderLabels([self.tr("Match"), self.tr("Value"), self.tr("Details"),
                                                      self.tr("Last heard (s)"), self.tr("Records")])
        self.unbound_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.unbound_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.unbound_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        uh = self.unbound_table.horizontalHeader()
        uh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        uh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.unbound_table.verticalHeader().setVisible(False)
        self.unbound_table.doubleClicked.connect(lambda _i: self.bind_source())
        self.bind_button = QPushButton(self.tr("Bind to unit…"), self)
        self.bind_button.clicked.connect(lambda: self.bind_source())
        ub_bar = QHBoxLayout()
        ub_bar.addWidget(self.unbound_title, 1)
        ub_bar.addWidget(self.bind_button)

        self.monitor = QPlainTextEdit(self)
        self.monitor.setObjectName("rawMonitor")
        self.monitor.setReadOnly(True)
        self.monitor.setMaximumBlockCount(1000)
        self.monitor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.pause = QCheckBox(self.tr("Pause"), self)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(self.tr("Filter, e.g. GGA or !AIVDM"))
        self.only_selected = QCheckBox(self.tr("Selected feed only"), self)
        mon_bar = QHBoxLayout()
        mon_bar.addWidget(QLabel(self.tr("Raw monitor"), self))
        mon_bar.addWidget(self.filter, 1)
        mon_bar.addWidget(self.only_selected)
        mon_bar.addWidget(self.pause)

        top = QWidget(self)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.table)
        # every figure of the selected feed in words: the table has more columns than the side panel shows
        self.detail = QLabel(self)
        self.detail.setObjectName("feedDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        tl.addWidget(self.detail)
        tl.addLayout(buttons)
        middle = QWidget(self)
        ml = QVBoxLayout(middle)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addLayout(ub_bar)
        ml.addWidget(self.unbound_table)
        bottom = QWidget(self)
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        self.gateway_view = None
        if gateway is not None:  # its terminals and their raw frames, while its row is selected
            from console.device_bench.jt808 import GatewayView

            self.gateway_view = GatewayView(gateway, bottom, interval_ms=interval_ms, send_text=self.send_text,
                                            send_command=self.send_command)
            self.gateway_view.hide()
            bl.addWidget(self.gateway_view, 3)
        self.monitor_box = QWidget(bottom)  # the feeds' lines (the gateway shows its terminals' frames instead)
        mb = QVBoxLayout(self.monitor_box)
        mb.setContentsMargins(0, 0, 0, 0)
        mb.addLayout(mon_bar)
        mb.addWidget(self.monitor)
        bl.addWidget(self.monitor_box)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(middle)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setStretchFactor(2, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.notice = QLabel(self)  # what the last edit did, or why it was refused
        self.notice.setObjectName("benchNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        layout.addWidget(self.notice)
        self.status = QLabel(self)
        layout.addWidget(self.status)
        self._selection_changed()

        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(interval_ms)

    # ------------------------------------------------------------ refresh
    def selected_feed(self) -> str | None:
        return self.table.selected_name()

    def select_feed(self, name: str) -> None:
        self.table.select_name(name)

    def _selection_changed(self) -> None:
        name = self.selected_feed()
        self.collector.selected = name
        self.collector.wake.set()
        has = name is not None and name in self.manager.feeds  # a simulated row is not ours to edit
        for b in (self.edit_button, self.connect_button, self.disconnect_button, self.remove_button):
            b.setEnabled(has)
        if self.gateway_view is not None:
            shown = name == self.gateway.name
            self.gateway_view.set_active(shown)
            self.gateway_view.setVisible(shown)
            self.monitor_box.setVisible(not shown)
        self._fill_unbound(name, [] if name != self.collector.bench()[0] else self.collector.bench()[1])

    def refresh(self) -> None:
        stats, lines, contacts = self.collector.take()
        self.last_stats = stats
        self._fill(stats)
        of, unbound, units = self.collector.bench()
        self.units = units
        selected = self.selected_feed()
        if self.collector.selected != selected:  # the selected row's feed was renamed
            self.collector.selected = selected
            self.collector.wake.set()
        elif of == selected:
            self._fill_unbound(of, unbound)
        if lines and not self.pause.isChecked():
            want = self.filter.text().strip().lower()
            only = self.selected_feed() if self.only_selected.isChecked() else None
            shown = []
            for name, m in lines:
                if only and name != only:
                    continue
                if want and want not in m.line.lower() and want not in name.lower():
                    continue
                mark = "" if m.status == "ok" else f"  <{status_text(m.status)}>"
                shown.append(f"{time.strftime('%H:%M:%S', time.localtime(m.ts))} [{name}] {m.line}{mark}")
            if shown:
                self.monitor.appendPlainText("\n".join(shown))
        if contacts and self.map_view is not None:
            now = time.time()
            rows = [[f"ais:{c['mmsi']}", round(c["lat"], 7), round(c["lon"], 7),
                     None if c.get("course") is None else round(float(c["course"]), 1), AIS_KIND, 0,
                     1 if now - (c.get("seen") or now) > 600 else 0, c.get("name") or str(c["mmsi"])]
                    for c in contacts]
            try:
                self.map_view.push_rows(rows)
            except Exception:
                log.exception("pushing AIS contacts to the map failed")

    def _fill(self, stats: list[FeedStats]) -> None:
        self.table.fill(stats)
        if stats and self.selected_feed() is None and not self._first_selected:
            self._first_selected = True  # the bench opens on its first feed: its figures and sources shown
            self.table.selectRow(0)
        selected = self.selected_feed()
        shown = next((s for s in stats if s.name == selected), None)
        detail = detail_text(shown) if shown is not None else ""
        if self.detail.text() != detail:
            self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        bad = sum(s.checksum_errors + s.unknown + s.malformed for s in stats)
        self.status.setText(self.tr("%1 feeds, %2 connected, %3 bad lines").replace("%1", str(len(stats)))
                            .replace("%2", str(sum(s.connected for s in stats))).replace("%3", str(bad)))

    def _fill_unbound(self, feed: str | None, rows: list[UnboundSource]) -> None:
        if feed is None:
            self.unbound_title.setText(self.tr("Select a feed to see the sources it hears that no unit is bound to"))
        elif feed not in self.manager.feeds and any(s.name == feed and s.kind == "simulated" for s in self.last_stats):
            self.unbound_title.setText(self.tr("%1: the demo city's simulated receivers, each bound to its unit")
                                       .replace("%1", feed))
        elif rows:
            self.unbound_title.setText(self.tr("Sources on %1 not bound to a unit").replace("%1", feed))
        else:
            self.unbound_title.setText(self.tr("Every source on %1 is bound to a unit").replace("%1", feed))
        keep = self.selected_unbound()
        self.last_unbound = rows
        tbl = self.unbound_table
        if tbl.rowCount() != len(rows):
            tbl.setRowCount(len(rows))
        for r, u in enumerate(rows):
            detail = source_detail(u)
            for c, v in enumerate((match_label(u.kind), u.value, detail, f"{u.age:.0f}", str(u.count))):
                item = tbl.item(r, c)
                if item is None:
                    tbl.setItem(r, c, QTableWidgetItem(v))
                elif item.text() != v:
                    item.setText(v)
        if keep is not None:
            for r, u in enumerate(rows):
                if (u.kind, u.value) == (keep.kind, keep.value):
                    if tbl.currentRow() != r:
                        tbl.selectRow(r)
                    break
        self.bind_button.setEnabled(bool(rows))

    def selected_unbound(self) -> UnboundSource | None:
        rows = self.unbound_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.last_unbound):
            return None
        return self.last_unbound[rows[0].row()]

    # ------------------------------------------------------------ actions
    def _background(self, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None] | None = None,
                    failed: Callable[[BaseException], None] | None = None) -> None:
        """Run `fn(*args)` and save the feeds file on a thread of its own (a port may hang on close);
        `done(result)` or `failed(exc)` then run on the GUI thread."""
        self.busy += 1

        def work() -> None:
            try:
                result = fn(*args)
                saved = self._save()
            except Exception as exc:  # noqa: BLE001 - shown, not raised: the bench goes on
                if not isinstance(exc, Refused):
                    log.exception("feed action failed")
                self._deliver.call.emit(lambda e=exc: self._finish(failed, e))
                return
            self._deliver.call.emit(lambda: self._finish(done, (result, saved)))

        threading.Thread(target=work, name="feed-action", daemon=True).start()

    def _finish(self, fn: Callable[[Any], None] | None, arg: Any) -> None:
        self.busy -= 1
        self.collector.wake.set()
        if fn is not None:
            fn(arg)
        elif isinstance(arg, BaseException):
            self.show_notice(refusal_text(arg), error=True)

    def show_notice(self, text: str, *, error: bool = False) -> None:
        self.notice.setStyleSheet(ERROR_STYLE if error else "")
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _on_selected(self, fn: Callable[[str], Any]) -> None:
        name = self.selected_feed()
        if name:
            self._background(fn, name)

    def _remove(self) -> None:
        name = self.selected_feed()
        if name:
            self._background(guarded(self, self.manager.remove), name)

    def _save(self) -> bool:
        """Rewrite the feeds file (off the GUI thread). False: not written (it had errors at start)."""
        if not self.save_enabled:
            return False
        if self.config_path is not None or feed_config.default_path().parent.exists():
            feed_config.save(self.manager.specs(), self.config_path)
            return True
        return False

    def _not_saved_text(self) -> str:
        return self.tr("The feeds file had errors when the console started and is left as it was: "
                       "this change lasts until the console closes.")

    def add_feed(self) -> None:
        if not may(self):
            return
        dlg = AddFeedDialog(self, existing=set(self.manager.feeds), units=self.units)
        if dlg.exec() != QDialog.DialogCode.Accepted or dlg.spec is None:
            return
        try:
            self.manager.add(dlg.spec, start=False)
        except Refused as exc:
            QMessageBox.warning(self, self.tr("Add feed"), refusal_text(exc))
            return
        self._background(self.manager.connect, dlg.spec.name)

    def edit_dialog(self, name: str | None = None) -> EditFeedDialog | None:
        """The edit dialog of feed `name` (default: the selected one), not yet shown."""
        name = name or self.selected_feed()
        if not name or name not in self.manager.feeds:
            return None
        specs = [dataclasses.replace(s, bind=dict(s.bind)) for s in self.manager.specs()]
        return EditFeedDialog(self, specs=specs, name=name, units=self.units)

    def edit_feed(self) -> None:
        if not may(self):
            return
        dlg = self.edit_dialog()
        if dlg is None:
            return
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.spec is not None:
            self.apply_edit(dlg.old_name, dlg.spec)

    def apply_edit(self, name: str, spec: FeedSpec, *, done: Callable[[Any], None] | None = None) -> None:
        """Apply an edited feed to the running manager and save the file, off the GUI thread."""
        from console.operations import seat_actor

        actor = seat_actor(self.manager.core)

        def finished(arg: Any) -> None:
            plan, saved = arg
            if plan.restart:
                text = self.tr("Feed %1 saved; it reconnects with the new settings.")
            elif plan.changed:
                text = self.tr("Feed %1 saved; its connection was kept.")
            else:
                text = self.tr("Feed %1: nothing changed.")
            text = text.replace("%1", plan.spec.name)
            if not saved and plan.changed:
                text += " " + self._not_saved_text()
            self.show_notice(text, error=False)
            self.select_feed(plan.spec.name)
            if done is not None:
                done(plan)

        self._background(guarded(self, lambda: self.manager.update(name, spec, actor=actor)), done=finished)

    def bind_source(self, source: UnboundSource | None = None) -> None:
        """Bind a source the selected feed hears to a unit: asks which, then applies it."""
        feed = self.selected_feed()
        source = source or self.selected_unbound()
        if feed is None or source is None:
            return
        if source.kind == "terminal":  # a terminal the JT/T 808 gateway refused
            from console.device_bench.jt808 import ask_binding

            ask_binding(self, source)
            return
        if not may(self):
            return
        dlg = BindSourceDialog(self, feed=feed, source=source, units=self.units)
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.result_binding is not None:
            self.apply_binding(feed, *dlg.result_binding, unit_wide=dlg.unit_wide)

    def apply_binding(self, feed: str, kind: str, value: str, unit: str, *, unit_wide: bool = False,
                      done: Callable[[Any], None] | None = None) -> None:
        """One source to a unit. An MMSI bound `unit_wide` becomes the unit's own (`unit.bind_mmsi`,
        as the unit board and `ctl unit bind-mmsi` do: every feed, shown on the board); anything
        else goes into the feed's ``bind`` table through the same path as the edit dialog."""
        from console.operations import authorize, seat_actor
        from dispatch import ops

        actor = seat_actor(self.manager.core)
        if kind == "mmsi" and unit_wide:
            core = self.manager.core

            def finished_unit(arg: Any) -> None:
                self.show_notice(self.tr("MMSI %1 is now %2's AIS transponder.").replace("%1", value)
                                 .replace("%2", unit))
                if done is not None:
                    done(arg)

            self._background(guarded(self, lambda: ops.call(core, "unit.bind_mmsi", {"unit_id": unit, "mmsi": value},
                                                            actor=actor), "unit.bind_mmsi"), done=finished_unit)
            return

        def work() -> Any:
            authorize(self.manager.core, "feed.edit")
            spec = dataclasses.replace(self.manager.feed(feed).spec)
            spec.bind = {**spec.bind, feed_config.binding_key(kind, value): unit}
            return self.manager.update(feed, spec, actor=actor)

        def finished(arg: Any) -> None:
            plan, saved = arg
            text = self.tr("%1 on %2 now moves %3.").replace("%1", f"{match_label(kind)} {value}")
            text = text.replace("%2", feed).replace("%3", unit)
            if not saved:
                text += " " + self._not_saved_text()
            self.show_notice(text)
            if done is not None:
                done(plan)

        self._background(work, done=finished)

    def bind_terminal(self, terminal: str, unit: str, *, done: Callable[[Any], None] | None = None) -> None:
        from console.device_bench.jt808 import bind_terminal

        bind_terminal(self, terminal, unit, done)

    def send_text(self, unit: str, text: str, *, done: Callable[[Any], None] | None = None) -> None:
        from console.device_bench.jt808 import send_text

        send_text(self, unit, text, done)

    def send_command(self, operation: str, unit: str, args: dict[str, Any], *,
                     done: Callable[[Any], None] | None = None) -> None:
        from console.device_bench.jt808 import send_command

        send_command(self, operation, unit, args, done)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self.timer.stop()
        self.collector.stop()
        if self.gateway_view is not None:
            self.gateway_view.shutdown()
