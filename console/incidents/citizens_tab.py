"""The incident's "Citizens" tab: what the citizens who reported it see, and the dispatcher's public note.

The dispatcher types a note and presses Preview: the tab shows every citizen request following the incident
exactly as the Open311 endpoint and the citizen page will show it (operation ``citizens.preview``; nothing is
stored). Publish records it (``citizens.public_note``) and it goes out to all of them.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from console.incidents.common import run_op


class CitizensTab(QWidget):
    status_message = Signal(str)
    follow_ups = Signal(int)  # how many follow-ups citizens sent through a client on the incident shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.incident_id: int | None = None
        self.last: dict[str, Any] | None = None
        self.note = QLineEdit(self)
        self.note.setObjectName("public_note")
        self.note.setPlaceholderText(self.tr("Public note to the citizens who reported this (they will see it)"))
        self.lang = QComboBox(self)
        self.lang.addItem("中文", "zh_CN")
        self.lang.addItem("English", "en")
        self.preview_button = QPushButton(self.tr("Preview"), self)
        self.publish_button = QPushButton(self.tr("Publish"), self)
        self.state = QLabel(self)
        self.view = QTextBrowser(self)
        self.view.setObjectName("citizen_view")
        self.preview_button.clicked.connect(self.preview)
        self.publish_button.clicked.connect(self.publish)
        self.lang.currentIndexChanged.connect(lambda _i: self.refresh())
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.lang)
        row.addWidget(self.preview_button)
        row.addWidget(self.publish_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addLayout(row)
        lay.addWidget(self.state)
        lay.addWidget(self.view, 1)

    def show_incident(self, incident_id: int | None) -> None:
        if incident_id != self.incident_id:
            self.note.clear()
        self.incident_id = incident_id
        self.refresh()

    def refresh(self) -> None:
        if self.incident_id is None:
            return
        self._ask(None)

    def preview(self) -> None:
        if self.incident_id is not None and self.note.text().strip():
            self._ask(self.note.text().strip())

    def _ask(self, note: str | None) -> None:
        iid = self.incident_id
        run_op(self, "citizens.preview", {"incident_id": iid, "note": note, "lang": self.lang.currentData()},
               on_done=lambda r: self._show(r, preview=note is not None) if r["incident_id"] == self.incident_id else None,
               on_refused=self.state.setText, quiet=True)

    def publish(self) -> None:
        text = self.note.text().strip()
        if self.incident_id is None or not text:
            return
        run_op(self, "citizens.public_note", {"incident_id": self.incident_id, "text": text},
               on_done=self._published, on_refused=self.state.setText)

    def _published(self, r: dict[str, Any]) -> None:
        self.note.clear()
        self.status_message.emit(self.tr("Public note sent to %1 citizen(s)").replace("%1", str(r["citizens"])))
        self.refresh()

    def _status_word(self, status: str) -> str:
        """The status a citizen's client sent with a follow-up, in words (FixMyStreet's; others as sent)."""
        words = {"open": self.tr("says it is still open"), "reopen": self.tr("asks to reopen"),
                 "fixed": self.tr("says it is fixed"), "closed": self.tr("says it is closed"),
                 "in_progress": self.tr("in progress"), "action_scheduled": self.tr("action scheduled")}
        return words.get(status, status)

    def _show(self, r: dict[str, Any], preview: bool) -> None:
        self.last = r
        n = r["citizens"]
        self.publish_button.setEnabled(n > 0)
        if n == 0:
            self.state.setText(self.tr("No citizen request follows this incident: a public note would reach nobody"))
        elif preview:
            self.state.setText(self.tr("Preview, not sent: what %1 citizen(s) will see").replace("%1", str(n)))
        else:
            self.state.setText(self.tr("What %1 citizen(s) see now").replace("%1", str(n)))
        parts = []
        for q in r["requests"]:
            e = html.escape
            parts.append(f"<h3>#{e(q['service_request_id'])} · {e(q['status'])} · {e(q['service_name'])}</h3>"
                         f"<p><b>{e(q['status_notes'] or '')}</b></p><ul>")
            parts += [f"<li>{e(x['datetime'][:16].replace('T', ' '))} — {e(x['description'])}</li>"
                      for x in q.get("notes") or []]
            parts.append("</ul>")
        comments = r.get("comments") or []
        self.follow_ups.emit(len(comments))
        if comments:  # what citizens added through a client (FixMyStreet): for the dispatcher, not published
            e = html.escape
            title = self.tr("Follow-ups from citizens (%1): for the dispatcher, not shown to citizens")
            parts.append(f"<h3>{e(title.replace('%1', str(len(comments))))}</h3><ul>")
            for c in comments:
                said = f" · {e(self._status_word(c['status']))}" if c.get("status") else ""
                photos = self.tr("%1 photo(s) attached").replace("%1", str(c["photos"])) if c.get("photos") else ""
                photos = f" · {e(photos)}" if photos else ""
                who = e(c.get("reporter") or self.tr("a citizen"))
                parts.append(f"<li>{e(c['datetime'][:16].replace('T', ' '))} — #{e(c['service_request_id'])} {who}"
                             f"{said}{photos}: {e(c['description'])}</li>")
            parts.append("</ul>")
        self.view.setHtml("".join(parts))
