"""Issue 17, the wall's counters (`analytics.live`): counted by the core from its state, the same for any seat."""

from __future__ import annotations

from dispatch.ops import call
from tests.conftest import Clock
from tests.rules.helpers import line, local_ts, make_core, rows, setup_city, stay

ACTOR = "dispatcher:wang"


def test_units_open_incidents_by_priority_overdue_and_open_alerts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    t = local_ts("2026-12-03 10:00")
    clock = Clock(t)
    core = make_core(tmp_path, clock=clock)
    try:
        setup_city(core)
        units = call(core, "units", {}, actor=ACTOR)
        assert call(core, "analytics.live", {}, actor=ACTOR)["units"]["total"] == len(units)
        # a stop in a field (suspected dumping, high), then everyone silent (the sweep: silent units)
        core.ingest(rows("truck-01", line(t, (-200, 0), (1500, 700), 10.0) + stay(t + 200, (1500, 700), 20 * 60)))
        clock.t = t + 1500
        for p, n in (("P1", 2), ("P2", 1), ("P4", 1)):
            for _ in range(n):
                call(core, "incident.create", {"category": "illegal_dumping", "priority": p, "lat": 24.30,
                                               "lon": 109.40, "text": "t"}, actor=ACTOR)
        closed = call(core, "incident.create", {"category": "illegal_dumping", "priority": "P3", "lat": 24.30,
                                                "lon": 109.40, "text": "t"}, actor=ACTOR)["id"]
        call(core, "incident.transition", {"incident_id": closed, "state": "rejected", "note": "duplicate"},
             actor=ACTOR)
        call(core, "unit.status", {"unit_id": "boat-01", "status": "out_of_service"}, actor=ACTOR)
        call(core, "rules.sweep", {"now": t + 3000}, actor="t")
        clock.t = t + 2100  # 10 minutes on: the P1s' dispatch limit (5 min) has passed, the P2's (15) not
        live = call(core, "analytics.live", {}, actor=ACTOR)
        alerts = call(core, "alerts", {}, actor=ACTOR)
        assert live["incidents"] == {"open": 4, "P1": 2, "P2": 1, "P3": 0, "P4": 1}
        assert live["overdue"] == 2
        assert live["alerts"]["open"] == sum(a["state"] == "open" for a in alerts) > 0
        assert live["alerts"]["high"] == sum(a["state"] == "open" and a["severity"] == "high" for a in alerts)
        assert live["units"]["out_of_service"] == 1 and live["units"]["total"] == len(units)
        assert live["units"]["stale"] == sum(core.is_stale(u, clock.t) for u in core.state.units.values())
        # acknowledged: no longer open on the wall
        first = next(a for a in alerts if a["state"] == "open")
        call(core, "alert.acknowledge", {"alert_id": first["id"], "note": "seen"}, actor=ACTOR)
        assert call(core, "analytics.live", {}, actor=ACTOR)["alerts"]["open"] == live["alerts"]["open"] - 1
    finally:
        core.close()
