"""A field client written only from docs/field-protocol.md: raw pyzmq and json, nothing of ours."""

from __future__ import annotations

import json

import zmq

from dispatch import ops
from tests.conftest import wait_for


def test_client_from_the_document(link) -> None:  # type: ignore[no-untyped-def]
    keyfile = json.loads((link.keys / "boat-02.key.json").read_text())
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.curve_serverkey = keyfile["hub_public_key"].encode()
    s.curve_publickey = keyfile["public_key"].encode()
    s.curve_secretkey = keyfile["secret_key"].encode()
    s.connect(link.hub.field_endpoint)
    inbox: list[dict] = []

    def send(msg: dict) -> None:
        s.send(json.dumps(msg).encode("utf-8"))

    def read() -> list[dict]:
        while s.poll(20):
            inbox.append(json.loads(s.recv().decode("utf-8")))
        return inbox

    send({"type": "login", "unit_id": "boat-02", "version": "doc-client/1", "last_seq": 0})
    welcome = wait_for(lambda: next((m for m in read() if m["type"] == "welcome"), None))
    assert welcome["last_cseq"] == 0
    r = ops.call(link.core, "incident.create", {"category": "floating_garbage", "priority": "P1", "lat": 24.3,
                                                "lon": 109.4}, actor="dispatcher:li")
    ops.call(link.core, "incident.assign", {"incident_id": r["id"], "unit_id": "boat-02"}, actor="dispatcher:li")
    a = wait_for(lambda: next((m for m in read() if m["type"] == "assignment"), None))
    assert a["incident_id"] == str(r["id"]) and a["seq"] == 1
    send({"type": "ack", "seq": a["seq"]})
    send({"type": "accept", "cseq": 1, "ref": a["ref"]})
    send({"type": "status", "cseq": 2, "ref": a["ref"], "status": "en_route", "note": "leaving the dock"})
    wait_for(lambda: {m.get("cseq") for m in read() if m["type"] == "ack"} >= {1, 2})
    assert all(m["ok"] for m in inbox if m["type"] == "ack")
    inc = ops.call(link.core, "incident.show", {"incident_id": r["id"]}, actor="t")
    assert inc["state"] == "en_route"
    send({"type": "hb"})
    wait_for(lambda: any(m["type"] == "hb" for m in read()))
    s.close(0)
