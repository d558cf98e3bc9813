"""Stored fixes in two tiers (dispatch/fixes.py, fixblocks.py, fixseal.py): the plain `fixes` table holds each
unit's newest minutes, sealing moves older ones into blocks; every reader sees both as one, at the stored
precision, the same before and after sealing: flush after flush, out of order, tied, across days
(PostgreSQL: one partition per day)."""

from __future__ import annotations

import random
import sqlite3
from typing import Any

import pytest

from dispatch import fixes, fixseal
from dispatch.fixblocks import as_stored, ms_of, partition_name
from dispatch.store import EventStore, FixRow
from tests.conftest import wait_for

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
                ts -= rng.uniform(1, 300)  # late: often behind the unit's sealing horizon
            r = rng.random()
            speed = None if r < 0.1 else rng.choice([1000.0, -1.0]) if r < 0.13 else rng.uniform(0, 40)
            course = None if rng.random() < 0.1 else rng.uniform(0, 360)
            source = rng.choice([None, "nmea:a", "ais", "jt808"])
            batch.append((u, ts, p[0], p[1], speed, course, source))
            if rng.random() < 0.02:
                batch.append((u, ts, p[0] + 1e-4, p[1], speed, course, source))  # a tie
        batches.append(batch)
    return batches


def reference(stored: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Independently: every fix at the stored precision, by unit, millisecond, then storing order."""
    return [as_stored(r) for _i, r in sorted(enumerate(stored), key=lambda e: (e[1][0], ms_of(e[1][1]), e[0]))]


def brute_last(stored: list[tuple[Any, ...]], t: float) -> dict[str, tuple[Any, ...]]:
    """Each unit's last fix at or before t (by the stored millisecond; ties: stored last)."""
    want: dict[str, tuple[Any, ...]] = {}
    t_ms = ms_of(t)
    for f in stored:  # in storing order: a later one wins a tie
        if ms_of(f[1]) <= t_ms and (f[0] not in want or ms_of(f[1]) >= ms_of(want[f[0]][1])):
            want[f[0]] = f
    return {u: as_stored(f) for u, f in want.items()}


def tiers(store: EventStore) -> tuple[int, int]:
    with store.read() as conn:
        plain = conn.exec_driver_sql("SELECT COUNT(*) FROM fixes").scalar()
        sealed = conn.exec_driver_sql("SELECT COALESCE(SUM(n), 0) FROM fix_blocks").scalar()
    return int(plain), int(sealed)


def check_store(store: EventStore, stored: list[tuple[Any, ...]]) -> None:
    want_all = reference(stored)
    with store.read() as conn:
        assert fixes.fixes_between(conn, None, None) == want_all
        assert fixes.count(conn) == len(stored)
        assert fixes.unit_ids(conn) == sorted({r[0] for r in stored})
        lo, hi = min(r[1] for r in want_all), max(r[1] for r in want_all)
        assert fixes.span(conn) == (lo, hi)
        window = fixes.fixes_between(conn, T0 + 100, T0 + 160, ["u1", "u3"], from_open=True, order="time")
        assert [r[1] for r in window] == sorted(r[1] for r in window)  # in time order (units' ties: any order)
        assert sorted(window, key=lambda r: (r[1], r[0])) == sorted(
            (r for r in want_all if r[0] in ("u1", "u3") and T0 + 100 < r[1] <= T0 + 160),
            key=lambda r: (r[1], r[0]))
    rng = random.Random(3)
    for t in [lo - 1, lo, hi, hi + 5] + [rng.uniform(lo, hi) for _ in range(40)] + [r[1] for r in stored[::97]]:
        want = brute_last(stored, t)
        assert store.latest_fixes(at=t) == {u: FixRow(*f) for u, f in want.items()}, t
        assert {u: FixRow(*f) for u, f in want.items() if u in ("u2", "u5", "nobody")} == \
            store.latest_fixes(at=t, units=["u2", "u5", "nobody"])


def fill_and_check(store: EventStore, batches: list[list[tuple[Any, ...]]]) -> None:
    """Flush after flush, sealing now and then; every reader checked with fixes in both tiers."""
    stored: list[tuple[Any, ...]] = []
    for k, batch in enumerate(batches):
        store.add_rows(batch)
        store.flush()
        stored += batch
        if k % 97 == 96:
            fixseal.seal(store)
    check_store(store, stored)
    plain, sealed = tiers(store)
    assert plain + sealed == len(stored) and plain > 0 and sealed > len(stored) / 3
    with store.read() as conn:
        horizons = {u: fixseal.horizon(hi) for u, hi in conn.exec_driver_sql(
            "SELECT unit_id, MAX(ts) FROM fixes GROUP BY unit_id")}
    fixseal.seal(store)
    with store.read() as conn:  # what stays plain is each unit's newest minutes, nothing older
        left = conn.exec_driver_sql("SELECT unit_id, MIN(ts), MAX(ts) FROM fixes GROUP BY unit_id").all()
    assert left and all(lo >= horizons[u] and hi - lo <= fixseal.SEAL_AFTER_S + fixseal.SEAL_STEP_S
                        for u, lo, hi in left)
    check_store(store, stored)  # the same answers after sealing


def test_both_tiers_read_as_one_before_and_after_sealing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = EventStore(f"sqlite:///{tmp_path / 'store.db'}", flush_interval=3600)
    try:
        fill_and_check(store, random_fixes(1))
        with store.read() as conn:
            blocks, n = conn.exec_driver_sql("SELECT COUNT(*), SUM(n) FROM fix_blocks").one()
        assert n / blocks > 5  # a block holds many fixes, not one (even with these late, wide and far ones)
    finally:
        store.close()


@pytest.mark.postgres
def test_fixes_on_postgresql_are_sealed_into_day_partitions(pg_url: str) -> None:
    store = EventStore(pg_url, flush_interval=3600)
    try:
        fill_and_check(store, random_fixes(2))  # T0 is 200 s before midnight UTC
        with store.read() as conn:
            parts = set(conn.exec_driver_sql(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'fix_blocks'").scalars())
            days = {partition_name(t0) for t0 in conn.exec_driver_sql("SELECT t0 FROM fix_blocks").scalars()}
            id_type = conn.exec_driver_sql("SELECT data_type FROM information_schema.columns "
                                           "WHERE table_name = 'fixes' AND column_name = 'id'").scalar()
        assert days == parts and len(parts) >= 2
        assert id_type == "bigint"
    finally:
        store.close()


def test_positions_at_agree_with_plain_sql_over_both_tiers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What replay-positions-audit checks, on a store with sealed history: `ctl positions --at T` is the latest
    fix at or before T per unit, computed here from the rows of both tables read with plain SQL (the plain
    table as it is, the blocks decoded by fixblocks.records)."""
    import datetime as dt
    import json
    import subprocess
    import sys

    from dispatch.fixblocks import records

    path = tmp_path / "store.db"
    store = EventStore(f"sqlite:///{path}", flush_interval=3600)
    try:
        for batch in random_fixes(7, units=12, seconds=600):
            store.add_rows(batch)
            store.flush()
        fixseal.seal(store)
        plain, sealed = tiers(store)
        assert plain > 500 and sealed > plain
    finally:
        store.close()
    con = sqlite3.connect(path)
    rows = [(u, t, la, lo) for u, t, la, lo in con.execute("SELECT unit_id, ts, lat, lon FROM fixes ORDER BY id")]
    for unit_id, t0, lat0, lon0, fmt, data in con.execute(
            "SELECT unit_id, t0, lat0, lon0, fmt, data FROM fix_blocks ORDER BY id"):
        rows += [(unit_id, r[0] / 1000.0, r[1], r[2]) for r in records(t0, lat0, lon0, fmt, data)]
    con.close()
    times = sorted(r[1] for r in rows)
    for T in (times[len(times) * 2 // 3], times[len(times) // 3]):  # in the plain minutes; in the blocks
        want: dict[str, tuple[float, float, float]] = {}
        for u, t, la, lo in rows:
            if t <= T and (u not in want or t >= want[u][0]):
                want[u] = (t, la, lo)
        at = dt.datetime.fromtimestamp(T, dt.UTC).isoformat()
        p = subprocess.run([sys.executable, "main.py", "ctl", "--db", f"sqlite:///{path}", "positions", "--at",
                            at, "--json"], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        got = json.loads(p.stdout)
        got = got.get("positions", got) if isinstance(got, dict) else got
        gmap = {o["unit_id"]: (o["lat"], o["lon"]) for o in got}
        assert len(want) == 12 and all(abs(gmap[u][0] - la) < 1e-6 and abs(gmap[u][1] - lo) < 1e-6
                                       for u, (_t, la, lo) in want.items()), T


def test_a_window_read_page_by_page_is_the_window(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """replay.page's fixes (a seat's replay through the hub): every fix once, in time order, ties across pages,
    with the window partly sealed."""
    store = EventStore(f"sqlite:///{tmp_path / 'store.db'}", flush_interval=3600)
    try:
        batches = random_fixes(5, seconds=300)
        batches.append([(f"u{i}", T0 + 150.0, 24.3, 109.4, 1.0, 2.0, "tie") for i in range(7)] * 2)  # 14 at one ms
        for b in batches:
            store.add_rows(b)
            store.flush()
        fixseal.seal(store)
        assert all(tiers(store))
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
                assert got == want, limit
    finally:
        store.close()


def test_a_backlog_is_sealed_in_bounded_batches(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A store upgraded with a long history in the plain table: sealed batch by batch (each at most
    SEAL_BATCH_ROWS fixes), a unit cut between batches, every fix kept."""
    monkeypatch.setattr(fixseal, "SEAL_BATCH_ROWS", 250)
    store = EventStore(f"sqlite:///{tmp_path / 'store.db'}", flush_interval=3600)
    try:
        rows = [(f"u{i}", T0 + k * 1.0 + i * 0.01, 24.3 + k * 1e-5, 109.4, 2.0, 90.0, "feed")
                for k in range(1800) for i in range(3)]
        store.add_rows(rows)
        store.flush()
        writes = []
        real_write = store.write

        def counting_write() -> Any:
            writes.append(1)
            return real_write()

        monkeypatch.setattr(store, "write", counting_write)
        moved = fixseal.seal(store)
        assert moved == len(rows) - tiers(store)[0] and len(writes) >= moved / 250
        check_store(store, rows)
    finally:
        store.close()


def test_the_store_seals_in_the_background_while_fixes_come_in(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The first flush starts the store's sealing thread; its batches interleave with the flushes of new fixes
    (each its own short transaction): nothing lost, nothing twice, the answers the same."""
    monkeypatch.setattr(fixseal, "SEAL_EVERY_S", 0.05)
    monkeypatch.setattr(fixseal, "SEAL_BATCH_ROWS", 100)
    monkeypatch.setattr(fixseal, "SEAL_PAUSE_S", 0.0)
    store = EventStore(f"sqlite:///{tmp_path / 'store.db'}", flush_interval=3600)
    try:
        rows = [(f"u{i}", T0 + k + i * 0.1, 24.3 + k * 1e-5, 109.4 + i * 1e-3, 2.0, 90.0, None)
                for k in range(600) for i in range(5)]
        store.add_rows(rows)
        store.flush()  # the first flush starts the sealing thread
        k = 600
        while tiers(store)[1] < 2000:  # new fixes keep coming while the backlog is sealed
            batch = [(f"u{i}", T0 + k + i * 0.1, 24.3 + k * 1e-5, 109.4 + i * 1e-3, 2.0, 90.0, None) for i in range(5)]
            store.add_rows(batch)
            store.flush()
            rows += batch
            k += 1
            assert k < 100_000, "the background never sealed"
        wait_for(lambda: tiers(store)[0] <= 5 * 180, what="everything but the newest minutes sealed")
        check_store(store, rows)
    finally:
        store.close()
    assert store._sealer is not None and not store._sealer.thread.is_alive()


def _minutes_of_fixes(units: int, seconds: int) -> list[tuple[Any, ...]]:
    return [(f"u{i}", T0 + k + i * 0.1, 24.3 + k * 1e-5, 109.4 + i * 1e-3, 2.0, 90.0, "nmea:log")
            for k in range(seconds) for i in range(units)]


def test_a_program_that_wrote_fixes_seals_them_when_it_closes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A program that lives less than the background's interval (`main.py ingest` of a day's log, a tool)
    seals what it wrote on closing, after its last flush: the store it leaves holds each unit's newest
    minutes plain and the rest in blocks, every fix readable as before."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    rows = _minutes_of_fixes(3, 900)  # 15 minutes of three units
    store = EventStore(url, flush_interval=3600)
    try:
        store.add_rows(rows[:-30])
        store.flush()
        store.add_rows(rows[-30:])  # left in the buffer: written by close, then sealed with the rest
        assert tiers(store) == (len(rows) - 30, 0)  # the background's first run is SEAL_EVERY_S away
    finally:
        store.close()
    reader = EventStore(url)
    try:
        plain, sealed = tiers(reader)
        assert plain + sealed == len(rows)
        assert 0 < plain <= 3 * (fixseal.SEAL_AFTER_S + fixseal.SEAL_STEP_S)  # only each unit's newest minutes
        check_store(reader, rows)
    finally:
        reader.close()


def test_sealing_on_close_is_bounded_and_leaves_the_rest_plain(tmp_path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    """With its time up after the first batch, the closing program stops there, says so, and loses nothing:
    the rest stays plain for the next writer's background."""
    monkeypatch.setattr(fixseal, "SEAL_ON_CLOSE_S", 0.0)
    monkeypatch.setattr(fixseal, "SEAL_BATCH_ROWS", 500)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    rows = _minutes_of_fixes(5, 600)
    store = EventStore(url, flush_interval=3600)
    with caplog.at_level("INFO", logger="dispatch.fixseal"):
        try:
            store.add_rows(rows)
            store.flush()
        finally:
            store.close()
    assert any("stay plain until the next program" in r.getMessage() for r in caplog.records)
    reader = EventStore(url)
    try:
        plain, sealed = tiers(reader)
        assert plain + sealed == len(rows) and 0 < sealed <= 500 + 5 * 60
        check_store(reader, rows)
    finally:
        reader.close()


def test_the_sealer_reads_what_is_due_in_its_write_transaction(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Which units are due is read on the connection that then writes, under the write lock: never beside
    another writer (a read during a write opens another pooled connection for the process's life)."""
    store = EventStore(f"sqlite:///{tmp_path / 'store.db'}", flush_interval=3600)
    kinds = []
    real = fixseal.due

    def due(conn, before=None):  # type: ignore[no-untyped-def]
        kinds.append(conn.get_execution_options().get("write"))
        return real(conn, before)

    monkeypatch.setattr(fixseal, "due", due)
    try:
        store.add_rows([(f"u{i}", T0 + s, 24.3, 109.4, 1.0, 0.0, "t") for s in range(400) for i in range(3)])
        store.flush()
        assert fixseal.seal(store) > 0
        assert kinds == [True]
        assert fixseal.seal(store) == 0 and kinds == [True, True]  # nothing left: one transaction, empty
    finally:
        store.close()
