"""The field window's messages: what the control room sent (to this unit, or broadcast) and what the crew
wrote, one bubble each, with the reply box under them."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.field.style import hhmm
from console.i18n import word


class MessagesPane(QWidget):
    """The conversation list and the reply box; the window sends what is typed (`send_button`, Enter)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.messages = QListWidget(self)
        self.messages.setWordWrap(True)
        self.messages.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.messages.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.messages.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.messages.setSpacing(4)
        row = QHBoxLayout()
        self.reply = QLineEdit(self)
        self.reply.setPlaceholderText(self.tr("Message to the control room…"))
        self.reply.setMaxLength(2000)
        self.send_button = QPushButton(self.tr("Send"), self)
        self.send_button.setObjectName("send")
        self.send_button.setMinimumWidth(120)
        row.addWidget(self.reply, 1)
        row.addWidget(self.send_button)
        lay.addWidget(self.messages, 1)
        lay.addLayout(row)

    def count(self) -> int:
        return self.messages.count()

    def add(self, msg: dict[str, Any], *, incoming: bool) -> None:
        when = hhmm(msg.get("ts") or time.time())
        if not incoming:
            who = self.tr("Me")
        elif msg.get("type") == "broadcast":
            kind = msg.get("kind")
            who = self.tr("Broadcast to all units") if not kind else \
                self.tr("Broadcast to %1").replace("%1", word(str(kind)))
        else:
            who = self.tr("Control room") + (f" ({str(msg.get('by')).split(':', 1)[-1]})" if msg.get("by") else "")
        item = QListWidgetItem(f"{when}  {who}\n{msg.get('text', '')}")
        if not incoming:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setBackground(QColor("#e3f2fd"))
        elif msg.get("type") == "broadcast":
            item.setBackground(QColor("#fff3e0"))
        self.messages.addItem(item)
        self.messages.scrollToBottom()
