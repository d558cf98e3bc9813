"""Retention (issue 21): every fix kept for the policy's days, then one per interval; events never thinned;
the thinning recorded as an event, `audit verify` passing after it; in the background while fixes come in."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from console.cli import main
from dispatch import fixes, fixseal
from dispatch.core import Dispatch
from dispatch.fixblocks import as_stored
from dispatch.ops import call
from dispatch.record import retention
from dispatch.store import EventStore

DAY = 86_400.0
NOW = 1_790_000_000.0
OLD = NOW - 100 * DAY  # beyond 90 days


def track(unit: str, t0: float, seconds: int, step: float = 5.0) -> list[tuple[Any, ...]]:
    return [(unit, t0 + k * step + 0.125, 24.3 + k * 1e-5, 109.4 + (k % 50) * 1e-5, 3.0, 90.0, "feed")
            for k in range(int(seconds / step))]


def one_per(rows: list[tuple[Any, ...]], every_s: float) -> list[tuple[Any, ...]]:
    """Independently: each unit's first fix in each interval of `every_s` from the epoch."""
    out, seen = [], set()
    for r in sorted(rows, key=lambda r: (r[0], r[1])):
        key = (r[0], int(round(r[1] * 1000) // round(every_s * 1000)))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def open_core(url: str, clock: dict[str, float]) -> Dispatch:
    core = Dispatch(EventStore(url, flush_interval=3600), clock=lambda: clock["t"])
    core.register_units("system:test", [{"id": u, "name": u, "kind": "truck"} for u in ("t1", "t2", "t3")])
    return core


def stored(core: Dispatch) -> list[tuple[Any, ...]]:
    with core.store.read() as conn:
        return fixes.fixes_between(conn, None, None)


def plain_units(core: Dispatch) -> set[str]:
    with core.store.read() as conn:
        return set(conn.exec_driver_sql("SELECT DISTINCT unit_id FROM fixes").scalars())


def test_old_fixes_are_thinned_to_one_per_interval_and_the_chain_still_verifies(store_url: str, monkeypatch,
                                                                               capsys) -> None:
    monkeypatch.setattr(retention, "BATCH_BLOCKS", 7)  # many batches: the interval carried across them
    clock = {"t": OLD}
    core = open_core(store_url, clock)
    try:
        # t3 went silent long ago: its last minutes are still in the plain table (nothing newer seals them)
        old = track("t1", OLD, 3600) + track("t2", OLD + 2.5, 3600, step=1.0) + track("t3", OLD, 600, step=1.0)
        recent = track("t1", NOW - 3600, 3600) + track("t2", NOW - 80 * DAY, 600)
        for rows in (old, recent):
            core.ingest(rows)
            core.flush()
        fixseal.seal(core.store)  # as the store's background does: each unit's newest minutes stay plain
        assert plain_units(core) == {"t1", "t2", "t3"}
        clock["t"] = NOW
        events_before = [e.hash for e in core.store.events()]
        assert call(core, "retention.show", {}, actor="admin:boss")["keep_all_days"] is None
        assert call(core, "retention.apply", {}, actor="admin:boss")["applied"] is None  # no policy: nothing
        call(core, "retention.set", {"keep_all_days": 90, "every_s": 30}, actor="admin:boss")
        r = call(core, "retention.apply", {}, actor="admin:boss")
        want = sorted([as_stored(f) for f in one_per(old, 30.0) + recent], key=lambda f: (f[0], f[1]))
        assert stored(core) == want
        assert r["applied"]["thinned"] == len(old) - len(one_per(old, 30.0)) == r["thinned"]
        assert r["applied"]["to_ts"] == pytest.approx(NOW - 90 * DAY, abs=1e-3)
        assert r["keep_all_days"] == 90 and r["every_s"] == 30
        assert plain_units(core) == {"t1", "t2"}  # t3's last minutes sealed, then thinned with the rest
        again = call(core, "retention.apply", {}, actor="admin:boss")
        assert stored(core) == want and again["thinned"] == r["thinned"]
        kinds = [e.kind for e in core.store.events()]
        assert kinds.count("retention.policy_set") == 1 and kinds.count("retention.applied") >= 1
        assert [e.hash for e in core.store.events()][:len(events_before)] == events_before  # no event thinned
        with pytest.raises(Exception, match="1 to 36,500 days"):
            call(core, "retention.set", {"keep_all_days": 0}, actor="admin:boss")
    finally:
        core.close()
    assert main(["audit", "verify", "--db", store_url]) == 0
    assert "chain ok" in capsys.readouterr().out
    assert main(["ctl", "--db", store_url, "retention", "show"]) == 0
    assert "every fix kept 90 days, then one per 30 s; thinned up to" in capsys.readouterr().out


def test_thinning_in_the_background_leaves_the_fixes_coming_in_alone(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(retention, "BATCH_BLOCKS", 5)
    monkeypatch.setattr(retention, "PAUSE_S", 0.001)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    clock = {"t": OLD}
    core = open_core(url, clock)
    worker = None
    try:
        old = track("t1", OLD, 7200) + track("t2", OLD, 7200)
        core.ingest(old)
        core.flush()
        clock["t"] = NOW
        call(core, "retention.set", {"keep_all_days": 90, "every_s": 30}, actor="admin:boss")
        applied = threading.Event()
        core.subscribe(lambda ch: applied.set() if any(e.kind == "retention.applied" for e in ch.events) else None)
        worker = retention.start(core)
        live: list[tuple[Any, ...]] = []
        k = 0
        while not applied.is_set():  # fixes keep coming while the old ones are thinned
            batch = [("t1", NOW + k, 24.3 + k * 1e-6, 109.4, 1.0, 2.0, "live")]
            core.ingest(batch)
            core.flush()
            live += batch
            k += 1
            assert k < 200_000, "the background never recorded its run"
        assert applied.wait(60)
        want = sorted([as_stored(f) for f in one_per(old, 30.0) + live], key=lambda f: (f[0], f[1]))
        assert stored(core) == want
    finally:
        if worker is not None:
            worker.stop()
        core.close()
