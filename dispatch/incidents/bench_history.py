"""Start-up on a year of history (part of the "incidents" bench section).

startup_history_s: a fresh process opens a store of `startup_history_events` events (units and
incidents handled end to end, dispatch/incidents/history.py, plus a day of fixes for each unit) with a
snapshot near the head, and has the core loaded: imports, the store, the snapshot, the tail after it
(`startup_tail_events`), the latest fix per unit; the best of three starts (the program's bytecode cached,
as `main.py bench` leaves it: console/cli/bench.py). Target: under 3 s with 2,000,000 events.

Peers, in the same run:
  startup_full_replay_events_per_s: the same core replaying the log with no snapshot, on the first
    `replay_sample_events` events (a full replay is linear in the log: the rate holds for any length);
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FULL_EVENTS = 2_000_000
TAIL_INCIDENTS = 400  # written after the snapshot: start-up replays a tail, as after a crash

_PROBE = r"""
import sys, time, json
t0 = time.perf_counter()
from dispatch.core import Dispatch
from dispatch.store import EventStore, events_after
snap = sys.argv[2] == "1"
limit = int(sys.argv[3])
store = EventStore(sys.argv[1])
if limit:  # the full-replay peer: the appliers over the first `limit` events, through the same reader
    from dispatch.changes import Changes
    from dispatch.ops import load_features
    from dispatch.state import State
    load_features()
    st, ch, n = State(), Changes(), 0
    t1 = time.perf_counter()
    with store.read() as conn:
        for ev in events_after(conn, 0):
            st.apply(ev, ch)
            n += 1
            if len(ch.events) >= 1000:
                ch = Changes()
            if n >= limit:
                break
    print(json.dumps({"events": n, "s": time.perf_counter() - t1}))
else:
    core = Dispatch(store, snapshots=snap)
    dt = time.perf_counter() - t0
    print(json.dumps({"s": dt, "events": core.state.last_seq, "from_snapshot": core.loaded_from_snapshot,
                      "tail": core.state.last_seq - core.snapshot_seq, "units": len(core.state.units)}))
    core.snapshots = False
    core.close()
"""


def _probe(url: str, snapshots: bool, limit: int = 0) -> dict[str, Any]:
    env = dict(os.environ)
    p = subprocess.run([sys.executable, "-c", _PROBE, url, "1" if snapshots else "0", str(limit)], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-800:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def build(path: Path, n_events: int) -> dict[str, Any]:
    """A store of about `n_events` events with a snapshot before its last TAIL_INCIDENTS incidents."""
    from dispatch import snapshot
    from dispatch.incidents.history import (
        EVENTS_PER_INCIDENT,
        FIELD_EVENTS_PER_INCIDENT,
        write_handled_incidents,
    )
    from dispatch.ops import load_features
    from dispatch.state import State
    from dispatch.store import EventStore

    load_features()
    store = EventStore(f"sqlite:///{path}")
    n_units = 200
    per = EVENTS_PER_INCIDENT + FIELD_EVENTS_PER_INCIDENT
    n_inc = max(1, (n_events - n_units) // per - TAIL_INCIDENTS)
    state = State()
    t0 = time.perf_counter()
    t_start = time.time() - 365 * 86400
    written = write_handled_incidents(store, n_inc, n_units=n_units, t0=t_start, span_s=364 * 86400, state=state,
                                      field=True)
    snapshot.save(store, snapshot.dumps(state), state.last_seq, state.last_hash)
    written += write_handled_incidents(store, TAIL_INCIDENTS, n_units=n_units, t0=time.time() - 86400,
                                       span_s=80000, seed=22, register=False, field=True)
    # a day of fixes per unit (the load seeks each unit's latest)
    day0 = time.time() - 86400
    rows = [(f"officer-{u:04d}", day0 + k * 60.0, 24.3 + u * 1e-4, 109.4 + k * 1e-5, 1.0, 90.0, "bench")
            for u in range(n_units) for k in range(0, 1440, 4)]
    store.add_rows(rows)
    store.flush()
    store.close()
    return {"written": written, "build_s": time.perf_counter() - t0, "db_mb": path.stat().st_size / 1e6}


def run(quick: bool) -> dict[str, float | int]:
    n = FULL_EVENTS  # quick too: the build takes about a minute
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "year.db"
        built = build(path, n)
        url = f"sqlite:///{path}"
        fast = min((_probe(url, True) for _ in range(3)), key=lambda r: r["s"])  # quick too: 3 s each, beside a 60 s build
        sample = 200_000 if quick else 500_000
        full = _probe(url, False, limit=sample)
    return {
        "startup_history_s": round(fast["s"], 2),
        "startup_history_events": int(fast["events"]),
        "startup_from_snapshot": int(bool(fast["from_snapshot"])),
        "startup_tail_events": int(fast["tail"]),
        "startup_full_replay_events_per_s": round(full["events"] / full["s"]),
        "replay_sample_events": int(full["events"]),
        "startup_history_build_s": round(built["build_s"], 1),
        "startup_history_db_mb": round(built["db_mb"], 1),
    }
