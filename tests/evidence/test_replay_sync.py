"""Footage locked to the replay clock (offscreen, a real clip made with PyAV whose frames encode their own number):
the replay window finds the clips of the cameras that saw an incident's place, and each open clip shows the frame
of the replayed instant when the replay seeks, plays along when it plays (at its speed), stops when it pauses, and
says "no footage at HH:MM:SS" outside the clip."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from PySide6.QtMultimedia import QMediaPlayer

from console import operations
from console.replay.window import ReplayWindow
from dispatch import ops
from dispatch.record.replay import Recording
from tests.dispatch.incident_helpers import Clock, make_core
from tests.evidence.clipmaker import LEVEL_STEP, make_clip

T0 = 1_796_292_000.0  # 2026-12-03T10:00:00Z
PLAYING = QMediaPlayer.PlaybackState.PlayingState


@pytest.fixture
def replay(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    core = make_core(tmp_path, Clock(T0 + 1))
    ops.call(core, "cameras.import", {"rows": [
        {"_where": "row 1", "id": "cam-east", "name": "East bank", "lat": 24.3301, "lon": 109.4102, "direction": 90,
         "fov": 60, "range_m": 150}]}, actor="t")
    inc = ops.call(core, "incident.create", {"category": "illegal_dumping", "priority": "P2", "lat": 24.3301,
                                            "lon": 109.4110, "source": "video"}, actor="t")
    ops.call(core, "evidence.add", {"path": str(make_clip(tmp_path / "c.mp4", frames=30, fps=10)),
                                   "incident_id": inc["id"], "camera_id": "cam-east", "start": T0}, actor="t")
    operations.set_core(core)
    w = ReplayWindow(Recording.of_store(core.store), lang="en", window=(T0 - 60, T0 + 120), tick_ms=50)
    qtbot.addWidget(w)
    w.show()
    w.seek(T0 + 1.5)
    w.footage.incident.setText(str(inc["id"]))
    w.footage.find()
    qtbot.waitUntil(lambda: len(w.footage.players) == 1, timeout=10000)
    yield w, w.footage.players[1]
    w.close()
    core.close()


def shown_frame(player) -> int | None:  # type: ignore[no-untyped-def]
    """The number of the frame the player's video output shows (its grey level), None before the first."""
    frame = player.video.videoSink().videoFrame()
    if not frame.isValid():
        return None
    img = frame.toImage().convertToFormat(frame.toImage().Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    return int(round(float(arr.mean()) / LEVEL_STEP))


def test_the_clip_follows_seek_play_pause_and_speed(replay, qtbot):
    w, p = replay
    assert "1 camera(s) saw it; 1 clip(s)" in w.footage.status.text()
    assert p.info.text().startswith("cam-east East bank")
    # seeking: the frame of the replayed instant, paused
    qtbot.waitUntil(lambda: p.player.position() == 1500 and shown_frame(p) == 15, timeout=15000)
    w.seek(T0 + 0.7)
    qtbot.waitUntil(lambda: p.player.position() == 700 and shown_frame(p) == 7, timeout=10000)
    assert p.player.playbackState() != PLAYING
    # playing at 1x: the clip plays along, at the clock's speed
    w.play(1)
    qtbot.waitUntil(lambda: p.player.playbackState() == PLAYING, timeout=10000)
    assert p.player.playbackRate() == 1.0
    qtbot.waitUntil(lambda: p.player.position() > 1200, timeout=10000)
    assert abs((T0 + p.player.position() / 1000.0) - w.t) < 0.8
    w.set_speed(2)
    assert p.player.playbackRate() == 2.0
    w.pause()
    assert p.player.playbackState() != PLAYING
    stopped = w.t
    qtbot.waitUntil(lambda: abs(p.player.position() - (stopped - T0) * 1000) < 1.0, timeout=5000)
    # faster than the player plays: the frame of each instant, not played
    w.seek(T0 + 0.2)
    w.play(60)
    qtbot.waitUntil(lambda: w.t > T0 + 2.0, timeout=10000)
    w.pause()
    assert p.player.playbackState() != PLAYING
    # outside the clip: said so
    w.seek(T0 + 30)
    assert p.screen.currentWidget() is p.gap
    hhmmss = datetime.fromtimestamp(T0 + 30).astimezone().strftime("%H:%M:%S")
    assert p.gap.text() == f"no footage at {hhmmss}"
    w.seek(T0 + 2.5)
    assert p.screen.currentWidget() is p.video
    qtbot.waitUntil(lambda: shown_frame(p) == 25, timeout=10000)


def test_a_clip_unchecked_closes_and_at_most_four_play(replay, qtbot):
    w, _p = replay
    item = w.footage.clips.item(0)
    item.setCheckState(item.checkState().Unchecked)
    assert w.footage.players == {}
    item.setCheckState(item.checkState().Checked)
    assert list(w.footage.players) == [1]
