"""The video evidence dock: an incident's clips, the footage its place and time could have (cameras whose view
covered it, their clips of those minutes, attached with one click), and the player."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.evidence.player import ClipPlayer, clock_text
from console.incidents.common import run_op

CLIP_ROLE = Qt.ItemDataRole.UserRole


class EvidencePanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.incident = QLineEdit(self)
        self.incident.setPlaceholderText(self.tr("Incident number"))
        self.show_btn = QPushButton(self.tr("Clips"), self)
        self.find_btn = QPushButton(self.tr("Find footage"), self)
        self.attach_btn = QPushButton(self.tr("Attach to the incident"), self)
        self.camera = QComboBox(self)
        self.live_btn = QPushButton(self.tr("Live"), self)
        self.minutes = QDoubleSpinBox(self)
        self.minutes.setRange(0.01, 60.0)
        self.minutes.setValue(1.0)
        self.minutes.setSuffix(self.tr(" min"))
        self.record_btn = QPushButton(self.tr("Record"), self)
        self.clips = QListWidget(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.player = ClipPlayer(self)
        top = QHBoxLayout()
        top.addWidget(self.incident)
        top.addWidget(self.show_btn)
        top.addWidget(self.find_btn)
        left = QWidget(self)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(top)
        cams = QHBoxLayout()
        for w in (self.camera, self.live_btn, self.minutes, self.record_btn):
            cams.addWidget(w)
        ll.addLayout(cams)
        ll.addWidget(self.clips, 1)
        ll.addWidget(self.attach_btn)
        ll.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.player)
        split.setStretchFactor(1, 3)
        lay = QVBoxLayout(self)
        lay.addWidget(split)
        self.show_btn.clicked.connect(lambda: self.show_clips())
        self.incident.returnPressed.connect(lambda: self.show_clips())
        self.find_btn.clicked.connect(self.find_footage)
        self.attach_btn.clicked.connect(self.attach_selected)
        self.clips.currentItemChanged.connect(self._picked)
        self.player.message.connect(self.status.setText)
        self.attach_btn.setEnabled(False)
        self.live_btn.clicked.connect(self.show_live)
        self.record_btn.clicked.connect(self.record)

    def load_cameras(self) -> None:
        """Fill the camera list (those with a stream address)."""

        def done(cams: list[dict[str, Any]]) -> None:
            current = self.camera.currentData()
            self.camera.clear()
            for c in cams:
                if c.get("stream"):
                    self.camera.addItem(f"{c['id']} · {c.get('name') or ''}", c)
            i = self.camera.findText(str(current.get("id")) if current else "", Qt.MatchFlag.MatchStartsWith)
            if i >= 0:
                self.camera.setCurrentIndex(i)

        run_op(self, "cameras", {}, on_done=done, quiet=True)

    def show_live(self) -> None:
        cam = self.camera.currentData()
        if cam:
            self.player.play_stream(cam["stream"])

    def record(self) -> None:
        """Record the chosen camera's stream for the minutes given, as a clip of the incident."""
        cam = self.camera.currentData()
        if not cam:
            return
        self.record_btn.setEnabled(False)
        self.status.setText(self.tr("Recording %1…").replace("%1", cam["id"]))

        def done(r: dict[str, Any]) -> None:
            self.record_btn.setEnabled(True)
            self.status.setText(self.tr("Clip %1 recorded: %2 s, SHA-256 %3").replace("%1", str(r["id"]))
                                .replace("%2", f"{r['duration_s']:.1f}").replace("%3", r["sha256"]))
            self.show_clips(announce=False)

        def refused(text: str) -> None:
            self.record_btn.setEnabled(True)
            self.status.setText(text)

        run_op(self, "evidence.record", {"camera_id": cam["id"], "incident_id": self.incident.text().strip(),
                                         "minutes": self.minutes.value()}, on_done=done, on_refused=refused)

    def _fill(self, clips: list[dict[str, Any]], found: bool) -> None:
        self.clips.clear()
        for c in clips:
            mark = "" if not found else (self.tr(" (attached)") if c.get("attached") else self.tr(" (found)"))
            item = QListWidgetItem(f"{c['id']} · {c.get('camera_id') or '-'} · {clock_text(c['start'])} · "
                                   f"{c['duration_s']:.1f} s{mark}")
            item.setData(CLIP_ROLE, c)
            item.setToolTip(c["sha256"])
            self.clips.addItem(item)

    def show_clips(self, announce: bool = True) -> None:
        iid = self.incident.text().strip()

        def done(clips: list[dict[str, Any]]) -> None:
            self._fill(clips, False)
            if announce:
                self.status.setText(self.tr("%1 clip(s)").replace("%1", str(len(clips))))

        run_op(self, "evidence.list", {"incident_id": iid or None}, on_done=done, on_refused=self.status.setText)

    def find_footage(self) -> None:
        iid = self.incident.text().strip()

        def done(r: dict[str, Any]) -> None:
            clips = [dict(c, camera_id=s["camera"]["id"]) for s in r["cameras"] for c in s["clips"]]
            self._fill(clips, True)
            self.status.setText(self.tr("%1 camera(s) saw it; %2 clip(s) of those minutes")
                                .replace("%1", str(len(r["cameras"]))).replace("%2", str(len(clips))))

        run_op(self, "evidence.footage", {"incident_id": iid}, on_done=done, on_refused=self.status.setText)

    def _picked(self, item: QListWidgetItem | None, _prev: Any = None) -> None:
        clip = item.data(CLIP_ROLE) if item is not None else None
        self.attach_btn.setEnabled(bool(clip) and not clip.get("attached", True))
        if clip:
            self.player.load(clip)

    def attach_selected(self) -> None:
        item = self.clips.currentItem()
        clip = item.data(CLIP_ROLE) if item is not None else None
        if not clip:
            return

        def done(r: dict[str, Any]) -> None:
            self.status.setText(self.tr("Clip %1 attached").replace("%1", str(r["id"])))
            self.find_footage()

        run_op(self, "evidence.attach", {"clip_id": clip["id"], "incident_id": self.incident.text().strip()},
               on_done=done, on_refused=self.status.setText)
