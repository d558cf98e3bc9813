"""Areas a truck's terminal keeps itself (0x8604 / 0x8605, devices/jt808/areas.py; dispatch/jt808/commands.py
``set_area``): the bureau's polygon zone sent to the simulated truck over real TCP, the truck crossing into it, its
own area alarm (bit 20, item 0x12) an alert naming the zone, acknowledged and so confirmed to the terminal, which
clears it; and the layouts of both editions."""

from __future__ import annotations

import pytest

from devices.errors import BodyError
from devices.jt808 import decode_frame, encode
from devices.jt808.areas import DeleteAreas, PolygonArea, delete_areas_body, polygon_area_body
from dispatch.errors import Refused
from dispatch.jt808.commands import area_command, area_id_of
from dispatch.ops import call
from tests.conftest import wait_for
from tests.jt808.test_uplink import PHONE, events

# the simulated truck drives from (24.30, 109.40) north-east at 10 m/s: into this square across its south edge a few
# seconds after it starts, well away from a corner (on a corner, in and out is for the terminal to decide), and
# it stays inside for more than a minute
SQUARE = [(24.3003, 109.3950), (24.3003, 109.4100), (24.3100, 109.4100), (24.3100, 109.3950)]
ZONE = {"type": "Feature", "properties": {"id": "no-trucks-1", "kind": "restricted", "name": "柳江大桥禁行区",
                                          "hours": "00:00-24:00", "speed_limit_kmh": 30},
        "geometry": {"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in SQUARE + SQUARE[:1]]]}}


@pytest.mark.parametrize("edition", [2013, 2019])
def test_a_polygon_area_and_its_deletion_round_trip(edition):
    body = polygon_area_body(7, SQUARE, flags=["enter_to_platform", "enter_to_driver"], max_speed_kmh=30,
                             name="柳江大桥禁行区", edition=edition)
    m = decode_frame(encode.frame(encode.SET_POLYGON_AREA, PHONE, 5, body, edition=edition))
    assert isinstance(m, PolygonArea) and m.area_id == 7 and m.points == tuple(SQUARE)
    assert m.flags == ("speed_limit", "enter_to_driver", "enter_to_platform") and m.max_speed_kmh == 30
    assert (m.name, m.night_max_speed_kmh) == (("柳江大桥禁行区", 30) if edition == 2019 else ("", None))
    d = decode_frame(encode.frame(encode.DELETE_POLYGON_AREAS, PHONE, 6, delete_areas_body([7, 9]), edition=edition))
    assert isinstance(d, DeleteAreas) and d.area_ids == (7, 9)
    assert decode_frame(encode.frame(encode.DELETE_POLYGON_AREAS, PHONE, 7, delete_areas_body())).area_ids == ()
    short = encode.frame(encode.SET_POLYGON_AREA, PHONE, 8, body[:-3], edition=edition)
    with pytest.raises(BodyError):
        decode_frame(short)
    with pytest.raises(ValueError):
        polygon_area_body(1, SQUARE[:2])


def test_a_zone_becomes_an_area_the_terminal_can_keep():
    zone = {"id": "site-9", "kind": "construction_site", "name": "工地",
            "geometry": {"type": "Polygon", "coordinates": [[[109.4 + 0.01 * (i % 2) * (i // 2 % 2 or 1),
                                                                24.3 + 0.0001 * i] for i in range(400)]
                                                              + [[109.4, 24.3]]]}}
    cmd = area_command(zone)
    assert cmd["alarm"] == "leave" and cmd["area_id"] == area_id_of("site-9") and len(cmd["points"]) <= 110
    from dispatch.jt808.commands import message

    long_name = dict(zone, name="柳江" * 40)  # 80 characters: cut to the 60 a message has room for
    for edition in (2013, 2019):
        msg_id, body = message(area_command(long_name), edition)  # the most vertices, the longest name: it fits
        assert msg_id == encode.SET_POLYGON_AREA and len(body) <= 1023
    square = [[109.4, 24.3], [109.41, 24.3], [109.41, 24.31], [109.4, 24.3]]
    with pytest.raises(Refused):  # a terminal's area is one polygon
        area_command({"id": "two", "kind": "restricted", "geometry": {"type": "MultiPolygon", "coordinates": [
            [square], [[[x + 0.1, y] for x, y in square]]]}})
    with pytest.raises(Refused):
        area_command(zone, "sideways")
    restricted = dict(zone, kind="restricted", hours="22:00-06:00")  # a terminal would alarm in the daytime too
    with pytest.raises(Refused, match="22:00-06:00"):
        area_command(restricted)
    assert area_command(dict(restricted, hours="00:00-24:00"))["alarm"] == "enter"  # every hour: kept as it is
    assert area_command(dict(restricted, hours="06:00-12:00,12:00-06:00"))["alarm"] == "enter"


def truck_given(core, gateway, feature):  # type: ignore[no-untyped-def]
    """The zone saved, a simulated truck driving north-east from (24.30, 109.40) at 10 m/s, logged in and given the
    zone (`jt808.set_area`): (its terminal, its fleet to stop, the command with its outcome)."""
    from devices.sim.fleet import SimTrack
    from devices.sim.jt808 import Jt808Fleet, SimTerminal

    call(core, "zone.save", {"feature": feature}, actor="engineer:wu")
    term = SimTerminal(PHONE, SimTrack("t", [(24.30, 109.40), (24.33, 109.43)], 10.0), interval_s=0.2, alarms=False)
    fleet = Jt808Fleet([term], "127.0.0.1", gateway.address[1]).start()
    try:
        wait_for(lambda: term.stats.authenticated, what="the truck logged in")
        zone_id = feature["properties"]["id"]
        sent = call(core, "jt808.set_area", {"unit_id": "truck-41", "zone_id": zone_id}, actor="engineer:wu")
        cmd = wait_for(lambda: [c for c in call(core, "jt808.commands", {"event": sent["event"]}, actor="t")
                                if c["outcome"]], what="the terminal's answer")[0]
    except BaseException:
        fleet.stop()
        raise
    return term, fleet, cmd


def test_the_truck_alarms_on_entering_the_area_it_was_given_and_the_alert_names_the_zone(core, gateway):
    term, fleet, cmd = truck_given(core, gateway, ZONE)
    try:
        assert cmd["command"] == "set_area"
        assert cmd["outcome"] == "acked" and cmd["alarm"] == "enter" and cmd["max_speed_kmh"] == 30
        assert list(term.areas.areas) == [area_id_of("no-trucks-1")]

        def area_alert():  # type: ignore[no-untyped-def]
            return [a for a in call(core, "alerts", {"unit_id": "truck-41"}, actor="t")
                    if a["rule"] == "terminal_area_in_out" and a["state"] == "open"]

        [alert] = wait_for(area_alert, 20, what="the truck driving into the area and its terminal alarming")
        assert (alert["zone"], alert["zone_name"]) == ("no-trucks-1", "柳江大桥禁行区") and "entered" in alert["detail"]
        [alarm] = [e for e in events(core, "jt808.alarm") if "area_in_out" in e.payload["alarms"]]
        assert alarm.payload["area"] == {"kind": "polygon", "area_id": area_id_of("no-trucks-1"), "entering": True}
        call(core, "alert.acknowledge", {"alert_id": alert["id"], "note": "司机已电话确认绕行"}, actor="dispatcher:li")

        def state() -> str:
            return next(a["state"] for a in call(core, "alerts", {"unit_id": "truck-41"}, actor="t")
                        if a["id"] == alert["id"])

        wait_for(lambda: state() == "cleared", 20, what="the confirmed alarm cleared by the terminal, and its alert")
        assert not term.areas.alarm and term.areas.within == {area_id_of("no-trucks-1")}  # still inside, confirmed

        gone = call(core, "jt808.delete_areas", {"unit_id": "truck-41"}, actor="engineer:wu")
        wait_for(lambda: [c for c in call(core, "jt808.commands", {"event": gone["event"]}, actor="t")
                          if c["outcome"] == "acked"], what="the areas deleted")
        assert term.areas.areas == {}
        with pytest.raises(Refused):
            call(core, "jt808.set_area", {"unit_id": "truck-41", "zone_id": "nowhere"}, actor="engineer:wu")
    finally:
        fleet.stop()


ROUTE = {"type": "Feature", "properties": {"id": "r-north", "kind": "route", "name": "中山路至白露消纳场运输线路",
                                           "width_m": 60},
         "geometry": {"type": "LineString", "coordinates": [[109.40, 24.30], [109.40, 24.33]]}}


@pytest.mark.parametrize("edition", [2013, 2019])
def test_a_route_and_its_deletion_round_trip(edition):
    from devices.jt808.areas import Route, route_body

    pts = [(24.30, 109.40), (24.33, 109.40), (24.34, 109.42)]
    body = route_body(9, pts, 60, flags=["leave_to_platform"], max_speed_kmh=40, name="运输线路", edition=edition)
    m = decode_frame(encode.frame(encode.SET_ROUTE, PHONE, 3, body, edition=edition))
    assert isinstance(m, Route) and m.route_id == 9 and m.flags == ("leave_to_platform",)
    assert [(p.lat, p.lon, p.width_m, p.max_speed_kmh) for p in m.points] == [(a, o, 60, 40) for a, o in pts]
    assert (m.name, m.points[0].night_max_speed_kmh) == (("运输线路", 40) if edition == 2019 else ("", None))
    d = decode_frame(encode.frame(encode.DELETE_ROUTES, PHONE, 4, delete_areas_body([9]), edition=edition))
    assert isinstance(d, DeleteAreas) and d.routes and d.area_ids == (9,)
    with pytest.raises(BodyError):
        decode_frame(encode.frame(encode.SET_ROUTE, PHONE, 5, body[:-1], edition=edition))


def test_a_long_corridor_is_simplified_to_a_route_a_terminal_takes():
    from dispatch.jt808.commands import message

    wiggly = dict(ROUTE["properties"], geometry={"type": "LineString", "coordinates": [
        [109.40 + 0.0002 * (i % 3), 24.30 + 0.0005 * i] for i in range(200)]}, name="线" * 80)
    cmd = area_command(wiggly)
    assert cmd["command"] == "set_route" and cmd["alarm"] == "leave" and len(cmd["points"]) <= 40
    for edition in (2013, 2019):
        assert len(message(cmd, edition)[1]) <= 1023


def test_the_truck_alarms_on_leaving_its_route_and_the_alert_names_it(core, gateway):
    # the truck drives north-east from the route's start: more than 30 m off the northward line after ~4 s
    term, fleet, cmd = truck_given(core, gateway, ROUTE)
    try:
        assert (cmd["command"], cmd["outcome"], cmd["width_m"]) == ("set_route", "acked", 60)
        [alert] = wait_for(lambda: [a for a in call(core, "alerts", {"unit_id": "truck-41"}, actor="t")
                                    if a["rule"] == "terminal_route_in_out"], 20, what="the truck leaving its route")
        assert alert["zone_name"] == "中山路至白露消纳场运输线路" and "left" in alert["detail"]
        gone = call(core, "jt808.delete_areas", {"unit_id": "truck-41", "zone_ids": ["r-north"]}, actor="engineer:wu")
        wait_for(lambda: [c for c in call(core, "jt808.commands", {"event": gone["event"]}, actor="t")
                          if c["outcome"] == "acked"], what="the route deleted")
        assert term.areas.routes == {}
    finally:
        fleet.stop()
