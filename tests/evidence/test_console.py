"""The console's video evidence in the real main window (offscreen): the cameras drawn on the real map page
with their view cones; a clip played by Qt Multimedia, stepped frame by frame and a frame grabbed: the still kept
is the frame the player shows (its frames encode their own number)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtMultimedia import QMediaPlayer

from console import operations
from console.evidence import install
from console.evidence.player import clock_text
from console.main_window import MainWindow
from dispatch import ops
from dispatch.city.data import load_city
from tests.conftest import page_js
from tests.dispatch.incident_helpers import Clock, add_unit, make_core
from tests.evidence.clipmaker import frame_number_of_png, make_clip

T0 = 1_796_292_000.0  # 2026-12-03T10:00:00Z


@pytest.fixture
def seat(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    core = make_core(tmp_path, Clock(T0 + 60))
    add_unit(core, "boat-01", "patrol_boat", 24.3290, 109.4110)
    ops.call(core, "cameras.import", {"rows": [
        {"_where": "row 1", "id": "cam-east", "lat": 24.3301, "lon": 109.4102, "direction": 90, "fov": 60,
         "range_m": 150},
        {"_where": "row 2", "id": "cam-boat", "unit": "boat-01", "fov": 360, "range_m": 80}]}, actor="t")
    inc = ops.call(core, "incident.create", {"category": "illegal_dumping", "priority": "P2", "lat": 24.3301,
                                            "lon": 109.4110, "source": "video"}, actor="t")
    clip = ops.call(core, "evidence.add", {"path": str(make_clip(tmp_path / "c.mp4", frames=30, fps=10)),
                                          "incident_id": inc["id"], "camera_id": "cam-east", "start": T0},
                    actor="t")
    operations.set_core(core)
    w = MainWindow(core, load_city().geojson(), lang="en", store_label="t", push_interval_ms=100)
    w.slow_timer.stop()
    panel = install(w)
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)
    yield w, panel, core, inc, clip
    panel.player.close_media()
    w.close()
    core.close()


def test_cameras_with_cones_on_the_map(seat, qtbot):
    w, _panel, _core, _inc, _clip = seat
    assert page_js(qtbot, w.map, "ConsoleCameras.count()") == 0
    w.cameras_action.setChecked(True)
    qtbot.waitUntil(lambda: page_js(qtbot, w.map, "ConsoleCameras.count()") == 2, timeout=10000)
    w.cameras_action.setChecked(False)
    qtbot.waitUntil(lambda: page_js(qtbot, w.map, "ConsoleCameras.count()") == 0, timeout=10000)
    cone = ops.call(w.core, "cameras.map", {}, actor="t")
    east = next(c for c in cone if c["id"] == "cam-east")
    assert east["cone"][0] == [24.3301, 109.4102] and len(east["cone"]) == 14  # the camera and a 13-point arc


def test_play_step_and_grab_the_frame_shown(seat, qtbot, tmp_path):
    w, panel, core, inc, clip = seat
    w.evidence_dock.show()
    panel.incident.setText(str(inc["id"]))
    panel.show_clips()
    qtbot.waitUntil(lambda: panel.clips.count() == 1, timeout=10000)
    panel.clips.setCurrentRow(0)
    player = panel.player
    qtbot.waitUntil(lambda: player.player.mediaStatus() in (QMediaPlayer.MediaStatus.LoadedMedia,
                                                           QMediaPlayer.MediaStatus.BufferedMedia,
                                                           QMediaPlayer.MediaStatus.InvalidMedia), timeout=15000)
    assert player.player.mediaStatus() != QMediaPlayer.MediaStatus.InvalidMedia, player.player.errorString()
    qtbot.waitUntil(lambda: player.player.duration() > 0, timeout=10000)
    assert abs(player.player.duration() - 3000) <= 100
    player.seek_ms(1200)
    for _ in range(3):
        player.step(1)  # 1.2 s + 3 frames of 100 ms
    qtbot.waitUntil(lambda: player.player.position() == 1500, timeout=5000)
    player.step(-1)
    qtbot.waitUntil(lambda: player.player.position() == 1400, timeout=5000)
    assert player.time_label.text() == clock_text(T0 + 1.4)
    got: list[dict] = []
    player.still_taken.connect(got.append)
    player.grab()
    qtbot.waitUntil(lambda: bool(got), timeout=10000)
    still = got[0]
    png = Path(still["path"]).read_bytes()
    assert frame_number_of_png(png) == 14 and still["clip_id"] == clip["id"]
    assert "Still 1 kept" in panel.status.text()
    # footage found for the incident: cam-east's clip, already attached
    panel.find_footage()
    qtbot.waitUntil(lambda: "camera(s) saw it" in panel.status.text(), timeout=10000)
    assert panel.clips.count() == 1 and "(attached)" in panel.clips.item(0).text()


def test_live_stream_plays_and_a_recorded_segment_becomes_evidence(seat, qtbot, served):
    w, panel, core, inc, _clip = seat
    ops.call(core, "cameras.import", {"rows": [{"_where": "row 1", "id": "cam-live", "lat": 24.33, "lon": 109.41,
                                                "direction": 0, "fov": 90, "range_m": 100, "stream": served}]},
             actor="t")
    w.evidence_dock.show()
    panel.incident.setText(str(inc["id"]))
    panel.load_cameras()
    qtbot.waitUntil(lambda: panel.camera.count() == 1, timeout=10000)
    panel.show_live()
    player = panel.player.player
    qtbot.waitUntil(lambda: player.position() > 0 or player.mediaStatus() == QMediaPlayer.MediaStatus.InvalidMedia,
                    timeout=15000)
    assert player.mediaStatus() != QMediaPlayer.MediaStatus.InvalidMedia, player.errorString()
    assert panel.player.info.text() == f"Live: {served}" and not panel.player.grab_btn.isEnabled()
    panel.minutes.setValue(0.02)
    panel.record()
    qtbot.waitUntil(lambda: panel.record_btn.isEnabled(), timeout=20000)
    assert "Clip 2 recorded" in panel.status.text(), panel.status.text()
    qtbot.waitUntil(lambda: panel.clips.count() == 2, timeout=10000)
    clips = ops.call(core, "evidence.list", {"incident_id": inc["id"]}, actor="t")
    assert [c["camera_id"] for c in clips if c["camera_id"] == "cam-live"] == ["cam-live"]
