"""A citizen's follow-up through an Open311 client, over real HTTP on 127.0.0.1: FixMyStreet posts what its users
add to a report it sent (a comment, a photo, "it is back") to servicerequestupdates.xml, form-encoded, and keeps
trying until it reads an update id back. Recorded once, by the client's key, for the dispatcher's Citizens tab."""

from __future__ import annotations

import io
from typing import Any
from xml.etree import ElementTree as ET

from dispatch import ops
from tests.citizens.conftest import jpeg_with_gps
from tests.citizens.test_open311_fixmystreet import file_xml, filed_id

COMMENT = {"jurisdiction_id": "liuzhou.gov.cn", "status": "OPEN", "first_name": "张", "last_name": "三",
           "email": "zhang.san@example.cn", "updated_datetime": "2026-12-06T09:15:00Z"}


def post_update(http: Any, key: str, rid: str, text: str, files: Any = None, **fields: str) -> Any:
    return http.post("servicerequestupdates.xml", data={**COMMENT, "api_key": key, "service_request_id": rid,
                                                        "description": text, **fields}, files=files)


def update_id(resp: Any) -> str:
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/xml"), resp.text
    root = ET.fromstring(resp.content)
    assert root.tag == "service_request_updates"
    return str(root.find("request_update/update_id").text)


def test_a_citizens_follow_up_is_recorded_once_and_shown_to_the_dispatcher_only(core, http, api_key):
    rid = filed_id(file_xml(http, api_key, description="河面漂浮垃圾"))
    first = update_id(post_update(http, api_key, rid, "垃圾还在，\r\n又多了一些", update_id="9001"))
    assert first == f"{rid}-c1"
    # FixMyStreet tries again when it did not read the answer: the same update, nothing recorded twice
    assert update_id(post_update(http, api_key, rid, "垃圾还在，\r\n又多了一些", update_id="9001")) == first
    second = update_id(post_update(http, api_key, rid, "已经清理了，谢谢", update_id="9002", status="FIXED",
                                   first_name="李", last_name="-"))
    assert second == f"{rid}-c2"
    seen = ops.call(core, "citizens.preview", {"incident_id": rid}, actor="dispatcher:t")
    assert [(c["service_request_id"], c["reporter"], c["status"], c["description"]) for c in seen["comments"]] == [
        (rid, "张 三", "open", "垃圾还在，\n又多了一些"), (rid, "李", "fixed", "已经清理了，谢谢")]
    events = [e for e in core.store.events() if e.kind == "citizens.comment_received"]
    assert [(e.actor, e.payload["client_update_id"], e.payload["contact"]) for e in events] == [
        ("citizen:city-app", "9001", "zhang.san@example.cn"), ("citizen:city-app", "9002", "zhang.san@example.cn")]
    # the citizens' own words are not given back as the bureau's updates, nor shown in the request's notes
    public = http.get(f"requests/{rid}.json").json()[0]
    assert all("垃圾还在" not in n["description"] for n in public["notes"])
    assert "zhang.san" not in http.get("servicerequestupdates.json").text
    # nothing about the incident moved on its own
    assert ops.call(core, "incident.show", {"incident_id": rid}, actor="t")["state"] == "reported"


def test_a_follow_up_with_a_photo_attaches_it_without_its_location(core, http, api_key):
    from PIL import Image

    from dispatch.blobs import attachments_dir, blob_path
    from dispatch.citizens.photos import has_location

    rid = filed_id(file_xml(http, api_key))
    plain = io.BytesIO()
    Image.new("RGB", (32, 32), (20, 40, 200)).save(plain, format="JPEG")
    files = [("photo1", ("2.0.full.jpeg", jpeg_with_gps(), "image/jpeg")),
             ("photo2", ("2.1.full.jpeg", plain.getvalue(), "image/jpeg"))]
    update_id(post_update(http, api_key, rid, "又有人倒垃圾了", files=files, update_id="77"))
    inc = ops.call(core, "incident.show", {"incident_id": rid}, actor="t")
    assert len(inc["attachments"]) == 2
    kept = blob_path(attachments_dir(core), inc["attachments"][0]["sha256"])
    assert kept is not None and not has_location(kept.read_bytes())
    seen = ops.call(core, "citizens.preview", {"incident_id": rid}, actor="dispatcher:t")
    assert seen["comments"][0]["photos"] == 2


def test_bad_follow_ups_are_refused_and_nothing_is_recorded(core, http, api_key):
    rid = filed_id(file_xml(http, api_key))
    cases = [
        (post_update(http, "not-a-key", rid, "x"), 403),
        (post_update(http, api_key, "999999", "x"), 404),
        (post_update(http, api_key, "abc", "x"), 404),
        (post_update(http, api_key, rid, "   "), 400),
        (post_update(http, api_key, rid, "x", status="<script>"), 400),
        (post_update(http, api_key, rid, "x", updated_datetime="yesterday"), 400),
        (post_update(http, api_key, rid, "x", email="nobody"), 400),
        (post_update(http, api_key, rid, "x", update_id="u" * 101), 400),
        (post_update(http, api_key, rid, "x" * 4001), 400),
        (post_update(http, api_key, rid, "x", jurisdiction_id="elsewhere.gov"), 404),
    ]
    for resp, status in cases:
        assert resp.status_code == status, resp.text
        assert ET.fromstring(resp.content).tag == "errors"
    assert not [e for e in core.store.events() if e.kind == "citizens.comment_received"]
    # a follow-up with no update id of the client's is recorded each time it comes
    assert update_id(post_update(http, api_key, rid, "第一次", update_id="")) != update_id(
        post_update(http, api_key, rid, "第二次", update_id=""))
