"""A long history: the generated store of handled incidents is a valid log, and the appliers' indexes
(open incidents, each unit's open assignments, the next id) agree with a scan of every incident."""

from __future__ import annotations

import random

from dispatch import ops
from dispatch.core import Dispatch
from dispatch.errors import Refused
from dispatch.incidents.book import book
from dispatch.incidents.history import EVENTS_PER_INCIDENT, write_handled_incidents
from dispatch.incidents.workflow import WITH_UNIT
from dispatch.record.audit import verify_chain
from dispatch.store import EventStore
from tests.dispatch.incident_helpers import Clock, add_unit, make_core


def _scan_index(core: Dispatch) -> tuple[set[int], dict[str, set[int]]]:
    b = book(core.state)
    open_ids = {i for i, inc in b.items.items() if inc.is_open}
    by_unit: dict[str, set[int]] = {}
    for inc in b.items.values():
        if inc.unit_id is not None and inc.state in WITH_UNIT:
            by_unit.setdefault(inc.unit_id, set()).add(inc.id)
    return open_ids, by_unit


def test_generated_history_is_a_valid_log_of_handled_incidents(tmp_path):
    store = EventStore(f"sqlite:///{tmp_path / 'h.db'}")
    n = write_handled_incidents(store, 300, n_units=7)
    assert n == 7 + 300 * EVENTS_PER_INCIDENT
    rep = verify_chain(store.engine)
    assert rep.ok and rep.checked == n
    core = Dispatch(store)
    b = book(core.state)
    assert len(b.items) == 300 and all(inc.state.value == "evaluated" for inc in b.items.values())
    assert not b.open_ids and not b.by_unit
    assert {u.status.value for u in core.state.units.values()} == {"available"}
    assert b.next_id == 301
    # the next incident continues after the history, and a live assignment is indexed
    inc = ops.call(core, "incident.create", {"category": "other", "priority": "P2", "lat": 24.33, "lon": 109.4},
                   actor="dispatcher:t")
    assert inc["id"] == 301
    ops.call(core, "incident.assign", {"incident_id": 301, "unit_id": "officer-0003"}, actor="dispatcher:t")
    assert book(core.state).by_unit == {"officer-0003": {301}}
    # appending more history continues the chain and the ids
    core.close()
    store = EventStore(f"sqlite:///{tmp_path / 'h.db'}")
    write_handled_incidents(store, 5, n_units=1)
    assert verify_chain(store.engine).ok
    core = Dispatch(store)
    assert sorted(book(core.state).items)[-5:] == [302, 303, 304, 305, 306]
    core.close()


def test_indexes_follow_every_move_like_a_scan(tmp_path):
    """Random assignments, queues, withdrawals, rejections and closures: after each, the indexes the
    appliers keep equal a scan over every incident, on the live core and on a fresh replay."""
    clock = Clock()
    core = make_core(tmp_path, clock)
    units = [f"u{i}" for i in range(4)]
    for u in units:
        add_unit(core, u, "officer", 24.33, 109.40)
    rng = random.Random(5)
    ids: list[int] = []
    moves = ("accepted", "en_route", "on_scene", "resolved", "closed", "rejected")
    for _step in range(160):
        clock.t += 30
        r = rng.random()
        try:
            if r < 0.25 or not ids:
                inc = ops.call(core, "incident.create", {"category": "other", "priority": "P2", "lat": 24.33,
                                                         "lon": 109.40 + rng.random() / 100}, actor="d")
                ids.append(inc["id"])
            elif r < 0.5:
                ops.call(core, "incident.assign", {"incident_id": rng.choice(ids), "unit_id": rng.choice(units)},
                         actor="d")
            elif r < 0.6:
                ops.call(core, "incident.unassign", {"incident_id": rng.choice(ids)}, actor="d")
            else:
                ops.call(core, "incident.transition", {"incident_id": rng.choice(ids), "state": rng.choice(moves)},
                         actor="d")
        except Refused:
            pass
        b = book(core.state)
        assert (b.open_ids, b.by_unit) == _scan_index(core)
        for u in units:  # each unit's current work is the first of its queue
            queue = sorted(b.by_unit.get(u, ()))
            cur = core.state.units[u].current
            assert cur is None or not queue or cur == f"incident:{queue[0]}"
    b = book(core.state)
    assert b.by_unit and b.open_ids  # the walk left some work open: the comparison saw both sides
    live = (set(b.open_ids), {k: set(v) for k, v in b.by_unit.items()}, b.next_id)
    core.close()
    again = make_core(tmp_path, clock)
    b2 = book(again.state)
    assert (b2.open_ids, b2.by_unit, b2.next_id) == live
    again.close()


def test_history_worked_over_the_field_link_loads_with_bounded_field_views(tmp_path):
    from dispatch.hub.state import MAX_ASSIGNMENTS_PER_UNIT, field_state
    from dispatch.incidents.history import FIELD_EVENTS_PER_INCIDENT

    store = EventStore(f"sqlite:///{tmp_path / 'f.db'}")
    n = write_handled_incidents(store, 450, n_units=2, field=True)
    assert n == 2 + 450 * (EVENTS_PER_INCIDENT + FIELD_EVENTS_PER_INCIDENT)
    assert verify_chain(store.engine).ok
    core = Dispatch(store)
    fs = field_state(core.state)
    views = fs.assignments["officer-0001"]
    assert len(views) == MAX_ASSIGNMENTS_PER_UNIT  # 225 incidents each: the oldest views left memory
    last = views["incident:450"]
    assert last.delivered and last.accepted and last.status == "resolved"
    assert "incident:2" not in views and "incident:450" in views
    assert all(inc.state.value == "evaluated" for inc in book(core.state).items.values())
    core.close()
