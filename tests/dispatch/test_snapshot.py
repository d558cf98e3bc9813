"""Snapshots of the derived state: a snapshot and the tail after it give the state a full replay gives,
and a missing, damaged, older-version, foreign or malicious snapshot falls back to the log (and says so)."""

from __future__ import annotations

import dataclasses
import enum
import logging
import pickle

import pytest
from sqlalchemy import update

from dispatch import ops
from dispatch.core import Dispatch
from dispatch.incidents.history import write_handled_incidents
from dispatch.state import State
from dispatch.store import EventStore, NewEvent, snapshots_table
from tests.dispatch.incident_helpers import Clock, add_unit, river_point


def _unused_default(v) -> bool:  # noqa: ANN001
    """A feature's part of the state that a read made and no event has changed (e.g. the rules' defaults,
    made when the first fix was checked): the same state as no part at all."""
    try:
        return _plain(v) == _plain(type(v)())
    except TypeError:
        return False


def _plain(x):  # noqa: ANN001, ANN202 - a comparable picture of a state
    if isinstance(x, State):
        d = {f.name: _plain(getattr(x, f.name)) for f in dataclasses.fields(x) if f.name != "ext"}
        d["ext"] = {k: _plain(v) for k, v in x.ext.items() if not _unused_default(v)}
        return d
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, enum.Enum):
        return x.value
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, set | frozenset):
        return sorted(_plain(v) for v in x)
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if hasattr(x, "wkt") and hasattr(x, "geom_type"):
        return x.wkt
    return x


def _build(tmp_path, clock: Clock) -> str:
    """A store with generated history, then live work of every kind: incidents, a task, field keys."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = EventStore(url)
    write_handled_incidents(store, 200, n_units=5, t0=clock.t - 86400, span_s=80000)
    core = Dispatch(store, clock=clock)
    lat, lon = river_point(0.4)
    add_unit(core, "vessel-01", "cleaning_vessel", lat, lon)
    inc = ops.call(core, "incident.create", {"category": "other", "priority": "P1", "lat": lat, "lon": lon}, actor="d")
    ops.call(core, "incident.assign", {"incident_id": inc["id"], "unit_id": "officer-0001"}, actor="d")
    ops.call(core, "task.create", {"segment": "segment-3", "units": ["vessel-01"]}, actor="d")
    core.record("system", [NewEvent("field.key_enrolled", {"unit_id": "vessel-01", "public_key": "k" * 40},
                                    "unit:vessel-01")])
    assert core.save_snapshot() == core.state.last_seq
    # the tail: more work after the snapshot
    clock.t += 60
    inc2 = ops.call(core, "incident.create", {"category": "other", "priority": "P2", "lat": lat, "lon": lon}, actor="d")
    ops.call(core, "incident.assign", {"incident_id": inc2["id"], "unit_id": "officer-0001"}, actor="d")
    ops.call(core, "incident.transition", {"incident_id": inc["id"], "state": "accepted"}, actor="unit:officer-0001")
    core.set_unit_status("d", "officer-0004", "out_of_service")
    core.snapshots = False  # no snapshot on close: the tail must stay a tail
    core.close()
    return url


def _both(url: str, clock: Clock) -> tuple[Dispatch, Dispatch]:
    """The core from the snapshot and the core from the whole log, each given one fix: some capabilities
    (rules, zones) make their part of the state on first use, with defaults, not from an event."""
    cores = Dispatch(EventStore(url), clock=clock), Dispatch(EventStore(url), clock=clock, snapshots=False)
    lat, lon = river_point(0.4)
    for core in cores:
        core.ingest([("vessel-01", clock.t, lat, lon, 0.0, 0.0, "test")])
    return cores


def test_snapshot_plus_tail_equals_full_replay(tmp_path):
    clock = Clock()
    url = _build(tmp_path, clock)
    fast, full = _both(url, clock)
    try:
        assert fast.loaded_from_snapshot and not full.loaded_from_snapshot
        assert fast.snapshot_seq < fast.state.last_seq == full.state.last_seq  # a tail was replayed
        closed = [i for i in fast.state.ext["incidents"].items.values() if not i.is_open]
        assert len(closed) >= 150 and all(type(vars(i)["_history"]) is bytes for i in closed)  # packed until read
        assert _plain(fast.state) == _plain(full.state)  # (which reads every history)
        assert all(type(vars(i)["_history"]) is list for i in closed)
        assert fast.state.units["officer-0001"].status.value == "busy"
        # and it keeps working: its next events bring the replayed one to the same state
        ops.call(fast, "incident.transition", {"incident_id": 201, "state": "en_route"}, actor="unit:officer-0001")
        full.refresh()
        assert _plain(fast.state)["ext"]["incidents"] == _plain(full.state)["ext"]["incidents"]
    finally:
        fast.close()
        full.close()


def _tamper(url: str, **values) -> None:  # noqa: ANN003
    store = EventStore(url)
    with store.write() as conn:
        conn.execute(update(snapshots_table).values(**values))
    store.close()


def _falls_back(url: str, clock: Clock, caplog, words: str) -> None:  # noqa: ANN001
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="dispatch.snapshot"):
        fast, full = _both(url, clock)
    try:
        assert not fast.loaded_from_snapshot
        assert _plain(fast.state) == _plain(full.state)
        assert any(words in r.getMessage() and "replaying the whole log" in r.getMessage() for r in caplog.records), \
            [r.getMessage() for r in caplog.records]
    finally:
        full.close()
        fast.snapshots = False
        fast.close()


def test_damaged_older_foreign_or_hostile_snapshots_fall_back_to_the_log(tmp_path, caplog):
    clock = Clock()
    url = _build(tmp_path, clock)
    store = EventStore(url)
    with store.read() as conn:
        row = conn.execute(snapshots_table.select()).first()
    store.close()
    good = bytes(row.data)
    _tamper(url, data=good[:100] + bytes([good[100] ^ 1]) + good[101:])
    _falls_back(url, clock, caplog, "damaged")
    _tamper(url, data=good, fingerprint="0" * 64)
    _falls_back(url, clock, caplog, "older version")
    _tamper(url, fingerprint=row.fingerprint, head_hash="f" * 64)
    _falls_back(url, clock, caplog, "no longer holds")

    class Hostile:
        def __reduce__(self):  # noqa: ANN204
            import os

            return (os.getcwd, ())

    import hashlib

    bad = pickle.dumps(Hostile())
    _tamper(url, head_hash=row.head_hash, data=bad, sha256=hashlib.sha256(bad).hexdigest())
    _falls_back(url, clock, caplog, "may not name posix.getcwd")
    _tamper(url, data=good, sha256=row.sha256)
    fast, _ = _both(url, clock)  # and the intact one is taken again
    assert fast.loaded_from_snapshot
    fast.close()
    _.close()


def test_a_clean_shutdown_leaves_a_snapshot_and_none_means_the_log(tmp_path, caplog):
    clock = Clock()
    url = f"sqlite:///{tmp_path / 'c.db'}"
    store = EventStore(url)
    write_handled_incidents(store, 100, n_units=3)  # 1,203 events: above the threshold for a snapshot at close
    with caplog.at_level(logging.INFO, logger="dispatch.snapshot"):
        core = Dispatch(store, clock=clock)
    assert not core.loaded_from_snapshot
    assert any("none stored yet" in r.getMessage() for r in caplog.records)
    head = core.state.last_seq
    core.close()
    again = Dispatch(EventStore(url), clock=clock)
    assert again.loaded_from_snapshot and again.snapshot_seq == head == again.state.last_seq
    again.close()


def test_a_packed_history_is_read_through_the_safe_unpickler(tmp_path):
    """A closed incident's history rides in a snapshot packed; a forged one is an error when read, never code."""
    from dispatch import pickles
    from dispatch.incidents.book import Incident
    from dispatch.incidents.workflow import State as IState

    inc = Incident(1, "other", "P2", 24.3, 109.4, 1.0, "d", state=IState.CLOSED,
                   history=[{"seq": 1, "kind": "incident.created"}, {"seq": 2, "kind": "incident.transitioned"}])
    again = pickles.loads(pickles.dumps(inc))
    assert type(vars(again)["_history"]) is bytes
    assert again == inc and again.history[1]["seq"] == 2
    again.history.append({"seq": 3})  # reopened, say: a history read is a history kept
    assert pickles.loads(pickles.dumps(again)).history[-1] == {"seq": 3}
    open_one = Incident(2, "other", "P2", 24.3, 109.4, 1.0, "d", history=[{"seq": 1}, {"seq": 2}])
    assert type(vars(pickles.loads(pickles.dumps(open_one)))["_history"]) is list  # open ones stay as they are

    import os

    class Hostile:
        def __reduce__(self):  # noqa: ANN204
            return (os.getcwd, ())

    forged = pickles.loads(pickles.dumps(inc))
    vars(forged)["_history"] = pickle.dumps([Hostile()])
    with pytest.raises(pickle.UnpicklingError, match="posix.getcwd"):
        forged.history  # noqa: B018


def test_a_saved_snapshot_leaves_no_copy_of_its_bytes_in_sqlites_heap(tmp_path):
    """A snapshot is written into its row, not bound to the insert: a bound value would stay copied in the
    cached statement (tens of MB for a year's state) until the next snapshot. Its bytes read back intact."""
    import hashlib
    import os

    from dispatch import snapshot
    from dispatch.runtime import sqlite_memory_used

    used = sqlite_memory_used()
    if used is None:
        pytest.skip("this Python's SQLite does not report its memory")
    store = EventStore(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        store.append("operator:test", [NewEvent("note.added", {"i": 0}, "note:0")])
        data = os.urandom(12_000_000)
        snapshot.save(store, b"warm-up", 1, "h")  # the statements prepared, the caches in use
        before = used()
        snapshot.save(store, data, 1, "h")
        grown = used() - before
        assert grown < 6_000_000, f"SQLite's heap grew {grown / 1e6:.1f} MB after a 12 MB snapshot"
        with store.read() as conn:
            row = conn.execute(snapshots_table.select().order_by(snapshots_table.c.id.desc()).limit(1)).one()
        assert row.size == len(data) and bytes(row.data) == data and row.sha256 == hashlib.sha256(data).hexdigest()
    finally:
        store.close()
