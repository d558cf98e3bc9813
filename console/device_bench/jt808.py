"""The JT/T 808 gateway on the device bench: a feed row, its terminals, a raw hex monitor per terminal,
the terminals it refused (one-click binding to a unit), a text to a truck's display, and two commands
to the selected terminal: query its position, track it for N minutes (`bind_terminal`, `send_text`,
`send_command`: what the panel runs for them, off the GUI thread). The last command's outcome (the
terminal's answer, as the gateway recorded it) shows in the terminal's row.

The figures come from `dispatch.jt808.Gateway` views, read on a collector thread while the gateway's
row is selected; binding, sending and commands go through the operations (`unit.bind_terminal`,
`jt808.send_text`, `jt808.query_position`, `jt808.track`) off the GUI thread, as every bench action does.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.device_bench.guard import guarded
from console.i18n import t
from dispatch.feeds.feed import FeedStats, UnboundSource

log = logging.getLogger(__name__)
MAX_ROWS = 300  # terminals shown at once (the filter finds the others)
MALFORMED = ("bad_escape", "truncated", "length", "malformed", "phone_changed", "unsupported")
COMMAND_WORDS = {"position_query": "Position query", "tracking": "Tracking", "parameters": "Parameters",
                 "alarm_confirm": "Alarm confirmation", "photo": "Photo", "read_params": "Parameters read",
                 "upload_photos": "Kept photos asked for", "read_attributes": "Attributes read",
                 "find_photos": "Kept photos searched", "set_area": "Area set", "set_route": "Route set",
                 "delete_areas": "Areas deleted"}
OUTCOME_WORDS = {"sent": "sent", "acked": "acked", "failed": "failed", "not_supported": "not supported",
                 "timeout": "no answer"}


def command_text(last: dict[str, Any] | None) -> str:
    """A terminal's last command and its outcome, for display: "Position query: acked"."""
    if not last:
        return ""
    what = t(COMMAND_WORDS.get(last.get("command") or "", str(last.get("command"))))
    outcome = t(OUTCOME_WORDS.get(last.get("outcome") or "", str(last.get("outcome"))))
    return t("%1: %2").replace("%1", what).replace("%2", outcome)


def terminal_tip(d: dict[str, Any]) -> str:
    """What a terminal said it is (its last 0x0107), the transparent data (0x0900, 0x0901) and CAN bus data (0x0705)
    it sends and its RSA key (0x0A00), a line each."""
    lines = []
    a = d.get("attributes")
    if a:
        lines.append(t("%1 %2, terminal %3").replace("%1", a["manufacturer"]).replace("%2", a["model"])
                     .replace("%3", a["terminal_id"]))
        lines.append(t("Firmware %1, hardware %2").replace("%1", a["firmware"] or "-").replace("%2", a["hardware"] or "-"))
        lines.append(t("SIM ICCID %1").replace("%1", a["iccid"]))
        lines.append(t("Satellites %1; network %2").replace("%1", _names(a["gnss"])).replace("%2", _names(a["network"])))
    for kind, p in sorted((d.get("passthrough") or {}).items()):
        lines.append(t("Transparent data %1: %2 messages, the last %3 bytes").replace("%1", kind)
                     .replace("%2", str(p["count"])).replace("%3", str(p["size"])))
    can = d.get("can") or {}
    if can:
        lines.append(t("CAN bus: %1 ids, %2 frames").replace("%1", str(len(can)))
                     .replace("%2", str(sum(c["count"] for c in can.values()))))
    key = d.get("rsa_key")
    if key:
        lines.append(t("RSA key e=%1, modulus SHA-256 %2…").replace("%1", str(key["e"])).replace("%2", key["sha256"][:16]))
    return "\n".join(lines)


def _fill(template: str, what: str, number: int, count: int) -> str:
    return template.replace("%1", what).replace("%2", str(number)).replace("%3", str(count))


def _names(names: list[str]) -> str:
    """Module names as written on their data sheets: gps -> GPS, td_lte -> TD-LTE."""
    return ", ".join(n.upper().replace("_", "-") for n in names) or "-"


def gateway_feed_stats(gw: Any) -> FeedStats:
    """The gateway as a row of the bench's feed table."""
    st = gw.stats()
    c = gw.counters
    return FeedStats(
        name=gw.name, kind="jt808", enabled=True, state="listening" if st["running"] else "stopped",
        connected=st["running"], port=f"JT/T 808 {st['endpoint']}", baud=None,
        sentences_per_s=st["messages_per_s"], sentences=st["messages"], checksum_errors=c["checksum"],
        unknown=c["unknown"], malformed=sum(c[k] for k in MALFORMED), too_long=c["too_long"], garbage=0,
        last_fix_age=st["last_message_age"], fix_quality=None, satellites=None, hdop=None, fixes=st["fixes"],
        unbound=st["unknown_terminals"], unit=None, peers=st["connections"], errors=c["dropped"], last_error="",
        disconnects=c["dropped"], bindings=len(gw._units))


def unknown_sources(gw: Any) -> list[UnboundSource]:
    """The terminals the gateway refused (no unit has their number), as the bench's unbound sources."""
    out = []
    for u in gw.unknown_terminals():
        detail = " · ".join(x for x in (u.get("plate"), u.get("manufacturer"), u.get("model")) if x)
        out.append(UnboundSource("terminal", u["terminal"], detail, u["age"], u["attempts"]))
    return out


class _Collector(threading.Thread):
    """The gateway's terminal rows and the selected terminal's frames, off the GUI thread, while shown."""

    def __init__(self, gw: Any, interval: float) -> None:
        super().__init__(name="jt808-bench", daemon=True)
        self.gw = gw
        self.interval = interval
        self.active = False
        self.filter = ""
        self.selected: str | None = None
        self.lock = threading.Lock()
        self.rows: list[dict[str, Any]] = []
        self.total = 0
        self.frames: list[tuple[float, bool, str, str, tuple[int, int] | None]] = []
        self.stop_event = threading.Event()
        self.wake = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            if self.active:
                try:
                    self.collect()
                except Exception:
                    log.exception("collecting the gateway's terminals failed")
            self.wake.wait(self.interval)
            self.wake.clear()

    def collect(self) -> None:
        now = time.time()
        want = self.filter.lower()
        sessions = self.gw.sessions_snapshot()
        rows = []
        for s in sessions:
            if want and not any(want in str(v).lower() for v in (s.phone, s.unit, s.peer,
                                                                   (s.registered or {}).get("plate"))):
                continue
            rows.append(s.as_dict(now))
            if len(rows) >= MAX_ROWS:
                break
        frames: list[tuple[float, bool, str, str, tuple[int, int] | None]] = []
        if self.selected:
            s = self.gw.session_of(self.selected)
            if s is not None:
                frames = [(f.ts, f.inbound, f.frame.hex(" "), f.describe(), f.piece[:2] if f.piece else None)
                          for f in s.monitor()]
        with self.lock:
            self.rows, self.total, self.frames = rows, len(sessions), frames


class GatewayView(QWidget):
    """The gateway's terminals: versions, message rates, last message, errors; the hex monitor of the one selected."""

    COLUMNS = ("phone", "unit", "edition", "connected", "authenticated", "rate_per_s", "messages", "last_message",
               "last_message_age", "last_command", "errors", "last_error", "peer")

    def __init__(self, gw: Any, parent: QWidget | None = None, *, interval_ms: int = 500,
                 send_text: Any = None, send_command: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("jt808Terminals")
        self.gw = gw
        self.send_text_fn = send_text  # (unit, text, tts) -> None, run by the bench off the GUI thread
        self.send_command_fn = send_command  # (operation, unit, args) -> None, likewise
        self.collector = _Collector(gw, interval_ms / 1000.0)
        self.collector.start()
        self.title = QLabel(self.tr("JT/T 808 terminals"), self)
        self.title.setStyleSheet("font-weight: 600;")
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(self.tr("Filter: number, unit, plate or address"))
        self.filter.textChanged.connect(self._filter_changed)
        self.send_button = QPushButton(self.tr("Send text…"), self)
        self.send_button.clicked.connect(self.ask_text)
        self.query_button = QPushButton(self.tr("Query position"), self)
        self.query_button.setToolTip(self.tr("Ask the terminal where it is now (0x8201)"))
        self.query_button.clicked.connect(self.query_position)
        self.track_button = QPushButton(self.tr("Track…"), self)
        self.track_button.setToolTip(self.tr("Temporary tracking: the terminal reports often for a while (0x8202)"))
        self.track_button.clicked.connect(self.ask_tracking)
        self.params_button = QPushButton(self.tr("Read parameters"), self)
        self.params_button.setToolTip(self.tr("The terminal's parameters (0x8104): in the row's last command, on hover"))
        self.params_button.clicked.connect(self.read_params)
        self.attributes_button = QPushButton(self.tr("Read attributes"), self)
        self.attributes_button.setToolTip(self.tr("Maker, model, SIM card and firmware (0x8107): on hover over the number"))
        self.attributes_button.clicked.connect(self.read_attributes)
        self.photo_button = QPushButton(self.tr("Take photo…"), self)
        self.photo_button.setToolTip(self.tr("The camera you pick takes a photo and uploads it (0x8801)"))
        self.photo_button.clicked.connect(self.ask_photo)
        for b in self.command_buttons():
            b.setEnabled(False)
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addWidget(self.filter, 1)
        actions = QHBoxLayout()  # under the filter: four buttons beside it would not fit a side panel's width
        for b in self.command_buttons():
            actions.addWidget(b)
        actions.addStretch(1)
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels([
            self.tr("Terminal"), self.tr("Unit"), self.tr("Edition"), self.tr("Connected"), self.tr("Authenticated"),
            self.tr("Messages/s"), self.tr("Messages"), self.tr("Last message"), self.tr("Last (s ago)"),
            self.tr("Last command"), self.tr("Errors"), self.tr("Last error"), self.tr("Address")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.monitor = QPlainTextEdit(self)
        self.monitor.setObjectName("jt808Monitor")
        self.monitor.setReadOnly(True)
        self.monitor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.monitor_title = QLabel(self.tr("Raw frames: select a terminal"), self)
        self.count = QLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addLayout(actions)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.count)
        layout.addWidget(self.monitor_title)
        layout.addWidget(self.monitor, 2)
        self.rows: list[dict[str, Any]] = []
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(interval_ms)

    def command_buttons(self) -> tuple[QPushButton, ...]:
        """What the selected terminal (of a unit) can be sent, in the order of the row above the table."""
        return (self.send_button, self.query_button, self.track_button, self.params_button, self.attributes_button,
                self.photo_button)

    def set_active(self, active: bool) -> None:
        self.collector.active = active
        if active:
            self.collector.wake.set()

    def _filter_changed(self, text: str) -> None:
        self.collector.filter = text.strip()
        self.collector.wake.set()

    def selected_terminal(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.rows):
            return None
        return self.rows[rows[0].row()]

    def _selection_changed(self) -> None:
        row = self.selected_terminal()
        self.collector.selected = row["phone"] if row else None
        self.collector.wake.set()
        for b in self.command_buttons():
            b.setEnabled(bool(row and row.get("unit")))

    def refresh(self) -> None:
        if not self.collector.active:
            return
        with self.collector.lock:
            rows, total, frames = self.collector.rows, self.collector.total, self.collector.frames
        keep = self.selected_terminal()
        self.rows = rows
        t_ = self.table
        if t_.rowCount() != len(rows):
            t_.setRowCount(len(rows))
        for r, d in enumerate(rows):
            values = [d["phone"] or "?", d["unit"] or "", "" if d["edition"] is None else str(d["edition"]),
                      self.tr("yes") if d["connected"] else d["close_reason"],
                      self.tr("yes") if d["authenticated"] else self.tr("no"), f"{d['rate_per_s']:.2f}",
                      str(d["messages"]), d["last_message"],
                      "" if d["last_message_age"] is None else f"{d['last_message_age']:.0f}",
                      command_text(d.get("last_command")), str(d["errors"]),
                      d["last_error"], d["peer"]]
            for c, v in enumerate(values):
                item = t_.item(r, c)
                if item is None:
                    t_.setItem(r, c, QTableWidgetItem(v))
                elif item.text() != v:
                    item.setText(v)
            tip = terminal_tip(d)  # what it is (its 0x0107) and the transparent data it sends, on hover
            cell = t_.item(r, 0)
            if cell.toolTip() != tip:
                cell.setToolTip(tip)
            said = (d.get("last_command") or {}).get("values")  # a parameter query's answer, on hover
            tip = "\n".join(f"{k} = {v}" for k, v in said.items()) if said else ""
            cell = t_.item(r, self.COLUMNS.index("last_command"))
            if cell.toolTip() != tip:
                cell.setToolTip(tip)
        if keep is not None:
            for r, d in enumerate(rows):
                if d["phone"] == keep["phone"]:
                    if t_.currentRow() != r:
                        t_.selectRow(r)
                    break
        self.count.setText(self.tr("%1 of %2 terminals shown").replace("%1", str(len(rows)))
                           .replace("%2", str(total)))
        phone = self.collector.selected
        if phone:
            self.monitor_title.setText(self.tr("Raw frames of %1 (in ←, out →)").replace("%1", phone))
            piece = self.tr("%1 · piece %2/%3")  # a frame its terminal cut with a 0x7E it did not escape
            text = "\n".join(f"{time.strftime('%H:%M:%S', time.localtime(ts))} {'←' if inbound else '→'} "
                             f"{desc if p is None else _fill(piece, desc, *p):<22} {hx}"
                             for ts, inbound, hx, desc, p in frames)
            if self.monitor.toPlainText() != text:
                self.monitor.setPlainText(text)
                self.monitor.verticalScrollBar().setValue(self.monitor.verticalScrollBar().maximum())

    def ask_text(self) -> None:
        row = self.selected_terminal()
        if not row or not row.get("unit") or self.send_text_fn is None:
            return
        text, ok = QInputDialog.getText(self, self.tr("Text to %1's display").replace("%1", row["unit"]),
                                        self.tr("Text"))
        if ok and text.strip():
            self.send_text_fn(row["unit"], text.strip())

    def _commanded_unit(self) -> str | None:
        """The selected terminal's unit, if it has one and the bench can send it commands."""
        row = self.selected_terminal()
        return row["unit"] if row and row.get("unit") and self.send_command_fn is not None else None

    def query_position(self) -> None:
        unit = self._commanded_unit()
        if unit is not None:
            self.send_command_fn("jt808.query_position", unit, {})

    def ask_tracking(self) -> None:
        unit = self._commanded_unit()
        if unit is None:
            return
        minutes, ok = QInputDialog.getInt(self, self.tr("Track %1").replace("%1", unit), self.tr("Minutes"), 10, 1, 1440)
        if ok:
            self.send_command_fn("jt808.track", unit, {"minutes": minutes})

    def read_attributes(self) -> None:
        unit = self._commanded_unit()
        if unit is not None:
            self.send_command_fn("jt808.read_attributes", unit, {})

    def read_params(self) -> None:
        unit = self._commanded_unit()
        if unit is not None:
            self.send_command_fn("jt808.read_params", unit, {})

    def ask_photo(self) -> None:
        unit = self._commanded_unit()
        if unit is None:
            return
        channel, ok = QInputDialog.getInt(self, self.tr("Photo from %1").replace("%1", unit), self.tr("Camera"), 1, 1,
                                          255)
        if ok:
            self.send_command_fn("jt808.take_photo", unit, {"channel": channel, "photos": 1})

    def shutdown(self) -> None:
        self.timer.stop()
        self.collector.stop_event.set()
        self.collector.wake.set()


class BindTerminalDialog(QDialog):
    """A terminal the gateway refused, to a unit: its number becomes the unit's terminal."""

    def __init__(self, parent: QWidget | None = None, *, source: UnboundSource,
                 units: list[dict[str, Any]] | None = None) -> None:
        from console.device_bench.dialogs import UnitPicker

        super().__init__(parent)
        self.setWindowTitle(self.tr("Bind to unit"))
        self.source = source
        trucks = sorted(units or [], key=lambda u: (u.get("kind") != "truck", u["id"]))
        self.result_unit: str | None = None
        what = QLabel(self.tr("Terminal %1 asked to register; no unit has its number.").replace("%1", source.value),
                      self)
        what.setWordWrap(True)
        what.setStyleSheet("font-weight: 600;")
        self.unit = UnitPicker(self, units=trucks)
        form = QFormLayout()
        form.addRow(what)
        if source.detail:
            form.addRow(self.tr("Details"), QLabel(source.detail, self))
        form.addRow(self.tr("Unit"), self.unit)
        self.note = QLabel(self.tr("The terminal is let in the next time it registers (terminals retry by themselves)."),
                           self)
        self.note.setWordWrap(True)
        form.addRow(self.note)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setLayout(form)
        self.setMinimumWidth(420)
        self.known = {u["id"] for u in trucks}

    def accept(self) -> None:
        unit = self.unit.unit_id()
        if unit not in self.known:
            self.error.setText(self.tr("Choose a registered unit"))
            self.error.show()
            return
        self.result_unit = unit
        super().accept()


def bind_terminal(panel: Any, terminal: str, unit: str, done: Any = None) -> None:
    """A JT/T 808 terminal to a unit (`unit.bind_terminal`, as `ctl unit bind-terminal`), off the GUI thread."""
    from console.operations import seat_actor
    from dispatch import ops

    core = panel.manager.core
    actor = seat_actor(core)

    def finished(arg: Any) -> None:
        panel.show_notice(panel.tr("Terminal %1 now moves %2.").replace("%1", terminal).replace("%2", unit))
        if done is not None:
            done(arg)

    bind = guarded(panel, lambda: ops.call(core, "unit.bind_terminal", {"unit_id": unit, "terminal": terminal},
                                           actor=actor), "unit.bind_terminal")
    panel._background(bind, done=finished)


def send_text(panel: Any, unit: str, text: str, done: Any = None) -> None:
    """A dispatcher's text to a truck's display (`jt808.send_text`), off the GUI thread."""
    from console.operations import seat_actor
    from dispatch import ops

    core = panel.manager.core
    actor = seat_actor(core)

    def finished(arg: Any) -> None:
        said = (panel.tr("Text sent to %1.") if arg[0]["connected"]
                else panel.tr("Text for %1 waits until its terminal comes online."))
        panel.show_notice(said.replace("%1", unit))
        if done is not None:
            done(arg)

    send = guarded(panel, lambda: ops.call(core, "jt808.send_text", {"unit_id": unit, "text": text}, actor=actor),
                   "jt808.send_text")
    panel._background(send, done=finished)


def send_command(panel: Any, operation: str, unit: str, args: dict[str, Any], done: Any = None) -> None:
    """A command to a truck's terminal (`jt808.query_position`, `jt808.track`), off the GUI thread; its outcome
    shows in the terminal's row once the terminal answers."""
    from console.operations import seat_actor
    from dispatch import ops

    core = panel.manager.core
    actor = seat_actor(core)

    def finished(arg: Any) -> None:
        what = t(COMMAND_WORDS.get(arg[0]["command"], arg[0]["command"]))
        said = (panel.tr("%1 sent to %2.") if arg[0]["connected"]
                else panel.tr("%1 for %2 waits until its terminal comes online."))
        panel.show_notice(said.replace("%1", what).replace("%2", unit))
        if done is not None:
            done(arg)

    panel._background(guarded(panel, lambda: ops.call(core, operation, {"unit_id": unit, **args}, actor=actor),
                              operation), done=finished)


def ask_binding(panel: Any, source: UnboundSource) -> None:
    """The bench's "Bind to unit…" for a refused terminal: which unit, then `bind_terminal`."""
    dlg = BindTerminalDialog(panel, source=source, units=panel.units)
    if dlg.exec() == QDialog.DialogCode.Accepted and dlg.result_unit is not None:
        bind_terminal(panel, source.value, dlg.result_unit)
