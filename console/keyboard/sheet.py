"""Help → Keyboard shortcuts: a sheet made from the window's actions when it opens, so it cannot go stale.
Grouped by menu, in the seat's language, with the palette's own keys at the end."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from console.keyboard.palette import menu_actions, plain


def shortcut_rows(window: Any) -> list[tuple[str, str, str]]:
    """(menu path, action, shortcuts) for every menu action, in menu order."""
    rows = []
    for path, a in menu_actions(window):
        keys = " / ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts())
        rows.append((path, plain(a.text()), keys))
    return rows


class ShortcutSheet(QDialog):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.setObjectName("shortcutSheet")
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("shortcutTree")
        self.tree.setHeaderLabels([self.tr("Action"), self.tr("Shortcut")])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        box.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.tree)
        lay.addWidget(box)
        self.resize(560, 720)
        self.fill(window)

    def fill(self, window: Any) -> None:
        self.tree.clear()
        last = None
        bold = self.font()
        bold.setBold(True)
        for path, text, keys in shortcut_rows(window):
            if path != last:
                head = QTreeWidgetItem([path, ""])
                head.setFont(0, bold)
                head.setFirstColumnSpanned(True)
                head.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.tree.addTopLevelItem(head)
                last = path
            self.tree.addTopLevelItem(QTreeWidgetItem(["    " + text, keys]))
        head = QTreeWidgetItem([self.tr("In the command palette"), ""])
        head.setFont(0, bold)
        self.tree.addTopLevelItem(head)
        for text, keys in ((self.tr("Choose"), "↑ / ↓"), (self.tr("Run the action, show the unit, incident or place"),
                                                              "Enter"), (self.tr("Close"), "Esc"),
                           (self.tr("Only actions / units / incidents / places"), "> / @ / # / !")):
            self.tree.addTopLevelItem(QTreeWidgetItem(["    " + text, keys]))
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.text(1) == "" and not item.text(0).startswith(" "):
                item.setFirstColumnSpanned(True)
