"""The console's field-link panel: which units are on the link, what each was sent and answered,
a conversation with each unit, broadcasts, and key status.

Everything comes from the field operations (dispatch/hub/ops.py: field.assignments, field.keys,
field.messages, field.unread, field.read, field.send, field.broadcast), read by `data.fetch` off the GUI
thread through DispatchOp. The
panel refreshes when the core publishes a change that concerns the link (presence, delivery,
replies, messages) and once a second for the "last seen" ages.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.docks import in_front
from console.field_link.conversation import ConversationView
from console.field_link.data import FIELD_KINDS, OFFLINE, ONLINE, UNKNOWN, fetch, hhmmss
from console.field_link.enrol import ask_enrol
from console.i18n import ago, kind_label, word
from console.operations import DispatchOp, get_bus, may, seat_actor

log = logging.getLogger(__name__)


class _Relay(QObject):
    changed = Signal()
    arrived = Signal(str, str)  # unit id, text: a message from a unit, handed to the GUI thread


class HubPanel(QWidget):
    """The side tab. `hub` (optional) is the in-process Hub: its last_seen gives exact ages.

    A message from a unit is announced (`message_arrived(unit name, text)`: the window says it in the
    status bar and beeps) and counted unread (`unread_changed(total)`: the tab's badge) until a
    dispatcher has the unit's conversation in front of them; reading it is recorded (`field.read`).
    """

    message_arrived = Signal(str, str)
    unread_changed = Signal(int)

    COLUMNS = 5

    def __init__(self, core: Any, *, hub: Any = None, parent: QWidget | None = None,
                 refresh_ms: int = 1000) -> None:
        super().__init__(parent)
        self.core = core
        self.hub = hub
        self.data: dict[str, Any] = {}
        self.selected: str | None = None
        self._busy = False
        self._again = False
        self._build()
        self._relay = _Relay(self)
        self._relay.changed.connect(self.refresh)
        self._relay.arrived.connect(self._arrived)
        self.unread_total = 0
        self._reading: set[str] = set()  # units whose field.read is running
        core.subscribe(self._on_core_changes)
        get_bus().operation_did_execute.connect(self._on_op)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(refresh_ms)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.cleanup)  # the window is deleted after the loop: stop first
        self.refresh()

    # -------------------------------------------------------------- building
    def _build(self) -> None:
        self.setObjectName("hubPanel")
        self.setStyleSheet("QLabel#hubSummary, QLabel#hubDetailTitle, QLabel[heading=\"true\"] "
                           "{ font-weight: bold; padding: 2px 0; }")
        self.summary = QLabel(self)
        self.summary.setObjectName("hubSummary")
        self.table = QTableWidget(0, self.COLUMNS, self)
        self.table.setObjectName("hubUnits")
        self.table.setHorizontalHeaderLabels([self.tr("Unit"), self.tr("Link"), self.tr("Last seen"), self.tr("Key"),
                                              self.tr("Assignment")])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_select)

        self.detail_title = QLabel(self)
        self.detail_title.setObjectName("hubDetailTitle")
        f = QFont(self.detail_title.font())
        f.setBold(True)
        self.detail_title.setFont(f)
        self.history = QTableWidget(0, 5, self)
        self.history.setObjectName("hubAssignments")
        self.history.setHorizontalHeaderLabels([self.tr("Assignment"), self.tr("Sent"), self.tr("Delivered"),
                                                self.tr("Answer"), self.tr("Progress")])
        self.history.verticalHeader().setVisible(False)
        self.history.verticalHeader().setDefaultSectionSize(22)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.history.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.conversation = ConversationView(self)
        self.message = QLineEdit(self)
        self.message.setPlaceholderText(self.tr("Message to the selected unit…"))
        self.message.setMaxLength(2000)
        self.send_button = QPushButton(self.tr("Send"), self)
        self.revoke_button = QPushButton(self.tr("Revoke key…"), self)
        self.send_button.clicked.connect(self.send)
        self.message.returnPressed.connect(self.send)
        self.revoke_button.clicked.connect(self.ask_revoke)
        self.enrol_button = QPushButton(self.tr("Enrol a unit…"), self)
        self.enrol_button.setToolTip(self.tr("Make a unit's field key: its key file is written on this computer"))
        self.enrol_button.clicked.connect(lambda: ask_enrol(self))

        self.broadcast_kind = QComboBox(self)
        self.broadcast_kind.addItem(self.tr("All units"), None)
        for k in ("patrol_boat", "cleaning_vessel", "officer", "truck"):
            self.broadcast_kind.addItem(kind_label(k), k)
        self.broadcast_text = QLineEdit(self)
        self.broadcast_text.setPlaceholderText(self.tr("Broadcast text…"))
        self.broadcast_text.setMaxLength(2000)
        self.broadcast_button = QPushButton(self.tr("Broadcast"), self)
        self.broadcast_button.clicked.connect(self.broadcast)
        self.broadcast_text.returnPressed.connect(self.broadcast)
        self.feedback = QLabel(self)
        self.feedback.setObjectName("hubFeedback")
        self.feedback.setWordWrap(True)

        top = QWidget(self)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        top_head = QHBoxLayout()
        top_head.addWidget(self.summary, 1)
        top_head.addWidget(self.enrol_button)
        tl.addLayout(top_head)
        tl.addWidget(self.table)
        mid = QWidget(self)
        ml = QVBoxLayout(mid)
        ml.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.detail_title, 1)
        head.addWidget(self.revoke_button)
        ml.addLayout(head)
        ml.addWidget(self.history, 2)
        conv = QLabel(self.tr("Conversation"), self)
        conv.setProperty("heading", True)
        ml.addWidget(conv)
        ml.addWidget(self.conversation, 3)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.send_button)
        ml.addLayout(row)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(mid)
        split.setSizes([260, 440])
        bc = QHBoxLayout()
        bc.addWidget(self.broadcast_kind)
        bc.addWidget(self.broadcast_text, 1)
        bc.addWidget(self.broadcast_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split, 1)
        head_bc = QLabel(self.tr("Broadcast to the field"), self)
        head_bc.setProperty("heading", True)
        lay.addWidget(head_bc)
        lay.addLayout(bc)
        lay.addWidget(self.feedback)
        self._show_detail()

    # -------------------------------------------------------------- refresh
    def _on_core_changes(self, changes: Any) -> None:
        # on whichever thread made the change: only hand over to the GUI thread
        for ev in getattr(changes, "events", []):
            if getattr(ev, "kind", "") == "field.message_received" and isinstance(ev.payload, dict):
                try:
                    self._relay.arrived.emit(str(ev.payload.get("unit_id")), str(ev.payload.get("text") or ""))
                except RuntimeError:  # the panel is gone (closing)
                    return
        if any(getattr(ev, "kind", "") in FIELD_KINDS or str(getattr(ev, "kind", "")).endswith(".assigned")
               for ev in getattr(changes, "events", [])):
            try:
                self._relay.changed.emit()
            except RuntimeError:  # the panel is gone (closing): nothing to refresh
                pass

    def _on_op(self, changes: Any, initiator: Any) -> None:
        if initiator is not self:
            self._on_core_changes(changes)

    def refresh(self) -> None:
        """Fetch on the core worker; a refresh asked for while one runs is done right after it."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        unit = self.selected
        DispatchOp(parent=self, op=lambda core: fetch(core, unit)).success(self._show).failure(
            self._failed).run_in_background()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        log.warning("field panel refresh failed: %s", exc)
        self.feedback.setText(self.tr("Field link data unavailable: %1").replace("%1", str(exc)))

    def _arrived(self, unit_id: str, text: str) -> None:
        name = self.data.get("info", {}).get(unit_id, {}).get("name") or unit_id
        self.message_arrived.emit(name, text)

    def _show(self, data: dict[str, Any]) -> None:
        self._busy = False
        self.data = data
        self._fill_units()
        self._show_detail()
        total = sum(data.get("unread", {}).values())
        if total != self.unread_total:
            self.unread_total = total
            self.unread_changed.emit(total)
        self._mark_read()
        if self._again:
            self._again = False
            self.refresh()

    # -------------------------------------------------------------- rendering
    def presence_text(self, row: dict[str, Any]) -> tuple[str, QColor]:
        on = row.get("online")
        if on is True:
            return "● " + self.tr("Online"), ONLINE
        if on is False:
            return "○ " + self.tr("Offline"), OFFLINE
        return "— " + self.tr("Never connected"), UNKNOWN

    def last_seen(self, uid: str, row: dict[str, Any]) -> str:
        seen = getattr(self.hub, "last_seen", {}).get(uid) if self.hub is not None else None
        if row.get("online") and seen is not None:
            return self.tr("%1 ago").replace("%1", ago(time.monotonic() - seen))
        since = self.data.get("since", {}).get(uid)
        if since:
            return self.tr("%1 ago").replace("%1", ago(time.time() - since))
        return "—"

    def answer_text(self, a: dict[str, Any]) -> str:
        if a.get("finished"):
            return self.tr("finished %1").replace("%1", hhmmss(a["finished"]))
        if a.get("cancelled"):
            return self.tr("withdrawn %1").replace("%1", hhmmss(a["cancelled"]))
        if a.get("declined"):
            return self.tr("declined %1").replace("%1", hhmmss(a["declined"])) + (
                f": {a['reason']}" if a.get("reason") else "")
        if a.get("accepted"):
            return self.tr("accepted %1").replace("%1", hhmmss(a["accepted"]))
        if a.get("delivered"):
            return self.tr("delivered %1, no answer yet").replace("%1", hhmmss(a["delivered"]))
        if a.get("sent"):
            return self.tr("sent %1, not delivered").replace("%1", hhmmss(a["sent"]))
        return ""

    def _fill_units(self) -> None:
        units = self.data.get("units", [])
        keys = {k["unit_id"]: k for k in self.data.get("keys", [])}
        info = self.data.get("info", {})
        self.table.setSortingEnabled(False)
        self.table.blockSignals(True)
        self.table.setRowCount(len(units))
        online = 0
        for i, row in enumerate(units):
            uid = row["unit_id"]
            online += row.get("online") is True
            name = info.get(uid, {}).get("name") or uid
            text, colour = self.presence_text(row)
            key = keys.get(uid, {}).get("state")
            key_text = {"enrolled": self.tr("Enrolled"), "revoked": self.tr("Revoked")}.get(key or "", "—")
            latest = self._latest(row)
            waiting = self.data.get("unread", {}).get(uid, 0)
            cells = [f"{name}" + (f" ({uid})" if name != uid else "") + (f"  ✉ {waiting}" if waiting else ""),
                     text, self.last_seen(uid, row), key_text,
                     (f"{self._ref_label(latest['ref'])} · {self.answer_text(latest)}" if latest else "")]
            for c, value in enumerate(cells):
                item = self.table.item(i, c)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(i, c, item)
                item.setText(value)
                item.setData(Qt.ItemDataRole.UserRole, uid)
                if c == 1:
                    item.setForeground(QBrush(colour))
                    fnt = item.font()
                    fnt.setBold(True)
                    item.setFont(fnt)
                if c == 3:
                    item.setForeground(QBrush(OFFLINE if key == "revoked" else theme.colour("text")))
                if c == 0:
                    fnt = item.font()
                    fnt.setBold(bool(waiting))
                    item.setFont(fnt)
                    item.setToolTip(self.tr("%1 unread messages").replace("%1", str(waiting)) if waiting else "")
            if uid == self.selected and self.table.currentRow() != i:
                self.table.selectRow(i)
        self.table.blockSignals(False)
        self.summary.setText(self.tr("%1 of %2 field units online").replace("%1", str(online))
                             .replace("%2", str(len(units))) if units else
                             self.tr("No unit has a field key yet: an administrator enrols one (Enrol a unit…)"))
        allowed, why = may("field.enrol")
        self.enrol_button.setEnabled(allowed)
        self.enrol_button.setToolTip(why or self.tr("Make a unit's field key: its key file is written on this computer"))

    @staticmethod
    def _latest(row: dict[str, Any]) -> dict[str, Any] | None:
        items = row.get("assignments") or []
        return max(items, key=lambda a: (a.get("sent") or 0.0, a.get("seq") or 0)) if items else None

    def _ref_label(self, ref: str) -> str:
        kind, _, ident = ref.partition(":")
        return (self.tr("Incident") if kind == "incident" else self.tr("Task") if kind == "task" else kind) + \
            f" #{ident}"

    def unit_row(self, uid: str) -> dict[str, Any] | None:
        return next((u for u in self.data.get("units", []) if u["unit_id"] == uid), None)

    def _show_detail(self) -> None:
        uid = self.selected
        row = self.unit_row(uid) if uid else None
        enabled = row is not None
        for w in (self.message, self.send_button):
            w.setEnabled(enabled)
        keys = {k["unit_id"]: k.get("state") for k in self.data.get("keys", [])}
        self.revoke_button.setEnabled(enabled and keys.get(uid or "") == "enrolled")
        if row is None:
            self.detail_title.setText(self.tr("Select a unit to see its assignments and messages"))
            self.history.setRowCount(0)
            self.conversation.clear()
            return
        name = self.data.get("info", {}).get(uid, {}).get("name") or uid
        text, _ = self.presence_text(row)
        self.detail_title.setText(f"{name} · {text}")
        items = sorted(row.get("assignments") or [], key=lambda a: a.get("sent") or 0.0, reverse=True)
        self.history.setRowCount(len(items))
        for i, a in enumerate(items):
            answer = self.answer_text(a) if (a.get("accepted") or a.get("declined") or a.get("cancelled")
                                             or a.get("finished")) else ""
            progress = (word(a["status"]) + " " + hhmmss(a.get("status_at"))) if a.get("status") else ""
            cells = [self._ref_label(a["ref"]), hhmmss(a.get("sent")), hhmmss(a.get("delivered")) or "—",
                     answer or "—", progress]
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if c == 3 and a.get("declined"):
                    item.setForeground(QBrush(OFFLINE))
                elif c == 3 and a.get("accepted"):
                    item.setForeground(QBrush(ONLINE))
                self.history.setItem(i, c, item)
        self._fill_conversation(uid)

    def _fill_conversation(self, uid: str) -> None:
        if self.data.get("unit_id") != uid:
            return  # fetched for another selection; the refresh under way brings this unit's
        kind = self.data.get("info", {}).get(uid, {}).get("kind")
        entries = list(self.data.get("conversation", []))
        entries += [dict(b, broadcast=True) for b in self.data.get("broadcasts", [])
                    if b.get("kind") in (None, kind)]
        entries.sort(key=lambda e: e.get("ts") or 0.0)
        name = self.data.get("info", {}).get(uid, {}).get("name") or uid
        self.conversation.show_entries(entries, name, kind)

    def _mark_read(self) -> None:
        """The selected unit's conversation is in front of the dispatcher: its messages are read."""
        uid = self.selected
        if not uid or uid in self._reading or not in_front(self) or self.data.get("unit_id") != uid \
                or not self.data.get("unread", {}).get(uid):
            return
        from dispatch import ops

        self._reading.add(uid)

        def done(_r: Any) -> None:
            self._reading.discard(uid)
            self.refresh()

        def failed(exc: BaseException) -> None:
            self._reading.discard(uid)
            log.warning("could not mark %s's messages read: %s", uid, exc)

        DispatchOp(parent=self, op=lambda core: ops.call(core, "field.read", {"unit_id": uid}, actor=seat_actor())) \
            .success(done).failure(failed).run_in_background()

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self._mark_read()  # brought to the front on a unit with messages waiting

    def brought_forward(self) -> None:
        """Its dock's tab was chosen (console/docks.py): the same as being shown."""
        self._mark_read()

    # -------------------------------------------------------------- actions
    def _on_select(self) -> None:
        items = self.table.selectedItems()
        uid = items[0].data(Qt.ItemDataRole.UserRole) if items else None
        if uid != self.selected:
            self.selected = uid
            self.conversation.clear()
            self._show_detail()
            self.refresh()

    def select_unit(self, uid: str) -> None:
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == uid:
                self.table.selectRow(i)
                return
        self.selected = uid
        self.refresh()

    def send(self) -> None:
        text = self.message.text().strip()
        uid = self.selected
        if not text or not uid:
            return
        from dispatch import ops

        self.message.setEnabled(False)

        def done(_: Any) -> None:
            self.message.clear()
            self.message.setEnabled(True)
            self.feedback.setText(self.tr("Message queued for %1").replace("%1", uid))
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.message.setEnabled(True)  # the text stays in the box: nothing lost
            self.feedback.setText(self.tr("Not sent: %1").replace("%1", str(exc)))

        DispatchOp(parent=self, op=lambda core: ops.call(core, "field.send", {"unit_id": uid, "text": text},
                                                         actor=seat_actor())).success(done).failure(failed) \
            .run_in_background()

    def broadcast(self) -> None:
        text = self.broadcast_text.text().strip()
        if not text:
            return
        kind = self.broadcast_kind.currentData()
        from dispatch import ops

        def done(r: dict[str, Any]) -> None:
            self.broadcast_text.clear()
            self.feedback.setText(self.tr("Broadcast queued for %1 units").replace("%1", str(r.get("units", 0))))
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.feedback.setText(self.tr("Broadcast not sent: %1").replace("%1", str(exc)))

        DispatchOp(parent=self, op=lambda core: ops.call(core, "field.broadcast", {"text": text, "kind": kind},
                                                         actor=seat_actor())).success(done).failure(failed) \
            .run_in_background()

    def ask_revoke(self) -> None:
        uid = self.selected
        if not uid:
            return
        q = QMessageBox.question(self, self.tr("Revoke key"),
                                 self.tr("Revoke %1's key? The unit is cut off at once and needs a new key.")
                                 .replace("%1", uid))
        if q != QMessageBox.StandardButton.Yes:
            return
        from dispatch import ops

        DispatchOp(parent=self, op=lambda core: ops.call(core, "field.revoke", {"unit_id": uid}, actor=seat_actor())) \
            .success(lambda _: self.refresh()).run_in_background()

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.cleanup()
        super().closeEvent(event)

    def cleanup(self) -> None:
        if getattr(self, "_cleaned", False):
            return
        self._cleaned = True
        self.timer.stop()
        try:
            self.core.unsubscribe(self._on_core_changes)
            get_bus().operation_did_execute.disconnect(self._on_op)
        except (RuntimeError, ValueError):
            pass
