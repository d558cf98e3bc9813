"""The replay bench's recording is built with the store's own INSERT and sealing step: a small one reads
back whole through the replay reader (the bench broke once when the store's INSERT moved)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from dispatch.record import bench
from dispatch.record.replay import Recording


def test_a_small_bench_recording_is_sealed_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    n = bench.build_recording(path, hours=0.25, units=5)
    assert n == 5 * int(0.25 * 3600 / bench.INTERVAL_S)
    assert 0.0 < bench.plain_share(path, n) < 1.0  # both tiers hold fixes: the newest plain, the rest sealed
    engine = create_engine(f"sqlite:///{path}")  # as the bench reads it
    try:
        last = Recording(engine).positions_at(bench.T0 + 0.25 * 3600)
        assert sorted(f.unit_id for f in last) == [f"unit-{i:04d}" for i in range(5)]
    finally:
        engine.dispose()
