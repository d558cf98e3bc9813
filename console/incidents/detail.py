"""One incident: its state, the next steps the core allows (as buttons), recommendations with one-click
assign, the timeline of its events and its attachments (SHA-256, size, time).

The buttons come from the core's `allowed` list; the widget decides nothing. A refusal (e.g. another
seat moved the case first) is shown in a banner with the core's own message, and nothing is stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.i18n import t, where_text
from console.incidents.citizens_tab import CitizensTab
from console.incidents.common import (
    PRIORITY_COLOURS,
    category_label,
    clock_text,
    deadline_remaining,
    deadline_text,
    event_label,
    run_op,
    size_text,
    source_label,
    stage_label,
    state_label,
)
from console.incidents.recommendations import Recommendations
from dispatch.errors import Refused

# The verb on each button: what the dispatcher does to reach that state.
ACTION_VERBS = {
    "verified": "Verify (file case)",
    "rejected": "Reject…",
    "accepted": "Unit accepted",
    "en_route": "En route",
    "on_scene": "On scene",
    "resolved": "Resolved",
    "closed": "Check passed: close",
    "evaluated": "Evaluate…",
    "reopened": "Reopen (rework)",
}
ASSIGN = "dispatched (by assign)"
UNASSIGN = "verified (by unassign)"


class IncidentDetail(QWidget):
    status_message = Signal(str)
    unit_focus = Signal(str)
    incident_shown = Signal(object)  # the incident as loaded (dict), or None when none is shown: for `add_extra`'s owners

    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.setObjectName("incidentDetail")
        self.clock = clock
        self.unit_name: Callable[[str], str] = lambda uid: uid  # the name dispatchers know a unit by (set by the workflow)
        self.incident: dict[str, Any] | None = None
        self.incident_id: int | None = None
        self._pending = 0  # bumps on every load so a late answer for another incident is dropped

        self.title = QLabel(self.tr("Select an incident in the queue"), self)
        self.title.setObjectName("incidentTitle")
        self.title.setStyleSheet("font-size:15px;font-weight:bold;")
        self.badge = QLabel(self)
        self.badge.setObjectName("stateBadge")
        self.deadline = QLabel(self)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.deadline)
        head.addWidget(self.badge)

        self.banner = QLabel(self)
        self.banner.setObjectName("refusalBanner")
        self.banner.setWordWrap(True)
        theme.tone(self.banner, "banner")
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.queue_anyway = QPushButton(self.tr("Queue it behind the unit's current job"), self)
        self.queue_anyway.setObjectName("queueAnyway")
        self.queue_anyway.hide()
        self.queue_anyway.clicked.connect(self._queue_anyway)
        self._queue_args: dict[str, Any] | None = None

        info = QFrame(self)
        self.info = QGridLayout(info)
        self.info.setContentsMargins(0, 0, 0, 0)
        self.info.setHorizontalSpacing(12)
        self.fields: dict[str, QLabel] = {}
        names = [("where", self.tr("Location")), ("source", self.tr("Source")), ("reporter", self.tr("Reporter")),
                 ("unit", self.tr("Unit")), ("created", self.tr("Reported at")), ("text", self.tr("Description"))]
        for i, (key, label) in enumerate(names):
            lab = QLabel(label + ":", info)
            theme.tone(lab, "muted")
            val = QLabel(info)
            val.setWordWrap(True)
            val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = val
            self.info.addWidget(lab, i // 2, (i % 2) * 2, alignment=Qt.AlignmentFlag.AlignTop)
            self.info.addWidget(val, i // 2, (i % 2) * 2 + 1)
        self.info.setColumnStretch(1, 1)
        self.info.setColumnStretch(3, 1)

        self.plans = QLabel(self)  # the response plans (处置预案) of this category at this place
        self.plans.setObjectName("responsePlans")
        self.plans.setWordWrap(True)
        theme.tone(self.plans, "plans")
        self.plans.hide()

        self.duplicates = QWidget(self)
        self.dup_layout = QHBoxLayout(self.duplicates)
        self.dup_layout.setContentsMargins(0, 0, 0, 0)
        self.duplicates.hide()

        self.note = QLineEdit(self)
        self.note.setPlaceholderText(self.tr("Note for the record (optional)"))
        self.actions = QWidget(self)
        self.actions_layout = QHBoxLayout(self.actions)
        self.actions_layout.setContentsMargins(0, 0, 0, 0)
        self.action_buttons: dict[str, QPushButton] = {}

        self.recommend = Recommendations(self)
        self.recommend.assign_requested.connect(self.assign)
        self.recommend.hide()

        self.tabs = QTabWidget(self)
        self.timeline = QTreeWidget(self)
        self.timeline.setObjectName("timeline")
        self.timeline.setRootIsDecorated(False)
        self.timeline.setAlternatingRowColors(True)
        self.timeline.setHeaderLabels([self.tr("Time"), self.tr("Event"), self.tr("Change"), self.tr("By"),
                                       self.tr("Note")])
        self.timeline.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.timeline.header().setStretchLastSection(True)
        att = QWidget(self)
        self.attachments = QTreeWidget(att)
        self.attachments.setObjectName("attachments")
        self.attachments.setRootIsDecorated(False)
        self.attachments.setHeaderLabels([self.tr("Name"), self.tr("Size"), self.tr("Time"), self.tr("SHA-256"),
                                          self.tr("By")])
        self.attachments.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.attach_button = QPushButton(self.tr("Attach files…"), att)
        self.attach_button.clicked.connect(self._pick_files)
        al = QVBoxLayout(att)
        al.setContentsMargins(0, 4, 0, 0)
        al.addWidget(self.attachments)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.attach_button)
        al.addLayout(row)
        self.tabs.addTab(self.timeline, self.tr("Timeline"))
        self.tabs.addTab(att, self.tr("Attachments"))
        self.citizens = CitizensTab(self)  # what the citizens see, and the public note (console/incidents/citizens_tab.py)
        self.citizens.status_message.connect(self.status_message)
        self.citizens.follow_ups.connect(lambda n: self.tabs.setTabText(self.tabs.indexOf(self.citizens), self.tr(
            "Citizens (%1 follow-ups)").replace("%1", str(n)) if n else self.tr("Citizens")))
        self.tabs.addTab(self.citizens, self.tr("Citizens"))

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(6)
        lay.addLayout(head)
        lay.addWidget(self.banner)
        lay.addWidget(self.queue_anyway, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(info)
        lay.addWidget(self.plans)
        self._extras = QVBoxLayout()  # what other views add under the plans (`add_extra`)
        self._extras.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self._extras)
        lay.addWidget(self.duplicates)
        lay.addWidget(self.actions)
        lay.addWidget(self.note)
        lay.addWidget(self.recommend)
        lay.addWidget(self.tabs, 1)
        self._set_enabled(False)

    # ------------------------------------------------------------------ loading
    def add_extra(self, widget: QWidget) -> None:
        """A line another view keeps about the incident shown (the case file: the cases opened from it), under the
        response plans; it follows `incident_shown`."""
        self._extras.addWidget(widget)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.note, self.attach_button, self.tabs):
            w.setEnabled(on)

    def show_incident(self, incident_id: int | None) -> None:
        if incident_id != self.incident_id:
            self.banner.hide()
            self.queue_anyway.hide()
            self.note.clear()
            self.incident_shown.emit(None)  # what others show of the last one goes until this one is loaded
        self.incident_id = incident_id
        if incident_id is None:
            self.incident = None
            self.title.setText(self.tr("Select an incident in the queue"))
            self._set_enabled(False)
            self.recommend.hide()
            return
        self.reload()

    def reload(self) -> None:
        if self.incident_id is None:
            return
        self._pending += 1
        ticket, iid = self._pending, self.incident_id
        run_op(self, "incident.show", {"incident_id": iid},
               on_done=lambda d: self._loaded(ticket, d), on_refused=self.show_refusal)

    def _loaded(self, ticket: int, d: dict[str, Any]) -> None:
        if ticket != self._pending or d.get("id") != self.incident_id:
            return
        self.incident = d
        self._set_enabled(True)
        self._render(d)
        self.plans.hide()
        self.incident_shown.emit(d)
        run_op(self, "plans", {"incident_id": d["id"]}, on_done=lambda items: self._plans(ticket, items), quiet=True)
        if ASSIGN in d.get("allowed", []):
            self.recommend.show()
            self.recommend.set_loading()
            run_op(self, "recommend", {"incident_id": d["id"], "limit": 3},
                   on_done=lambda items: self._recommended(ticket, items),
                   on_refused=self.recommend.set_message)
        else:
            self.recommend.hide()

    def _plans(self, ticket: int, items: list[dict[str, Any]]) -> None:
        if ticket != self._pending or not items:
            return
        self.plans.setText(self.tr("Response plan") + ": " + " · ".join(
            f"{p['note']} ({p['band']})" for p in items))
        self.plans.show()

    def _recommended(self, ticket: int, items: list[dict[str, Any]]) -> None:
        if ticket == self._pending:
            self.recommend.set_items(items)

    # ---------------------------------------------------------------- rendering
    def _render(self, d: dict[str, Any]) -> None:
        colour = PRIORITY_COLOURS.get(d["priority"])
        hexc = colour.name() if colour is not None else "#000"
        self.title.setText(f'#{d["id"]} <span style="color:{hexc}">{d["priority"]}</span> '
                           f'{category_label(d["category"])}')
        overdue = bool(d.get("overdue")) and d.get("open")
        self.badge.setText(state_label(d["state"]))
        self.badge.setStyleSheet("padding:2px 8px;border-radius:8px;color:white;background:"
                                 + theme.value("pill_overdue" if overdue else ("pill_closed" if not d.get("open") else "pill_open")))
        self.tick()
        where = where_text(d)
        self.fields["where"].setText((where + "  " if where else "") + f"{d['lat']:.6f}, {d['lon']:.6f}")
        self.fields["source"].setText(source_label(d.get("source")))
        self.fields["reporter"].setText(" ".join(x for x in (d.get("reporter"), d.get("contact")) if x) or "—")
        self.fields["unit"].setText(f"{d['unit_name']} ({d['unit_id']})" if d.get("unit_name") else d.get("unit_id") or "—")
        self.fields["created"].setText(clock_text(d.get("created_at"), with_date=True))
        self.fields["text"].setText(d.get("text") or "—")
        self._render_duplicates(d)
        self._render_actions(d)
        self._render_timeline(d)
        self._render_attachments(d)
        self.citizens.show_incident(d["id"])

    def tick(self) -> None:
        """The countdown against the seat's clock (every second, as the queue's), not as it was at loading."""
        d = self.incident
        if d is None:
            self.deadline.clear()
            return
        now = self.clock()
        text = deadline_text(d, now).replace("—", "")
        if self.deadline.text() != text:
            self.deadline.setText(text)
        rem = deadline_remaining(d, now)
        style = "color:#b71c1c;font-weight:bold" if d.get("open") and rem is not None and rem < 0 else ""
        if self.deadline.styleSheet() != style:
            self.deadline.setStyleSheet(style)

    def _render_duplicates(self, d: dict[str, Any]) -> None:
        while self.dup_layout.count():
            w = self.dup_layout.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        dups = [x for x in d.get("possible_duplicates", []) if x != d["id"]]
        if not dups or not d.get("open"):
            self.duplicates.hide()
            return
        label = QLabel(self.tr("Likely duplicate of:"), self.duplicates)
        label.setStyleSheet("color:#e65100;font-weight:bold")
        self.dup_layout.addWidget(label)
        for other in dups:
            b = QPushButton(self.tr("Merge into #%1").replace("%1", str(other)), self.duplicates)
            b.setObjectName(f"merge-into-{other}")
            b.clicked.connect(lambda _=False, keep=other: self.merge_into(keep))
            self.dup_layout.addWidget(b)
        self.dup_layout.addStretch(1)
        self.duplicates.show()

    def _render_actions(self, d: dict[str, Any]) -> None:
        while self.actions_layout.count():
            w = self.actions_layout.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.action_buttons = {}
        for step in d.get("allowed", []):
            if step == ASSIGN:
                continue  # the recommendations below carry the assign buttons
            if step == UNASSIGN:
                text, target = self.tr("Withdraw unit"), "unassign"
            else:
                text, target = self.tr(ACTION_VERBS.get(step, step)), step
            b = QPushButton(text, self.actions)
            b.setObjectName(f"action-{target}")
            if target in ("rejected", "reopened", "unassign"):
                theme.tone(b, "error_text")
            b.clicked.connect(lambda _=False, s=target: self.step(s))
            self.action_buttons[target] = b
            self.actions_layout.addWidget(b)
        if not self.action_buttons:
            done = QLabel(self.tr("No further step: the case is final"), self.actions)
            theme.tone(done, "muted")
            self.actions_layout.addWidget(done)
        self.actions_layout.addStretch(1)

    def _render_timeline(self, d: dict[str, Any]) -> None:
        self.timeline.clear()
        for h in d.get("history", []):
            change = ""
            if h.get("from") or h.get("to"):
                change = f"{state_label(h.get('from')) or '·'} → {state_label(h.get('to'))}"
            extra = []
            if h.get("unit_id"):
                extra.append(self.tr("unit %1").replace("%1", self.unit_name(h["unit_id"])))
            if h.get("reason"):
                extra.append(self.tr("reason: %1").replace("%1", self.tr(h["reason"])))
            if h.get("stage"):
                extra.append(self.tr("%1 deadline passed").replace("%1", stage_label(h["stage"])))
            if h.get("satisfaction"):
                extra.append(self.tr("satisfaction %1/5").replace("%1", str(h["satisfaction"])))
            if h.get("duplicate_id"):
                extra.append(self.tr("merged #%1").replace("%1", str(h["duplicate_id"])))
            if h.get("name") and h.get("kind") == "incident.attached":
                extra.append(str(h["name"]))
            if extra:
                change = (change + "  " if change else "") + ", ".join(extra)
            item = QTreeWidgetItem([clock_text(h.get("time"), with_date=True), event_label(h.get("kind", "")),
                                    change, str(h.get("actor") or ""), t(str(h.get("note") or ""))])
            if h.get("kind") == "incident.overdue":
                for c in range(5):
                    item.setForeground(c, PRIORITY_COLOURS["P1"])
            self.timeline.addTopLevelItem(item)
        self.timeline.scrollToBottom()

    def _render_attachments(self, d: dict[str, Any]) -> None:
        self.attachments.clear()
        for a in d.get("attachments", []):
            item = QTreeWidgetItem([str(a.get("name") or ""), size_text(a.get("size")),
                                    clock_text(a.get("time"), with_date=True), str(a.get("sha256") or ""),
                                    str(a.get("by") or "")])
            item.setToolTip(3, str(a.get("sha256") or ""))
            item.setToolTip(0, str(a.get("media_type") or ""))
            self.attachments.addTopLevelItem(item)
        self.tabs.setTabText(1, self.tr("Attachments (%1)").replace("%1", str(len(d.get("attachments", [])))))

    # ------------------------------------------------------------------ actions
    def show_refusal(self, message: str) -> None:
        self.queue_anyway.hide()
        self.banner.setText(self.tr("Refused: %1").replace("%1", message))
        self.banner.show()
        self.status_message.emit(self.tr("Refused: %1").replace("%1", message))

    def _after_change(self, d: dict[str, Any], message: str) -> None:
        self.banner.hide()
        self.queue_anyway.hide()
        self.note.clear()
        self.status_message.emit(message)
        if d.get("id") == self.incident_id:
            self._pending += 1
            self._loaded(self._pending, d)

    def step(self, target: str) -> None:
        """Ask the core for one step; the core decides whether it is allowed."""
        if self.incident_id is None:
            return
        iid, note = self.incident_id, self.note.text().strip() or None
        if target == "unassign":
            run_op(self, "incident.unassign", {"incident_id": iid, "note": note},
                   on_done=lambda d: self._after_change(d, self.tr("Incident %1: unit withdrawn").replace(
                       "%1", str(iid))), on_refused=self.show_refusal)
            return
        args: dict[str, Any] = {"incident_id": iid, "state": target, "note": note}
        if target == "rejected":
            reasons = [self.tr("invalid"), self.tr("duplicate")]
            choice, ok = QInputDialog.getItem(self, self.tr("Reject"), self.tr("Reason"), reasons, 0, False)
            if not ok:
                return
            args["reason"] = "duplicate" if reasons.index(choice) == 1 else "invalid"
        if target == "evaluated":
            got = EvaluateDialog.ask(self, note or "")
            if got is None:
                return
            args["satisfaction"], args["note"] = got
        self.transition(args)

    def transition(self, args: dict[str, Any]) -> None:
        iid, target = args["incident_id"], args["state"]
        run_op(self, "incident.transition", args,
               on_done=lambda d: self._after_change(d, self.tr("Incident %1: %2").replace("%1", str(iid)).replace(
                   "%2", state_label(target))), on_refused=self.show_refusal)

    def assign(self, unit_id: str, incident_id: int | None = None) -> None:
        iid = self.incident_id if incident_id is None else incident_id
        if iid is None:
            return
        note = self.note.text().strip() or None if iid == self.incident_id else None
        # exclusive: a one-click assignment must not silently queue behind another dispatcher's
        args = {"incident_id": iid, "unit_id": unit_id, "note": note, "exclusive": True}
        run_op(self, "incident.assign", args, on_done=lambda d: self._assigned(d, iid, unit_id),
               on_refusal=lambda exc: self._assign_refused(exc, args))

    def _assign_refused(self, exc: Refused, args: dict[str, Any]) -> None:
        self.show_refusal(str(exc))
        if exc.code == "unit_busy":  # the core may still stack it (it refuses again if the unit is working)
            self._queue_args = {**args, "exclusive": False}
            self.queue_anyway.show()

    def _queue_anyway(self) -> None:
        if self._queue_args is None:
            return
        args, self._queue_args = self._queue_args, None
        self.queue_anyway.hide()
        run_op(self, "incident.assign", args, on_done=lambda d: self._assigned(d, args["incident_id"], args["unit_id"]),
               on_refused=self.show_refusal)

    def _assigned(self, d: dict[str, Any], iid: int, unit_id: str) -> None:
        text = self.tr("Incident %1: %2 dispatched").replace("%1", str(iid)).replace("%2", unit_id)
        if d.get("queued_behind"):
            text += " · " + self.tr("queued behind %1").replace("%1", ", ".join(f"#{x}" for x in d["queued_behind"]))
        if d.get("delivery"):
            text += " · " + self.tr("the unit is out of reach; the assignment waits in its outbox")
        self._after_change(d, text)

    def merge_into(self, keep: int) -> None:
        if self.incident_id is None:
            return
        dup = self.incident_id
        run_op(self, "incident.merge", {"incident_id": keep, "duplicate_id": dup, "note": self.note.text() or None},
               on_done=lambda d: self._merged(d, keep, dup), on_refused=self.show_refusal)

    def _merged(self, d: dict[str, Any], keep: int, dup: int) -> None:
        self.incident_id = keep
        self._after_change(d, self.tr("Incident %1 merged into %2").replace("%1", str(dup)).replace("%2", str(keep)))

    def _pick_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Attach files"), "",
                                                self.tr("Photos, video, documents (*)"))
        for path in files:
            self.attach(path)

    def attach(self, path: str) -> None:
        if self.incident_id is None:
            return
        iid = self.incident_id
        run_op(self, "incident.attach", {"incident_id": iid}, file=path,
               on_done=lambda a: (self.status_message.emit(self.tr("Attached %1 (SHA-256 %2…)").replace(
                   "%1", str(a.get("name"))).replace("%2", str(a.get("sha256", ""))[:12])), self.reload()),
               on_refused=self.show_refusal)


class EvaluateDialog(QDialog):
    """The reporter's satisfaction (1..5) and a note."""

    def __init__(self, parent: QWidget | None, note: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Evaluate"))
        self.score = QSpinBox(self)
        self.score.setRange(1, 5)
        self.score.setValue(5)
        self.note = QLineEdit(note, self)
        form = QFormLayout(self)
        form.addRow(self.tr("Reporter's satisfaction (1–5)"), self.score)
        form.addRow(self.tr("Note"), self.note)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        form.addRow(box)

    @classmethod
    def ask(cls, parent: QWidget | None, note: str) -> tuple[int, str | None] | None:
        dlg = cls(parent, note)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        return dlg.score.value(), dlg.note.text().strip() or None
