"""What FixMyStreet (mySociety), the most widely deployed Open311 client, relies on, over real HTTP on 127.0.0.1.

FixMyStreet posts its reports form-encoded to requests.xml with every attribute of the service (blank when the
citizen left one unanswered), its line breaks as CRLF, a link to its photo as media_url or the photos themselves
as photo1, photo2...; it reads XML only, and learns what became of a report from servicerequestupdates.xml,
asked for a window of UTC times ending now, taking each update's ``status`` in its own extended vocabulary.
Checked by running FixMyStreet's Open311.pm against this endpoint (docs/open311.md).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from dispatch import ops
from dispatch.core import Dispatch
from dispatch.store import EventStore
from tests.citizens.conftest import jpeg_with_gps

HERE = {"lat": "24.3260", "long": "109.4150"}
THERE = {"lat": "24.3500", "long": "109.4400"}  # far enough from HERE not to be a duplicate


class Clock:
    """The core's clock, moved on by hand: every step of a case at its own second."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 10.0) -> float:
        self.now += seconds
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def core(tmp_path, clock) -> Iterator[Dispatch]:  # type: ignore[no-untyped-def]
    c = Dispatch(EventStore(f"sqlite:///{tmp_path / 'store.db'}"), clock=clock)
    yield c
    c.store.close()


def utc(ts: float) -> str:
    """A time as FixMyStreet writes start_date and end_date: UTC, whole seconds, with Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_xml(http: Any, key: str, files: Any = None, **fields: str) -> Any:
    data = {"service_code": "floating_garbage", "jurisdiction_id": "liuzhou.gov.cn", "api_key": key,
            "first_name": "张三", "last_name": "", "email": "zhang.san@example.cn", **HERE, **fields}
    return http.post("requests.xml", data=data, files=files)


def filed_id(resp: Any) -> str:
    assert resp.status_code == 200, resp.text
    root = ET.fromstring(resp.content)
    assert root.tag == "service_requests" and root.find("request/token") is None
    return str(root.find("request/service_request_id").text)


def updates_xml(http: Any, start: float, end: float) -> list[dict[str, str]]:
    r = http.get("servicerequestupdates.xml", params={"start_date": utc(start), "end_date": utc(end),
                                                      "jurisdiction_id": "liuzhou.gov.cn"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml"), r.text
    root = ET.fromstring(r.content)
    assert root.tag == "service_request_updates"
    return [{c.tag: c.text or "" for c in u} for u in root.findall("request_update")]


def test_a_blank_optional_attribute_is_unanswered_and_crlf_is_a_line_break(core, http, api_key):
    rid = filed_id(file_xml(http, api_key, description="标题\r\n\r\n江面有塑料瓶\r\n\r\nhttps://fms.example.org/report/7",
                            **{"attribute[water_body]": "tributary", "attribute[photo_location]": ""}))
    req = http.get(f"requests/{rid}.json").json()[0]
    assert req["description"].startswith("标题\n\n江面有塑料瓶\n\n") and "\r" not in req["description"]
    inc = ops.call(core, "incident.show", {"incident_id": rid}, actor="t")
    assert "支流或河汊" in inc["text"] and "照片中的位置信息" not in inc["text"]  # answered kept, blank left out
    wrong = file_xml(http, api_key, **{"attribute[water_body]": "sea", "attribute[photo_location]": ""})
    assert wrong.status_code == 400 and "water_body" in ET.fromstring(wrong.content).find("error/description").text


def test_updates_speak_fixmystreets_statuses_and_a_note_keeps_the_status_of_its_time(core, clock, http, api_key):
    start = clock.now - 1
    done = filed_id(file_xml(http, api_key, **{"attribute[water_body]": "liujiang"}))
    refused = filed_id(file_xml(http, api_key, service_code="street_vending", **THERE))
    core.register_units("system:test", [{"id": "boat-02", "name": "boat-02", "kind": "patrol_boat"}])
    steps = [("incident.transition", {"incident_id": done, "state": "verified"}),
             ("incident.assign", {"incident_id": done, "unit_id": "boat-02"}),
             ("incident.transition", {"incident_id": done, "state": "accepted"}),
             ("citizens.public_note", {"incident_id": done, "text": "巡逻艇已出发"}),
             ("incident.transition", {"incident_id": done, "state": "on_scene"}),
             ("incident.transition", {"incident_id": done, "state": "resolved"}),
             ("incident.transition", {"incident_id": done, "state": "closed"}),
             ("incident.transition", {"incident_id": refused, "state": "rejected", "reason": "invalid"})]
    for name, args in steps:
        clock.tick()
        ops.call(core, name, args, actor="dispatcher:wang")
    ups = updates_xml(http, start, clock.tick())
    seen = [(u["status"], u["external_status_code"]) for u in ups if u["service_request_id"] == done]
    assert seen == [("open", "reported"), ("action_scheduled", "verified"), ("in_progress", "dispatched"),
                    ("in_progress", "accepted"), ("in_progress", "accepted"), ("in_progress", "on_scene"),
                    ("fixed", "resolved"), ("fixed", "closed")]
    note = next(u for u in ups if u["description"] == "巡逻艇已出发")
    assert note["status"] == "in_progress" and note["update_id"] and note["updated_datetime"].endswith("+08:00")
    assert len({u["update_id"] for u in ups}) == len(ups)
    # a case not taken up is not reported as closed (FixMyStreet reads a bare "closed" as fixed)
    assert [u["status"] for u in ups if u["service_request_id"] == refused] == ["open", "no_further_action"]
    # the request's own history tells the note with the status it had then, not the one it has now
    req = http.get(f"requests/{done}.json").json()[0]
    assert req["status"] == "closed"
    assert next(n for n in req["notes"] if n["type"] == "note")["status"] == "open"


def test_a_note_on_a_case_quiet_since_before_the_window_is_in_it(core, clock, http, api_key):
    rid = filed_id(file_xml(http, api_key))
    clock.tick()
    ops.call(core, "incident.transition", {"incident_id": rid, "state": "verified"}, actor="dispatcher:wang")
    window = clock.tick(3600)  # FixMyStreet asks for the last two hours, every few minutes
    clock.tick()
    ops.call(core, "citizens.public_note", {"incident_id": rid, "text": "明早派船清理"}, actor="dispatcher:wang")
    ups = updates_xml(http, window, clock.tick())
    assert [(u["service_request_id"], u["description"], u["status"]) for u in ups] == \
        [(rid, "明早派船清理", "action_scheduled")]


def test_photos_uploaded_as_photo1_photo2_are_kept_and_their_location_removed(core, http, api_key):
    from PIL import Image

    from dispatch.citizens.photos import has_location

    pic, plain = jpeg_with_gps(), io.BytesIO()
    Image.new("RGB", (32, 32), (200, 40, 40)).save(plain, format="JPEG")
    files = [("photo1", ("1.0.full.jpeg", pic, "image/jpeg")), ("photo2", ("1.1.full.jpeg", plain.getvalue(),
                                                                          "image/jpeg"))]
    rid = filed_id(file_xml(http, api_key, files=files, **{"attribute[photo_location]": ""}))
    inc = ops.call(core, "incident.show", {"incident_id": rid}, actor="t")
    assert len(inc["attachments"]) == 2
    media = http.get(f"requests/{rid}.json").json()[0]["media_url"]
    got = http.get(media.split("/open311/v2/", 1)[1])
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg" and not has_location(got.content)
    four = [(f"photo{i}", (f"{i}.jpeg", pic, "image/jpeg")) for i in range(1, 5)]
    assert file_xml(http, api_key, files=four).status_code == 400


def test_the_media_url_a_client_gives_is_its_requests_media_url(http, api_key):
    link = "https://fms.example.org/photo/101.0.full.jpeg"
    rid = filed_id(file_xml(http, api_key, media_url=link))
    assert http.get(f"requests/{rid}.json").json()[0]["media_url"] == link
    odd = filed_id(file_xml(http, api_key, media_url="javascript:alert(1)", **THERE))
    assert http.get(f"requests/{odd}.json").json()[0]["media_url"] is None


def test_several_media_urls_one_a_photo_are_all_kept(core, http, api_key):
    """A FixMyStreet body set for several photos sends one media_url each, for a report and for a comment."""
    links = [f"https://fms.example.org/photo/102.{i}.full.jpeg" for i in range(3)]
    rid = filed_id(file_xml(http, api_key, media_url=links))  # type: ignore[arg-type]
    assert http.get(f"requests/{rid}.json").json()[0]["media_url"] == links[0]
    [filed] = [e for e in core.store.events(kinds=["citizens.request_filed"]) if e.payload["id"] == int(rid)]
    assert filed.payload["media_urls_given"] == links
    r = http.post("servicerequestupdates.xml", data={"api_key": api_key, "service_request_id": rid,
                                                      "description": "又拍了两张", "media_url": links[:2]})
    assert r.status_code == 200, r.text
    [said] = core.store.events(kinds=["citizens.comment_received"])
    assert said.payload["media_urls_given"] == links[:2]
    too_many = [f"https://fms.example.org/p/{i}.jpeg" for i in range(11)]
    assert file_xml(http, api_key, media_url=too_many, **THERE).status_code == 400  # type: ignore[arg-type]
