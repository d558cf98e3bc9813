"""Bad input at the edges of JSON: deep nesting and integers no store column holds are refused with an
error to the sender, like any other malformed message, and nothing queued behind them is lost."""

from __future__ import annotations

import json

import pytest
import zmq

from dispatch import ops
from dispatch.hub import protocol as P
from dispatch.hub.keys import load_key_file
from tests.conftest import wait_for


def test_deep_nesting_is_malformed() -> None:
    for frame in (b"[" * 100_000, b'{"type": "hb", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"):
        with pytest.raises(P.ProtocolError) as err:
            P.decode(frame)
        assert err.value.code == "malformed"


@pytest.mark.parametrize("msg", [{"type": "text", "cseq": 2**63, "text": "x"},
                                 {"type": "ack", "seq": 10**30},
                                 {"type": "login", "last_seq": 2**53}])
def test_sequence_numbers_beyond_two_to_the_53_are_refused(msg) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(P.ProtocolError) as err:
        P.validate_from_unit(msg)
    assert err.value.code == "bad_message"
    P.validate_from_unit({**msg, **{k: 2**53 - 1 for k in ("cseq", "seq", "last_seq") if k in msg}})


def test_the_hub_answers_each_and_keeps_what_follows(link) -> None:  # type: ignore[no-untyped-def]
    keys = load_key_file(link.keys, "boat-01")
    s = zmq.Context.instance().socket(zmq.DEALER)
    s.linger = 0
    s.curve_serverkey, s.curve_publickey, s.curve_secretkey = (
        keys["hub_public_key"].encode(), keys["public_key"].encode(), keys["secret_key"].encode())
    s.connect(link.hub.field_endpoint)
    replies: list[dict] = []

    def collect() -> bool:
        while s.poll(10):
            replies.append(json.loads(s.recv()))
        return True

    s.send(P.encode({"type": "login", "last_seq": 0}))
    wait_for(lambda: collect() and any(r["type"] == "welcome" for r in replies), what="welcome")
    refused = link.hub.refused
    # sent back to back: they are read in one batch, and the good text at the end must still be applied
    s.send(b"[" * 100_000)
    s.send(P.encode({"type": "text", "cseq": 10**30, "text": "huge cseq"}))
    s.send(P.encode({"type": "text", "cseq": 1, "text": "the good one"}))
    wait_for(lambda: collect() and any(r["type"] == "ack" for r in replies), what="the good text acknowledged")
    errors = [r for r in replies if r["type"] == "error"]
    assert [e["code"] for e in errors] == ["malformed", "bad_message"]
    assert link.hub.refused - refused == 2
    texts = [m["text"] for m in ops.call(link.core, "field.messages", {"unit_id": "boat-01"}, actor="t")]
    assert texts == ["the good one"]
    s.close(0)


def test_a_deeply_nested_control_request_is_refused_and_the_endpoint_keeps_serving(link) -> None:  # type: ignore[no-untyped-def]
    c = link.control()
    c.call("units")  # logged in
    r = zmq.Context.instance().socket(zmq.REQ)  # the same enrolled seat key, a raw socket
    r.linger = 0
    r.curve_serverkey = link.hub.public_key.encode()
    seat = json.loads((link.keys / "seat-tester.seat.json").read_text())
    r.curve_publickey, r.curve_secretkey = seat["public_key"].encode(), seat["secret_key"].encode()
    r.connect(link.hub.control_endpoint)
    try:
        r.send(b"[" * 100_000)
        assert r.poll(5000), "no answer to the nested request"
        reply = json.loads(r.recv())
        assert reply["ok"] is False and reply["code"] == "malformed"
    finally:
        r.close(0)
    try:
        assert {k["unit_id"] for k in c.call("field.keys", {})} >= {"boat-01"}
    finally:
        c.close()


@pytest.mark.parametrize("text", ['[1, 2]', '"just a string"', '{"hub": HUB, "last_seq": "abc"}',
                                  '{"hub": HUB, "last_seq": 3, "pending": 5}',
                                  '{"hub": HUB, "last_seq": 3, "assignments": [1]}', '{"hub": HUB, "pend'])
def test_a_damaged_client_state_file_starts_afresh_instead_of_crashing(link, text) -> None:  # type: ignore[no-untyped-def]
    from dispatch.hub.client import FieldClient

    keys = load_key_file(link.keys, "boat-01")
    path = link.keys / "boat-01.state.json"
    path.write_text(text.replace("HUB", json.dumps(keys["hub_public_key"])), encoding="utf-8")
    c = FieldClient("boat-01", link.hub.field_endpoint, keys, state_path=path, durable=False)
    assert c.last_seq == 0 and c.next_cseq == 1 and c.pending == [] and c.assignments == {}


@pytest.mark.parametrize("text", ['[1]', '{"unit_id": "boat-01"}', 'not json',
                                  '{"unit_id": "boat-01", "public_key": "short", "secret_key": "x", '
                                  '"hub_public_key": "y"}'])
def test_a_damaged_key_file_is_a_clear_error(tmp_path, text, capsys) -> None:  # type: ignore[no-untyped-def]
    from console.cli import main

    (tmp_path / "boat-01.key.json").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="boat-01.key.json"):
        load_key_file(tmp_path, "boat-01")
    code = main(["field", "--unit", "boat-01", "--hub", "tcp://127.0.0.1:1", "--keys", str(tmp_path), "--headless"])
    assert code == 2 and "boat-01.key.json" in capsys.readouterr().err
