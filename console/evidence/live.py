"""Several cameras live at once: a grid (2x2 or 3x3) of cells, each with its camera's name, its own player
(Qt Multimedia) and its own reconnection: a stream that drops or never answers says so in its cell and is tried
again there, the other cells playing on."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.incidents.common import run_op

log = logging.getLogger(__name__)

GRIDS = (2, 3)  # 2x2, 3x3
RETRY_MS = 2000


class LiveCell(QFrame):
    """One camera live: its name above, the picture, a line saying whether it plays or is reconnecting."""

    state_changed = Signal(str)  # "playing" | "reconnecting" | "idle"

    def __init__(self, parent: QWidget | None = None, retry_ms: int = RETRY_MS) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.retry_ms = retry_ms
        self.camera: dict[str, Any] | None = None
        self.attempts = 0
        self.state = "idle"
        self.title = QLabel(self)
        self.title.setObjectName("liveCellTitle")
        self.title.setStyleSheet("font-weight: bold")
        self.note = QLabel(self)
        self.note.setObjectName("liveCellNote")
        self.note.setWordWrap(True)
        self.player = QMediaPlayer(self)
        self.video = QVideoWidget(self)
        self.video.setMinimumSize(160, 90)
        self.player.setVideoOutput(self.video)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.title)
        lay.addWidget(self.video, 1)
        lay.addWidget(self.note)
        self.retry = QTimer(self)
        self.retry.setSingleShot(True)
        self.retry.timeout.connect(self._connect)
        self.player.errorOccurred.connect(lambda _e, text: self._lost(text))
        self.player.mediaStatusChanged.connect(self._status)
        self.player.positionChanged.connect(self._moving)

    def show_camera(self, cam: dict[str, Any] | None) -> None:
        self.stop()
        self.camera = cam
        self.attempts = 0
        if cam is None:
            self.title.setText(self.tr("(no camera)"))
            self.note.clear()
            return
        self.title.setText(f"{cam.get('name') or cam['id']} · {cam['id']}")
        self._connect()

    def _connect(self) -> None:
        if self.camera is None:
            return
        self.attempts += 1
        self.player.stop()
        self.player.setSource(QUrl())  # the same address again would be ignored: cleared first, then loaded anew
        self.player.setSource(QUrl(self.camera["stream"]))
        self.player.play()
        if self.attempts == 1:
            self.note.setText(self.tr("Connecting…"))

    def _moving(self, ms: int) -> None:
        if ms > 0 and self.state != "playing" and self.camera is not None:
            self._set("playing")
            self.note.setText(self.tr("Live"))

    def _status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.EndOfMedia and self.camera is not None:
            self._lost(self.tr("the stream ended"))

    def _lost(self, why: str) -> None:
        if self.camera is None or self.retry.isActive():
            return
        self._set("reconnecting")
        self.note.setText(self.tr("Stream lost (%1), reconnecting… (attempt %2)").replace("%1", why or "?")
                          .replace("%2", str(self.attempts + 1)))
        self.retry.start(self.retry_ms)

    def _set(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def suspend(self) -> None:
        """Out of sight: the stream is closed, the camera kept for `resume`."""
        self.stop()
        self.note.clear()

    def resume(self) -> None:
        if self.camera is not None and self.state == "idle":
            self.attempts = 0
            self._connect()

    def stop(self) -> None:
        self.retry.stop()
        self.player.stop()
        self.player.setSource(QUrl())
        self._set("idle")


class LiveGrid(QWidget):
    """Cameras live in a grid; each cell picks its camera."""

    def __init__(self, parent: QWidget | None = None, retry_ms: int = RETRY_MS) -> None:
        super().__init__(parent)
        self.retry_ms = retry_ms
        self.cameras: list[dict[str, Any]] = []
        self.cells: list[LiveCell] = []
        self.pickers: list[QComboBox] = []
        self.size_box = QComboBox(self)
        for n in GRIDS:
            self.size_box.addItem(f"{n}×{n}", n)
        self.fill_btn = QPushButton(self.tr("Show all cameras"), self)
        self.stop_btn = QPushButton(self.tr("Stop all"), self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Grid"), self))
        bar.addWidget(self.size_box)
        bar.addWidget(self.fill_btn)
        bar.addWidget(self.stop_btn)
        bar.addStretch(1)
        self.grid_box = QWidget(self)
        self.grid = QGridLayout(self.grid_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(4)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.grid_box, 1)
        self.size_box.currentIndexChanged.connect(lambda _i: self.set_size(int(self.size_box.currentData())))
        self.fill_btn.clicked.connect(self.show_all)
        self.stop_btn.clicked.connect(self.stop_all)
        self.set_size(GRIDS[0])

    def load(self) -> None:
        run_op(self, "cameras", {}, on_done=self.set_cameras, quiet=True)

    def set_cameras(self, cams: list[dict[str, Any]]) -> None:
        self.cameras = [c for c in cams if c.get("stream")]
        for picker in self.pickers:
            self._fill_picker(picker)

    def _fill_picker(self, picker: QComboBox) -> None:
        current = picker.currentData()
        picker.blockSignals(True)
        picker.clear()
        picker.addItem(self.tr("(no camera)"), None)
        for c in self.cameras:
            picker.addItem(f"{c['id']} · {c.get('name') or ''}", c["id"])
        i = picker.findData(current)
        picker.setCurrentIndex(max(0, i))
        picker.blockSignals(False)

    def set_size(self, n: int) -> None:
        """n x n cells; the cameras shown in the first cells stay."""
        shown = [c.camera for c in self.cells]
        for cell in self.cells:
            cell.stop()
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.cells, self.pickers = [], []
        for i in range(n * n):
            box = QWidget(self.grid_box)
            bl = QVBoxLayout(box)
            bl.setContentsMargins(0, 0, 0, 0)
            picker = QComboBox(box)
            cell = LiveCell(box, retry_ms=self.retry_ms)
            bl.addWidget(picker)
            bl.addWidget(cell, 1)
            self._fill_picker(picker)
            picker.currentIndexChanged.connect(lambda _i, k=i: self._picked(k))
            self.cells.append(cell)
            self.pickers.append(picker)
            self.grid.addWidget(box, i // n, i % n)
            cam = shown[i] if i < len(shown) else None
            if cam is not None:
                self.show_in(i, cam["id"])
            else:
                cell.show_camera(None)
        i = self.size_box.findData(n)
        if i != self.size_box.currentIndex():
            self.size_box.blockSignals(True)
            self.size_box.setCurrentIndex(i)
            self.size_box.blockSignals(False)

    def show_in(self, index: int, camera_id: str | None) -> None:
        """Cell `index` shows camera `camera_id` (None: nothing)."""
        picker = self.pickers[index]
        i = picker.findData(camera_id)
        picker.blockSignals(True)
        picker.setCurrentIndex(max(0, i))
        picker.blockSignals(False)
        self._picked(index)

    def _picked(self, index: int) -> None:
        cid = self.pickers[index].currentData()
        cam = next((c for c in self.cameras if c["id"] == cid), None)
        self.cells[index].show_camera(cam)

    def show_all(self) -> None:
        for i in range(len(self.cells)):
            self.show_in(i, self.cameras[i]["id"] if i < len(self.cameras) else None)

    def suspend(self) -> None:
        """The dock is hidden: no stream is kept open for nobody (the cameras chosen stay)."""
        for cell in self.cells:
            cell.suspend()

    def resume(self) -> None:
        for cell in self.cells:
            cell.resume()

    def stop_all(self) -> None:
        for i in range(len(self.cells)):
            self.show_in(i, None)
