"""The console's live views in a grid and its camera register (offscreen, real parts): a stream served on
127.0.0.1 plays in its cell while a camera whose address refuses connections reconnects in its own cell, each named;
the grid goes from 2x2 to 3x3 keeping what it shows. The camera register adds, edits, moves and removes a camera
through the core's operations (events with the seat's operator) and is greyed out for a role the permission table
does not let edit it."""

from __future__ import annotations

import functools
import http.server
import socket
import threading

import pytest

from console import operations
from console.evidence.cameras import CameraEditor
from console.evidence.live import LiveGrid
from dispatch import ops
from tests.dispatch.incident_helpers import Clock, add_unit, make_core
from tests.evidence.clipmaker import make_clip

T0 = 1_796_292_000.0


@pytest.fixture
def long_stream(tmp_path):  # type: ignore[no-untyped-def]
    make_clip(tmp_path / "live.mp4", frames=600, fps=10, faststart=True)  # a minute: plays through the test
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/live.mp4"
    httpd.shutdown()
    httpd.server_close()


def refused_address() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there: every connection is refused
    return f"http://127.0.0.1:{port}/cam.mp4"


@pytest.fixture
def core(tmp_path):  # type: ignore[no-untyped-def]
    c = make_core(tmp_path, Clock(T0))
    add_unit(c, "boat-01", "patrol_boat", 24.3290, 109.4110)
    operations.set_core(c)
    yield c
    c.close()


def test_cells_play_and_reconnect_each_on_its_own(core, qtbot, long_stream):
    rows = [{"_where": "row 1", "id": "cam-live", "name": "Bridge", "lat": 24.33, "lon": 109.41, "direction": 0,
             "fov": 90, "range_m": 100, "stream": long_stream},
            {"_where": "row 2", "id": "cam-dead", "name": "Pier", "lat": 24.33, "lon": 109.41, "direction": 0,
             "fov": 90, "range_m": 100, "stream": refused_address()},
            {"_where": "row 3", "id": "cam-nostream", "lat": 24.33, "lon": 109.41, "direction": 0, "fov": 90,
             "range_m": 100}]
    ops.call(core, "cameras.import", {"rows": rows}, actor="t")
    grid = LiveGrid(retry_ms=300)
    qtbot.addWidget(grid)
    grid.show()
    grid.load()
    qtbot.waitUntil(lambda: len(grid.cameras) == 2, timeout=10000)  # only cameras with a stream
    assert len(grid.cells) == 4 and grid.pickers[0].count() == 3
    grid.show_in(0, "cam-live")
    grid.show_in(1, "cam-dead")
    live, dead = grid.cells[0], grid.cells[1]
    assert live.title.text() == "Bridge · cam-live" and dead.title.text() == "Pier · cam-dead"
    qtbot.waitUntil(lambda: dead.attempts >= 3, timeout=20000)  # tried again and again in its cell
    qtbot.waitUntil(lambda: live.state == "playing", timeout=20000)
    assert dead.state == "reconnecting" and "Stream lost" in dead.note.text() and "reconnecting" in dead.note.text()
    assert live.attempts == 1 and live.note.text() == "Live" and live.player.position() > 0
    assert grid.cells[2].camera is None and grid.cells[2].title.text() == "(no camera)"
    # 3x3: nine cells, the cameras shown stay in the first ones
    grid.size_box.setCurrentIndex(grid.size_box.findData(3))
    assert len(grid.cells) == 9 and grid.cells[0].camera["id"] == "cam-live" and grid.cells[1].camera["id"] == "cam-dead"
    qtbot.waitUntil(lambda: grid.cells[0].state == "playing", timeout=20000)
    # the dock hidden: no stream open for nobody, the cameras kept; shown again: they play again
    grid.suspend()
    assert all(c.state == "idle" for c in grid.cells) and grid.cells[0].camera["id"] == "cam-live"
    grid.resume()
    qtbot.waitUntil(lambda: grid.cells[0].state == "playing", timeout=20000)
    grid.stop_all()
    assert all(c.camera is None and c.state == "idle" for c in grid.cells)


def test_the_register_adds_edits_moves_and_removes(core, qtbot):
    ed = CameraEditor()
    qtbot.addWidget(ed)
    ed.show()
    ed.load()
    qtbot.waitUntil(lambda: ed.unit.count() == 1, timeout=10000)
    assert ed.table.rowCount() == 0 and ed.save_btn.isEnabled()
    ed.cid.setText("cam-bridge")
    ed.name.setText("Bridge east")
    ed.lat.setValue(24.3301)
    ed.lon.setValue(109.4102)
    ed.direction.setValue(90)
    ed.fov.setValue(60)
    ed.range_m.setValue(150)
    ed.stream.setText("rtsp://10.0.0.5/stream1")
    ed.save()
    qtbot.waitUntil(lambda: ed.status.text() == "Camera cam-bridge added", timeout=10000)
    qtbot.waitUntil(lambda: ed.table.rowCount() == 1, timeout=10000)
    # the core checks the fields: its words in the form's status
    ed.start_new()
    ed.cid.setText("bad id")
    ed.save()
    qtbot.waitUntil(lambda: "camera id 'bad id' missing or not usable" in ed.status.text(), timeout=10000)
    ed.start_new()
    ed.cid.setText("cam-bridge")
    ed.save()
    qtbot.waitUntil(lambda: "camera cam-bridge exists already" in ed.status.text(), timeout=10000)
    # moved: picked from the table, a new position saved
    ed.table.selectRow(0)
    assert ed.cid.text() == "cam-bridge" and ed.cid.isReadOnly() and ed.lat.value() == pytest.approx(24.3301)
    ed.lat.setValue(24.3290)
    ed.save()
    qtbot.waitUntil(lambda: ed.status.text() == "Camera cam-bridge changed", timeout=10000)
    cam = ops.call(core, "camera.show", {"camera_id": "cam-bridge"}, actor="t")
    assert cam["lat"] == pytest.approx(24.3290) and cam["past"][0]["lat"] == pytest.approx(24.3301)
    # a mobile camera on the boat
    ed.start_new()
    ed.cid.setText("cam-boat")
    ed.kind.setCurrentIndex(ed.kind.findData("mobile"))
    assert not ed.lat.isEnabled() and ed.unit.isEnabled()
    ed.fov.setValue(360)
    ed.save()
    qtbot.waitUntil(lambda: ed.status.text() == "Camera cam-boat added", timeout=10000)
    assert ops.call(core, "camera.show", {"camera_id": "cam-boat"}, actor="t")["unit_id"] == "boat-01"
    # removed
    qtbot.waitUntil(lambda: ed.table.rowCount() == 2, timeout=10000)
    ed.table.selectRow(0)
    ed.remove()
    qtbot.waitUntil(lambda: "Camera cam-boat removed" in ed.status.text(), timeout=10000)
    qtbot.waitUntil(lambda: ed.table.rowCount() == 1, timeout=10000)
    actors = {e.actor for e in core.store.events() if e.kind.startswith("camera.")}
    assert actors == {operations.seat_actor()}


def test_the_register_is_read_only_for_a_dispatcher(core, qtbot):
    core.operator = {"name": "wang", "role": "dispatcher"}  # as a hub's seat says who is logged in
    try:
        ed = CameraEditor()
        qtbot.addWidget(ed)
        assert not ed.save_btn.isEnabled() and not ed.new_btn.isEnabled() and not ed.remove_btn.isEnabled()
        assert "Only engineers and administrators edit the camera register" in ed.status.text()
        core.operator = {"name": "li", "role": "engineer"}
        ed.apply_permissions()
        assert ed.save_btn.isEnabled()
    finally:
        del core.operator
