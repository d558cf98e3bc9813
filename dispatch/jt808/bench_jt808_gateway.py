"""Gateway figures (section jt808_gateway): 5,000 JT/T 808 terminals over loopback, each reporting every 10 s, for a bounded time.

A temporary SQLite store with 5,000 trucks, each bound to a terminal number; the gateway on
127.0.0.1; `python main.py simulate --jt808 ... --trucks 5000 --interval 10` in a process of its
own (the terminals register, authenticate and report as real ones do). Figures:

- `jt808_terminals`: terminals connected and authenticated at once (all of them, or the issue's
  target is missed); `jt808_connect_s`: from the simulator's start until they all were.
- `jt808_fix_latency_ms_p99` (and p50, max): from the arrival of a 0x0200 frame at the gateway (its
  bytes read from the socket) to its position applied in the core (`Dispatch.ingest` returned),
  over the steady window after every terminal came in; the issue's target is under 50 ms.
- `jt808_reports_per_s`: positions into the core a second in that window (5,000 / 10 s = 500 expected);
  `jt808_terminals_reporting`: terminals that reported in the window; `jt808_errors`: anything the
  gateway counted as wrong (0 expected).
The peer in the same run: `feeds_ingest_same_rate_ms_p99`, `Dispatch.ingest` alone of the same rows,
one a message, the part of the latency the core itself takes.
- `jt808_photo_300kb_ms` beside `blob_write_300kb_ms`, while the terminals report: dispatch/jt808/photo_figures.py.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dispatch.bench import percentile

ROOT = Path(__file__).resolve().parents[2]
TERMINALS = 5000
INTERVAL = 10.0


def _raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))


def run(quick: bool = False) -> dict[str, float | int | str]:
    from devices.sim.jt808 import truck_phone
    from dispatch.core import Dispatch
    from dispatch.jt808 import photo_figures, start_gateway
    from dispatch.ops import call
    from dispatch.store import EventStore

    window = 30.0 if quick else 60.0
    _raise_fd_limit(TERMINALS + 512)
    out: dict[str, float | int | str] = {}
    with tempfile.TemporaryDirectory() as d:
        core = Dispatch(EventStore(f"sqlite:///{Path(d) / 'bench.db'}"))
        call(core, "units.register", {"units": [{"id": f"truck-{i}", "kind": "truck", "terminal": truck_phone(i)}
                                                for i in range(1, TERMINALS + 1)] + [photo_figures.unit()]},
             actor="bench")
        gw = start_gateway(core, "tcp://127.0.0.1:0")
        from dispatch.runtime import tune_runtime

        tune_runtime()  # as the hub and the console do once started
        env = dict(os.environ)
        sim = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "simulate", "--jt808", gw.endpoint, "--trucks", str(TERMINALS),
             "--interval", str(INTERVAL), "--signal-loss", "none", "--seconds", str(window + 120)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            started = time.monotonic()
            deadline = started + 120.0
            while gw.stats()["authenticated"] < TERMINALS and time.monotonic() < deadline and sim.poll() is None:
                time.sleep(0.2)
            connected = gw.stats()["authenticated"]
            out["jt808_terminals"] = connected
            out["jt808_connect_s"] = round(time.monotonic() - started, 1)
            time.sleep(INTERVAL)  # every terminal's first report in: the steady state from here
            gw.latencies_ms.clear()
            fixes0, t0 = gw.fixes, time.monotonic()
            phones0 = {s.phone: s.positions for s in gw.sessions_snapshot()}
            time.sleep(window)
            elapsed = time.monotonic() - t0
            lat = list(gw.latencies_ms)
            out["jt808_fix_latency_ms_p50"] = round(percentile(lat, 50), 2)
            out["jt808_fix_latency_ms_p99"] = round(percentile(lat, 99), 2)
            out["jt808_fix_latency_ms_max"] = round(max(lat), 2) if lat else float("nan")
            out["jt808_reports_per_s"] = round((gw.fixes - fixes0) / elapsed, 1)
            out["jt808_terminals_reporting"] = sum(1 for s in gw.sessions_snapshot()
                                                   if s.positions > phones0.get(s.phone, 0))
            out["jt808_errors"] = sum(v for k, v in gw.counters.items() if k not in ("connections",))
            out["jt808_window_s"] = round(elapsed, 1)
            out.update(photo_figures.run(gw, core))
            rows = [("truck-1", time.time(), 24.3, 109.4, 5.0, 90.0, "bench")]
            own = []
            for _ in range(2000):
                t = time.perf_counter()
                core.ingest(rows)
                own.append((time.perf_counter() - t) * 1000.0)
            out["feeds_ingest_same_rate_ms_p99"] = round(percentile(own, 99), 3)
        finally:
            sim.terminate()
            try:
                sim.wait(30)
            except subprocess.TimeoutExpired:
                sim.kill()
            gw.stop()
            core.close()
    return out
