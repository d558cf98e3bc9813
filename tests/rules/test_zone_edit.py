"""Zones drawn and edited on the map (`zone.save`), permits edited in the console (`company.save`,
`truck.permit_save`) and the truck card (`truck.card`): the core decides, the replay keeps every version."""

from __future__ import annotations

import pytest

from dispatch.accounts.permissions import allowed
from dispatch.errors import NotFound, Refused
from dispatch.ops import call
from dispatch.record.replay import Recording
from tests.rules.helpers import feature, ll, local_ts, make_core, polygon, rows, setup_city


@pytest.fixture
def core(tmp_path):
    c = make_core(tmp_path)
    setup_city(c)
    yield c
    c.close()


def test_a_drawn_polygon_is_a_zone_and_moving_a_vertex_is_its_next_version(core):
    f = feature("restricted", "新学校", polygon(5000, 0, 5400, 400), hours="07:00-09:00")
    z = call(core, "zone.save", {"feature": f}, actor="engineer:li")
    assert z["id"].startswith("zone-") and z["version"] == 1 and z["by"] == "engineer:li"
    saved_at = core.state.last_seq
    moved = polygon(5000, 0, 5600, 400)
    f2 = {**f, "id": z["id"], "geometry": moved}
    z2 = call(core, "zone.save", {"feature": f2, "version": 1}, actor="engineer:wang")
    assert (z2["id"], z2["version"], z2["by"]) == (z["id"], 2, "engineer:wang")
    # the replay shows the zone as it was before the vertex moved
    ts = next(e.ts for e in core.store.events(0) if e.seq == saved_at)
    old = Recording.of_store(core.store).state_at(ts).ext["zones"].zones[z["id"]]
    assert old["geometry"] == f["geometry"] and old["version"] == 1
    # an editor who started from version 1 cannot overwrite version 2
    with pytest.raises(Refused, match="changed by wang meanwhile"):
        call(core, "zone.save", {"feature": {**f, "id": z["id"]}, "version": 1}, actor="engineer:li")
    # the same zone saved unchanged records nothing
    seq = core.state.last_seq
    call(core, "zone.save", {"feature": f2}, actor="engineer:wang")
    assert core.state.last_seq == seq
    call(core, "zone.remove", {"zone_id": z["id"]}, actor="engineer:wang")
    assert z["id"] not in {x["id"] for x in call(core, "zones", {}, actor="t")}


def test_a_route_drawn_on_the_map_needs_its_width(core):
    line = {"type": "LineString", "coordinates": [ll(0, 5000), ll(2000, 5000)]}
    with pytest.raises(Refused, match=r"the zone \(新线路\): a route needs width_m"):
        call(core, "zone.save", {"feature": feature("route", "新线路", line)}, actor="t")
    z = call(core, "zone.save", {"feature": feature("route", "新线路", line, width_m=40)}, actor="t")
    assert z["width_m"] == 40 and z["kind"] == "route"


def test_a_self_intersecting_polygon_is_refused_with_the_reason(core):
    bowtie = {"type": "Polygon", "coordinates": [[ll(0, 0), ll(400, 400), ll(400, 0), ll(0, 400), ll(0, 0)]]}
    n = len(call(core, "zones", {}, actor="t"))
    with pytest.raises(Refused) as e:
        call(core, "zone.save", {"feature": feature("construction_site", "蝴蝶", bowtie)}, actor="t")
    assert "the zone (蝴蝶): self-intersecting Polygon (Self-intersection" in str(e.value)
    assert len(call(core, "zones", {}, actor="t")) == n  # nothing recorded


def test_permits_edited_one_by_one_and_the_truck_card(core):
    t = local_ts("2026-12-03 10:00")
    core.ingest(rows("truck-02", [(t, 500.0, 0.0, 10.0)]))
    call(core, "company.save", {"company": {"id": "c-ok", "name": "柳州渣土运输公司", "permit_no": "ZT-1A",
                                            "valid_from": "2026-01-01", "valid_to": "2028-06-30"}}, actor="t")
    saved = call(core, "truck.permit_save", {"truck": {
        "unit_id": "truck-02", "company": "c-ok", "routes": ["r-1"], "sites": ["cs-a"], "hours": "06:00-22:00",
        "valid_from": "2026-12-01", "valid_to": "2026-12-31"}}, actor="t")
    assert saved["plate"] == "桂B00002" and saved["sites"] == ["cs-a"]  # the plate kept from the old permit
    card = call(core, "truck.card", {"unit_id": "truck-02"}, actor="t")
    assert card["company"] == {"id": "c-ok", "name": "柳州渣土运输公司", "permit_no": "ZT-1A",
                               "valid_from": "2026-01-01", "valid_to": "2028-06-30"}
    assert card["permit"]["routes"] == [{"id": "r-1", "name": "A到消纳场", "kind": "route", "known": True}]
    assert card["permit"]["hours"] == "06:00-22:00" and card["permit"]["valid_to"] == "2026-12-31"
    assert card["alerts"] == [] and card["position"]["lat"] == pytest.approx(rows("truck-02", [(t, 500.0, 0.0, 1)])[0][2])
    # driving after its validity: the card shows the open alert and the problem with its papers
    late = local_ts("2027-01-02 10:00")
    core.ingest(rows("truck-02", [(late + i, 1500.0 + 10 * i, 0.0, 10.0) for i in range(5)]))
    card = call(core, "truck.card", {"unit_id": "truck-02"}, actor="t")
    assert [a["rule"] for a in card["alerts"]] == ["permit_expired"]
    # bad edits are refused, naming what is wrong; nothing recorded
    with pytest.raises(Refused, match="no route zone 'nowhere'"):
        call(core, "truck.permit_save", {"truck": {"unit_id": "truck-02", "routes": ["nowhere"]}}, actor="t")
    with pytest.raises(Refused, match="valid_to is before valid_from"):
        call(core, "truck.permit_save", {"truck": {"unit_id": "truck-02", "valid_from": "2026-12-31",
                                                   "valid_to": "2026-12-01"}}, actor="t")
    with pytest.raises(Refused, match="not a truck"):
        call(core, "truck.permit_save", {"truck": {"unit_id": "boat-01", "plate": "x"}}, actor="t")
    with pytest.raises(NotFound):
        call(core, "truck.card", {"unit_id": "nobody"}, actor="t")


def test_who_may_draw_and_edit():
    assert allowed("engineer", "zone.save", {}, "li")[0] and allowed("administrator", "zone.remove", {}, "a")[0]
    assert not allowed("dispatcher", "zone.save", {}, "d")[0] and not allowed("viewer", "zone.remove", {}, "v")[0]
    assert allowed("shift_lead", "truck.permit_save", {}, "s")[0] and not allowed("dispatcher", "company.save", {}, "d")[0]
    assert allowed("viewer", "truck.card", {}, "v")[0]
