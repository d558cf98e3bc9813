"""Open311 GeoReport v2 over real HTTP on 127.0.0.1: the spec's documents, formats, errors and defaults,
a request's status following its incident, duplicates, public notes, photos, ratings, privacy and limits."""

from __future__ import annotations

import io
import json
from typing import Any
from xml.etree import ElementTree as ET

from dispatch import ops
from tests.citizens.conftest import jpeg_with_gps

PLACE = {"lat": "24.3260", "long": "109.4150"}
SECRETS = ("13800138000", "138-0013-8000", "zhang.san@example.cn", "张三", "Zhang")


def post(http: Any, key: str | None, **fields: Any) -> Any:
    data = {"service_code": "floating_garbage", **PLACE, **fields}
    if key is not None:
        data["api_key"] = key
    return http.post("requests.json", data=data)


def error_of(resp: Any) -> dict[str, Any]:
    body = resp.json()
    assert isinstance(body, list) and set(body[0]) == {"code", "description"}, body
    assert body[0]["code"] == resp.status_code
    return body[0]


def test_discovery_and_services_in_json_and_xml(http):
    d = http.get("discovery.json")
    assert d.headers["content-type"].startswith("application/json")
    assert d.json()["endpoints"][0]["url"].endswith("/open311/v2")
    s = http.get("services.json").json()
    codes = {x["service_code"] for x in s}
    assert {"floating_garbage", "water_pollution", "damaged_facility"} <= codes
    fg = next(x for x in s if x["service_code"] == "floating_garbage")
    assert fg["service_name"] == "水面漂浮物" and fg["group"] == "水上与河道" and fg["metadata"] is True
    en = http.get("services.json", params={"lang": "en"}).json()
    assert next(x for x in en if x["service_code"] == "floating_garbage")["service_name"] == "Floating garbage"
    x = http.get("services.xml")
    assert x.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(x.content)
    assert root.tag == "services" and len(root.findall("service")) == len(s)
    d = http.get("services/damaged_facility.json").json()
    attr = next(a for a in d["attributes"] if a["code"] == "facility_type")
    assert attr["datatype"] == "singlevaluelist" and {"key": "manhole", "name": "井盖"} in attr["values"]
    dx = ET.fromstring(http.get("services/damaged_facility.xml").content)
    assert dx.tag == "service_definition" and dx.find("attributes/attribute/values/value/key") is not None
    assert http.get("services/nope.json").status_code == 404


def test_the_three_refusals_in_the_spec_format(http, api_key):
    r = post(http, None)
    assert r.status_code == 403 and "api_key" in error_of(r)["description"]
    r = post(http, "not-a-key")
    assert r.status_code == 403
    r = post(http, api_key, service_code="no_such_service")
    assert r.status_code == 400 and "service_code" in error_of(r)["description"]
    r = http.get("requests/424242.json")
    assert r.status_code == 404 and error_of(r)
    x = http.get("requests/424242.xml")
    assert x.status_code == 404 and x.headers["content-type"].startswith("text/xml")
    err = ET.fromstring(x.content)
    assert err.tag == "errors" and err.find("error/code").text == "404" and err.find("error/description").text


def test_the_key_and_jurisdiction_in_the_url_as_the_client_wrappers_send_them(http, api_key):
    """codeforamerica's Ruby and Python wrappers POST requests.xml?jurisdiction_id=..&api_key=.. with the form."""
    data = {"service_code": "floating_garbage", "lat": "24.3", "long": "109.4", "description": "瓶子"}
    r = http.post("requests.xml", params={"jurisdiction_id": "liuzhou.gov.cn", "api_key": api_key}, data=data)
    assert r.status_code == 200, r.text
    rid = ET.fromstring(r.content).find("request/service_request_id").text
    assert http.get(f"requests/{rid}.json").json()[0]["description"] == "瓶子"
    assert http.post("requests.xml", params={"api_key": "forged"}, data=data).status_code == 403
    wrong = http.post("requests.json", params={"jurisdiction_id": "elsewhere.gov", "api_key": api_key}, data=data)
    assert wrong.status_code == 404 and "jurisdiction" in error_of(wrong)["description"]


def test_a_revoked_key_is_refused(core, http, api_key):
    assert post(http, api_key).status_code == 200
    ops.call(core, "citizens.apikey_revoke", {"name": "city-app"}, actor="ctl:test")
    assert post(http, api_key).status_code == 403
    keys = ops.call(core, "citizens.apikeys", {}, actor="ctl:test")
    assert keys[0]["revoked"] and "sha256" not in keys[0] and api_key not in json.dumps(keys)


def test_post_then_follow_the_case_to_closed(core, http, api_key):
    r = post(http, api_key, description="垃圾漂在江面上", address_string="文惠桥下", **{"attribute[water_body]": "liujiang"})
    assert r.status_code == 200, r.text
    filed = r.json()[0]
    rid = filed["service_request_id"]
    assert filed["rating_token"]
    inc = ops.call(core, "incident.show", {"incident_id": rid}, actor="t")
    assert inc["source"] == "app" and inc["category"] == "floating_garbage" and "柳江干流" in inc["text"]

    one = http.get(f"requests/{rid}.json")
    assert one.headers["content-type"].startswith("application/json")
    req = one.json()
    assert isinstance(req, list) and len(req) == 1
    req = req[0]
    assert req["status"] == "open" and req["service_code"] == "floating_garbage" and req["address"] == "文惠桥下"
    assert req["requested_datetime"].endswith("+08:00") and req["expected_datetime"].endswith("+08:00")
    assert req["agency_responsible"] and req["status_notes"] == "已受理，等待核实"

    core.register_units("system:test", [{"id": "boat-01", "name": "boat-01", "kind": "patrol_boat"}])
    ops.call(core, "incident.assign", {"incident_id": rid, "unit_id": "boat-01"}, actor="dispatcher:wang")
    en = http.get(f"requests/{rid}.json", params={"lang": "en"}).json()[0]
    assert en["status"] == "open" and en["status_notes"] == "A crew has been dispatched"
    for st in ("accepted", "on_scene", "resolved", "closed"):
        ops.call(core, "incident.transition", {"incident_id": rid, "state": st, "note": "internal: call 13800138000"},
                 actor="dispatcher:wang")
    x = ET.fromstring(http.get(f"requests/{rid}.xml").content)
    assert x.tag == "service_requests"
    node = x.find("request")
    assert node.find("status").text == "closed" and node.find("expected_datetime").text is None
    texts = [n.find("description").text for n in node.findall("notes/note")]
    assert texts[0] == "已受理，等待核实" and texts[-1] == "已办结，欢迎评价" and "已派遣处置人员" in texts
    assert "internal" not in x.find("request").find("status_notes").text  # the dispatcher's notes stay inside


def test_get_requests_filters_defaults_and_paging(core, http, api_key):
    ids = [post(http, api_key, service_code=code, lat=str(24.30 + i * 0.01), long="109.40").json()[0]["service_request_id"]
           for i, code in enumerate(["floating_garbage", "water_pollution", "floating_garbage"])]
    every = http.get("requests.json").json()
    assert [r["service_request_id"] for r in every] == ids[::-1]  # newest first
    fg = http.get("requests.json", params={"service_code": "floating_garbage"}).json()
    assert {r["service_request_id"] for r in fg} == {ids[0], ids[2]}
    two = http.get("requests.json", params={"service_request_id": f"{ids[1]},{ids[2]},999"}).json()
    assert {r["service_request_id"] for r in two} == {ids[1], ids[2]}
    assert http.get("requests.json", params={"status": "closed"}).json() == []
    assert len(http.get("requests.json", params={"status": "open,closed"}).json()) == 3
    old = http.get("requests.json", params={"end_date": "2020-01-01T00:00:00+08:00"}).json()
    assert old == []
    window = http.get("requests.json", params={"start_date": "2020-01-01T00:00:00Z"}).json()
    assert window == []  # start alone: 90 days from it
    p1 = http.get("requests.json", params={"page_size": 2}).json()
    p2 = http.get("requests.json", params={"page_size": 2, "page": 2}).json()
    assert [r["service_request_id"] for r in p1 + p2] == ids[::-1]
    xml = ET.fromstring(http.get("requests.xml").content)
    assert len(xml.findall("request")) == 3 and xml.find("request/lat").text
    for bad in ({"start_date": "yesterday"}, {"status": "pending"}, {"page_size": "5000"}, {"page": "x"},
                {"service_code": "nope"}, {"service_request_id": "a,b"},
                {"start_date": "2026-02-01T00:00:00+08:00", "end_date": "2026-01-01T00:00:00+08:00"}):
        r = http.get("requests.json", params=bad)
        assert r.status_code == 400 and error_of(r), bad


def test_a_duplicate_joins_the_first_and_both_reporters_hear_the_news(core, http, api_key):
    first = post(http, api_key, description="江面垃圾").json()[0]["service_request_id"]
    second = post(http, api_key, lat="24.3261", long="109.4151").json()[0]
    assert second["duplicate_of"] == first
    sid = second["service_request_id"]
    kept = ops.call(core, "incident.show", {"incident_id": first}, actor="t")
    assert int(sid) in kept["merged"]
    ops.call(core, "incident.transition", {"incident_id": first, "state": "verified"}, actor="dispatcher:wang")
    preview = ops.call(core, "citizens.preview", {"incident_id": first, "note": "明早清理", "lang": "en"}, actor="d")
    assert preview["citizens"] == 2 and all(q["status_notes"] == "明早清理" for q in preview["requests"])
    assert not any(n["description"] == "明早清理" for n in http.get(f"requests/{sid}.json").json()[0]["notes"])
    ops.call(core, "citizens.public_note", {"incident_id": first, "text": "明早清理"}, actor="dispatcher:wang")
    for rid in (first, sid):
        r = http.get(f"requests/{rid}.json").json()[0]
        assert r["status"] == "open" and r["status_notes"] == "明早清理", r
    assert http.get(f"requests/{sid}.json").json()[0]["duplicate_of"] == first
    ups = http.get("servicerequestupdates.json").json()
    assert {u["service_request_id"] for u in ups if u["description"] == "明早清理"} == {first, sid}
    assert ET.fromstring(http.get("servicerequestupdates.xml").content).tag == "service_request_updates"


def _close(core, rid):
    core.register_units("system:test", [{"id": "boat-02", "name": "boat-02", "kind": "patrol_boat"}])
    ops.call(core, "incident.assign", {"incident_id": rid, "unit_id": "boat-02"}, actor="dispatcher:wang")
    for st in ("accepted", "on_scene", "resolved", "closed"):
        ops.call(core, "incident.transition", {"incident_id": rid, "state": st}, actor="dispatcher:wang")


def test_rating_becomes_the_evaluation_and_a_low_one_reopens(core, http, api_key):
    good = post(http, api_key).json()[0]
    rid = good["service_request_id"]
    early = http.post(f"requests/{rid}/rating.json", data={"rating": "5", "rating_token": good["rating_token"]})
    assert early.status_code == 400 and "not closed" in error_of(early)["description"]
    _close(core, rid)
    assert http.post(f"requests/{rid}/rating.json", data={"rating": "5", "rating_token": "wrong"}).status_code == 403
    assert http.post(f"requests/{rid}/rating.json", data={"rating": "9", "rating_token": good["rating_token"]}).status_code == 400
    ok = http.post(f"requests/{rid}/rating.json", data={"rating": "5", "comment": "很快", "rating_token": good["rating_token"]})
    assert ok.status_code == 200, ok.text
    inc = ops.call(core, "incident.show", {"incident_id": rid}, actor="t")
    assert inc["state"] == "evaluated" and inc["satisfaction"] == 5
    assert http.get(f"requests/{rid}.json").json()[0]["rating"] == 5
    again = http.post(f"requests/{rid}/rating.json", data={"rating": "4", "rating_token": good["rating_token"]})
    assert again.status_code == 400

    bad = post(http, api_key, service_code="illegal_dumping").json()[0]
    _close(core, bad["service_request_id"])
    r = http.post(f"requests/{bad['service_request_id']}/rating.xml", data={"rating": "1", "comment": "没处理干净",
                                                                            "rating_token": bad["rating_token"]})
    assert r.status_code == 200 and ET.fromstring(r.content).find("rating/reopened").text == "true"
    inc = ops.call(core, "incident.show", {"incident_id": bad["service_request_id"]}, actor="t")
    assert inc["state"] == "reopened" and inc["satisfaction"] == 1
    assert "shift lead" in inc["history"][-1]["note"]
    assert http.get(f"requests/{bad['service_request_id']}.json").json()[0]["status"] == "open"
    figs = ops.call(core, "citizens.satisfaction", {}, actor="t")
    assert figs["ratings"] == 2 and figs["mean"] == 3.0 and figs["reopened"] == 1


def test_photo_upload_strips_the_exif_location_unless_shared(core, http, api_key, server):
    from dispatch.citizens.photos import has_location

    photo = jpeg_with_gps()
    r = http.post("requests.json", data={"api_key": api_key, "service_code": "illegal_dumping", **PLACE},
                  files={"media": ("p.jpg", io.BytesIO(photo), "image/jpeg")})
    assert r.status_code == 200, r.text
    rid = r.json()[0]["service_request_id"]
    req = http.get(f"requests/{rid}.json").json()[0]
    assert req["media_url"].startswith(server.url.rstrip("/").removesuffix("/open311"))
    img = http.get(req["media_url"])
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    assert not has_location(img.content)
    inc = ops.call(core, "incident.show", {"incident_id": rid}, actor="t")
    assert inc["attachments"][0]["media_type"] == "image/jpeg"

    shared = http.post("requests.json", data={"api_key": api_key, "service_code": "street_vending", "lat": "24.2",
                                              "long": "109.3", "attribute[photo_location]": "share"},
                       files={"media": ("p.jpg", io.BytesIO(photo), "image/jpeg")}).json()[0]
    url = http.get(f"requests/{shared['service_request_id']}.json").json()[0]["media_url"]
    assert has_location(http.get(url).content)
    notimg = http.post("requests.json", data={"api_key": api_key, "service_code": "street_vending", **PLACE},
                       files={"media": ("p.jpg", io.BytesIO(b"not a picture"), "image/jpeg")})
    assert notimg.status_code == 400 and "photo" in error_of(notimg)["description"]
    assert http.get("media/" + "0" * 64).status_code == 404


def test_no_get_ever_shows_a_phone_or_an_email(core, http, api_key, server):
    import httpx

    r = post(http, api_key, first_name="张三", last_name="Zhang", phone="138-0013-8000", email="zhang.san@example.cn",
             description="我的电话 13800138000，邮箱 zhang.san@example.cn", address_string="近 138-0013-8000 号")
    rid = r.json()[0]["service_request_id"]
    inc = ops.call(core, "incident.show", {"incident_id": rid}, actor="t")
    assert inc["reporter"] == "张三 Zhang" and "zhang.san@example.cn" in inc["contact"]  # the dispatcher sees them
    post(http, api_key, phone="13800138000", lat="24.3261", long="109.4151")  # a duplicate of it
    ops.call(core, "citizens.public_note", {"incident_id": rid, "text": "已联系"}, actor="dispatcher:wang")
    bodies = []
    for path in (f"requests/{rid}.json", f"requests/{rid}.xml", "requests.json", "requests.xml",
                 "servicerequestupdates.json", "servicerequestupdates.xml", f"requests/{int(rid) + 1}.json"):
        resp = http.get(path)
        assert resp.status_code == 200, path
        bodies.append(resp.text)
    bodies.append(httpx.get(server.url).text)
    for b in bodies:
        for s in SECRETS:
            assert s not in b, (s, b[:300])


def test_every_malformed_field_is_refused(http, api_key):
    cases = [
        {"lat": "north"}, {"lat": "95"}, {"long": ""}, {"description": "x" * 4001}, {"email": "not-an-email"},
        {"phone": "call me"}, {"attribute[water_body]": "sea"}, {"attribute[colour]": "red"},
        {"first_name": "n" * 101}, {"jurisdiction_id": "elsewhere"}, {"service_code": ""},
    ]
    for extra in cases:
        r = post(http, api_key, **extra)
        assert r.status_code in (400, 404), (extra, r.status_code)
        assert error_of(r)["description"]
    r = http.post("requests.json", content=b"{}", headers={"content-type": "application/json"})
    assert r.status_code == 400 and error_of(r)
    big = http.post("requests.json", content=b"x" * (11 * 1024 * 1024),
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413


def test_posts_are_rate_limited_per_client(core, api_key):
    import httpx

    from dispatch.citizens import start_open311

    srv = start_open311(core, "127.0.0.1:0", post_per_minute=1, post_burst=2)
    try:
        codes = [httpx.post(srv.url + "v2/requests.json", data={"api_key": api_key, "service_code": "other",
                                                                 "lat": "24.3", "long": str(109.3 + i / 10)}).status_code
                 for i in range(4)]
        assert codes[:2] == [200, 200] and codes[2:] == [429, 429]
        r = httpx.post(srv.url + "v2/requests.xml", data={"api_key": api_key, "service_code": "other", **PLACE})
        assert r.status_code == 429 and ET.fromstring(r.content).find("error/code").text == "429"
        # when to come back: one report a minute, the bucket empty -> about a minute (RFC 9110 Retry-After)
        wait = int(r.headers["retry-after"])
        assert 30 <= wait <= 60 and f"{wait} s" in ET.fromstring(r.content).find("error/description").text
        assert "retry-after" not in httpx.get(srv.url + "v2/services.json").headers
    finally:
        srv.stop()
