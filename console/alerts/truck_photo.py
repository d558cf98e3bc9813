"""The truck card's camera: the newest photo the truck's JT/T 808 terminal uploaded (click: full size) and a button
that has its camera take one now (`jt808.take_photo`). The photo comes from the file kept beside the store, or at
a seat attached to a hub from a copy fetched through it and checked against its SHA-256 (console/evidence/fetch.py).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent, QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from console import theme
from console.evidence.fetch import local_file
from console.incidents.common import clock_text, run_op

THUMB_W, THUMB_H = 240, 180
EVENTS = {"platform_command": "asked from the console", "timed": "on its timer", "robbery_alarm": "robbery alarm",
          "collision_rollover_alarm": "collision or rollover alarm", "door_opened": "door opened",
          "door_closed": "door closed", "door_closed_over_20_kmh": "door closed, over 20 km/h",
          "fixed_distance": "every so many metres"}


class _Thumb(QLabel):
    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class TruckPhoto(QWidget):
    """The newest photo of the selected truck and the button that asks for one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("truckPhoto")
        self.unit_id: str | None = None
        self.photo: dict[str, Any] | None = None
        self.pixmap: QPixmap | None = None
        self.thumb = _Thumb(self)
        self.thumb.setObjectName("truckPhotoThumb")
        self.thumb.setFixedSize(THUMB_W, THUMB_H)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setStyleSheet("border:1px solid palette(mid)")
        self.thumb.setCursor(Qt.CursorShape.PointingHandCursor)
        self.thumb.clicked.connect(self.open_full)
        self.caption = QLabel("", self)
        self.caption.setObjectName("truckPhotoCaption")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.take = QPushButton(self.tr("Take a photo now"), self)
        self.take.setObjectName("truckTakePhoto")
        self.take.setToolTip(self.tr("The truck's camera 1 takes a photo and uploads it (JT/T 808 0x8801)"))
        self.take.clicked.connect(self.take_photo)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        theme.tone(self.message, "muted")
        side = QVBoxLayout()
        side.addWidget(self.caption)
        button = QHBoxLayout()
        button.addWidget(self.take)
        button.addStretch(1)
        side.addLayout(button)
        side.addWidget(self.message)
        side.addStretch(1)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.thumb)
        lay.addLayout(side, 1)
        self.dialog: QDialog | None = None
        self.set_card(None)

    def set_card(self, card: dict[str, Any] | None) -> None:
        """Show the card's truck: its newest photo (fetched when it changed) and whether it can be asked for one."""
        uid = card["unit_id"] if card else None
        if uid != self.unit_id:
            self.message.setText("")
        self.unit_id = uid
        self.take.setEnabled(bool(card and card.get("terminal")))
        photo = (card or {}).get("photo")
        self.setVisible(bool(card and (card.get("terminal") or photo)))  # no camera, no photo: no room taken
        if photo is None:
            self.photo, self.pixmap = None, None
            self.thumb.setPixmap(QPixmap())
            self.thumb.setText(self.tr("No photo from this truck's cameras") if card and card.get("terminal")
                               else self.tr("No camera terminal"))
            self.caption.setText("")
            return
        if self.photo is not None and self.photo.get("sha256") == photo["sha256"] and self.pixmap is not None:
            self.photo = photo
            self._caption()
            return
        self.photo = photo
        self._caption()
        self.thumb.setText(self.tr("Loading the photo…"))
        local_file(self, str(photo["sha256"]), photo.get("path"), on_ready=lambda path: self._show(photo, str(path)),
                   on_failed=self.message.setText)

    def _caption(self) -> None:
        p = self.photo or {}
        esc = html.escape
        when = clock_text(p["time"], with_date=True) if p.get("time") else clock_text(p.get("ts") or 0, with_date=True)
        why = self.tr(EVENTS.get(str(p.get("event")), str(p.get("event"))))
        where = f"{p['lat']:.5f}, {p['lon']:.5f}" if p.get("lat") is not None else self.tr("no position fix")
        self.caption.setText(
            f"<b>{esc(self.tr('Latest photo'))}</b><br>{esc(when)}<br>"
            f"{esc(self.tr('Camera %1').replace('%1', str(p.get('channel'))))} · {esc(why)}<br>{esc(where)}<br>"
            f"SHA-256 {esc(str(p.get('sha256'))[:16])}…")

    def _show(self, photo: dict[str, Any], path: str) -> None:
        if self.photo is None or self.photo.get("sha256") != photo["sha256"]:
            return  # another truck or a newer photo meanwhile
        pm = QPixmap(path)
        if pm.isNull():
            self.pixmap = None
            self.thumb.setText(self.tr("The photo cannot be shown (not an image this console reads)"))
            return
        self.pixmap = pm
        self.thumb.setPixmap(pm.scaled(THUMB_W - 2, THUMB_H - 2, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation))

    def open_full(self) -> None:
        if self.pixmap is None or self.photo is None:
            return
        d = QDialog(self)
        d.setObjectName("truckPhotoDialog")
        d.setWindowTitle(self.tr("Photo from %1").replace("%1", str(self.unit_id)))
        view = QLabel(d)
        view.setPixmap(self.pixmap)
        scroll = QScrollArea(d)
        scroll.setWidget(view)
        p = self.photo
        info = QLabel(self.caption.text().split("SHA-256")[0] + html.escape(
            f"{p.get('name', '')} · {p.get('size', 0)} B · SHA-256 {p.get('sha256')}"), d)
        info.setTextFormat(Qt.TextFormat.RichText)
        info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(d)
        lay.addWidget(scroll, 1)
        lay.addWidget(info)
        d.resize(min(1200, self.pixmap.width() + 40), min(900, self.pixmap.height() + 140))
        self.dialog = d
        d.open()

    def take_photo(self) -> None:
        uid = self.unit_id
        if uid is None:
            return

        def done(r: dict[str, Any]) -> None:
            if r.get("connected"):
                self.message.setText(self.tr("Asked the truck's camera for a photo: it shows here once uploaded"))
            else:
                self.message.setText(self.tr("The terminal is offline: asked for if it comes back within 2 minutes"))

        run_op(self, "jt808.take_photo", {"unit_id": uid, "channel": 1, "photos": 1}, on_done=done,
               on_refused=self.message.setText)
