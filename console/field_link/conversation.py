"""One unit's conversation on the Field link tab: its messages, the control room's, and the broadcasts it got."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from console import theme
from console.field_link.data import hhmmss
from console.i18n import kind_label


class ConversationView(QListWidget):
    """A bubble per message, oldest first; stays at the newest if it was there."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hubConversation")
        self.setWordWrap(True)
        self.setSpacing(3)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def show_entries(self, entries: list[dict[str, Any]], unit_name: str, kind: str | None) -> None:
        """`entries`: field.messages rows in time order (broadcasts marked "broadcast")."""
        bar = self.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        self.clear()
        for e in entries:
            who = str(e.get("actor") or "")
            if e.get("broadcast"):
                head = self.tr("Broadcast") + (f" ({kind_label(e['kind'])})" if e.get("kind") else "")
            elif e.get("dir") == "in":
                head = unit_name
            else:
                head = who.split(":", 1)[-1] or self.tr("Control room")
            item = QListWidgetItem(f"{hhmmss(e.get('ts'))}  {head}\n{e.get('text', '')}")
            if e.get("dir") == "in":
                item.setBackground(QColor(theme.value("bubble_in")))
            elif e.get("broadcast"):
                item.setBackground(QColor(theme.value("bubble_broadcast")))
            else:
                item.setBackground(QColor(theme.value("bubble_out")))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.addItem(item)
        if at_end:
            self.scrollToBottom()
