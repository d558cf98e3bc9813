"""Address search in the incident form: what the dispatcher types (柳江第5段, "wenhui bridge", "whq") is
looked up in the gazetteer by the core (`places.search`, off the GUI thread) and offered in a popup under
the field; choosing a match gives the form its location. Typing coordinates stays possible.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLineEdit

from console.incidents.common import run_op
from console.places import place_text

PLACE_ROLE = Qt.ItemDataRole.UserRole + 1
DEBOUNCE_MS = 180  # one search per pause in typing, not one per key
LIMIT = 8


class AddressSearch(QObject):
    """Gazetteer matches for a QLineEdit, in a completer popup it opens itself when the core answers."""

    place_chosen = Signal(dict)  # {id, name, name_en, kind, lat, lon, ...} as places.search returns it
    results_shown = Signal(int)  # how many matches the popup offers

    def __init__(self, edit: QLineEdit) -> None:
        super().__init__(edit)
        self.edit = edit
        self.model = QStandardItemModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setMaxVisibleItems(LIMIT)
        self.completer.popup().setMinimumWidth(460)  # "Wenhui Bridge and approaches · 文惠桥及引道 (Road)" in full
        self.completer.setWidget(edit)  # not setCompleter: the core ranks, the completer only shows
        self.completer.activated[QModelIndex].connect(self._activated)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.search)
        self.places: list[dict[str, Any]] = []
        self._asked = 0  # bumps per search: a late answer to an older query is dropped
        self._chosen_text: str | None = None
        edit.textEdited.connect(self._edited)

    def _edited(self, text: str) -> None:
        if text.strip() and text != self._chosen_text:
            self.timer.start()
        else:
            self.timer.stop()
            self.completer.popup().hide()

    def search(self, text: str | None = None) -> None:
        q = (self.edit.text() if text is None else text).strip()
        if not q:
            return
        self._asked += 1
        ticket = self._asked
        run_op(self.edit, "places.search", {"q": q[:200], "limit": LIMIT},
               on_done=lambda rows: self._show(ticket, rows), quiet=True)

    def _show(self, ticket: int, rows: list[dict[str, Any]]) -> None:
        if ticket != self._asked:
            return
        self.places = list(rows)
        self.model.clear()
        for p in rows:
            item = QStandardItem(place_text(p))
            item.setData(p, PLACE_ROLE)
            item.setToolTip(f"{p['lat']:.6f}, {p['lon']:.6f}")
            self.model.appendRow(item)
        self.results_shown.emit(len(rows))
        if rows and self.edit.hasFocus():
            self.completer.complete()
        else:
            self.completer.popup().hide()

    def choose(self, row: int) -> None:
        """Take the match at `row` (what Enter or a click in the popup does)."""
        self._activated(self.model.index(row, 0))

    def _activated(self, index: QModelIndex) -> None:
        p = index.data(PLACE_ROLE) if index.isValid() else None
        if not p:
            return
        self.completer.popup().hide()
        self._chosen_text = str(p.get("name") or "")
        self.edit.setText(self._chosen_text)
        self.place_chosen.emit(dict(p))
