"""Keyboard-first: a shortcut for every menu action and dispatcher action (console/keyboard/actions.py), the
command palette (Ctrl+K, palette.py) and Help → Keyboard shortcuts (F1, sheet.py), generated from the actions.

`install(window)` goes last, after every part has added its actions: it adds its own, then checks the
whole window (no action without a shortcut in the menus, no shortcut used twice) and logs what it finds.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from PySide6.QtGui import QAction, QKeySequence

from console.keyboard.actions import Dispatcher
from console.keyboard.palette import menu_actions, open_palette, plain
from console.keyboard.sheet import ShortcutSheet

log = logging.getLogger(__name__)

SHEET_KEY = "F1"


def shortcut_clashes(window: Any) -> dict[str, list[str]]:
    """Shortcut -> the texts of the actions of `window` that share it (only those used more than once)."""
    by_key: dict[str, list[QAction]] = defaultdict(list)
    for a in window.findChildren(QAction):
        for k in a.shortcuts():
            if not k.isEmpty():
                by_key[k.toString(QKeySequence.SequenceFormat.PortableText)].append(a)
    return {k: [plain(a.text()) for a in acts] for k, acts in by_key.items() if len({id(a) for a in acts}) > 1}


def without_shortcut(window: Any) -> list[str]:
    """Menu actions nobody can reach from the keyboard."""
    return [f"{path} › {plain(a.text())}" for path, a in menu_actions(window) if a.shortcut().isEmpty()]


class Keyboard:
    def __init__(self, window: Any) -> None:
        self.window = window
        self.dispatcher = Dispatcher(window, lambda text: open_palette(window, text))
        self.sheet: ShortcutSheet | None = None
        self.sheet_action = QAction(window.tr("Keyboard shortcuts"), window)
        self.sheet_action.setObjectName("shortcutSheetAction")
        self.sheet_action.setShortcut(QKeySequence(SHEET_KEY))
        self.sheet_action.triggered.connect(self.show_sheet)
        help_menu = getattr(window, "help_menu", None)
        if help_menu is not None:
            first = help_menu.actions()[0] if help_menu.actions() else None
            help_menu.insertAction(first, self.sheet_action)
        else:
            window.addAction(self.sheet_action)

    def show_sheet(self) -> ShortcutSheet:
        if self.sheet is None:
            self.sheet = ShortcutSheet(self.window)
        else:
            self.sheet.fill(self.window)  # what the window has now
        self.sheet.show()
        self.sheet.raise_()
        return self.sheet


def install(window: Any) -> Keyboard:
    kb = Keyboard(window)
    window.keyboard = kb
    clashes = shortcut_clashes(window)
    for key, texts in clashes.items():
        log.warning("shortcut %s is given to %d actions: %s", key, len(texts), "; ".join(texts))
    for text in without_shortcut(window):
        log.warning("menu action without a shortcut: %s", text)
    return kb
