"""The clip player: Qt Multimedia (QMediaPlayer, its FFmpeg backend) in a QVideoWidget, with frame stepping
and a frame grab that keeps the frame shown as a still (the core's evidence.frame, decoded by PyAV from the
stored clip, so the still is the stored file's frame, not a screen capture).

The position shown is the clip's own time: its recorded start plus the player's position. ``follow(t, playing,
speed)`` locks the player to an outside clock (the replay's): the frame of instant t, played at the clock's speed,
or "no footage at HH:MM:SS" when the clip does not cover t.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QStackedWidget, QVBoxLayout, QWidget

from console.incidents.common import run_op

log = logging.getLogger(__name__)


def clock_text(ts: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


MAX_PLAY_RATE = 8.0  # above it a followed clip is not played but shown frame by frame at the clock's ticks
DRIFT_S = 0.4  # a clip played along a clock is put back on it when it strays further (times the speed)


class ClipPlayer(QWidget):
    still_taken = Signal(dict)  # the evidence.frame result
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clip: dict[str, Any] | None = None
        self.player = QMediaPlayer(self)
        self.video = QVideoWidget(self)
        self.video.setMinimumSize(320, 180)
        self.player.setVideoOutput(self.video)
        self.gap = QLabel(self)  # "no footage at ..." when following a clock outside the clip
        self.gap.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.gap.setObjectName("noFootage")
        self.gap.setStyleSheet("background:#202020; color:#e0e0e0; font-size:16px")
        self.screen = QStackedWidget(self)
        self.screen.addWidget(self.video)
        self.screen.addWidget(self.gap)
        self.play_btn = QPushButton(self.tr("Play"), self)
        self.back_btn = QPushButton(self.tr("◀ Frame"), self)
        self.next_btn = QPushButton(self.tr("Frame ▶"), self)
        self.grab_btn = QPushButton(self.tr("Grab frame"), self)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.time_label = QLabel(self)
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        bar = QHBoxLayout()
        for w in (self.play_btn, self.back_btn, self.next_btn, self.grab_btn):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.time_label)
        lay = QVBoxLayout(self)
        lay.addWidget(self.screen, 1)
        lay.addWidget(self.slider)  # a line of its own: still usable in a narrow cell of the replay's footage
        lay.addLayout(bar)
        lay.addWidget(self.info)
        self.play_btn.clicked.connect(self.toggle)
        self.back_btn.clicked.connect(lambda: self.step(-1))
        self.next_btn.clicked.connect(lambda: self.step(1))
        self.grab_btn.clicked.connect(self.grab)
        self.slider.sliderMoved.connect(self.player.setPosition)
        self.player.durationChanged.connect(lambda d: self.slider.setRange(0, int(d)))
        self.player.positionChanged.connect(self._moved)
        self.player.errorOccurred.connect(self._error)
        self.live: str | None = None  # the stream address when showing a camera live
        self.following: tuple[float, bool, float] | None = None  # the outside clock last followed
        self.player.mediaStatusChanged.connect(self._status)
        self._enable(False)

    def _status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.LoadedMedia and self.following is not None:
            self.follow(*self.following)  # a seek asked before the clip was loaded is done now

    def _error(self, _error: Any, text: str) -> None:
        if self.live:  # a live stream that drops: say so and try again
            self.message.emit(self.tr("Stream lost (%1), reconnecting…").replace("%1", text))
            from PySide6.QtCore import QTimer

            address = self.live
            QTimer.singleShot(2000, lambda: self.live == address and self.play_stream(address))
        else:
            self.message.emit(self.tr("Cannot play: %1").replace("%1", text))

    def play_stream(self, address: str) -> None:
        """Show a camera's stream live (rtsp/http/file address); no frame grab from a live view."""
        self.clip, self.live = None, address
        self.player.stop()
        self.screen.setCurrentWidget(self.video)
        self.player.setSource(QUrl())  # a reconnection: the same address again would be ignored
        self.player.setSource(QUrl(address))
        self._enable(True)
        self.grab_btn.setEnabled(False)
        self.info.setText(self.tr("Live: %1").replace("%1", address))
        self.player.play()
        self.play_btn.setText(self.tr("Pause"))

    def _enable(self, on: bool) -> None:
        for w in (self.play_btn, self.back_btn, self.next_btn, self.grab_btn, self.slider):
            w.setEnabled(on)

    # ------------------------------------------------------------- playing
    def load(self, clip: dict[str, Any]) -> None:
        """Play a stored clip (an evidence.list/show item: its path, start, media)."""
        self.clip, self.live, self.following = clip, None, None
        self.player.stop()
        self.screen.setCurrentWidget(self.video)
        self.info.setText(self.tr("Clip %1 · %2 · SHA-256 %3").replace("%1", str(clip["id"]))
                          .replace("%2", str(clip.get("name") or "")).replace("%3", str(clip["sha256"])))
        from console.operations import is_remote

        if not is_remote():
            self._open_file(clip, str(clip["path"]))
            return
        # a seat attached to a hub: the file is beside the hub's store; a checked copy is played here
        from console.evidence.fetch import fetch_copy

        self.player.setSource(QUrl())
        self._enable(False)

        def progress(got: int, total: int) -> None:
            if self.clip is clip:
                self.time_label.setText(self.tr("Fetching from the hub: %1 %").replace(
                    "%1", str(int(got * 100 / max(1, total)))))

        def failed(why: str) -> None:
            if self.clip is clip:
                self.time_label.clear()
                self.message.emit(why)

        fetch_copy(self, str(clip["sha256"]), on_ready=lambda path: self._open_file(clip, str(path)),
                   on_progress=progress, on_failed=failed)

    def _open_file(self, clip: dict[str, Any], path: str) -> None:
        if self.clip is not clip:
            return  # another clip was picked while this one was fetched
        self.player.setSource(QUrl.fromLocalFile(path))
        self._enable(True)
        self._moved(0)

    def frame_ms(self) -> float:
        fps = (self.clip or {}).get("media", {}).get("fps") or 25.0
        return 1000.0 / float(fps)

    def toggle(self) -> None:
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
            self.play_btn.setText(self.tr("Play"))
        else:
            self.player.play()
            self.play_btn.setText(self.tr("Pause"))

    def step(self, frames: int) -> None:
        """Pause and move by whole frames."""
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.toggle()
        frame = round(self.player.position() / self.frame_ms())
        self.seek_ms(max(0, (frame + frames) * self.frame_ms()))

    def seek_ms(self, ms: float) -> None:
        self.player.setPosition(int(round(ms)))

    def seek_time(self, ts: float) -> None:
        """Show the clip's frame of instant `ts` (epoch seconds), e.g. following the replay clock."""
        if self.clip is not None:
            self.seek_ms(max(0.0, min(ts - float(self.clip["start"]), float(self.clip["duration_s"]))) * 1000.0)

    def covers(self, ts: float) -> bool:
        return self.clip is not None and float(self.clip["start"]) <= ts <= float(self.clip["end"])

    def follow(self, ts: float, playing: bool, speed: float) -> None:
        """Follow an outside clock at instant `ts`: playing at `speed` (up to MAX_PLAY_RATE; faster, the frame of
        each instant is shown), or paused on the frame of `ts`; outside the clip, "no footage at HH:MM:SS"."""
        if self.clip is None:
            return
        self.following = (ts, playing, speed)
        state = self.player.playbackState()
        if not self.covers(ts):
            if state == QMediaPlayer.PlaybackState.PlayingState:
                self.player.pause()
            from datetime import datetime

            self.gap.setText(self.tr("no footage at %1").replace(
                "%1", datetime.fromtimestamp(ts).astimezone().strftime("%H:%M:%S")))
            self.screen.setCurrentWidget(self.gap)
            self.play_btn.setText(self.tr("Play"))
            return
        self.screen.setCurrentWidget(self.video)
        want_ms = (ts - float(self.clip["start"])) * 1000.0
        if playing and speed <= MAX_PLAY_RATE:
            if self.player.playbackRate() != float(speed):
                self.player.setPlaybackRate(float(speed))
            if state != QMediaPlayer.PlaybackState.PlayingState:
                self.seek_ms(want_ms)
                self.player.play()
                self.play_btn.setText(self.tr("Pause"))
            elif abs(self.player.position() - want_ms) > DRIFT_S * 1000.0 * max(1.0, speed):
                self.seek_ms(want_ms)
            return
        if abs(self.player.position() - want_ms) >= 1.0:
            self.seek_ms(want_ms)
        if state != QMediaPlayer.PlaybackState.PausedState:
            self.player.pause()  # paused (not stopped) shows the frame of the position
            self.play_btn.setText(self.tr("Play"))

    def instant(self) -> float | None:
        """The instant the player shows: the clip's start plus its position."""
        if self.clip is None:
            return None
        return float(self.clip["start"]) + self.player.position() / 1000.0

    def _moved(self, ms: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(int(ms))
        t = self.instant()
        self.time_label.setText("" if t is None else clock_text(t))

    # ------------------------------------------------------------- the frame grab
    def grab(self) -> None:
        t = self.instant()
        if self.clip is None or t is None:
            return
        self.grab_btn.setEnabled(False)

        def done(r: dict[str, Any]) -> None:
            self.grab_btn.setEnabled(True)
            self.message.emit(self.tr("Still %1 kept: offset %2 s, SHA-256 %3").replace("%1", str(r["id"]))
                              .replace("%2", f"{r['offset_s']:.3f}").replace("%3", r["sha256"]))
            self.still_taken.emit(r)

        def refused(text: str) -> None:
            self.grab_btn.setEnabled(True)
            self.message.emit(text)

        run_op(self, "evidence.frame", {"clip_id": self.clip["id"], "at": round(t, 6)}, on_done=done,
               on_refused=refused)

    def close_media(self) -> None:
        self.live = None
        self.player.stop()
        self.player.setSource(QUrl())
