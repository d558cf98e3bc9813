"""`stale` for a fleet that falls silent altogether: no fix arrives to drive the sweep, the rules' own timer
thread does it, by the core's clock (injected here, so the test sets how long the silence has lasted)."""

from __future__ import annotations

import threading

import pytest

from dispatch.ops import call
from dispatch.rules.ops import engine
from tests.conftest import wait_for
from tests.rules.helpers import alerts, local_ts, make_core, rows, setup_city


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.t

    def advance(self, s: float) -> None:
        with self.lock:
            self.t += s


@pytest.fixture
def clocked(tmp_path):
    t0 = local_ts("2026-12-03 10:00")
    clock = Clock(t0)
    core = make_core(tmp_path, clock=clock)
    setup_city(core)
    engine(core).timer_s = 0.02  # the timer's period; 10 s in service
    yield core, clock, t0
    core.close()


def test_a_silent_fleet_raises_stale_from_the_timer(clocked):
    core, clock, t0 = clocked
    core.ingest(rows("boat-02", [(t0 - 5 + i, -1000.0, 2500.0, 0.5) for i in range(5)])
                + rows("truck-09", [(t0 - 5 + i, 500.0, 400.0, 0.0) for i in range(5)]))
    eng = engine(core)
    assert wait_for(lambda: eng._timer is not None and eng._timer.is_alive())
    clock.advance(200)  # silent, but not for long enough
    fixes, ticks = eng.fixes, eng.ticks
    assert wait_for(lambda: eng.ticks >= ticks + 3) and alerts(core) == []
    assert eng.fixes == fixes  # no fix arrived: whatever happens next is the timer's
    clock.advance(200)  # 400 s since the last fixes: beyond stale_s (300)
    assert wait_for(lambda: len(alerts(core)) == 2)
    got = {a["unit_id"]: a for a in alerts(core)}
    assert {a["rule"] for a in got.values()} == {"stale"} and {a["state"] for a in got.values()} == {"open"}
    assert got["boat-02"]["ts"] >= t0 - 1 + 300
    clock.advance(120)
    ticks = eng.ticks
    assert wait_for(lambda: eng.ticks >= ticks + 3)
    assert len(alerts(core)) == 2  # raised once, not once a tick
    # the boat reports again: its alert closes itself once it has been heard for clear_s
    now = clock()
    core.ingest(rows("boat-02", [(now + i, -1000.0, 2500.0, 0.5) for i in range(70)]))
    states = {a["unit_id"]: a["state"] for a in alerts(core)}
    assert states == {"boat-02": "cleared", "truck-09": "open"}


def test_the_timer_judges_a_log_by_its_own_times(clocked):
    """Fixes a week old (a log ingested at full speed) are not 'silent' because the wall clock is ahead."""
    core, clock, t0 = clocked
    week = 7 * 86400.0
    core.ingest(rows("boat-02", [(t0 - week + i, -1000.0, 2500.0, 0.5) for i in range(60)]))
    eng = engine(core)
    assert wait_for(lambda: eng._timer is not None and eng._timer.is_alive())
    assert eng.tick() == 0 and alerts(core) == []
    clock.advance(301)
    assert wait_for(lambda: len(alerts(core)) == 1)
    [a] = alerts(core)
    assert a["rule"] == "stale" and a["ts"] == pytest.approx(t0 - week + 59 + 301, abs=1)


def test_switched_off_and_closed(clocked):
    core, clock, t0 = clocked
    call(core, "rules.config_set", {"config": {"stale": False}}, actor="t")
    core.ingest(rows("boat-02", [(t0 + i, -1000.0, 2500.0, 0.5) for i in range(5)]))
    eng = engine(core)
    clock.advance(1000)
    assert eng.tick() == 0 and alerts(core) == []
    timer = eng._timer
    assert timer is not None
    eng.close()
    assert not timer.is_alive()
