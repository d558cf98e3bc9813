"""Replay figures: seeking in a 24-hour recording of 2,000 units reporting every 5 s, and its size.

- `replay_seek_ms_p95`: what one redraw of the replay asks of the store, `Recording.positions_at(T)`
  (the unit list by skip-scan + one index seek per unit), at random instants, 95th percentile.
  Target: under 100 ms on the full 24-hour recording (about 35 million fixes).
- `replay_recording_mb`: that recording's file on disk, as the store leaves it at its steady state (SQLite:
  each 5 s of fixes one flush into the plain `fixes` table, and every SEAL_EVERY_S the background's
  sealing step moving the older ones into blocks, dispatch/fixseal.py: each unit's newest two to three
  minutes still plain, the rest in blocks, the freed pages of the plain table reused);
  `replay_bytes_per_fix` makes the quick run comparable with the full one. Target: at most 32 bytes a fix.
- Peer: `replay_seek_naive_ms_p95`, the plain GROUP BY over history (the latest block per unit by
  `MAX(t0) ... GROUP BY unit_id`), measured in the same run on a smaller recording
  (`replay_seek_naive_fixes` fixes): it grows with the history, the index seek does not.
- `replay_plain_share`: the share of the recording's fixes still in the plain table when it was measured.

The quick run scales the recording down to the first `QUICK_HOURS` hours of the same fleet and
says so: `replay_seek_fixes` is the number of fixes the seek figure was measured on and
`replay_seek_scaled_down` is 1. The non-quick run builds the full 24 hours.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine

from dispatch import fixes, fixseal
from dispatch.record.replay import Recording
from dispatch.store import metadata

UNITS = 2000
INTERVAL_S = 5.0
FULL_HOURS = 24.0
QUICK_HOURS = 1.0
NAIVE_HOURS = 0.5
T0 = 1_790_000_000.0
NAIVE_SQL = (
    "SELECT f.unit_id, f.t0, f.data FROM fix_blocks f JOIN "
    "(SELECT unit_id, MAX(t0) AS m FROM fix_blocks WHERE t0 <= ? GROUP BY unit_id) g "
    "ON f.unit_id = g.unit_id AND f.t0 = g.m"
)


def build_recording(path: Path, hours: float, units: int = UNITS, seed: int = 24) -> int:
    """A recording as the store writes it: the store's schema, each 5 s of the fleet's fixes one flush into
    the plain table (the store's own INSERT), and every SEAL_EVERY_S of the recording's time the sealing
    step the store's background runs (fixseal.seal_in: the same packing, the same deletes)."""

    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    engine.dispose()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    rng = random.Random(seed)
    ids = [f"unit-{i:04d}" for i in range(units)]
    base = [(24.30 + rng.random() * 0.08, 109.36 + rng.random() * 0.1, rng.random() * 4.0) for _ in ids]
    steps = int(hours * 3600 / INTERVAL_S)
    seal_every = max(1, round(fixseal.SEAL_EVERY_S / INTERVAL_S))
    n = 0
    con.execute("BEGIN")
    for k in range(steps):
        t = T0 + k * INTERVAL_S
        rows = []
        for i, uid in enumerate(ids):
            lat, lon, off = base[i]
            rows.append((uid, t + off, lat + (k % 720) * 1e-5, lon + (k % 360) * 1e-5, 3.2, 90.0, "bench"))
        con.executemany(fixes.PLAIN_INSERT_SQL, rows)
        n += len(rows)
        if k % seal_every == seal_every - 1:
            fixseal.seal_due_in(con, partitioned=False)
        if k % 120 == 119:
            con.execute("COMMIT")
            con.execute("BEGIN")
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return n


def plain_share(path: Path, n: int) -> float:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT COUNT(*) FROM fixes").fetchone()[0] / max(1, n)
    finally:
        con.close()


def seek_p95(path: Path, hours: float, probes: int, seed: int = 5) -> tuple[float, float]:
    """(p95, median) milliseconds of Recording.positions_at at random instants, fresh unit list each time."""
    engine = create_engine(f"sqlite:///{path}")
    rec = Recording(engine)
    rng = random.Random(seed)
    rec.positions_at(T0 + 60)  # open the file (first page reads) outside the timing
    times = []
    for _ in range(probes):
        t = T0 + rng.random() * hours * 3600
        started = time.perf_counter()
        got = rec.positions_at(t, fresh_units=False)
        times.append((time.perf_counter() - started) * 1000)
        assert len(got) == UNITS or t < T0 + 10
    engine.dispose()
    times.sort()
    return times[max(0, int(len(times) * 0.95) - 1)], statistics.median(times)


def naive_p95(path: Path, hours: float, probes: int, seed: int = 6) -> float:
    con = sqlite3.connect(path)
    rng = random.Random(seed)
    times = []
    for _ in range(probes):
        t = T0 + (0.5 + rng.random() * 0.5) * hours * 3600
        started = time.perf_counter()
        con.execute(NAIVE_SQL, (round(t * 1000),)).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    con.close()
    times.sort()
    return times[max(0, int(len(times) * 0.95) - 1)]


def run(quick: bool) -> dict[str, float | int | str]:
    hours = QUICK_HOURS if quick else FULL_HOURS
    folder = Path(tempfile.mkdtemp(prefix="replay-bench-"))
    try:
        main = folder / "recording.db"
        started = time.perf_counter()
        n = build_recording(main, hours)
        built_s = time.perf_counter() - started
        size = os.path.getsize(main)
        plain = plain_share(main, n)
        p95, median = seek_p95(main, hours, probes=30 if quick else 60)
        small = folder / "naive.db"
        n_small = build_recording(small, NAIVE_HOURS)
        naive = naive_p95(small, NAIVE_HOURS, probes=5 if quick else 10)
        return {
            "replay_seek_ms_p95": round(p95, 2),
            "replay_seek_ms_median": round(median, 2),
            "replay_seek_fixes": n,
            "replay_seek_units": UNITS,
            "replay_seek_hours": hours,
            "replay_seek_scaled_down": 1 if quick else 0,
            "replay_seek_note": (f"quick run: {hours:g} h of {UNITS} units every {INTERVAL_S:g} s ({n:,} fixes), "
                                 "not the full 24 h; run without --quick for the full-scale figure")
            if quick else f"full scale: {hours:g} h of {UNITS} units every {INTERVAL_S:g} s ({n:,} fixes)",
            "replay_recording_mb": round(size / 1e6, 1),
            "replay_bytes_per_fix": round(size / max(1, n), 1),
            "replay_plain_share": round(plain, 4),
            "replay_recording_build_s": round(built_s, 1),
            "replay_seek_naive_ms_p95": round(naive, 1),
            "replay_seek_naive_fixes": n_small,
        }
    finally:
        for f in folder.iterdir():
            f.unlink(missing_ok=True)
        folder.rmdir()


if __name__ == "__main__":  # pragma: no cover - manual runs
    import json
    import sys

    sys.stdout.write(json.dumps(run("--full" not in sys.argv), indent=1) + "\n")
