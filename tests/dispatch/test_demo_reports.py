"""The demo city files a few open reports on an empty store, once, through the ordinary operation."""

from __future__ import annotations

from dispatch import ops
from dispatch.city.data import load_city
from dispatch.demo.fleet import demo_reports, file_demo_reports
from dispatch.incidents.workflow import Category
from tests.dispatch.incident_helpers import make_core

WATER = {Category.FLOATING_GARBAGE, Category.ILLEGAL_FISHING, Category.WATER_POLLUTION, Category.ILLEGAL_SAND_MINING}


def test_reports_lie_where_their_category_happens() -> None:
    city = load_city()
    reports = demo_reports(city)
    assert {r.category for r in reports} & WATER and {r.category for r in reports} - WATER
    for r in reports:
        assert city.is_water(r.lat, r.lon) == (r.category in WATER), r


def test_filed_once_as_events_by_the_demo(tmp_path) -> None:  # type: ignore[no-untyped-def]
    core = make_core(tmp_path)
    try:
        ids = file_demo_reports(core)
        assert len(ids) == len(demo_reports())
        rows = ops.call(core, "incidents", {}, actor="dispatcher:test")
        assert sorted(r["id"] for r in rows) == sorted(ids)
        assert all(r["state"] == "reported" for r in rows)
        assert file_demo_reports(core) == []  # the next launch on the same store files nothing more
        events = [e for e in core.store.events(kinds=["incident.created"]) if e.kind == "incident.created"]
        assert len(events) == len(ids)
        # typed in by the bureau, but the citizen page's report is filed as the page files it: an Open311 request
        assert {e.payload["source"]: e.actor for e in events if e.actor != "system:demo"} == {"web": "citizen:web"}
        [request] = ops.call(core, "citizens.requests", {}, actor="system:test")
        assert (request["status"], request["service_code"]) == ("open", "street_vending")
    finally:
        core.close()
