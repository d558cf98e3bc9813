"""A console attached to a hub (`python main.py --hub tcp://HOST:PORT --key SEAT.seat.json`; console/cli/attach.py starts it).

The operator logs in (`LoginDialog`: the hub checks the password and says why it refuses); the console
then follows the hub's state (dispatch/hub/attach.py `RemoteCore`) and sends every operation to it. It
keeps no store and runs no feeds or field link of its own: those are the hub's. The status bar names
the seat and its operator and says when the hub is lost, back, or restarted.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from dispatch.errors import Refused

log = logging.getLogger(__name__)


def refusal_text(ctx: QObject, exc: BaseException, endpoint: str) -> str:
    """The hub's refusal of a login, in the operator's language (the hub's own words below it)."""
    tr = ctx.tr
    if isinstance(exc, ConnectionError):
        return tr("The hub at %1 does not answer: is it running, and is this seat's key enrolled there?") \
            .replace("%1", endpoint)
    code = getattr(exc, "code", "")
    head = {
        "login_failed": tr("Wrong name or password."),
        "account_locked": tr("This account is locked after too many wrong passwords; an administrator unlocks it."),
        "account_disabled": tr("This account is disabled; an administrator can enable it."),
        "retry_later": tr("Too many wrong passwords: wait a moment before trying again."),
    }.get(code, tr("The hub refused the login."))
    return f"{head}\n({exc})"


class LoginDialog(QDialog):
    """Operator name and password; `accept()`s once the hub has logged the operator in at this seat."""

    def __init__(self, core: Any, *, user: str | None = None, place: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core  # a hub (RemoteCore), or a single-seat console's own accounts (console/cli/seat_login.py)
        self.setWindowTitle(self.tr("Log in to the command centre") if place is None else self.tr("Log in at this console"))
        self.name = QLineEdit(user or "", self)
        self.name.setObjectName("loginName")
        self.password = QLineEdit(self)
        self.password.setObjectName("loginPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel("", self)
        self.message.setObjectName("loginMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020")
        form = QFormLayout()
        where = (self.tr("Seat: %1 · hub %2").replace("%1", core.seat).replace("%2", core.endpoint) if place is None
                 else self.tr("Accounts of the store %1").replace("%1", place))
        form.addRow(QLabel(where, self))
        form.addRow(self.tr("Operator"), self.name)
        form.addRow(self.tr("Password"), self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Log in"))
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addWidget(self.buttons)
        (self.password if user else self.name).setFocus()
        self.operator: dict[str, Any] | None = None

    def try_login(self) -> None:
        name, password = self.name.text().strip(), self.password.text()
        if not name or not password:
            self.message.setText(self.tr("Give the operator name and the password."))
            return
        self.setCursor(Qt.CursorShape.WaitCursor)
        try:
            self.operator = self.core.login(name, password)
        except (Refused, ConnectionError) as exc:
            self.password.clear()
            self.message.setText(refusal_text(self, exc, self.core.endpoint))
            return
        finally:
            self.unsetCursor()
        self.accept()


class LinkStatus(QLabel):
    """The status bar's word on the seat: who is logged in here, and whether the hub is there."""

    def __init__(self, core: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("seatStatus")
        self.core = core
        self.note = ""
        self.box: Any = None  # the cut-off notice, once
        from console.operations import run_on_main

        core.on_link.append(lambda status, detail: run_on_main(lambda: self.show_link(status, detail)))
        self.show_link(core.link, getattr(core, "cut_reason", None) or "")

    def show_link(self, status: str, detail: str = "") -> None:
        op = self.core.operator or {}
        who = self.tr("Seat %1 · %2 (%3)").replace("%1", self.core.seat).replace("%2", op.get("name", "?")) \
            .replace("%3", op.get("role", "?"))
        if status == "lost":
            self.note = self.tr("hub lost — reconnecting…")
        elif status == "restarted":
            self.note = self.tr("the hub restarted: logged in again and resynchronised")
        elif status == "up" and self.note == self.tr("hub lost — reconnecting…"):
            self.note = self.tr("hub back: resynchronised")
        elif status == "cut":  # the hub ended this seat (key revoked, account disabled): nothing more comes
            self.note = self.cut_text()
        self.setText(f"{who} · {self.note}" if self.note else who)
        self.setStyleSheet("color: #b00020; font-weight: bold" if status in ("lost", "cut") else "")
        window = self.window()
        if status in ("lost", "restarted") and hasattr(window, "statusBar"):
            window.statusBar().showMessage(self.note, 10000)
        if status == "cut" and self.box is None:  # not modal: an unattended wall keeps it up for whoever comes
            from PySide6.QtWidgets import QMessageBox

            self.setToolTip(detail)
            self.box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Cut off by the hub"),
                                   f"{self.note}\n{self.tr('Nothing more is shown here until an administrator acts.')}"
                                   f"\n\n{self.tr('The hub said: %1').replace('%1', detail)}",
                                   QMessageBox.StandardButton.Ok, window)
            self.box.setModal(False)
            self.box.show()

    def cut_text(self) -> str:
        code = getattr(self.core, "cut_code", None)
        head = {"seat_revoked": self.tr("this seat's key was revoked"),
                "account_disabled": self.tr("the operator's account was disabled")}.get(
            code or "", self.tr("the hub ended this seat's session"))
        return self.tr("cut off by the hub: %1").replace("%1", head)


class StatusFile(QObject):
    """`--status-file FILE`: every `every_ms` the seat's word on itself, as JSON written atomically: the seat, its
    operator, the link to the hub (up, lost, cut...), the last event held and its hash, the resynchronisations.
    Whoever watches a seat (monitoring, a test) reads it; the seat never reads it back."""

    def __init__(self, core: Any, path: str, parent: QObject | None = None, every_ms: int = 500) -> None:
        super().__init__(parent)
        self.core = core
        self.path = path
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.write)
        self.timer.start(every_ms)
        self.write()

    def write(self) -> None:
        import json
        import os

        c = self.core
        with c.lock:  # the event and its hash together
            held = {"last_seq": c.state.last_seq, "last_hash": c.state.last_hash}
        doc = {"seat": c.seat, "operator": (c.operator or {}).get("name"), "link": c.link,
               "cut_reason": getattr(c, "cut_reason", None), **held, "resyncs": c.resyncs, "hub": c.hub_instance}
        tmp = f"{self.path}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(doc, f)
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("status file %s not written: %s", self.path, exc)
