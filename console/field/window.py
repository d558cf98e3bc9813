"""The field client window: for a boat crew or an officer, usable with gloves on a bouncing boat.

One assignment at a time, big: priority, category, place, instructions, deadline, a small map
with the target and the unit's own position, and the one or two buttons that make sense now
(Accept / Decline, then En route, On scene, Resolved). Messages from the control room and a
reply box; further assignments wait in a queue. The connection state is always in the header.

The protocol engine runs on its own thread (console/field/link.py); everything it hears
arrives here through a Qt signal.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.field.dialogs import ChoiceDialog
from console.field.link import FieldLink
from console.field.messages import MessagesPane
from console.field.mini_map import build_map, map_rows, show
from console.field.mini_map import overdue as is_overdue
from console.field.style import PRIORITY_COLOURS, STYLE, hhmm, restyle
from console.i18n import ago, where_text, word

log = logging.getLogger(__name__)

class FieldWindow(QMainWindow):
    """The field client window on one `FieldLink` (started by the window, stopped when it closes)."""

    def __init__(self, link: FieldLink, *, lang: str = "zh_CN", show_map: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.unit_id = link.unit_id
        self.unit_name = link.unit_id  # until the hub's welcome names it
        self.unit_kind: str | None = None  # as the hub's welcome says
        self.setObjectName("fieldWindow")
        self.setWindowTitle(self.tr("Field unit %1").replace("%1", self.unit_id))
        self.setStyleSheet(STYLE)
        self.resize(1180, 760)
        self.assignments: dict[str, dict[str, Any]] = {}  # ref -> assignment (+ "progress"), arrival order
        self.current: str | None = None
        self.own: tuple[float, float] | None = None
        self._own_gps_at: float | None = None  # monotonic time of this client's own last GPS fix
        self.decline_dialog: ChoiceDialog | None = None
        self.resolve_dialog: ChoiceDialog | None = None

        central = QWidget(self)
        central.setObjectName("fieldCentral")
        self.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 8)
        outer.setSpacing(8)
        outer.addWidget(self._build_header())
        self.banner = QLabel(self)
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        body = QHBoxLayout()
        body.setContentsMargins(10, 0, 10, 0)
        body.setSpacing(10)
        left = QVBoxLayout()
        left.addWidget(self.banner)
        left.addWidget(self._build_card(), 1)
        left.addLayout(self._build_actions())
        body.addLayout(left, 5)
        right = QSplitter(Qt.Orientation.Vertical, self)
        self.map = None
        if show_map:
            self.map = self._build_map(lang)
            right.addWidget(self.map)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._build_messages(), "")
        self.tabs.addTab(self._build_queue(), "")
        right.addWidget(self.tabs)
        right.setSizes([360, 380])
        body.addWidget(right, 4)
        outer.addLayout(body, 1)

        self.link.received.connect(self.on_message)
        self.link.position.connect(self.on_position)
        self.link.where.connect(self.on_where)
        for a in self.link.initial_assignments:
            self._add_assignment(a)
        for m in self.link.initial_messages:  # the conversation before a restart, as the crew saw it
            self.message_pane.add(m, incoming=not m.get("sent"))
        self._show_current()
        self._update_tabs()
        self.clock = QTimer(self)
        self.clock.timeout.connect(self.refresh_state)
        self.clock.start(500)
        self.refresh_state()

    # ------------------------------------------------------------------ building
    def _build_header(self) -> QWidget:
        bar = QFrame(self)
        bar.setObjectName("header")
        lay = QHBoxLayout(bar)
        lay.setContentsMargins(14, 8, 14, 8)
        self.unit_label = QLabel(self.unit_id, bar)
        self.unit_label.setObjectName("unitName")
        self.presence = QLabel(bar)
        self.presence.setObjectName("presence")
        self.contact = QLabel(bar)
        self.contact.setObjectName("contact")
        self.waiting_label = QLabel(bar)
        self.waiting_label.setObjectName("waiting")
        lay.addWidget(self.unit_label)
        lay.addStretch(1)
        lay.addWidget(self.waiting_label)
        lay.addSpacing(16)
        lay.addWidget(self.contact)
        lay.addSpacing(8)
        lay.addWidget(self.presence)
        return bar

    def _build_card(self) -> QWidget:
        card = QFrame(self)
        card.setObjectName("card")
        lay = QVBoxLayout(card)
        lay.setContentsMargins(16, 14, 16, 14)
        lay.setSpacing(10)
        top = QHBoxLayout()
        self.priority = QLabel(card)
        self.priority.setObjectName("priority")
        self.category = QLabel(card)
        self.category.setObjectName("category")
        self.category.setWordWrap(True)
        top.addWidget(self.priority, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.category, 1)
        lay.addLayout(top)
        self.ref_label = QLabel(card)
        self.ref_label.setObjectName("ref")
        self.place = QLabel(card)
        self.place.setObjectName("place")
        self.place.setWordWrap(True)
        self.instructions = QLabel(card)
        self.instructions.setObjectName("instructions")
        self.instructions.setWordWrap(True)
        self.deadline = QLabel(card)
        self.deadline.setObjectName("deadline")
        self.progress = QLabel(card)
        self.progress.setObjectName("progress")
        self.idle = QLabel(self.tr("No assignment. Standing by."), card)
        self.idle.setObjectName("idle")
        self.idle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for w in (self.ref_label, self.place, self.instructions, self.deadline, self.progress):
            lay.addWidget(w)
        lay.addWidget(self.idle, 1)
        lay.addStretch(0)
        return card

    def _build_actions(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setSpacing(10)
        self.accept_button = self._button("accept", self.tr("Accept"), self.accept_current)
        self.decline_button = self._button("decline", self.tr("Decline…"), self.ask_decline)
        self.en_route_button = self._button("en_route", self.tr("En route"), lambda: self.report("en_route"))
        self.on_scene_button = self._button("on_scene", self.tr("On scene"), lambda: self.report("on_scene"))
        self.resolved_button = self._button("resolved", self.tr("Resolved…"), self.ask_resolved)
        grid.addWidget(self.accept_button, 0, 0, 1, 3)
        grid.addWidget(self.decline_button, 0, 3, 1, 3)
        grid.addWidget(self.en_route_button, 1, 0, 1, 2)
        grid.addWidget(self.on_scene_button, 1, 2, 1, 2)
        grid.addWidget(self.resolved_button, 1, 4, 1, 2)
        for c in range(6):
            grid.setColumnStretch(c, 1)
        return grid

    def _button(self, name: str, text: str, slot: Any) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        b.setMinimumHeight(72)
        b.clicked.connect(slot)
        return b

    def _build_map(self, lang: str) -> QWidget:
        view = build_map(self.unit_id, lang, self)
        view.ready.connect(self._push_map)
        return view

    def _build_messages(self) -> QWidget:
        pane = MessagesPane(self)
        self.messages, self.reply, self.send_button = pane.messages, pane.reply, pane.send_button
        self.message_pane = pane
        self.send_button.clicked.connect(self.send_reply)
        self.reply.returnPressed.connect(self.send_reply)
        return pane

    def _build_queue(self) -> QWidget:
        w = QWidget(self)
        lay = QVBoxLayout(w)
        lay.setContentsMargins(6, 6, 6, 6)
        self.queue = QListWidget(w)
        self.show_button = QPushButton(self.tr("Show selected"), w)
        self.show_button.setMinimumHeight(52)
        lay.addWidget(self.queue, 1)
        lay.addWidget(self.show_button)
        self.show_button.clicked.connect(self._show_selected)
        self.queue.itemActivated.connect(lambda *_: self._show_selected())
        return w

    # ------------------------------------------------------------------ inbound
    def on_message(self, msg: dict[str, Any]) -> None:
        t = msg.get("type")
        if t == "welcome":
            if isinstance(msg.get("kind"), str):
                self.unit_kind = msg["kind"]
            self._named(msg.get("name"))
        elif t == "assignment":
            self._add_assignment(msg)
            if self.current is None or self.current not in self.assignments:
                self.current = msg["ref"]
                self._notice(self.tr("New assignment: %1").replace("%1", self._title(msg)), "info")
            else:
                self._notice(self.tr("New assignment in the queue: %1").replace("%1", self._title(msg)), "info")
            self._show_current()
        elif t == "cancel":
            ref = msg.get("ref")
            gone = self.assignments.pop(ref, None)
            if gone is not None and msg.get("reason") == "finished":
                self._notice(self.tr("Task finished: %1").replace("%1", self._title(gone)), "info")
            elif gone is not None:
                self._notice(self.tr("Assignment withdrawn by the control room: %1").replace("%1", self._title(gone))
                             + (f" ({msg['note']})" if msg.get("note") else ""), "error")
            if self.current == ref:
                self.current = None
            self._show_current()
        elif t in ("text", "broadcast"):
            self._add_message(msg, incoming=True)
        elif t == "error":
            if msg.get("code") == "revoked":
                self._notice(self.tr("This unit's key was revoked. Contact the control room."), "error")
            elif msg.get("code") == "replaced":
                self._notice(self.tr("Another device logged in as this unit; this one no longer receives "
                                     "assignments. Close one of them."), "error")
            else:
                self._notice(self.tr("The control room refused: %1").replace("%1", str(msg.get("message") or
                                                                                      msg.get("code"))), "error")
        self._update_tabs()

    def _named(self, name: Any) -> None:
        """The name the control room calls this unit by (the hub's welcome), in the header and on the map; its id
        stays in the tooltip and the window's title."""
        if not isinstance(name, str) or not name.strip() or name == self.unit_name:
            return
        self.unit_name = name.strip()
        self.unit_label.setText(self.unit_name)
        self.unit_label.setToolTip(self.unit_id)
        self.setWindowTitle(self.tr("Field unit %1").replace("%1", f"{self.unit_name} ({self.unit_id})"))
        self._push_map()

    def on_position(self, lat: float, lon: float) -> None:
        self.own = (lat, lon)
        self._own_gps_at = time.monotonic()
        self._push_map()

    def on_where(self, lat: float, lon: float) -> None:
        """Where the control room sees this unit (its AIS or receivers): shown when this client has no GPS
        of its own, or its GPS went quiet."""
        if self._own_gps_at is None or time.monotonic() - self._own_gps_at > 30.0:
            self.own = (lat, lon)
            self._push_map()

    # ------------------------------------------------------------------ actions
    def accept_current(self) -> None:
        a = self._current()
        if a is None:
            return
        self.link.accept(a["ref"])
        a["progress"] = "accepted"
        self._show_current()

    def ask_decline(self) -> None:
        a = self._current()
        if a is None:
            return
        reasons = [self.tr("Unit not available"), self.tr("Too far away"), self.tr("Equipment fault"),
                   self.tr("Unsafe conditions"), self.tr("Already on another job"), self.tr("Cannot reach the place")]
        taken = a.get("progress") is not None
        dlg = ChoiceDialog(self.tr("Hand back assignment") if taken else self.tr("Decline assignment"),
                           self.tr("Why can this unit not finish it?") if taken else self.tr("Why can this unit not take it?"),
                           reasons, other=self.tr("Other reason or details…"), required=True, parent=self)
        dlg.accepted.connect(lambda: self.decline_current(dlg.answer()))
        self.decline_dialog = dlg
        dlg.open()

    def decline_current(self, reason: str) -> None:
        a = self._current()
        if a is None or not reason.strip():
            return
        self.link.decline(a["ref"], reason.strip())
        said = self.tr("Handed back: %1") if a.get("progress") is not None else self.tr("Declined: %1")
        self._finish(a, said.replace("%1", self._title(a)))

    def report(self, status: str, note: str | None = None) -> None:
        a = self._current()
        if a is None:
            return
        self.link.status(a["ref"], status, note or None)
        if status == "resolved":
            self._finish(a, self.tr("Resolved: %1").replace("%1", self._title(a)))
        else:
            a["progress"] = status
            self._show_current()

    def ask_resolved(self) -> None:
        if self._current() is None:
            return
        notes = [self.tr("Cleared"), self.tr("Nothing found"), self.tr("Handed over"), self.tr("Warning issued")]
        dlg = ChoiceDialog(self.tr("Resolved"), self.tr("How was it resolved? (optional)"), notes,
                           other=self.tr("Note…"), required=False, parent=self)
        dlg.accepted.connect(lambda: self.report("resolved", dlg.answer()))
        self.resolve_dialog = dlg
        dlg.open()

    def send_reply(self) -> None:
        text = self.reply.text().strip()
        if not text:
            return
        self.link.text(text)
        self.reply.clear()
        self._add_message({"text": text, "ts": time.time()}, incoming=False)

    def _finish(self, a: dict[str, Any], notice: str) -> None:
        self.assignments.pop(a["ref"], None)
        self.current = None
        self._notice(notice, "info")
        self._show_current()
        self._update_tabs()

    def _show_selected(self) -> None:
        item = self.queue.currentItem()
        if item is not None:
            self.current = item.data(Qt.ItemDataRole.UserRole)
            self._show_current()

    # ------------------------------------------------------------------ display
    def _add_assignment(self, msg: dict[str, Any]) -> None:
        ref = msg.get("ref")
        if not ref:
            return
        old = self.assignments.get(ref, {})
        self.assignments[ref] = {**msg, "progress": msg.get("progress") or old.get("progress")}

    def _current(self) -> dict[str, Any] | None:
        if self.current not in self.assignments:
            self.current = next(iter(self.assignments), None)
        return self.assignments.get(self.current) if self.current else None

    def _title(self, a: dict[str, Any]) -> str:
        cat = a.get("category")
        name = word(cat) if isinstance(cat, str) else str(a.get("name") or "")
        ident = a.get("incident_id") or a.get("task_id") or a.get("ref", "")
        kind = self.tr("Task") if a.get("task_id") else self.tr("Incident")
        return f"{kind} #{ident}" + (f" · {name}" if name else "")

    def _show_current(self) -> None:
        a = self._current()
        has = a is not None
        for w in (self.priority, self.category, self.ref_label, self.place, self.instructions, self.deadline,
                  self.progress):
            w.setVisible(has)
        self.idle.setVisible(not has)
        if a is None:
            for b in (self.accept_button, self.decline_button, self.en_route_button, self.on_scene_button,
                      self.resolved_button):
                b.setEnabled(False)
            self.instructions.clear()
            self._update_queue()
            self._push_map()
            return
        pr = str(a.get("priority") or "")
        self.priority.setText(pr)
        self.priority.setVisible(bool(pr))
        self.priority.setStyleSheet(f"background: {PRIORITY_COLOURS.get(pr, '#607d8b')};")
        cat = a.get("category")
        self.category.setText(word(cat) if isinstance(cat, str) else
                              (a.get("name") or a.get("text") or self.tr("Assignment")))
        ident = a.get("incident_id") or a.get("task_id") or ""
        kind = self.tr("Task") if a.get("task_id") else self.tr("Incident")
        by = str(a.get("by") or "").split(":", 1)[-1]
        self.ref_label.setText(f"{kind} #{ident}   ·   " + self.tr("sent %1 by %2").replace("%1", hhmm(a.get("ts")))
                               .replace("%2", by or "—"))
        place = where_text(a)
        if a.get("lat") is not None and a.get("lon") is not None:
            place = (place + "   " if place else "") + f"{a['lat']:.5f}, {a['lon']:.5f}"
        self.place.setText(self.tr("Location: %1").replace("%1", place or self.tr("not given")))
        details = [s for s in (a.get("note"), a.get("text") if a.get("category") else None) if s]
        self.instructions.setText("\n".join(details))
        self.instructions.setVisible(bool(details))
        self._update_deadline()
        progress = a.get("progress")
        labels = {None: self.tr("Waiting for your answer"), "accepted": self.tr("Accepted"),
                  "en_route": self.tr("En route"), "on_scene": self.tr("On scene")}
        self.progress.setText(self.tr("Status: %1").replace("%1", labels.get(progress, str(progress))))
        self.accept_button.setEnabled(progress is None)
        self.decline_button.setEnabled(progress in (None, "accepted", "en_route"))
        # once taken, a job is no longer declined but handed back (a breakdown on the way): the same answer, other words
        self.decline_button.setText(self.tr("Decline…") if progress is None else self.tr("Hand back…"))
        self.en_route_button.setEnabled(progress == "accepted")
        self.on_scene_button.setEnabled(progress in ("accepted", "en_route"))
        self.resolved_button.setEnabled(progress == "on_scene")
        self._update_queue()
        self._push_map()

    def _update_deadline(self) -> None:
        a = self._current()
        d = a.get("deadline") if a else None
        if not isinstance(d, dict) or not d.get("due"):
            self.deadline.setVisible(False)
            return
        self.deadline.setVisible(True)
        now = time.time()
        left = float(d["due"]) - now
        overdue = is_overdue(a, now)
        stages = {"dispatch": self.tr("Answer"), "arrive": self.tr("Arrival"), "resolve": self.tr("Resolution")}
        stage = stages.get(str(d.get("stage")), word(str(d.get("stage") or "")))
        if overdue:
            text = self.tr("Overdue by %1 (%2, due %3)").replace("%1", ago(-left))
        else:
            text = self.tr("%1 left (%2, due %3)").replace("%1", ago(left))
        self.deadline.setText(text.replace("%2", stage).replace("%3", hhmm(float(d["due"]))))
        if self.deadline.property("overdue") != overdue:
            self.deadline.setProperty("overdue", overdue)
            restyle(self.deadline)
            self._push_map()  # the pin is ringed too

    def _update_queue(self) -> None:
        self.queue.clear()
        for ref, a in self.assignments.items():
            pr = a.get("priority") or ""
            item = QListWidgetItem(f"{pr}  {self._title(a)}" + ("   ◀" if ref == self.current else ""))
            item.setData(Qt.ItemDataRole.UserRole, ref)
            if ref == self.current:
                f = QFont(item.font())
                f.setBold(True)
                item.setFont(f)
            self.queue.addItem(item)
        self._update_tabs()

    def _update_tabs(self) -> None:
        self.tabs.setTabText(0, self.tr("Messages (%1)").replace("%1", str(self.messages.count())))
        self.tabs.setTabText(1, self.tr("Queue (%1)").replace("%1", str(len(self.assignments))))

    def _add_message(self, msg: dict[str, Any], *, incoming: bool) -> None:
        self.message_pane.add(msg, incoming=incoming)
        self._update_tabs()
        if incoming and self.tabs.currentIndex() != 0:
            self.tabs.setCurrentIndex(0)

    def _notice(self, text: str, level: str) -> None:
        self.banner.setText(text)
        self.banner.setProperty("level", level)
        restyle(self.banner)
        self.banner.show()

    def refresh_state(self) -> None:
        """Twice a second: connection state, answers waiting, deadline countdown."""
        online = self.link.online()
        if self.link.revoked():
            self.presence.setText(self.tr("Revoked"))
        elif self.link.replaced():
            self.presence.setText(self.tr("Logged in elsewhere"))
        else:
            self.presence.setText("● " + (self.tr("Online") if online else self.tr("Offline")))
        if self.presence.property("online") != online:
            self.presence.setProperty("online", online)
            restyle(self.presence)
        last = self.link.last_contact()
        self.contact.setText(self.tr("Last contact: %1 ago").replace("%1", ago(time.time() - last)) if last
                             else self.tr("No contact yet"))
        n = self.link.waiting()
        self.waiting_label.setText(self.tr("%1 answers waiting to be sent").replace("%1", str(n)) if n else "")
        if self.current is not None:
            self._update_deadline()

    def _push_map(self) -> None:
        if self.map is None:
            return
        a = self._current()
        own = map_rows(self.unit_id, self.own, a is not None, self.unit_name, self.unit_kind)
        show(self.map, a, self._title(a) if a is not None else "", own)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.clock.stop()
        self.link.stop()
        super().closeEvent(event)
