"""The feed pump's work hands the GIL to the hub's field loop between its items (dispatch/runtime.py): what it
produces must not change, and the field loop itself must never be the one that makes way."""

from __future__ import annotations

import threading
from pathlib import Path

from dispatch import runtime
from dispatch.core import Dispatch
from dispatch.demo.fleet import demo_simulator
from dispatch.feeds.pump import demo_pump
from dispatch.store import EventStore


def test_the_simulator_says_the_same_with_a_pause_between_its_tracks() -> None:
    t0 = 1_790_000_000.0
    _, plain = demo_simulator(t0=t0)
    _, paused = demo_simulator(t0=t0)
    calls = []
    for k in range(1, 6):
        now = t0 + k * 0.7
        before = len(calls)
        lines = paused.due(now, lambda: calls.append(1))
        assert lines == plain.due(now)
        assert 0 < len(calls) - before <= len(paused.tracks)  # once per track that was due


def test_the_demo_pump_ingests_every_due_fix(tmp_path: Path) -> None:
    core = Dispatch(EventStore(f"sqlite:///{tmp_path / 'pump.db'}"))
    try:
        units, sim = demo_simulator(t0=core.clock())
        core.register_units("system:demo", [u.registration() for u in units])
        pump = demo_pump(core, sim)
        n = sum(pump.pump_once(sim.t0 + k * 0.2) for k in range(1, 40))
        assert n > 0 and pump.fixes == n == core.fixes_ingested
        assert core.positions_since(0)[1]  # live positions taken
        core.flush()
        with core.store.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM fixes").scalar_one() == n
    finally:
        core.close()


def test_a_priority_thread_does_not_make_way_and_others_do() -> None:
    seen: dict[str, bool] = {}

    def body(name: str, priority: bool) -> None:
        if priority:
            runtime.priority_thread()
        try:
            seen[name] = runtime.is_priority_thread()
            share = runtime.GilShare()
            for _ in range(1000):
                share()  # runs either way: a priority thread just never sleeps in it
        finally:
            runtime.end_priority_thread()
        seen[name + " after"] = runtime.is_priority_thread()

    threads = [threading.Thread(target=body, args=("hub", True)), threading.Thread(target=body, args=("feed", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"hub": True, "hub after": False, "feed": False, "feed after": False}


def test_the_hubs_field_loop_is_the_priority_thread_while_it_runs(tmp_path: Path) -> None:
    from dispatch.hub.server import Hub

    core = Dispatch(EventStore(f"sqlite:///{tmp_path / 'hub.db'}"))
    hub = Hub(core, "tcp://127.0.0.1:0", None).start()
    try:
        loop = hub._threads[0]
        done = threading.Event()
        answer: list[bool] = []
        hub.call_soon(lambda: (answer.append(runtime.is_priority_thread()), done.set()))
        assert done.wait(10) and answer == [True]
        assert not runtime.is_priority_thread()  # this (calling) thread is not
    finally:
        hub.stop()
        core.close()
    assert loop.ident not in runtime.priority_threads()
