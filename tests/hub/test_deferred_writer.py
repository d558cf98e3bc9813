"""The hub's deferred records are written by its own writer thread (dispatch/hub/deferred.py): a store write
that cannot go on (another program holds SQLite's write lock: a backup, a long export, ctl in another process)
holds up those records and nothing else. The field loop keeps logging units in and answering them, and once the
store is free the records are written, in order, none lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dispatch.hub.client import FieldClient
from dispatch.hub.keys import load_key_file
from tests.conftest import wait_for
from tests.hub.conftest import Link, Running


def _online(link: Link) -> list[str]:
    from dispatch.store import events_after

    with link.core.store.read() as conn:
        return [ev.payload["id"] for ev in events_after(conn, 0) if ev.kind == "unit.online"]


def _connect(link: Link, unit: str) -> None:
    link.running.append(Running(FieldClient(unit, link.hub.field_endpoint, load_key_file(link.keys, unit),
                                            state_path=link.keys / f"{unit}.state.json", durable=False)))


def test_a_store_write_held_up_by_another_program_does_not_stop_the_field_loop(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    link = Link(tmp_path, f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None, timeout=1)
    try:
        _connect(link, "boat-01")
        wait_for(lambda: _online(link) == ["boat-01"], 10, what="boat-01's online recorded")

        other.execute("BEGIN IMMEDIATE")  # another program's write transaction: the store's writers wait
        _connect(link, "boat-02")
        wait_for(lambda: "boat-02" in link.hub.routes, 10, what="boat-02 logged in")
        wait_for(lambda: link.hub._writer.busy, 10, what="boat-02's online being written")  # and waiting

        # the loop is not waiting with it: the next unit is logged in, and the first is still heard
        seen = link.hub.last_seen.get("boat-01", 0)
        _connect(link, "officer-01")
        wait_for(lambda: "officer-01" in link.hub.routes, 10, what="officer-01 logged in while the write waits")
        wait_for(lambda: link.hub.last_seen.get("boat-01", 0) > seen, 10, what="boat-01's heartbeat taken")
        assert link.hub._writer.busy and _online(link) == ["boat-01"]  # still held up: nothing written meanwhile

        other.execute("ROLLBACK")  # the other program is done
        wait_for(lambda: len(_online(link)) == 3, 20, what="the online events written")
        assert _online(link) == ["boat-01", "boat-02", "officer-01"]  # in the order the units came, once each
    finally:
        other.close()
        link.close()


def test_events_the_store_did_not_take_are_recorded_at_the_next_try(tmp_path: Path) -> None:
    """The hub's record refused before it began (the store away or locked past its busy timeout: nothing of it in
    the log) is tried again, in front of what came since, and recorded once."""
    from dispatch.storetx import StoreUnavailable

    link = Link(tmp_path, f"sqlite:///{tmp_path / 'store.db'}")
    record = link.core.record
    refused: list[int] = []

    def away_once(actor: str, items, **kw):  # type: ignore[no-untyped-def]
        if actor == "system:hub" and not refused:
            refused.append(len(items))
            raise StoreUnavailable("the store is unavailable (database is locked): nothing of this command was "
                                   "recorded", recorded=False)
        return record(actor, items, **kw)

    try:
        link.core.record = away_once  # type: ignore[method-assign]
        _connect(link, "boat-01")
        wait_for(lambda: _online(link) == ["boat-01"], 10, what="boat-01's online, recorded at the next try")
        assert refused == [1]
        _connect(link, "boat-02")
        wait_for(lambda: _online(link) == ["boat-01", "boat-02"], 10, what="the next one as usual")
    finally:
        link.core.record = record  # type: ignore[method-assign]
        link.close()
