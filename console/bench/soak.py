"""The soak: a hub and its core under a city's steady load for a while, watched for growth.

`python main.py bench --soak SECONDS` runs this section alone for SECONDS; the full bench runs it for
SOAK_S (ten minutes); --quick and the test suite never do. For the whole run:
- 2,000 units report at 1 Hz through the feed path (an RMC and a GGA a second each, decoded, bound,
  selected, ingested into the live state and stored), pumped every 100 ms as the console's feed timer does;
- 200 field units (CURVE, another process: dispatch/hub/bench.py's swarm) connected to the hub, one text
  message to a random one every second, acknowledged; the core's snapshot thread runs as in production.

Figures:
  soak_rss_growth_mb_per_h: the process's resident memory, sampled every 5 s, its least-squares slope
    over the run after the first fifth (warm-up: caches, buffers, the allocator's arenas). Target < 5.
  soak_ingest_lag_s_p99: for each second of fixes, from the fixes' time to the pump having them in the
    live state (their store write follows within the store's flush interval, 1 s).
  soak_field_rtt_ms_p99 (p50): a text message's round trip, from its event committed to the unit's
    acknowledgement committed (the hub bench's field_text_rtt, under this load).
  soak_fixes, soak_seconds, soak_rss_mb_end: what ran and where memory ended.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from dispatch.bench import percentile

SOAK_S = 600
N_POSITION_UNITS = 2000
N_FIELD_UNITS = 200


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _slope_per_h(samples: list[tuple[float, float]]) -> float:
    if len(samples) < 3:
        return float("nan")
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mv = sum(v for _, v in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    return 0.0 if var == 0 else sum((t - mt) * (v - mv) for t, v in samples) / var * 3600


def run(quick: bool, seconds: float | None = None) -> dict[str, Any]:
    import zmq

    from devices.nmea import encode
    from devices.transports.base import RawLine, Transport
    from dispatch import ops
    from dispatch.core import Dispatch
    from dispatch.feeds.config import FeedSpec
    from dispatch.feeds.manager import FeedManager
    from dispatch.hub.bench import _raise_fd_limit, _read_line, _start_swarm
    from dispatch.hub.server import Hub
    from dispatch.runtime import tune_runtime
    from dispatch.store import EventStore, NewEvent

    if seconds is None:
        seconds = float(os.environ.get("BENCH_SOAK_S") or 0) or (0 if quick else SOAK_S)
    if not seconds:
        return {"soak_seconds": 0}
    _raise_fd_limit()

    class _Pushed(Transport):
        kind = "soak"

    tmp = tempfile.TemporaryDirectory()
    core = Dispatch(EventStore(f"sqlite:///{Path(tmp.name) / 'soak.db'}"))
    pos_units = [{"id": f"p{i:04d}", "name": f"p{i}", "kind": "truck"} for i in range(N_POSITION_UNITS)]
    field_units = [{"id": f"f{i:03d}", "name": f"f{i}", "kind": "patrol_boat"} for i in range(N_FIELD_UNITS)]
    core.register_units("bench", pos_units + field_units)
    pairs = [tuple(k.decode() for k in zmq.curve_keypair()) for _ in field_units]
    core.record("bench", [NewEvent("field.key_enrolled", {"unit_id": u["id"], "public_key": p[0]}, f"unit:{u['id']}")
                          for u, p in zip(field_units, pairs, strict=True)])
    spec = FeedSpec("soak", "tcp-server", tcp_port=0, bind={f"dev{i}": u["id"] for i, u in enumerate(pos_units)})
    mgr = FeedManager(core)
    feed = mgr.add(spec, start=False, transport=_Pushed("soak", queue_size=10_000_000))
    hub = Hub(core, "tcp://127.0.0.1:0", None).start()
    marks: dict[str, float] = {}
    acked = threading.Event()
    waiting: dict[str, int] = {}

    def on_commit(changes: Any) -> None:
        if "commit" not in marks and any(ev.kind == "field.message_sent" for ev in changes.events):
            marks["commit"] = time.perf_counter()

    def on_ack(acks: dict[str, int]) -> None:
        for u, seq in acks.items():
            if waiting.get(u, 1 << 62) <= seq:
                del waiting[u]
        if not waiting and not acked.is_set():
            marks["acked"] = time.perf_counter()
            acked.set()

    core.subscribe(on_commit, first=True)  # before the hub's, which sends on the committing thread
    hub.ack_listeners.append(on_ack)
    child = _start_swarm(hub.field_endpoint, hub.public_key,
                         [(u["id"], p[0], p[1]) for u, p in zip(field_units, pairs, strict=True)])
    stop = threading.Event()
    sent_at: list[tuple[float, int]] = []  # (fix time, fixes ingested once that second is in)
    lags: list[float] = []
    rss: list[tuple[float, float]] = []
    rtts: list[float] = []
    lock = threading.Lock()

    def feeder() -> None:
        """Each second, every position unit's RMC and GGA for that second."""
        t = float(int(time.time()) + 1)
        total = 0
        while not stop.is_set():
            stop.wait(max(0.0, t - time.time()))
            lines = []
            for i in range(N_POSITION_UNITS):
                lat, lon = 24.30 + i * 5e-5 + (t % 600) * 1e-6, 109.40 + i * 5e-5
                lines.append(RawLine(t, encode.rmc("GN", t, lat, lon, 3.0, 45.0), f"dev{i}"))
                lines.append(RawLine(t, encode.gga("GN", t, lat, lon, 80.0, sats=10, hdop=0.9), f"dev{i}"))
            total += N_POSITION_UNITS
            with lock:
                sent_at.append((t, total))
            feed.transport._push(lines)
            t += 1.0

    def pump() -> None:
        base = core.fixes_ingested
        while not stop.is_set():
            mgr.pump_once()
            done = core.fixes_ingested - base
            now = time.time()
            with lock:
                while sent_at and sent_at[0][1] <= done:
                    lags.append(now - sent_at.pop(0)[0])
            stop.wait(0.1)

    threads = [threading.Thread(target=feeder, daemon=True), threading.Thread(target=pump, daemon=True)]
    try:
        _read_line(child, 60)
        _read_line(child, 60)
        deadline = time.monotonic() + 60
        while len(hub.routes) < N_FIELD_UNITS and time.monotonic() < deadline:
            time.sleep(0.01)
        _read_line(child, 60)  # every unit welcomed
        tune_runtime()
        for th in threads:
            th.start()
        rng = random.Random(21)
        t_start = time.monotonic()
        next_rss = t_start
        while time.monotonic() - t_start < seconds:
            now = time.monotonic()
            if now >= next_rss:
                rss.append((now - t_start, _rss_mb()))
                next_rss += 5.0
            u = field_units[rng.randrange(N_FIELD_UNITS)]["id"]
            waiting.clear()
            waiting[u] = hub.outbox.last_seq.get(u, 0) + 1
            acked.clear()
            marks.clear()
            ops.call(core, "field.send", {"unit_id": u, "text": "soak"}, actor="dispatcher:soak")
            if acked.wait(5) and "commit" in marks:
                rtts.append((marks["acked"] - marks["commit"]) * 1000)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))
        rss.append((time.monotonic() - t_start, _rss_mb()))
    finally:
        stop.set()
        for th in threads:
            th.join(5)
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(10)
        except Exception:
            child.kill()
        fixes = core.fixes_ingested
        hub.stop()
        core.close()
        tmp.cleanup()
    steady = [s for s in rss if s[0] >= seconds / 5]
    return {
        "soak_rss_growth_mb_per_h": round(_slope_per_h(steady), 2),
        "soak_ingest_lag_s_p99": round(percentile(lags, 99), 3),
        "soak_ingest_lag_s_p50": round(percentile(lags, 50), 3),
        "soak_field_rtt_ms_p99": round(percentile(rtts, 99), 3),
        "soak_field_rtt_ms_p50": round(percentile(rtts, 50), 3),
        "soak_field_messages": len(rtts),
        "soak_fixes": fixes,
        "soak_seconds": round(seconds),
        "soak_rss_mb_end": round(rss[-1][1], 1) if rss else 0,
    }
