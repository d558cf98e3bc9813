"""Revision 0004 (issue 21): a store of the previous version (revision 0003, a row per fix) upgrades in place:
its fixes stay in the plain table, readable as before, and sealing moves the older ones into blocks with
every fix equal at the stored precision; its events untouched and `audit verify` passing; on PostgreSQL
the blocks land in day partitions and the plain table's ids become bigint. A downgrade puts the sealed
fixes back into the plain table."""

from __future__ import annotations

import sys
import types
from typing import Any

from sqlalchemy import create_engine

from console.cli import main
from dispatch import fixes, fixseal, migrations
from dispatch.fixblocks import as_stored, partition_name
from dispatch.store import EventStore, make_engine
from tests.migrations.legacy import _source, events_of

PREVIOUS = "a9b1cafde65ef60dde4d6592689a61ab1c4fe756"  # the last commit whose store kept a row per fix (0003)
T0 = 1_790_000_000.0


def previous_store_module() -> Any:
    """dispatch/store.py as the previous version had it, its own schema step left out (the schema is
    put at revision 0003 by the migrations themselves)."""
    mod = types.ModuleType("previous_store")
    sys.modules["previous_store"] = mod
    try:
        exec(compile(_source("dispatch/store.py", PREVIOUS), "previous_store.py", "exec"), mod.__dict__)
    finally:
        sys.modules.pop("previous_store", None)
    mod.EventStore._migrate = lambda self: None
    return mod


def sample_fixes() -> list[tuple[Any, ...]]:
    """What a store meets: minutes of 1 Hz and 5 s fixes, times finer than a millisecond, no speed or
    course, a speed no compact record holds, a jump across the map, a fix out of order, a tie, sources."""
    rows: list[tuple[Any, ...]] = []
    for k in range(200):
        rows.append(("boat-01", T0 + k + 0.0004, 24.33 + k * 3.3e-5, 109.41 - k * 1.23456789e-5, 2.345, 90.12, "feed-a"))
        if k % 5 == 0:
            rows.append(("officer-01", T0 + k * 1.0 + 0.25, 24.301 + k * 1e-6, 109.40, None, None, None))
    rows.append(("boat-01", T0 + 30.5, 24.5, 109.6, 700.0, -5.0, "feed-b"))  # out of order, wide
    rows.append(("boat-01", T0 + 250.0, 22.8, 108.3, 1.0, 359.99, "feed-b"))  # far away
    rows.append(("boat-01", T0 + 250.0, 22.9, 108.4, 1.0, 0.0, "feed-b"))  # a tie: stored last wins
    return rows


def write_previous_store(url: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            migrations._run_upgrade(conn, "0003")
    finally:
        engine.dispose()
    from dispatch.core import Dispatch
    from dispatch.ops import call

    store = previous_store_module().EventStore(url)
    core = Dispatch(store, clock=lambda: T0 + 300.0)
    try:
        core.register_units("system:demo", [{"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"},
                                            {"id": "officer-01", "name": "Officer 1", "kind": "officer"}])
        core.ingest(sample_fixes())
        core.flush()
        call(core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.33,
                                       "lon": 109.41, "text": "漂浮垃圾", "verified": True}, actor="dispatcher:wang")
    finally:
        core.close()
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.exec_driver_sql(
                "SELECT unit_id, ts, lat, lon, speed, course, source FROM fixes ORDER BY unit_id, ts, id")]
    finally:
        engine.dispose()


def test_a_store_of_the_previous_version_keeps_its_fixes_readable_and_seals_them(store_url: str, capsys) -> None:
    before = write_previous_store(store_url)
    assert len(before) == len(sample_fixes())
    events = events_of(store_url)
    assert main(["db", "upgrade", "--db", store_url]) == 0
    assert "to revision 0004" in capsys.readouterr().out or migrations.head() != "0004"
    assert events_of(store_url) == events
    store = EventStore(store_url)
    try:
        with store.read() as conn:
            plain = [tuple(r) for r in conn.exec_driver_sql(
                "SELECT unit_id, ts, lat, lon, speed, course, source FROM fixes ORDER BY unit_id, ts, id")]
            assert plain == before  # nothing moved by the upgrade: the plain table as it was
            assert fixes.fixes_between(conn, None, None) == [as_stored(r) for r in before]
            tables = set(conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'" if store.is_sqlite else
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").scalars())
        assert {"fixes", "fix_blocks", "fix_sources"} <= tables
        assert fixseal.seal(store) > 50  # the background's step: the old minutes into blocks
        with store.read() as conn:
            assert fixes.fixes_between(conn, None, None) == [as_stored(r) for r in before]
            assert fixes.count(conn) == len(before)
            sealed = conn.exec_driver_sql("SELECT SUM(n) FROM fix_blocks").scalar()
            left = conn.exec_driver_sql("SELECT COUNT(*) FROM fixes").scalar()
            if not store.is_sqlite:
                tables = set(conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").scalars())
                assert partition_name(round(T0 * 1000)) in tables
        assert sealed + left == len(before) and left > 0
        latest = store.latest_fixes()
        assert (latest["boat-01"].lat, latest["boat-01"].lon, latest["boat-01"].ts) == (22.9, 108.4, T0 + 250.0)
        assert latest["officer-01"].speed is None and latest["officer-01"].source is None
        assert store.latest_fixes(at=T0 + 50.5)["boat-01"].ts == T0 + 50.0  # a sealed one
    finally:
        store.close()
    assert main(["audit", "verify", "--db", store_url]) == 0
    assert f"chain ok: {len(events)} events" in capsys.readouterr().out


def test_a_downgrade_puts_the_sealed_fixes_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'store.db'}"
    before = write_previous_store(url)
    store = EventStore(url)
    try:
        assert fixseal.seal(store) > 0
        with store.read() as conn:
            want = fixes.fixes_between(conn, None, None)
    finally:
        store.close()
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            sd = migrations.script()
            cfg = Config()
            cfg.set_main_option("script_location", str(migrations.HERE))
            with EnvironmentContext(cfg, sd, fn=lambda rev, _c: sd._downgrade_revs("0003", rev),
                                    destination_rev="0003") as env:
                env.configure(connection=conn, target_metadata=None)
                with env.begin_transaction():
                    env.run_migrations()
            rows = [tuple(r) for r in conn.exec_driver_sql(
                "SELECT unit_id, ts, lat, lon, speed, course, source FROM fixes ORDER BY unit_id, ts, id")]
            tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        engine.dispose()
    assert "fix_blocks" not in tables and "fix_sources" not in tables
    assert len(rows) == len(before) and [as_stored(r) for r in rows] == want
