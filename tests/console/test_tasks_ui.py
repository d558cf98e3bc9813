"""Cleaning tasks in the real main window: the editor (segment or a polygon drawn in the real map page),
live coverage in the list and on the map from the vessel's ingested fixes, refusals shown in the editor."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console import operations
from console.incidents import install
from console.main_window import MainWindow
from dispatch import ops
from dispatch.city.data import load_city
from dispatch.core import Dispatch
from dispatch.store import EventStore
from tests.conftest import Clock
from tests.conftest import page_js as js


@pytest.fixture
def seat(qtbot, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(1_800_000_000.0)
    core = Dispatch(EventStore(db_url), clock=clock, stale_after=600.0)
    core.register_units("test", [
        {"id": "vessel-01", "name": "保洁船01", "kind": "cleaning_vessel"},
        {"id": "officer-01", "name": "执法队员01", "kind": "officer"},
    ])
    seg = load_city().segments[2].geometry
    lon, lat = seg.coords[0]
    core.ingest([("vessel-01", clock.t, lat, lon, 0.0, 0.0, "t")])
    operations.set_core(core)
    w = MainWindow(core, load_city().geojson(), lang="en", store_label=db_url, push_interval_ms=100)
    w.slow_timer.stop()
    wf = install(w, timers=False)
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)
    yield w, wf, core, clock
    w.close()
    core.close()


def open_editor(qtbot, wf):  # type: ignore[no-untyped-def]
    ed = wf.open_task_editor()
    qtbot.waitUntil(lambda: ed.units.count() > 0, timeout=10000)
    return ed


def test_a_segment_task_shows_progress_as_the_vessel_sweeps_it(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, clock = seat
    ed = open_editor(qtbot, wf)
    # only water units are offered
    offered = {ed.units.item(i).data(Qt.ItemDataRole.UserRole) for i in range(ed.units.count())}
    assert offered == {"vessel-01"}
    ed.segment.setCurrentIndex(ed.segment.findData("segment-3"))
    ed.check_units(["vessel-01"])
    ed.width.setValue(60.0)
    created: list[dict] = []  # type: ignore[type-arg]
    ed.created.connect(created.append)
    qtbot.mouseClick(ed.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(created), timeout=10000)
    tid = created[0]["id"]
    assert created[0]["state"] == "active" and created[0]["units"] == ["vessel-01"]
    panel = wf.tasks
    qtbot.waitUntil(lambda: any(r["id"] == tid for r in panel.rows), timeout=10000)
    qtbot.waitUntil(lambda: any(t[0] == tid for t in js(qtbot, w.map, "ConsoleTasks.snapshot()")), timeout=10000)
    assert panel.table.cellWidget(0, 4).value() < 10  # under 1 %: the vessel has only just started

    # the vessel sweeps the segment's centreline, one fix every 10 s at ~3 m/s
    seg = load_city().segments[2].geometry
    n = 160
    fixes = []
    for i in range(n + 1):
        p = seg.interpolate(i / n, normalized=True)
        clock.t += 10.0
        fixes.append(("vessel-01", clock.t, p.y, p.x, 3.0, 0.0, "t"))
    core.ingest(fixes)
    panel.refresh()  # the panel's own timer does this every few seconds

    def coverage() -> float:
        r = next(r for r in panel.rows if r["id"] == tid)
        return float((r.get("progress") or {}).get("coverage") or 0.0)

    qtbot.waitUntil(lambda: coverage() > 0.05, timeout=10000)
    row = next(i for i, r in enumerate(panel.rows) if r["id"] == tid)
    bar = panel.table.cellWidget(row, 4)
    assert bar.value() == round(coverage() * 1000)
    assert bar.format().endswith("%")
    qtbot.waitUntil(lambda: any(t[0] == tid and (t[2] or 0) > 0.05 for t in js(qtbot, w.map, "ConsoleTasks.snapshot()")),
                    timeout=10000)
    # finishing by hand records the result
    panel.table.selectRow(row)
    panel.finish.click()
    qtbot.waitUntil(lambda: next(r for r in panel.rows if r["id"] == tid)["state"] == "finished", timeout=10000)
    result = ops.call(core, "task.show", {"task_id": tid}, actor="t")["result"]
    assert result["coverage"] == pytest.approx(coverage(), abs=1e-6) and result["distance_m"] > 4000


def test_a_polygon_drawn_on_the_map_becomes_a_task_area_and_one_on_land_is_refused(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, wf, core, clock = seat
    ed = open_editor(qtbot, wf)
    # on land: the district around the city centre
    lat, lon = load_city().center
    qtbot.mouseClick(ed.draw, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleDraw.active()") is True, timeout=10000)
    land = [(lat + 0.004, lon - 0.004), (lat + 0.004, lon + 0.004), (lat + 0.008, lon)]
    for la, lo in land:
        js(qtbot, w.map, f"ConsoleDraw.add({la}, {lo})")
    js(qtbot, w.map, "ConsoleDraw.finish()")
    qtbot.waitUntil(lambda: ed.polygon is not None, timeout=10000)
    assert len(ed.polygon) == 3 and ed.use_polygon.isChecked()
    if load_city().is_water(lat + 0.005, lon):
        pytest.skip("the city changed: pick another land triangle")
    qtbot.mouseClick(ed.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ed.message.isVisible() and "on land" in ed.message.text(), timeout=10000)
    assert ops.call(core, "tasks", {}, actor="t") == []

    # on the water: a box around a point of the segment's centreline
    seg = load_city().segments[2].geometry
    p = seg.interpolate(0.5, normalized=True)
    d = 0.0015
    qtbot.mouseClick(ed.draw, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleDraw.active()") is True, timeout=10000)
    for la, lo in ((p.y - d, p.x - d), (p.y - d, p.x + d), (p.y + d, p.x + d), (p.y + d, p.x - d)):
        js(qtbot, w.map, f"ConsoleDraw.add({la}, {lo})")
    js(qtbot, w.map, "ConsoleDraw.finish()")
    qtbot.waitUntil(lambda: ed.polygon is not None and len(ed.polygon) == 4, timeout=10000)
    ed.check_units(["vessel-01"])
    created: list[dict] = []  # type: ignore[type-arg]
    ed.created.connect(created.append)
    qtbot.mouseClick(ed.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(created), timeout=10000)
    assert created[0]["segment"] is None and created[0]["area_m2"] > 0
    qtbot.waitUntil(lambda: any(t[0] == created[0]["id"] for t in js(qtbot, w.map, "ConsoleTasks.snapshot()")),
                    timeout=10000)
