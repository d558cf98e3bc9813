"""The headless hub's duties (dispatch/hub/duties.py): passed deadlines recorded and tasks moved on by the hub, as
system:hub, each at its own interval; a seat attached to a hub leaves them to it."""

from __future__ import annotations

from typing import Any

from dispatch.hub.duties import ACTOR, Duties
from dispatch.ops import call
from tests.dispatch.incident_helpers import Clock, make_core


def test_the_hub_records_passed_deadlines_as_the_system(tmp_path: Any) -> None:
    clock = Clock()
    core = make_core(tmp_path, clock)
    try:
        made = call(core, "incident.create", {"category": "floating_garbage", "priority": "P1", "lat": 24.31,
                                              "lon": 109.40, "verified": True}, actor="dispatcher:wang")["id"]
        beat = [100.0]
        duties = Duties(core, clock=lambda: beat[0])
        assert duties.run_due().get("incidents.check_deadlines") == []  # nothing late yet
        clock.t += 3600  # an hour without a dispatch
        beat[0] += 1.0
        assert "incidents.check_deadlines" not in duties.run_due()  # not its time yet (every 5 s)
        beat[0] += 5.0
        found = duties.run_due()["incidents.check_deadlines"]
        assert [f["id"] for f in found] == [made]
        overdue = [e for e in core.store.events() if e.kind == "incident.overdue"]
        assert [e.actor for e in overdue] == [ACTOR] == ["system:hub"]
        beat[0] += 60.0
        assert duties.run_due()["incidents.check_deadlines"] == []  # once per stage
    finally:
        core.close()


def test_a_seat_attached_to_a_hub_leaves_the_duties_to_it(link, qtbot) -> None:  # type: ignore[no-untyped-def]
    from console import operations
    from console.cases import install as install_cases
    from console.incidents import install as install_workflow
    from console.main_window import MainWindow
    from dispatch.city.data import load_city
    from tests.hub.conftest import add_operator
    from tests.hub.test_attached import attach

    li = add_operator(link.core, link.keys, "li", "shift_lead")
    seat = attach(link.hub.control_endpoint, li, "li")
    operations.set_core(seat)
    try:
        window = MainWindow(seat, load_city().geojson(), lang="en", store_label="hub", push_interval_ms=50)
        qtbot.addWidget(window)
        wf = install_workflow(window, duties=False)  # as console/cli/attach.py installs them
        cases = install_cases(window, duties=False)
        assert not wf.panel.deadlines.isActive() and not cases.panel.deadline_timer.isActive()
        assert wf.tasks.ticker.isActive() and not wf.tasks.run_tick  # the progress re-read, no tasks.tick
        wf.tasks.tick()
        qtbot.waitUntil(lambda: wf.tasks.loaded_once, timeout=5000)
        assert not [e for e in link.core.store.events() if e.actor == "shift_lead:li" and e.kind.startswith("task")]
        cases.close()
        wf.close()
        window.close()
    finally:
        operations.set_core(None)
        seat.logout()
        seat.close()
