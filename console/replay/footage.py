"""The replay's footage: the clips of the cameras that saw an incident's place around the replayed time
(the core's evidence.footage), each in a player locked to the replay clock: when the replay plays, pauses,
seeks or changes speed, every open clip follows; a clip that does not cover the moment says so."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.evidence.player import ClipPlayer, clock_text
from console.incidents.common import run_op

CLIP_ROLE = Qt.ItemDataRole.UserRole
MAX_OPEN = 4  # players shown at once (2x2)
AROUND_MIN = 30.0  # clips within this many minutes of the replayed time


class ReplayFootage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clock: tuple[float, bool, float] = (0.0, False, 1.0)
        self.players: dict[int, ClipPlayer] = {}
        self.incident = QLineEdit(self)
        self.incident.setPlaceholderText(self.tr("Incident number"))
        self.find_btn = QPushButton(self.tr("Find footage"), self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.clips = QListWidget(self)
        self.clips.setMaximumHeight(110)
        self.grid_box = QWidget(self)
        self.grid = QGridLayout(self.grid_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.incident, 1)
        top.addWidget(self.find_btn)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.clips)
        lay.addWidget(self.status)
        lay.addWidget(self.grid_box, 1)
        self.find_btn.clicked.connect(self.find)
        self.incident.returnPressed.connect(self.find)
        self.clips.itemChanged.connect(self._checked)

    # ------------------------------------------------------------------ finding
    def find(self) -> None:
        """The footage of the incident's place around the replayed time."""
        from console.operations import has_core

        if not has_core():
            self.status.setText(self.tr("Footage is found in the console's store: open the replay from the console."))
            return
        iid = self.incident.text().strip().lstrip("#")
        if not iid:
            self.status.setText(self.tr("Give an incident number (or click one in Incidents)."))
            return

        def done(r: dict[str, Any]) -> None:
            clips = [dict(c, camera_id=s["camera"]["id"], camera_name=s["camera"].get("name") or "")
                     for s in r["cameras"] for c in s["clips"]]
            self.show_found(clips)
            self.status.setText(self.tr("%1 camera(s) saw it; %2 clip(s) within %3 minutes of %4")
                                .replace("%1", str(len(r["cameras"]))).replace("%2", str(len(clips)))
                                .replace("%3", f"{AROUND_MIN:g}").replace("%4", clock_text(r["time"])[11:19]))

        run_op(self, "evidence.footage", {"incident_id": iid, "at": self.clock[0], "minutes": AROUND_MIN},
               on_done=done, on_refused=self.status.setText)

    def show_found(self, clips: list[dict[str, Any]]) -> None:
        """List the clips; the first MAX_OPEN are opened, each following the replay clock."""
        self.clips.blockSignals(True)
        self.clips.clear()
        for i, c in enumerate(clips):
            item = QListWidgetItem(f"{c['id']} · {c.get('camera_id') or '-'} · {clock_text(c['start'])[11:19]}–"
                                   f"{clock_text(c['end'])[11:19]}")
            item.setData(CLIP_ROLE, c)
            item.setToolTip(c["sha256"])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if i < MAX_OPEN else Qt.CheckState.Unchecked)
            self.clips.addItem(item)
        self.clips.blockSignals(False)
        for cid in list(self.players):
            self.close_clip(cid)
        for c in clips[:MAX_OPEN]:
            self.open_clip(c)

    def _checked(self, item: QListWidgetItem) -> None:
        clip = item.data(CLIP_ROLE)
        if item.checkState() == Qt.CheckState.Checked:
            if len(self.players) >= MAX_OPEN:
                self.status.setText(self.tr("At most %1 clips play at once.").replace("%1", str(MAX_OPEN)))
                self.clips.blockSignals(True)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.clips.blockSignals(False)
                return
            self.open_clip(clip)
        else:
            self.close_clip(int(clip["id"]))

    # ------------------------------------------------------------------ players
    def open_clip(self, clip: dict[str, Any]) -> ClipPlayer:
        cid = int(clip["id"])
        if cid in self.players:
            return self.players[cid]
        p = ClipPlayer(self.grid_box)
        p.load(clip)
        p.info.setText(f"{clip.get('camera_id') or '-'} {clip.get('camera_name') or ''} · "
                       + self.tr("clip %1").replace("%1", str(cid)))
        self.players[cid] = p
        self._layout()
        p.follow(*self.clock)
        return p

    def close_clip(self, cid: int) -> None:
        p = self.players.pop(cid, None)
        if p is not None:
            p.close_media()
            self.grid.removeWidget(p)
            p.deleteLater()
            self._layout()

    def _layout(self) -> None:
        for i, p in enumerate(self.players.values()):
            self.grid.addWidget(p, i // 2, i % 2)

    def follow(self, t: float, playing: bool, speed: float) -> None:
        """The replay clock moved, started, stopped or changed speed: every open clip follows."""
        self.clock = (t, playing, speed)
        for p in self.players.values():
            p.follow(t, playing, speed)

    def close_all(self) -> None:
        for cid in list(self.players):
            self.close_clip(cid)
