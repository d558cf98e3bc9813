"""Alembic migrations: a fresh store, a store from before migrations, a store newer than the program,
on SQLite files and on PostgreSQL; the head revision is exactly the schema the code declares."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from console.cli import main
from dispatch import migrations
from dispatch.store import EventStore, StoreError
from tests.migrations.legacy import events_of, write_legacy_store


def revision_of(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return [r[0] for r in c.exec_driver_sql("SELECT version_num FROM alembic_version")]
    finally:
        engine.dispose()


def test_the_head_revision_is_the_schema_the_code_declares(store_url: str) -> None:
    """Every table, column and index of `dispatch.store.metadata` (with every capability's tables) comes
    from a migration, and no migration makes anything the code does not declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import dispatch.hub.tables  # noqa: F401  (the hub's tables join metadata)
    from dispatch.core import Dispatch
    from dispatch.store import metadata

    Dispatch(EventStore(store_url)).close()  # loads every capability (their tables join metadata)
    engine = create_engine(store_url)
    try:
        with engine.connect() as c:
            diff = compare_metadata(MigrationContext.configure(c), metadata)
    finally:
        engine.dispose()
    assert diff == []
    assert revision_of(store_url) == [migrations.head()]


def test_a_store_at_the_head_opens_without_alembic(tmp_path: Path) -> None:
    """The head read off versions/ is Alembic's own; a store already at it is opened with one read and no
    Alembic import (a fresh store, or one behind, still goes through Alembic)."""
    import subprocess
    import sys

    assert migrations.quick_head() == migrations.head()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    probe = ("import sys; from dispatch.store import EventStore; s = EventStore(sys.argv[1]); s.close(); "
             "print('alembic' in sys.modules)")
    root = Path(__file__).resolve().parents[2]
    runs = [subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, cwd=root, check=True)
            .stdout.strip() for _ in range(2)]
    assert runs == ["True", "False"]  # created through Alembic, then opened without it


def test_a_store_from_the_previous_version_upgrades_in_place_with_its_chain_intact(store_url: str, capsys) -> None:
    before = write_legacy_store(store_url)
    assert len(before) >= 5
    assert main(["db", "current", "--db", store_url]) == 0
    assert "before migrations" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", store_url]) == 0
    assert f"to revision {migrations.head()}" in capsys.readouterr().out
    assert revision_of(store_url) == [migrations.head()]
    assert events_of(store_url) == before  # every event, every hash, as it was
    assert main(["audit", "verify", "--db", store_url]) == 0
    assert f"chain ok: {len(before)} events" in capsys.readouterr().out
    from dispatch.core import Dispatch
    from dispatch.hub.keys import hub_keypair

    core = Dispatch(EventStore(store_url))
    try:
        assert set(core.state.units) == {"boat-01", "officer-01"}
        assert core.state.units["boat-01"].position is not None
        assert hub_keypair(core.store)[0] == "k" * 40  # the hub keeps its identity
    finally:
        core.close()
    assert main(["db", "upgrade", "--db", store_url]) == 0
    assert "already at revision" in capsys.readouterr().out


def test_a_store_without_the_hub_tables_gets_them_on_adoption(tmp_path: Path) -> None:
    from tests.migrations.legacy import legacy_store_module

    url = f"sqlite:///{tmp_path / 'old.db'}"
    legacy = legacy_store_module()
    for name in [n for n in legacy.metadata.tables if n.startswith("field_")]:
        legacy.metadata.remove(legacy.metadata.tables[name])  # as `ctl --db` alone wrote it: no hub tables
    old = legacy.EventStore(url)
    old.append("ctl:wang", [legacy.NewEvent("unit.registered", {"id": "b", "name": "B", "kind": "patrol_boat"},
                                            "unit:b")])
    old.close()
    assert "field_outbox" not in inspect(create_engine(url)).get_table_names()
    EventStore(url).close()
    assert {"field_outbox", "field_links", "field_identity", "field_cursor"} <= set(
        inspect(create_engine(url)).get_table_names())
    assert revision_of(url) == [migrations.head()]


def test_a_store_newer_than_the_program_is_refused_untouched(store_url: str, capsys) -> None:
    EventStore(store_url).close()
    engine = create_engine(store_url)
    with engine.begin() as c:
        c.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    engine.dispose()
    before = events_of(store_url)
    with pytest.raises(StoreError, match="newer than this program") as exc:
        EventStore(store_url)
    assert "nothing was changed" in str(exc.value)
    assert main(["db", "upgrade", "--db", store_url]) == 1
    assert "newer than this program" in capsys.readouterr().err
    assert main(["db", "current", "--db", store_url]) == 1
    assert revision_of(store_url) == ["9999_from_the_future"]
    assert events_of(store_url) == before
    assert main(["ctl", "--db", store_url, "units"]) == 3  # every front end refuses it


def test_two_programs_opening_a_fresh_store_at_once_create_it_once(store_url: str) -> None:
    go = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_it() -> None:
        go.wait(10)
        try:
            EventStore(store_url).close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert revision_of(store_url) == [migrations.head()]


NEXT_REVISION = '''
import sqlalchemy as sa
from alembic import op

revision = "0099_test"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("test_extra", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("test_extra")
'''


def test_a_later_revision_upgrades_a_store_in_place(tmp_path: Path, monkeypatch, capsys) -> None:
    """How the next engineer adds a revision: a file beside 0001 naming it as down_revision."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    EventStore(url).close()
    old_head = migrations.head()
    here = tmp_path / "migrations"
    shutil.copytree(migrations.HERE, here, ignore=shutil.ignore_patterns("__pycache__"))
    (here / "versions" / "0099_test.py").write_text(NEXT_REVISION.format(head=migrations.head()))
    monkeypatch.setattr(migrations, "HERE", here)
    for fn in (migrations.script, migrations.known_revisions):
        fn.cache_clear()
    monkeypatch.setattr(migrations, "script", migrations.script)  # undone: caches cleared again below
    try:
        assert migrations.head() == "0099_test"
        assert main(["db", "current", "--db", url]) == 0
        assert "older than this program's 0099_test" in capsys.readouterr().out
        assert main(["db", "upgrade", "--db", url]) == 0
        assert f"upgraded from {old_head} (behind) to revision 0099_test" in capsys.readouterr().out
        assert "test_extra" in inspect(create_engine(url)).get_table_names()
    finally:
        for fn in (migrations.script, migrations.known_revisions):
            fn.cache_clear()
