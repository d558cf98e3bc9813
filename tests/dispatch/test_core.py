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


def test_first_subscribers_run_before_the_lock_is_let_go(db_url) -> None:  # type: ignore[no-untyped-def]
    """A `first` subscriber (the hub's field relay) reads the state as its events left it, without waiting for
    the lock another thread may hold; the others are called after the lock is let go, first ones first."""
    import threading

    a, b = core_at(db_url, [0.0]), core_at(db_url, [0.0])
    calls: list[tuple[str, str, bool]] = []

    def held_elsewhere(core: Dispatch) -> bool:  # asked from another thread, as the hub's writer would
        box: list[bool] = []

        def probe() -> None:
            got = core.lock.acquire(blocking=False)
            if got:
                core.lock.release()
            box.append(not got)

        t = threading.Thread(target=probe)
        t.start()
        t.join()
        return box[0]

    def watch(name: str, core: Dispatch):  # type: ignore[no-untyped-def]
        return lambda ch: calls.append((name, ch.events[-1].kind, held_elsewhere(core)))

    a.subscribe(watch("later", a))
    a.subscribe(watch("first", a), first=True)
    a.record("s", [NewEvent("note", {"x": 1})])
    assert calls == [("first", "note", True), ("later", "note", False)]
    # the same for events another process appended, read by refresh
    calls.clear()
    b_first = watch("first", b)
    b.subscribe(b_first, first=True)
    b.subscribe(watch("later", b))
    a.record("s", [NewEvent("note2", {"x": 2})])
    calls.clear()
    b.refresh()
    assert calls == [("first", "note2", True), ("later", "note2", False)]
    b.unsubscribe(b_first)
    b.record("s", [NewEvent("note3", {})])
    assert [c[0] for c in calls[2:]] == ["later"]
