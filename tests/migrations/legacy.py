"""A store written by the last version before migrations (437254c): its own store and hub-table code, from git."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEGACY = "437254cf8fb02dfc281cb51873427bddb65a49a0"  # the last commit whose store had no migrations


def _source(path: str, commit: str = LEGACY) -> str:
    try:
        p = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except OSError as exc:
        pytest.skip(f"git not available: {exc}")
    if p.returncode != 0:
        pytest.skip(f"the previous version is not in this checkout's history: {p.stderr.strip()}")
    return p.stdout


def legacy_store_module() -> Any:
    """dispatch/store.py and dispatch/hub/tables.py as version 437254c had them, as one module."""
    mod = types.ModuleType("legacy_store")
    sys.modules["legacy_store"] = mod  # dataclasses look their module up
    try:
        exec(compile(_source("dispatch/store.py"), "legacy_store.py", "exec"), mod.__dict__)
        tables = _source("dispatch/hub/tables.py").replace("from dispatch.store import metadata", "")
        exec(compile(tables, "legacy_hub_tables.py", "exec"), mod.__dict__)
    finally:
        sys.modules.pop("legacy_store", None)
    return mod


def write_legacy_store(url: str) -> list[tuple[Any, ...]]:
    """Fill a store as the previous version did (its EventStore; today's operations on top). Returns its events."""
    from dispatch.core import Dispatch
    from dispatch.ops import call

    legacy = legacy_store_module()
    store = legacy.EventStore(url)
    core = Dispatch(store)  # today's core runs on the old store class: same API, the old schema code
    try:
        core.register_units("system:demo", [{"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"},
                                            {"id": "officer-01", "name": "Officer 1", "kind": "officer"}])
        core.ingest([("boat-01", core.clock(), 24.33, 109.41, 2.0, 90.0, "t")])
        core.flush()
        iid = call(core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.33,
                                             "lon": 109.41, "text": "漂浮垃圾", "verified": True}, actor="dispatcher:wang")["id"]
        call(core, "incident.assign", {"incident_id": iid, "unit_id": "boat-01"}, actor="dispatcher:wang")
        with store.write() as conn:  # a hub had run on it: its identity row
            conn.execute(legacy.identity_table.insert().values(name="hub", public_key="k" * 40,
                                                                secret_key="s" * 40, created=1.0))
    finally:
        core.close()
    return events_of(url)


def events_of(url: str) -> list[tuple[Any, ...]]:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.exec_driver_sql(
                "SELECT seq, ts, actor, kind, entity, payload, prev_hash, hash FROM events ORDER BY seq")]
    finally:
        engine.dispose()
