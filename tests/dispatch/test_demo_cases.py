"""The demo city's case file: on an empty store, once, three cases at different stages, the roster that acted on
them and the handled reports they follow, all through the ordinary operations; never on a store with a roster or a
case of its own."""

from __future__ import annotations

from dispatch import ops
from dispatch.demo.cases import OFFICERS, file_demo_cases
from dispatch.demo.fleet import demo_simulator, file_demo_reports
from tests.dispatch.incident_helpers import make_core


def _with_fleet(core) -> None:  # type: ignore[no-untyped-def]
    units, _ = demo_simulator()
    core.register_units("system:demo", [u.registration() for u in units])


def test_three_cases_each_after_a_report_its_unit_handled_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    core = make_core(tmp_path)
    try:
        _with_fleet(core)
        reports = file_demo_reports(core)
        made = file_demo_cases(core)
        assert len(made) == 3
        cases = {c["id"]: c for c in ops.call(core, "cases", {}, actor="shift_lead:test")}
        assert [cases[i]["stage"] for i in made] == ["investigating", "opened", "decided_on_spot"]
        assert [cases[i]["violation"]["code"] for i in made] == ["CSRQ-001", "CSRQ-002", "SWHJ-001"]
        followed = [cases[i]["incident_id"] for i in made]
        assert None not in followed and not set(followed) & set(reports)  # reports of their own, not the open ones
        for iid, kind, category in zip(followed, ("officer", "officer", "patrol_boat"),
                                       ("construction_waste_spill", "street_vending", "floating_garbage"), strict=True):
            inc = ops.call(core, "incident.show", {"incident_id": iid}, actor="shift_lead:test")
            assert inc["state"] == "closed" and inc["category"] == category
            assert not inc["possible_duplicates"]  # away from the open reports of the same category
            steps = [h.get("to") for h in inc["history"] if h.get("to")]
            assert steps[-5:] == ["dispatched", "accepted", "on_scene", "resolved", "closed"]
            sent = [h for h in inc["history"] if h.get("to") == "dispatched"]
            assert core.state.units[sent[0]["unit_id"]].kind.value == kind, sent
        # the dispatcher's queue is as the demo's open reports left it, and every unit is free again
        queue = ops.call(core, "incidents", {}, actor="shift_lead:test")
        assert sorted(i["id"] for i in queue if i["open"]) == sorted(reports)
        assert all(u.status.value == "available" for u in core.state.units.values())
        spill = ops.call(core, "case.show", {"case_id": made[0]}, actor="shift_lead:test")
        pen = spill["penalty"]
        assert pen["kind"] == "fine" and not pen["outside_range"]  # within the benchmark: no approval awaited
        acted = {o for a in spill["acts"] for o in a.get("officers") or []}
        assert acted == {OFFICERS[0][0], OFFICERS[1][0]}
        # what each takes now, as the Case files tab greys its buttons by it
        assert spill["open_to"] == {"party": True, "penalty": True, "approve": False, "evidence": True,
                                    "review": False}
        river = ops.call(core, "case.show", {"case_id": made[2]}, actor="shift_lead:test")
        assert river["open_to"] == {"party": False, "penalty": False, "approve": False, "evidence": True,
                                    "review": True}
        roster = ops.call(core, "officers", {}, actor="shift_lead:test")
        assert sorted(o["id"] for o in roster) == sorted(o[0] for o in OFFICERS) and all(o["valid"] for o in roster)
        assert file_demo_cases(core) == []  # the next launch files nothing more
        opened = [e for e in core.store.events() if e.kind == "case.opened"]
        assert len(opened) == 3 and all(e.actor == "system:demo" for e in opened)
    finally:
        core.close()


def test_never_beside_a_bureaus_own_roster(tmp_path) -> None:  # type: ignore[no-untyped-def]
    core = make_core(tmp_path)
    try:
        ops.call(core, "officer.add", {"officer_id": "wang", "name": "王强", "certificate": "45020019001",
                                       "valid_until": "2099-12-31"}, actor="ctl:test")
        _with_fleet(core)
        reports = file_demo_reports(core)
        assert file_demo_cases(core) == []
        assert sorted(i["id"] for i in ops.call(core, "incidents", {}, actor="shift_lead:test")) == sorted(reports)
        assert ops.call(core, "cases", {}, actor="shift_lead:test") == []
    finally:
        core.close()


def test_the_handled_reports_lie_in_a_district_and_where_their_category_happens() -> None:
    """Each counts under a district in the dashboard's figures (not under "—"), and a water report is on the water."""
    from shapely.geometry import Point

    from dispatch.city.data import load_city
    from dispatch.demo.cases import handled_reports

    city = load_city()
    reports = handled_reports(city)
    assert sorted(reports) == ["CSRQ-001", "CSRQ-002", "SWHJ-001"]
    for r in reports.values():
        assert any(d.geometry.contains(Point(r.lon, r.lat)) for d in city.districts), r
        assert city.is_water(r.lat, r.lon) == (r.category == "floating_garbage"), r
