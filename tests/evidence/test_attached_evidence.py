"""The evidence dock on a seat attached to a hub (a real hub on 127.0.0.1, a real SQLite store behind it): the
clips listed through the hub, a clip played from a copy fetched through the hub (evidence.fetch, checked against its
SHA-256), a frame grabbed at the hub; the camera register greyed out for a dispatcher, whom the hub refuses too."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtMultimedia import QMediaPlayer

from console import operations
from console.evidence import install
from console.main_window import MainWindow
from dispatch.city.data import load_city
from dispatch.errors import Refused
from dispatch.hub.attach import RemoteCore
from dispatch.ops import call
from tests.evidence.clipmaker import frame_number_of_png, make_clip
from tests.hub.conftest import PASSWORD, add_operator, link  # noqa: F401 (the hub fixture)

T0 = 1_796_292_000.0


@pytest.fixture
def seat(link, qtbot, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]  # noqa: F811
    monkeypatch.setenv("LIUZHOU_EVIDENCE_CACHE", str(tmp_path / "seat-cache"))
    call(link.core, "cameras.import", {"rows": [{"_where": "row 1", "id": "cam-east", "lat": 24.3301,
                                                 "lon": 109.4102, "direction": 90, "fov": 60, "range_m": 150}]},
         actor="t")
    inc = call(link.core, "incident.create", {"category": "illegal_dumping", "priority": "P2", "lat": 24.3301,
                                              "lon": 109.4110, "source": "video"}, actor="t")
    clip = call(link.core, "evidence.add", {"path": str(make_clip(tmp_path / "c.mp4", frames=30, fps=10)),
                                           "incident_id": inc["id"], "camera_id": "cam-east", "start": T0}, actor="t")
    keys = add_operator(link.core, link.keys, "wang", "dispatcher")
    gui = RemoteCore(link.hub.control_endpoint, keys, timeout=5)
    gui.login("wang", PASSWORD)
    gui.start()
    operations.set_core(gui)
    window = MainWindow(gui, load_city().geojson(), lang="en", store_label="hub", push_interval_ms=100)
    window.slow_timer.stop()
    panel = install(window)
    qtbot.addWidget(window)
    window.show()
    yield window, panel, gui, inc, clip
    panel.player.close_media()
    window.close()
    operations.set_core(None)
    gui.logout()
    gui.close()


def test_a_seat_plays_a_clip_fetched_through_the_hub_and_grabs_a_frame(seat, qtbot, tmp_path):
    window, panel, gui, inc, clip = seat
    window.evidence_dock.show()
    panel.incident.setText(str(inc["id"]))
    panel.show_clips()
    qtbot.waitUntil(lambda: panel.clips.count() == 1, timeout=10000)
    panel.clips.setCurrentRow(0)
    copy = tmp_path / "seat-cache" / clip["sha256"]
    qtbot.waitUntil(copy.is_file, timeout=15000)
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == clip["sha256"]
    player = panel.player
    qtbot.waitUntil(lambda: player.player.mediaStatus() in (QMediaPlayer.MediaStatus.LoadedMedia,
                                                           QMediaPlayer.MediaStatus.BufferedMedia), timeout=15000)
    assert Path(player.player.source().toLocalFile()) == copy
    qtbot.waitUntil(lambda: player.player.duration() > 0, timeout=10000)
    player.seek_ms(1400)
    qtbot.waitUntil(lambda: player.player.position() == 1400, timeout=5000)
    got: list[dict] = []
    player.still_taken.connect(got.append)
    player.grab()
    qtbot.waitUntil(lambda: bool(got), timeout=10000)
    assert frame_number_of_png(Path(got[0]["path"]).read_bytes()) == 14  # kept at the hub, by the hub
    stills = [e for e in window.core.state.ext["evidence"].stills.values()]
    assert [s.taken_by for s in stills] == ["dispatcher:wang"]
    # only files the evidence book names are served
    with pytest.raises(Refused, match="no clip, still or photo is stored under 000000000000"):
        call(gui, "evidence.fetch", {"sha256": "0" * 64}, actor="ignored")


def test_the_camera_register_is_greyed_out_for_a_dispatcher_and_the_hub_refuses_him(seat, qtbot):
    window, _panel, gui, _inc, _clip = seat
    window.camera_register_action.trigger()
    editor = window.camera_editor
    qtbot.waitUntil(lambda: editor.table.rowCount() == 1, timeout=10000)
    assert not editor.save_btn.isEnabled() and "Only engineers and administrators" in editor.status.text()
    with pytest.raises(Refused, match="a dispatcher may not run camera.save"):
        call(gui, "camera.save", {"camera": {"id": "cam-x", "lat": 24.3, "lon": 109.4, "direction": 0, "fov": 90,
                                             "range_m": 50}, "new": True}, actor="ignored")
    editor.close()
