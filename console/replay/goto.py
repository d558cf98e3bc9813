"""The replay window's "Go to" box: type a date and time (or pick it from the calendar) and the replay jumps there.

A shift lead asked about a complaint ("the boat was not there on Tuesday at three") wants that moment, not a
slider over a week. The box follows the replay time as it plays; a moment typed outside the window on show
opens the day around it (`day_around`), within what is recorded."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import QDateTimeEdit, QHBoxLayout, QLabel, QPushButton, QWidget


def day_around(t: float, span: tuple[float, float]) -> tuple[float, float]:
    """The local day (midnight to midnight, this process's local time: the bureau's) holding `t`, within `span`."""
    start = datetime.fromtimestamp(t).replace(hour=0, minute=0, second=0, microsecond=0)
    lo, hi = start.timestamp(), (start + timedelta(days=1)).timestamp()
    return max(lo, span[0]), min(hi, span[1])


class GoTo(QWidget):
    """A date-time box and a "Go" button; `chosen(t)` when the user asks for a moment."""

    chosen = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QDateTimeEdit(self)
        self.edit.setObjectName("replayGoTo")
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.edit.setToolTip(self.tr("A moment to replay: type it, or pick the day from the calendar, then Go"))
        go = QPushButton(self.tr("Go"), self)
        go.setObjectName("replayGo")
        go.clicked.connect(self._go)
        self.edit.editingFinished.connect(self._go_if_edited)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel(self.tr("Go to"), self))
        lay.addWidget(self.edit)
        lay.addWidget(go)
        self._shown = 0

    def show_time(self, t: float) -> None:
        """Follow the replay (never while the user is typing in the box)."""
        if self.edit.hasFocus():
            return
        self._shown = int(t)
        self.edit.blockSignals(True)
        self.edit.setDateTime(QDateTime.fromSecsSinceEpoch(self._shown))
        self.edit.blockSignals(False)

    def _go_if_edited(self) -> None:
        if self.edit.dateTime().toSecsSinceEpoch() != self._shown:
            self._go()

    def _go(self) -> None:
        t = self.edit.dateTime().toSecsSinceEpoch()
        self._shown = t
        self.chosen.emit(float(t))
