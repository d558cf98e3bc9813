"""The core: commands, refusals that store nothing, catch-up across processes, ingest, stale."""

from __future__ import annotations

import pytest

from dispatch.core import Dispatch
from dispatch.errors import NotFound, Refused
from dispatch.store import EventStore, NewEvent


def core_at(db_url: str, t: list[float]) -> Dispatch:
    return Dispatch(EventStore(db_url), clock=lambda: t[0], stale_after=30)


def test_register_ingest_and_derive_from_the_log(db_url) -> None:  # type: ignore[no-untyped-def]
    t = [1000.0]
    core = core_at(db_url, t)
    seen = []
    core.subscribe(seen.append)
    core.register_units("system", [{"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"}])
    assert seen and seen[-1].units and "unit:boat-01" in seen[-1].entities
    # registering again records nothing new
    assert not core.register_units("system", [{"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"}]).events
    assert core.ingest([("boat-01", 999.0, 24.3, 109.4, 2.0, 10.0, "s"), ("ghost", 999.0, 1, 1, None, None, None),
                        ("boat-01", 998.0, 99.0, 109.4, None, None, "s")]) == 1
    assert core.state.units["boat-01"].position.lat == 24.3
    assert not core.is_stale(core.state.units["boat-01"])
    t[0] = 1030.5
    assert core.is_stale(core.state.units["boat-01"])
    core.flush()
    core.set_unit_status("dispatcher:li", "boat-01", "out_of_service")
    core.close()
    again = core_at(db_url, t)
    u = again.state.units["boat-01"]
    assert u.status.value == "out_of_service" and u.position is not None and u.position.ts == 999.0


def test_refusals_store_nothing(db_url) -> None:  # type: ignore[no-untyped-def]
    core = core_at(db_url, [0.0])
    before = core.store.last_seq()
    with pytest.raises(NotFound):
        core.set_unit_status("d", "nobody", "available")
    core.register_units("s", [{"id": "t1", "name": "T", "kind": "truck"}])
    with pytest.raises(Refused, match="one of"):
        core.set_unit_status("d", "t1", "sleeping")
    with pytest.raises(ValueError):
        core.register_units("s", [{"id": "x", "name": "X", "kind": "submarine"}])
    assert core.store.last_seq() == before + 1


def test_a_second_process_sees_changes_through_refresh(db_url) -> None:  # type: ignore[no-untyped-def]
    a, b = core_at(db_url, [0.0]), core_at(db_url, [0.0])
    a.register_units("s", [{"id": "o1", "name": "执法队员", "kind": "officer"}])
    assert "o1" not in b.state.units
    ch = b.refresh()
    assert ch.units and "o1" in b.state.units
    # a command on b first catches up, then appends after a's event: one chain
    b.record("s", [NewEvent("note", {"x": 1})])
    assert b.state.last_seq == 2 and a.refresh().events[0].kind == "note"
