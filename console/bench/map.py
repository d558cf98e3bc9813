"""Map figures: a 5,000-unit batch from hand-off to painted frame, and start-up to first map frame.

map_update_ms_p95: Python hands one batch moving 5,000 units to the page (JSON + bridge), the
page applies it and draws the frame; the page records Date.now() minus the hand-off time at the
end of that frame's drawing pass. The peer is Leaflet's own way: 5,000 canvas circle markers
moved with setLatLng in one batched call, measured the same way on the same page.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from dispatch.bench import percentile

ROOT = Path(__file__).resolve().parents[2]
N_UNITS = 5000

PEER_JS = """
(function () {
  var renderer = L.canvas({padding: 0.1});
  var markers = [], timings = [], sent = null;
  window.PeerMarkers = {
    init: function (rows) {
      rows.forEach(function (r) {
        markers.push(L.circleMarker([r[1], r[2]], {renderer: renderer, radius: 5, weight: 1, color: '#0b3d91',
          fillColor: '#2e9d4f', fillOpacity: 1}).addTo(consoleMap));
      });
      return markers.length;
    },
    update: function (rows, sentAt) {
      for (var i = 0; i < rows.length; i++) markers[i].setLatLng([rows[i][1], rows[i][2]]);
      sent = sentAt;
      requestAnimationFrame(function () { timings.push(Date.now() - sent); });
      return rows.length;
    },
    timings: function () { return timings.slice(); },
    clear: function () { markers.forEach(function (m) { m.remove(); }); markers = []; }
  };
})();
"""


def _rows(city: Any, step: int) -> list[list[Any]]:
    lat0, lon0, lat1, lon1 = city.bbox
    rows = []
    for i in range(N_UNITS):
        fx = ((i * 0.6180339887) + step * 0.0007) % 1.0
        fy = ((i * 0.7548776662) + step * 0.0005) % 1.0
        rows.append([f"u{i}", round(lat0 + (lat1 - lat0) * fy, 7), round(lon0 + (lon1 - lon0) * fx, 7),
                     float((i * 37 + step * 3) % 360), i % 4, (i // 7) % 4, 1 if i % 97 == 0 else 0, None])
    return rows


def _map_update(quick: bool) -> dict[str, Any]:
    from PySide6.QtCore import QCoreApplication

    from console.app import create_app

    app = create_app(lang="zh_CN")
    from console.map.view import MapView
    from dispatch.city.data import load_city

    city = load_city()
    view = MapView(city.geojson(), lang="zh_CN", page_name="bench-map.html")
    view.resize(1280, 860)
    view.show()

    def spin_until(pred: Any, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                raise TimeoutError("the map page did not answer in time")
            QCoreApplication.processEvents()
            app.processEvents()

    def evaluate(script: str) -> Any:
        box: list[Any] = []
        view.evaluate(f"JSON.stringify({script})", box.append)
        spin_until(lambda: bool(box))
        return json.loads(str(box[0])) if box[0] else None

    spin_until(lambda: view.is_ready)
    iterations = 100 if quick else 300  # enough samples that p95 is not the second-worst frame
    view.push_rows(_rows(city, 0))
    spin_until(lambda: evaluate("ConsoleUnits.count()") == N_UNITS)
    evaluate("ConsoleUnits.resetTimings()")
    for step in range(1, iterations + 1):
        view.push_rows(_rows(city, step), measure=True)
        spin_until(lambda s=step: len(evaluate("ConsoleUnits.timings()")) >= s)
    ours = [float(x) for x in evaluate("ConsoleUnits.timings()")]
    view.run("ConsoleUnits.clear()")

    view.run(PEER_JS)
    spin_until(lambda: evaluate("typeof PeerMarkers") == "object")
    view.run(f"PeerMarkers.init({json.dumps(_rows(city, 0))})")
    peer_iterations = max(10, iterations // 4)
    for step in range(1, peer_iterations + 1):
        payload = json.dumps(_rows(city, step), separators=(",", ":"))
        view.run(f"PeerMarkers.update({payload}, {int(time.time() * 1000)})")
        spin_until(lambda s=step: len(evaluate("PeerMarkers.timings()")) >= s)
    peer = [float(x) for x in evaluate("PeerMarkers.timings()")]
    view.close()
    return {
        "map_units": N_UNITS,
        "map_update_ms_p50": percentile(ours, 50),
        "map_update_ms_p95": percentile(ours, 95),
        "leaflet_circle_markers_update_ms_p95": percentile(peer, 95),
        "map_update_samples": len(ours),
    }


def _startup(quick: bool) -> dict[str, Any]:
    import tempfile

    runs = 1 if quick else 3
    values = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BENCH_LAUNCH_TS=repr(time.time()))
            p = subprocess.run([sys.executable, str(ROOT / "main.py"), "--db", f"sqlite:///{tmp}/s.db", "--demo",
                                "--startup-probe"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
            line = next((ln for ln in p.stdout.splitlines() if ln.startswith("STARTUP ")), None)
            if line is None:
                raise RuntimeError(f"start-up probe failed: {p.stderr[-500:]}")
            values.append(float(line.split()[1]))
    return {"startup_s": round(min(values) if quick else percentile(values, 50), 3), "startup_runs": runs}


def run(quick: bool) -> dict[str, Any]:
    out = _startup(quick)
    out.update(_map_update(quick))
    return out
