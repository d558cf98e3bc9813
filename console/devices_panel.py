"""The engineer's device bench: every feed with its live figures, a raw monitor, connect/disconnect,
add and edit feeds with their per-source bindings, and the sources a feed hears that no unit has.

Figures come from `dispatch.feeds.FeedManager` snapshots taken on a collector thread (never on
the GUI thread); a timer shows the latest. Connecting, disconnecting, editing and saving the feed
file also run off the GUI thread, so a port that hangs on close cannot freeze the console. AIS
contacts (vessels bound to none of our units) are pushed to the map as kind "ais".

The widgets only collect and show: what a valid feed or binding is, and what an edit does to a
running feed, is decided by `dispatch.feed_config` and `FeedManager.update`.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.i18n import kind_label, t
from dispatch.errors import Refused
from dispatch.feeds import config as feed_config
from dispatch.feeds.config import BINDING_KINDS, FeedRefused, FeedSpec
from dispatch.feeds.feed import FeedStats, MonitorLine, UnboundSource
from dispatch.feeds.manager import FeedManager

log = logging.getLogger(__name__)

AIS_KIND = 4  # console.map.view KIND_INDEX["ais"]
ERROR_STYLE = "color: #b3261e;"


def refusal_text(exc: BaseException) -> str:
    """A refusal for display: a feed refusal in the UI language, any other as the core said it."""
    if isinstance(exc, FeedRefused):
        row = "" if exc.row is None else feed_config.fill(t(feed_config.ROW_PREFIX), (exc.row + 1,))
        return row + feed_config.fill(t(exc.template), exc.params)
    if isinstance(exc, Refused):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def match_label(kind: str) -> str:
    return t({"talker": "Talker", "mmsi": "MMSI", "peer": "Peer address", "device": "Device id",
              "terminal": "Terminal"}.get(kind, kind))


def source_detail(u: UnboundSource) -> str:
    """What else is known of a heard source: the peer a talker came from, a vessel's name..."""
    if not u.detail:
        return ""
    if u.kind == "talker":
        return t("from %1").replace("%1", u.detail)
    if u.kind == "mmsi":
        return t("vessel %1").replace("%1", u.detail)
    if u.kind == "terminal":
        return u.detail  # plate, maker, model as the terminal registered
    return t("talker %1").replace("%1", u.detail)


class StatsCollector(threading.Thread):
    """Takes feed snapshots and new monitor lines every `interval` seconds, off the GUI thread.

    Also the sources heard on the feed the bench has selected (`selected`) that no binding covers,
    and the core's units for the binding pickers (read again when they change).
    """

    def __init__(self, manager: FeedManager, interval: float = 0.5, gateway: Any = None) -> None:
        super().__init__(name="feed-stats", daemon=True)
        self.manager = manager
        self.gateway = gateway  # a JT/T 808 gateway shown as one more feed (console/jt808_bench.py)
        self.interval = interval
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.stats: list[FeedStats] = []
        self.lines: list[tuple[str, MonitorLine]] = []
        self._seen: dict[str, int] = {}
        self.contacts: list[dict[str, Any]] = []
        self._contacts_version = 0
        self.selected: str | None = None  # set by the GUI thread
        self.unbound: tuple[str | None, list[UnboundSource]] = (None, [])
        self.units: list[dict[str, Any]] = []
        self._units_version = 0
        self.wake = threading.Event()  # the GUI asks for fresh figures now (a new selection, an edit done)

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.collect()
            except Exception:
                log.exception("collecting feed figures failed")
            self.wake.wait(self.interval)
            self.wake.clear()

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()

    def collect(self) -> None:
        stats = self.manager.stats()
        if self.gateway is not None:
            from console.jt808_bench import gateway_feed_stats

            stats.append(gateway_feed_stats(self.gateway))
        new: list[tuple[str, MonitorLine]] = []
        for name, feed in list(self.manager.feeds.items()):
            lines = feed.monitor_since(self._seen.get(name, 0))
            if lines:
                self._seen[name] = lines[-1].seq
                new.extend((name, m) for m in lines[-500:])
        version, contacts = self.manager.contacts_since(self._contacts_version)
        self._contacts_version = version
        selected = self.selected
        unbound: list[UnboundSource] = []
        if selected is not None and selected in self.manager.feeds:
            try:
                unbound = self.manager.unbound_sources(selected)
            except Refused:  # removed or renamed meanwhile
                unbound = []
        elif self.gateway is not None and selected == self.gateway.name:
            from console.jt808_bench import unknown_sources

            unbound = unknown_sources(self.gateway)
        units = None
        if self.manager.units_version != self._units_version:
            self._units_version = self.manager.units_version
            units = self.manager.units()
        with self.lock:
            self.stats = stats
            self.lines.extend(new)
            del self.lines[:-2000]
            self.contacts.extend(contacts)
            self.unbound = (selected, unbound)
            if units is not None:
                self.units = units

    def take(self) -> tuple[list[FeedStats], list[tuple[str, MonitorLine]], list[dict[str, Any]]]:
        with self.lock:
            lines, self.lines = self.lines, []
            contacts, self.contacts = self.contacts, []
            return list(self.stats), lines, contacts

    def bench(self) -> tuple[str | None, list[UnboundSource], list[dict[str, Any]]]:
        """(the feed the unbound sources are of, those sources, the units)."""
        with self.lock:
            return self.unbound[0], list(self.unbound[1]), list(self.units)


class _Deliver(QObject):
    """Hands a worker thread's result to the GUI thread (a queued call on this object's thread)."""

    call = Signal(object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.call.connect(lambda fn: fn(), Qt.ConnectionType.QueuedConnection)


class DevicesPanel(QWidget):
    COLUMNS = ("name", "state", "port", "baud", "sentences_per_s", "checksum_errors", "unknown", "last_fix_age",
               "fix_quality", "satellites", "hdop", "unit")
    UNBOUND_COLUMNS = ("kind", "value", "detail", "age", "count")

    def __init__(self, manager: FeedManager, *, config_path: str | Path | None = None, map_view: Any = None,
                 parent: QWidget | None = None, interval_ms: int = 500, gateway: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("devicesPanel")
        self.manager = manager
        self.gateway = gateway
        self.config_path = config_path
        self.save_enabled = True  # False: the feeds file had errors at start; never overwrite it
        self.map_view = map_view
        self._deliver = _Deliver(self)
        self.collector = StatsCollector(manager, interval_ms / 1000.0, gateway)
        self.collector.start()
        self.last_stats: list[FeedStats] = []
        self.last_unbound: list[UnboundSource] = []
        self.units: list[dict[str, Any]] = []
        self.busy = 0  # edits running off the GUI thread
        self._first_selected = False

        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels([
            self.tr("Feed"), self.tr("State"), self.tr("Port"), self.tr("Baud"), self.tr("Sentences/s"),
            self.tr("Checksum errors"), self.tr("Unknown"), self.tr("Last fix age (s)"), self.tr("Fix quality"),
            self.tr("Satellites"), self.tr("HDOP"), self.tr("Unit")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit_feed())

        self.add_button = QPushButton(self.tr("Add feed…"), self)
        self.edit_button = QPushButton(self.tr("Edit…"), self)
        self.connect_button = QPushButton(self.tr("Connect"), self)
        self.disconnect_button = QPushButton(self.tr("Disconnect"), self)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.add_button.clicked.connect(self.add_feed)
        self.edit_button.clicked.connect(self.edit_feed)
        self.connect_button.clicked.connect(lambda: self._on_selected(self.manager.connect))
        self.disconnect_button.clicked.connect(lambda: self._on_selected(self.manager.disconnect))
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
            from console.jt808_bench import GatewayView

            self.gateway_view = GatewayView(gateway, bottom, interval_ms=interval_ms, send_text=self.send_text)
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
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.text() if item else None

    def select_feed(self, name: str) -> None:
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.text() == name:
                self.table.selectRow(r)
                return

    def _selection_changed(self) -> None:
        name = self.selected_feed()
        self.collector.selected = name
        self.collector.wake.set()
        has = name is not None and name in self.manager.feeds  # the gateway's row is not a feed of the file
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
                mark = "" if m.status == "ok" else f"  <{self._status_text(m.status)}>"
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

    def _status_text(self, status: str) -> str:
        return {"checksum": self.tr("checksum error"), "unknown": self.tr("unknown sentence"),
                "malformed": self.tr("malformed")}.get(status, status)

    def _state_text(self, s: FeedStats) -> str:
        if not s.enabled:
            return self.tr("disconnected")
        return {"connected": self.tr("connected"), "connecting": self.tr("connecting"), "listening": self.tr("listening"),
                "detecting": self.tr("detecting baud"), "waiting": self.tr("waiting to retry"),
                "stopped": self.tr("stopped"), "idle": self.tr("idle")}.get(s.state, s.state)

    def _unit_text(self, s: FeedStats, *, flag_unknown: bool = True) -> str:
        parts = [s.unit] if s.unit else []
        if s.bindings:
            parts.append(self.tr("%1 bindings").replace("%1", str(s.bindings)))
        if s.unknown_units and flag_unknown:
            parts.append(self.tr("no such unit: %1").replace("%1", ", ".join(s.unknown_units)))
        return " · ".join(parts)

    def _error_tip(self, s: FeedStats) -> str:
        if not s.last_error:
            return ""
        if s.connected:
            return self.tr("Connected. Last error before: %1").replace("%1", s.last_error)
        return s.last_error

    def _detail_text(self, s: FeedStats) -> str:
        """Every figure of one feed as a line of words (the table's columns do not all fit beside the map)."""
        def fig(label: str, value: object) -> str:
            return label.replace("%1", str(value))

        parts = [f"<b>{_esc(s.name)}</b>", _esc(self._state_text(s))]
        if s.port:
            parts.append(_esc(s.port))
        if s.baud:
            parts.append(fig(self.tr("%1 baud"), s.baud))
        parts += [fig(self.tr("%1 sentences/s"), f"{s.sentences_per_s:.1f}"), fig(self.tr("checksum errors %1"), s.checksum_errors),
                  fig(self.tr("unknown %1"), s.unknown), fig(self.tr("malformed %1"), s.malformed)]
        if s.too_long or s.garbage:
            parts.append(fig(self.tr("too long %1"), s.too_long) + ", " + fig(self.tr("noise %1"), s.garbage))
        parts.append(fig(self.tr("last fix %1 s ago"), f"{s.last_fix_age:.1f}") if s.last_fix_age is not None
                     else self.tr("no fix yet"))
        if s.fix_quality is not None:
            parts.append(fig(self.tr("fix quality %1"), s.fix_quality))
        if s.satellites is not None:
            parts.append(fig(self.tr("%1 satellites"), s.satellites))
        if s.hdop is not None:
            parts.append(fig(self.tr("HDOP %1"), f"{s.hdop:.1f}"))
        unit = self._unit_text(s, flag_unknown=False)  # an unknown unit gets its own line below
        if unit:
            parts.append(fig(self.tr("unit %1"), _esc(unit)))
        text = " · ".join(parts)
        if s.unknown_units:
            text += "<br><span style='color:#b3261e'>" + _esc(self.tr(
                "Fixes for %1 are dropped: no unit with that id is registered. Bind the feed to a known unit.")
                .replace("%1", ", ".join(s.unknown_units))) + "</span>"
        if s.last_error and not s.connected:
            text += "<br><span style='color:#b3261e'>" + _esc(s.last_error) + "</span>"
        return text

    def _fill(self, stats: list[FeedStats]) -> None:
        t_ = self.table
        if t_.rowCount() != len(stats):
            t_.setRowCount(len(stats))
        for r, s in enumerate(stats):
            values = [s.name, self._state_text(s), s.port, "" if s.baud is None else str(s.baud),
                      f"{s.sentences_per_s:.1f}", str(s.checksum_errors), str(s.unknown),
                      "" if s.last_fix_age is None else f"{s.last_fix_age:.1f}",
                      "" if s.fix_quality is None else str(s.fix_quality),
                      "" if s.satellites is None else str(s.satellites),
                      "" if s.hdop is None else f"{s.hdop:.1f}", self._unit_text(s)]
            for c, v in enumerate(values):
                item = t_.item(r, c)
                if item is None:
                    item = QTableWidgetItem(v)
                    t_.setItem(r, c, item)
                elif item.text() != v:
                    item.setText(v)
                if c == 1:
                    item.setToolTip(self._error_tip(s))
                elif c == len(values) - 1:
                    item.setForeground(QColor("#b3261e") if s.unknown_units else self.table.palette().text().color())
        if stats and self.selected_feed() is None and not self._first_selected:
            self._first_selected = True  # the bench opens on its first feed: its figures and sources shown
            t_.selectRow(0)
        selected = self.selected_feed()
        shown = next((s for s in stats if s.name == selected), None)
        detail = self._detail_text(shown) if shown is not None else ""
        if self.detail.text() != detail:
            self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        bad = sum(s.checksum_errors + s.unknown + s.malformed for s in stats)
        self.status.setText(self.tr("%1 feeds, %2 connected, %3 bad lines").replace("%1", str(len(stats)))
                            .replace("%2", str(sum(s.connected for s in stats))).replace("%3", str(bad)))

    def _fill_unbound(self, feed: str | None, rows: list[UnboundSource]) -> None:
        if feed is None:
            self.unbound_title.setText(self.tr("Select a feed to see the sources it hears that no unit is bound to"))
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
            self._background(self.manager.remove, name)

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
        dlg = self.edit_dialog()
        if dlg is None:
            return
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.spec is not None:
            self.apply_edit(dlg.old_name, dlg.spec)

    def apply_edit(self, name: str, spec: FeedSpec, *, done: Callable[[Any], None] | None = None) -> None:
        """Apply an edited feed to the running manager and save the file, off the GUI thread."""
        from console.operations import seat_actor

        actor = seat_actor()

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

        self._background(lambda: self.manager.update(name, spec, actor=actor), done=finished)

    def bind_source(self, source: UnboundSource | None = None) -> None:
        """Bind a source the selected feed hears to a unit: asks which, then applies it."""
        feed = self.selected_feed()
        source = source or self.selected_unbound()
        if feed is None or source is None:
            return
        if source.kind == "terminal":
            from console.jt808_bench import BindTerminalDialog

            tdlg = BindTerminalDialog(self, source=source, units=self.units)
            if tdlg.exec() == QDialog.DialogCode.Accepted and tdlg.result_unit is not None:
                self.bind_terminal(source.value, tdlg.result_unit)
            return
        dlg = BindSourceDialog(self, feed=feed, source=source, units=self.units)
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.result_binding is not None:
            self.apply_binding(feed, *dlg.result_binding, unit_wide=dlg.unit_wide)

    def apply_binding(self, feed: str, kind: str, value: str, unit: str, *, unit_wide: bool = False,
                      done: Callable[[Any], None] | None = None) -> None:
        """One source to a unit. An MMSI bound `unit_wide` becomes the unit's own (`unit.bind_mmsi`,
        as the unit board and `ctl unit bind-mmsi` do: every feed, shown on the board); anything
        else goes into the feed's ``bind`` table through the same path as the edit dialog."""
        from console.operations import seat_actor
        from dispatch import ops

        actor = seat_actor()
        if kind == "mmsi" and unit_wide:
            core = self.manager.core

            def finished_unit(arg: Any) -> None:
                self.show_notice(self.tr("MMSI %1 is now %2's AIS transponder.").replace("%1", value)
                                 .replace("%2", unit))
                if done is not None:
                    done(arg)

            self._background(lambda: ops.call(core, "unit.bind_mmsi", {"unit_id": unit, "mmsi": value},
                                              actor=actor), done=finished_unit)
            return

        def work() -> Any:
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
        """A JT/T 808 terminal to a unit (`unit.bind_terminal`, as `ctl unit bind-terminal`)."""
        from console.operations import seat_actor
        from dispatch import ops

        actor, core = seat_actor(), self.manager.core

        def finished(arg: Any) -> None:
            self.show_notice(self.tr("Terminal %1 now moves %2.").replace("%1", terminal).replace("%2", unit))
            if done is not None:
                done(arg)

        self._background(lambda: ops.call(core, "unit.bind_terminal", {"unit_id": unit, "terminal": terminal},
                                          actor=actor), done=finished)

    def send_text(self, unit: str, text: str, *, done: Callable[[Any], None] | None = None) -> None:
        """A dispatcher's text to a truck's display (`jt808.send_text`)."""
        from console.operations import seat_actor
        from dispatch import ops

        actor, core = seat_actor(), self.manager.core

        def finished(arg: Any) -> None:
            result = arg[0]
            text_ = (self.tr("Text sent to %1.") if result["connected"]
                     else self.tr("Text for %1 waits until its terminal comes online."))
            self.show_notice(text_.replace("%1", unit))
            if done is not None:
                done(arg)

        self._background(lambda: ops.call(core, "jt808.send_text", {"unit_id": unit, "text": text}, actor=actor),
                         done=finished)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self.timer.stop()
        self.collector.stop()
        if self.gateway_view is not None:
            self.gateway_view.shutdown()


class UnitPicker(QComboBox):
    """A unit chosen from the known units, typed with search (any part of id, name or MMSI)."""

    def __init__(self, parent: QWidget | None = None, *, units: list[dict[str, Any]] | None = None,
                 optional: bool = False) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        units = units or []
        self.units = {u["id"]: u for u in units}
        if optional:
            self.addItem("", None)
        for u in units:
            label = f"{u['id']} · {u['name']}" if u.get("name") and u["name"] != u["id"] else u["id"]
            self.addItem(label, u["id"])
            tip = " · ".join(x for x in (kind_label(u["kind"]) if u.get("kind") else "",
                                         f"MMSI {u['mmsi']}" if u.get("mmsi") else "") if x)
            if tip:
                self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        comp = self.completer()
        comp.setFilterMode(Qt.MatchFlag.MatchContains)
        comp.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        comp.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.lineEdit().setPlaceholderText(self.tr("Search units…"))
        self.setMinimumContentsLength(18)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        if optional:
            self.setCurrentIndex(0)
        else:
            self.setCurrentIndex(-1)
            self.setEditText("")

    def unit_id(self) -> str:
        """The chosen unit's id; what was typed, if it names no item (the checks then say so)."""
        text = self.currentText().strip()
        i = self.currentIndex()
        if i >= 0 and self.itemText(i) == self.currentText():
            return str(self.itemData(i) or "")
        if text in self.units:
            return text
        i = self.findText(text)
        if i >= 0:
            return str(self.itemData(i) or "")
        return text

    def set_unit(self, unit: str | None) -> None:
        i = self.findData(unit) if unit else (0 if self.itemData(0) is None and self.count() else -1)
        if i >= 0:
            self.setCurrentIndex(i)
        else:
            self.setCurrentIndex(-1)
            self.setEditText(unit or "")
        self.lineEdit().setCursorPosition(0)  # the id first, where a long name does not fit


class AddFeedDialog(QDialog):
    """Kind, name and the settings of that kind; serial ports are listed with what is known of them."""

    def __init__(self, parent: QWidget | None = None, *, existing: set[str] | None = None,
                 units: list[dict[str, Any]] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add feed"))
        self.existing = existing or set()
        self.known_units = list(units or [])
        self.spec: FeedSpec | None = None
        self.kind = QComboBox(self)
        for k, label in (("serial", self.tr("Serial port")), ("tcp", self.tr("TCP client")),
                         ("tcp-server", self.tr("TCP server")), ("udp", self.tr("UDP listener")),
                         ("gpsd", self.tr("gpsd")), ("file", self.tr("File replay"))):
            self.kind.addItem(label, k)
        self.name = QLineEdit(self)
        self.port = QComboBox(self)
        self.port.setEditable(True)
        self.refresh_ports()
        self.baud = QComboBox(self)
        self.baud.addItem(self.tr("auto"), "auto")
        for b in (4800, 9600, 19200, 38400, 57600, 115200):
            self.baud.addItem(str(b), b)
        self.host = QLineEdit(self)
        self.host.setPlaceholderText("127.0.0.1")
        self.net_port = QSpinBox(self)
        self.net_port.setRange(0, 65535)
        self.net_port.setValue(10110)
        self.path = QLineEdit(self)
        self.unit = UnitPicker(self, units=self.known_units, optional=True)
        self.unit.lineEdit().setPlaceholderText(self.tr("every fix of this feed to one unit (optional)"))
        self.priority = QSpinBox(self)
        self.priority.setRange(-99, 99)
        self.priority.setToolTip(self.tr("Between two sources of one unit with equal fix quality, the higher wins"))
        form = QFormLayout()
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Serial port"), self.port)
        form.addRow(self.tr("Baud"), self.baud)
        form.addRow(self.tr("Host"), self.host)
        form.addRow(self.tr("Network port"), self.net_port)
        form.addRow(self.tr("File"), self.path)
        form.addRow(self.tr("Unit"), self.unit)
        form.addRow(self.tr("Priority"), self.priority)
        self.form = form
        self.error = QLabel(self)  # why OK was refused
        self.error.setObjectName("feedError")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addLayout(form)
        self.layout_.addWidget(self.error)
        self.layout_.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def refresh_ports(self) -> None:
        from devices.serial_ports import list_serial_ports

        self.port.clear()
        try:
            ports = list_serial_ports(include_pts=True)
        except Exception:
            log.exception("listing serial ports failed")
            ports = []
        for p in ports:
            self.port.addItem(p.label(), p.by_id or p.device)

    def _kind_changed(self) -> None:
        k = self.kind.currentData()
        for w, kinds in ((self.port, {"serial"}), (self.baud, {"serial"}), (self.host, {"tcp", "tcp-server", "udp",
                         "gpsd"}), (self.net_port, {"tcp", "tcp-server", "udp", "gpsd"}), (self.path, {"file"})):
            w.setEnabled(k in kinds)
        if k == "gpsd" and self.net_port.value() == 10110:
            self.net_port.setValue(2947)

    def form_spec(self) -> FeedSpec:
        """The spec the form says (not checked)."""
        k = self.kind.currentData()
        port = self.port.currentData() if self.port.currentIndex() >= 0 and self.port.currentText() == \
            self.port.itemText(self.port.currentIndex()) else self.port.currentText().strip()
        spec = FeedSpec(name=self.name.text().strip(), kind=k, unit=self.unit.unit_id() or None,
                        priority=self.priority.value())
        if k == "serial":
            spec.port, spec.baud = port or None, self.baud.currentData()
        elif k == "file":
            spec.path = self.path.text().strip() or None
        else:
            spec.host = self.host.text().strip() or ("0.0.0.0" if k in ("tcp-server", "udp") else "127.0.0.1")
            spec.tcp_port = self.net_port.value()
        return spec

    def build_spec(self) -> FeedSpec:
        """:raises FeedRefused: what is missing or wrong."""
        spec = self.form_spec()
        if spec.name in self.existing:
            raise FeedRefused("A feed named '%1' exists already", spec.name, code="feed_exists", field="name")
        feed_config.check_unit(spec.unit, {u["id"] for u in self.known_units} if self.known_units else None)
        return spec.validate()

    def show_error(self, exc: BaseException) -> None:
        self.error.setText(refusal_text(exc))
        self.error.show()
        target = {"name": self.name, "port": self.port, "host": self.host, "tcp_port": self.net_port,
                  "path": self.path, "unit": self.unit, "baud": self.baud, "kind": self.kind}.get(
                      getattr(exc, "field", None) or "")
        if target is not None:
            target.setFocus()

    def accept(self) -> None:
        try:
            self.spec = self.build_spec()
        except Refused as exc:
            self.show_error(exc)
            return
        super().accept()


class EditFeedDialog(AddFeedDialog):
    """A feed's settings (the add form, filled in) and its per-source bindings table.

    Rows are (match kind, value, unit); the checks are `dispatch.feed_config.plan_edit`'s. On OK
    `spec` holds the checked new settings and `old_name` the feed's name before the edit.
    """

    def __init__(self, parent: QWidget | None = None, *, specs: list[FeedSpec], name: str,
                 units: list[dict[str, Any]] | None = None) -> None:
        super().__init__(parent, existing={s.name for s in specs if s.name != name}, units=units)
        self.specs = specs
        self.old_name = name
        old = next(s for s in specs if s.name == name)
        self.setWindowTitle(self.tr("Edit feed %1").replace("%1", name))
        self._fill_form(old)

        box = QGroupBox(self.tr("Bindings: which unit each source of this feed moves"), self)
        self.bindings = QTableWidget(0, 3, box)
        self.bindings.setObjectName("bindingsTable")
        self.bindings.setHorizontalHeaderLabels([self.tr("Match"), self.tr("Value"), self.tr("Unit")])
        hh = self.bindings.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.bindings.setColumnWidth(1, 170)
        self.bindings.verticalHeader().setVisible(True)
        self.bindings.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.bindings.setMinimumHeight(160)
        self.add_row_button = QPushButton(self.tr("Add binding"), box)
        self.remove_row_button = QPushButton(self.tr("Remove binding"), box)
        self.add_row_button.clicked.connect(lambda: self.add_binding("talker", "", ""))
        self.remove_row_button.clicked.connect(self.remove_binding)
        hint = QLabel(self.tr("Talker: GP, GN, BD… · MMSI: 9 digits · Peer address: 192.168.1.20 or "
                              "192.168.1.20:4001 · Device id: as gpsd names it, e.g. /dev/ttyUSB0. "
                              "A binding wins over the feed's unit."), box)
        hint.setWordWrap(True)
        hint.setObjectName("bindingsHint")
        hint.setStyleSheet("color: palette(mid);")
        row_buttons = QHBoxLayout()
        row_buttons.addWidget(self.add_row_button)
        row_buttons.addWidget(self.remove_row_button)
        row_buttons.addStretch(1)
        bl = QVBoxLayout(box)
        bl.addWidget(self.bindings)
        bl.addLayout(row_buttons)
        bl.addWidget(hint)
        self.layout_.insertWidget(1, box, 1)
        for key, unit in old.bind.items():
            self.add_binding(*feed_config.split_key(key), unit)
        self.resize(640, 620)

    def _fill_form(self, spec: FeedSpec) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(spec.kind)))
        self.name.setText(spec.name)
        if spec.port:
            i = self.port.findData(spec.port)
            if i >= 0:
                self.port.setCurrentIndex(i)
            else:
                self.port.setEditText(spec.port)
        i = self.baud.findData(spec.baud)
        self.baud.setCurrentIndex(max(0, i))
        self.host.setText(spec.host or "")
        self.net_port.setValue(int(spec.tcp_port) if spec.tcp_port is not None else self.net_port.value())
        self.path.setText(spec.path or "")
        self.unit.set_unit(spec.unit)
        self.priority.setValue(spec.priority)
        self.pace = spec.pace  # not on the form: kept as it was

    def add_binding(self, kind: str, value: str, unit: str) -> int:
        r = self.bindings.rowCount()
        self.bindings.insertRow(r)
        combo = QComboBox(self.bindings)
        for k in BINDING_KINDS:
            combo.addItem(match_label(k), k)
        combo.setCurrentIndex(max(0, combo.findData(kind)))
        self.bindings.setCellWidget(r, 0, combo)
        self.bindings.setItem(r, 1, QTableWidgetItem(value))
        picker = UnitPicker(self.bindings, units=self.known_units)
        picker.set_unit(unit or None)
        self.bindings.setCellWidget(r, 2, picker)
        if not value:
            self.bindings.setCurrentCell(r, 1)
        return r

    def remove_binding(self) -> None:
        rows = sorted({i.row() for i in self.bindings.selectedIndexes()} | (
            {self.bindings.currentRow()} if self.bindings.currentRow() >= 0 else set()), reverse=True)
        for r in rows:
            self.bindings.removeRow(r)

    def binding_rows(self) -> list[tuple[str, str, str]]:
        out = []
        for r in range(self.bindings.rowCount()):
            combo = self.bindings.cellWidget(r, 0)
            item = self.bindings.item(r, 1)
            picker = self.bindings.cellWidget(r, 2)
            out.append((combo.currentData() if isinstance(combo, QComboBox) else "talker",
                        item.text() if item is not None else "",
                        picker.unit_id() if isinstance(picker, UnitPicker) else ""))
        return out

    def build_spec(self) -> FeedSpec:
        """:raises FeedRefused: what is wrong (the setting or the row)."""
        spec = self.form_spec()
        spec.pace = self.pace
        units = {u["id"] for u in self.known_units} if self.known_units else None
        unit_mmsi = {int(u["mmsi"]): u["id"] for u in self.known_units if u.get("mmsi")}
        spec.bind = feed_config.check_bindings(self.binding_rows(), units, unit_mmsi)
        return feed_config.plan_edit(self.specs, self.old_name, spec, units=units, unit_mmsi=unit_mmsi).spec

    def show_error(self, exc: BaseException) -> None:
        super().show_error(exc)
        row = getattr(exc, "row", None)
        if row is not None and 0 <= row < self.bindings.rowCount():
            self.bindings.selectRow(row)
            self.bindings.setCurrentCell(row, 1)


class BindSourceDialog(QDialog):
    """One source heard on a feed, to a unit. An MMSI may be bound to the unit itself (every feed)."""

    def __init__(self, parent: QWidget | None = None, *, feed: str, source: UnboundSource,
                 units: list[dict[str, Any]] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Bind to unit"))
        self.feed = feed
        self.source = source
        self.known_units = list(units or [])
        self.result_binding: tuple[str, str, str] | None = None
        self.unit_wide = False
        what = QLabel(self.tr("%1 heard on feed %2").replace("%1", f"{match_label(source.kind)} {source.value}")
                      .replace("%2", feed), self)
        what.setWordWrap(True)
        what.setStyleSheet("font-weight: 600;")
        self.value = QLineEdit(source.value, self)
        self.unit = UnitPicker(self, units=self.known_units)
        self.unit.currentIndexChanged.connect(self._unit_changed)
        self.unit.editTextChanged.connect(self._unit_changed)
        form = QFormLayout()
        form.addRow(what)
        if source.detail:
            form.addRow(self.tr("Details"), QLabel(source_detail(source), self))
        form.addRow(match_label(source.kind), self.value)
        form.addRow(self.tr("Unit"), self.unit)
        self.whole_unit = QCheckBox(self.tr("Bind to the unit itself (every feed; shown on the unit board)"), self)
        self.whole_unit.setChecked(True)
        self.whole_unit.setVisible(source.kind == "mmsi")
        self.whole_unit.toggled.connect(self._unit_changed)
        form.addRow(self.whole_unit)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        form.addRow(self.note)
        self.error = QLabel(self)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        form.addRow(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.setLayout(form)
        self.setMinimumWidth(460)
        self._unit_changed()

    def _unit_changed(self, *_: Any) -> None:
        u = next((x for x in self.known_units if x["id"] == self.unit.unit_id()), None)
        text = ""
        if self.source.kind == "mmsi" and self.whole_unit.isChecked() and u is not None and u.get("mmsi") and \
                str(u["mmsi"]) != self.value.text().strip():
            text = self.tr("%1 has MMSI %2 now; it will be replaced.").replace("%1", u["id"]).replace(
                "%2", str(u["mmsi"]))
        elif self.source.kind == "mmsi" and not self.whole_unit.isChecked():
            text = self.tr("Only this feed's reports of this MMSI will move the unit.")
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def accept(self) -> None:
        kind, unit = self.source.kind, self.unit.unit_id()
        try:
            key = feed_config.binding_key(kind, self.value.text())
            units = {u["id"] for u in self.known_units} if self.known_units else None
            if not unit:
                raise FeedRefused("Choose the unit that %1 belongs to", key, field="unit")
            feed_config.check_unit(unit, units)
        except Refused as exc:
            self.error.setText(refusal_text(exc))
            self.error.show()
            return
        self.unit_wide = kind == "mmsi" and self.whole_unit.isChecked()
        self.result_binding = (kind, feed_config.split_key(key)[1] if kind == "mmsi" else key, unit)
        super().accept()


def _esc(text: str) -> str:
    return html.escape(text, quote=False)
