"""Fixes stored in blocks (dispatch/fixes.py): what goes in comes back at the stored precision, flush after
flush, out of order, tied, across days (PostgreSQL: one partition per day), and after a block went away."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dispatch import fixes
from dispatch.store import EventStore

T0 = 1_790_035_000.0  # 200 s before midnight UTC: the fixes cross a day


def random_fixes(seed: int, units: int = 7, seconds: int = 400) -> list[list[tuple[Any, ...]]]:
    """Batches of fixes, one per second, as a flush sees them: most in order, some late, some tied."""
    rng = random.Random(seed)
    pos = {f"u{i}": [24.3 + i * 0.01, 109.4 - i * 0.01] for i in range(units)}
    batches = []
    for s in range(seconds):
        batch = []
        for u, p in pos.items():
            if rng.random() < 0.2:
                continue
            p[0] += rng.uniform(-3e-4, 3e-4)
            p[1] += rng.uniform(-3e-4, 3e-4)
            if rng.random() < 0.01:
                p[0], p[1] = rng.uniform(-89, 89), rng.uniform(-179, 179)  # a jump
            ts = T0 + s + rng.random() * 0.9
            if rng.random() < 0.03:
                ts -= rng.uniform(1, 120)  # late
            r = rng.random()
            speed = None if r < 0.1 else rng.choice([1000.0, -1.0]) if r < 0.13 else rng.uniform(0, 40)
            course = None if rng.random() < 0.1 else rng.uniform(0, 360)
            source = rng.choice([None, "nmea:a", "ais", "jt808"])
            batch.append((u, ts, p[0], p[1], speed, course, source))
            if rng.random() < 0.02:
                batch.append((u, ts, p[0] + 1e-4, p[1], speed, course, source))  # a tie
        batches.append(batch)
    return batches


def brute_last(stored: list[tuple[Any, ...]], t: float) -> dict[str, tuple[Any, ...]]:
    want: dict[str, tuple[Any, ...]] = {}
    for f in stored:  # in storing order: a later one wins a tie
        if f[1] <= t and (f[0] not in want or f[1] >= want[f[0]][1]):
            want[f[0]] = f
    return want


def check_store(store: EventStore, batches: list[list[tuple[Any, ...]]]) -> None:
    for batch in batches:
        store.add_rows(batch)
        store.flush()
    stored = [fixes.as_stored(r) for b in batches for r in b]
    order = {id(r): i for i, r in enumerate(stored)}
    with store.read() as conn:
        got = fixes.fixes_between(conn, None, None)
        assert got == sorted(stored, key=lambda r: (r[0], r[1], order[id(r)]))
        assert fixes.count(conn) == len(stored)
        assert fixes.unit_ids(conn) == sorted({r[0] for r in stored})
        lo, hi = min(r[1] for r in stored), max(r[1] for r in stored)
        assert fixes.span(conn) == (lo, hi)
        window = fixes.fixes_between(conn, T0 + 100, T0 + 160, ["u1", "u3"], from_open=True, order="time")
        assert [r[1] for r in window] == sorted(r[1] for r in window)  # in time order (units' ties: any order)
        assert sorted(window, key=lambda r: (r[1], r[0])) == sorted(
            (r for r in stored if r[0] in ("u1", "u3") and T0 + 100 < r[1] <= T0 + 160),
            key=lambda r: (r[1], r[0], order[id(r)]))
    rng = random.Random(3)
    for t in [lo - 1, lo, hi, hi + 5] + [rng.uniform(lo, hi) for _ in range(40)] + [r[1] for r in stored[::97]]:
        want = brute_last(stored, t)
        assert store.latest_fixes(at=t) == {u: store_row(f) for u, f in want.items()}, t
        assert {u: store_row(f) for u, f in want.items() if u in ("u2", "u5", "nobody")} == \
            store.latest_fixes(at=t, units=["u2", "u5", "nobody"])


def store_row(f: tuple[Any, ...]) -> Any:
    from dispatch.store import FixRow

    return FixRow(*f)


def test_fixes_come_back_at_the_stored_precision_flush_after_flush(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = EventStore(f"sqlite:///{tmp_path / 'store.db'}", flush_interval=3600)
    try:
        check_store(store, random_fixes(1))
        with store.read() as conn:
            blocks, n = conn.exec_driver_sql("SELECT COUNT(*), SUM(n) FROM fix_blocks").one()
        assert n / blocks > 5  # a block holds many fixes, not one (even with these late, wide and far ones)
    finally:
        store.close()


@pytest.mark.postgres
def test_fixes_on_postgresql_are_partitioned_by_day(pg_url: str) -> None:
    store = EventStore(pg_url, flush_interval=3600)
    try:
        check_store(store, random_fixes(2))  # T0 is 200 s before midnight UTC
        with store.read() as conn:
            parts = set(conn.exec_driver_sql(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'fix_blocks'").scalars())
            days = {fixes.partition_name(t0) for t0 in conn.exec_driver_sql("SELECT t0 FROM fix_blocks").scalars()}
        assert days == parts and len(parts) >= 2
    finally:
        store.close()


def test_a_block_that_went_away_is_written_anew(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Another program removed the block this one was filling: the next flush writes it again, nothing lost."""
    store = EventStore(f"sqlite:///{tmp_path / 'store.db'}", flush_interval=3600)
    try:
        store.add_rows([("u1", T0, 24.3, 109.4, 1.0, 2.0, "a"), ("u2", T0, 24.4, 109.5, 1.0, 2.0, "a")])
        store.flush()
        with store.write() as conn:
            conn.exec_driver_sql("DELETE FROM fix_blocks WHERE unit_id = 'u1'")
        store.add_rows([("u1", T0 + 1, 24.3001, 109.4, 1.0, 2.0, "a"), ("u2", T0 + 1, 24.4001, 109.5, 1.0, 2.0, "a")])
        store.flush()
        with store.read() as conn:
            got = [(r[0], r[1]) for r in fixes.fixes_between(conn, None, None)]
        assert got == [("u1", T0), ("u1", T0 + 1), ("u2", T0), ("u2", T0 + 1)]
    finally:
        store.close()


def test_a_new_program_continues_in_new_blocks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first = random_fixes(4, seconds=60)
    store = EventStore(url, flush_interval=3600)
    for b in first[:30]:
        store.add_rows(b)
        store.flush()
    store.close()
    store = EventStore(url, flush_interval=3600)
    try:
        for b in first[30:]:
            store.add_rows(b)
            store.flush()
        with store.read() as conn:
            assert fixes.count(conn) == sum(len(b) for b in first)
            assert fixes.fixes_between(conn, None, None) == sorted(
                (fixes.as_stored(r) for b in first for r in b), key=lambda r: (r[0], r[1]))
    finally:
        store.close()


def test_a_window_read_page_by_page_is_the_window(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """replay.page's fixes (a seat's replay through the hub): every fix once, in time order, ties across pages."""
    store = EventStore(f"sqlite:///{tmp_path / 'store.db'}", flush_interval=3600)
    try:
        batches = random_fixes(5, seconds=300)
        batches.append([(f"u{i}", T0 + 150.0, 24.3, 109.4, 1.0, 2.0, "tie") for i in range(7)] * 2)  # 14 at one ms
        for b in batches:
            store.add_rows(b)
            store.flush()
        lo, hi = T0 + 20.0, T0 + 280.0
        with store.read() as conn:
            want = fixes.fixes_between(conn, lo, hi, from_open=True, order="time")
            for limit in (1, 5, 13, 400, 100_000):
                got, cursor = [], None
                while True:
                    page, cursor = fixes.fixes_page(conn, lo, hi, cursor, limit)
                    got += page
                    if len(page) < limit:
                        break
                assert sorted(got, key=lambda r: (r[1], r[0])) == sorted(want, key=lambda r: (r[1], r[0])), limit
                assert [r[1] for r in got] == sorted(r[1] for r in got)
    finally:
        store.close()
