"""A terminal's other standard messages at the gateway, over real TCP (dispatch/jt808/uplink.py): the server time
(0x0004 -> 0x8004), attributes asked for (0x8107 -> 0x0107), upgrade results (0x0108), a vehicle control's answer
with its position (0x0500), electronic waybills (0x0701), transparent data (0x0900) and the search for the photos
a truck keeps (0x8802 -> 0x0802); by a raw terminal and by the simulated truck."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from devices.jt808 import encode
from dispatch.ops import call
from tests.conftest import wait_for
from tests.jt808.terminal import RawTerminal
from tests.jt808.test_gateway import login

PHONE = "013912345678"
# 2024-11-26 20:01:05 Beijing, with a fix (status bit 1), 10 km/h east
WHERE = bytes.fromhex("00000000" "00000002" "01733200" "0685BD84" "005C" "0064" "005A" "241126200105")


def events(core, kind: str) -> list:  # type: ignore[no-untyped-def]
    return [e for e in core.store.events(0) if e.kind == kind]


def outcome(core, seq: int):  # type: ignore[no-untyped-def]
    [cmd] = call(core, "jt808.commands", {"event": seq}, actor="t")
    return cmd if cmd["outcome"] is not None else None


def acks(term: RawTerminal, msg_id: int) -> list:  # type: ignore[no-untyped-def]
    return [m for m in term.received if m.header.msg_id == 0x8001 and m.reply_id == msg_id]


def refused_before_login(gateway, frame: bytes) -> None:  # type: ignore[no-untyped-def]
    """A connection that has not authenticated sends `frame`: it is answered 0x8001 result 1 and taken no further."""
    stranger = RawTerminal(gateway.address)
    try:
        stranger.send(frame)
        assert stranger.expect(0x8001)[0].result == 1
    finally:
        stranger.close()


def test_the_platforms_time_is_given_to_any_terminal_that_asks(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        before = datetime.now(UTC).replace(microsecond=0)
        term.send(encode.frame(encode.SERVER_TIME_QUERY, PHONE, 1, edition=2019))  # not even registered
        [answer] = term.expect(encode.SERVER_TIME)
        assert before <= answer.time <= datetime.now(UTC) and answer.time.tzinfo is not None
    finally:
        term.close()


def test_what_a_terminal_reports_is_recorded_kept_and_answered(core, gateway):
    refused_before_login(gateway, encode.frame(encode.WAYBILL, PHONE, 1, encode.waybill_body("联单 LZ-2026-0042".encode("gbk"))))
    term = RawTerminal(gateway.address)
    try:
        login(term)

        content = "建筑垃圾处置联单 LZ-2026-0042 柳南区工地 -> 洛维消纳场".encode("gbk")
        term.send(encode.frame(encode.WAYBILL, PHONE, 10, encode.waybill_body(content)))
        term.send(encode.frame(encode.WAYBILL, PHONE, 11, encode.waybill_body(b"\x00\xff\x10binary")))
        term.send(encode.frame(encode.UPGRADE_RESULT, PHONE, 12, encode.upgrade_result_body(0, 1)))
        for i in range(3):
            term.send(encode.frame(encode.PASSTHROUGH, PHONE, 13 + i, encode.passthrough_body(0x41, f"$OBD-RT,12.{i}".encode())))
        term.send(encode.frame(encode.PASSTHROUGH, PHONE, 16, encode.passthrough_body(0xF0, bytes(range(100)))))
        term.expect(0x8001, 1 + 7)  # the authentication's, then one for each of the seven
        assert len(acks(term, encode.PASSTHROUGH)) == 4
        assert {a.result for a in acks(term, encode.WAYBILL)[1:] + acks(term, encode.UPGRADE_RESULT)} == {0}

        bills = wait_for(lambda: len(events(core, "jt808.waybill")) == 2 and events(core, "jt808.waybill"),
                         what="the waybills recorded")
        text, binary = (e.payload for e in bills)  # the stranger's is not among them
        assert text["text"] == content.decode("gbk") and text["unit"] == "truck-41" and text["terminal"] == PHONE
        assert text["sha256"] == hashlib.sha256(content).hexdigest() and text["size"] == len(content)
        assert "text" not in binary and binary["hex"] == "00ff1062696e617279"
        listed = call(core, "jt808.waybills", {"unit_id": "truck-41"}, actor="t")
        assert [w.get("text") for w in listed] == [content.decode("gbk"), None]  # oldest first
        card = call(core, "truck.card", {"unit_id": "truck-41"}, actor="t")["waybill"]
        assert (card["hex"], card["size"], card.get("text")) == ("00ff1062696e617279", 9, None)  # the newest
        [up] = wait_for(lambda: events(core, "jt808.upgrade_result"), what="the upgrade result")
        assert (up.payload["kind"], up.payload["result"]) == ("terminal", "failure")

        kept = gateway.session_of(PHONE).as_dict()["passthrough"]
        assert kept["serial_1"]["count"] == 3 and bytes.fromhex(kept["serial_1"]["head"]) == b"$OBD-RT,12.2"
        assert kept["user_defined_F0"]["size"] == 100 and len(bytes.fromhex(kept["user_defined_F0"]["head"])) == 64
        assert not events(core, "jt808.passthrough")  # telemetry the bureau does not read: not in the log
    finally:
        term.close()


def test_a_vehicle_controls_answer_moves_the_truck(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term)
        term.send(encode.frame(encode.VEHICLE_CONTROL_REPLY, PHONE, 5, encode.vehicle_control_reply_body(77, WHERE)))
        pos = wait_for(lambda: core.state.units["truck-41"].position, what="the position")
        assert (pos.lat, pos.lon, pos.source) == (24.326656, 109.4281, "jt808:13912345678")
        term.send(encode.heartbeat(PHONE, 6))
        term.expect(0x8001, 2)  # the authentication's and the heartbeat's: an answer is not answered
        assert not acks(term, encode.VEHICLE_CONTROL_REPLY)
    finally:
        term.close()


def test_attributes_asked_for_are_the_commands_outcome(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term)
        sent = call(core, "jt808.read_attributes", {"unit_id": "truck-41"}, actor="engineer:wu")
        term.expect(encode.QUERY_ATTRIBUTES)
        term.send(encode.frame(encode.TERMINAL_ATTRIBUTES, PHONE, 7, encode.attributes_body(
            manufacturer="XC", model="C5L", terminal_id="9887125", iccid="89883030000131882455",
            firmware="C5L_V2.6 2026/06/04")))
        cmd = wait_for(lambda: outcome(core, sent["event"]), what="the attributes")
        assert cmd["outcome"] == "acked" and cmd["by"] == "engineer:wu"
        v = cmd["values"]
        assert (v["manufacturer"], v["model"], v["terminal_id"], v["iccid"], v["firmware"]) == (
            "XC", "C5L", "9887125", "89883030000131882455", "C5L_V2.6 2026/06/04")
        assert v["gnss"] == ["gps", "bds"] and v["kinds"] == ["freight", "all_in_one"]
        assert gateway.session_of(PHONE).as_dict()["attributes"] == v
        term.send(encode.heartbeat(PHONE, 8))
        term.expect(0x8001, 2)
        assert not acks(term, encode.TERMINAL_ATTRIBUTES)
    finally:
        term.close()


def test_a_simulated_truck_sends_its_waybill_says_its_attributes_and_which_photos_it_keeps(core, gateway):
    from devices.sim.fleet import SimTrack
    from devices.sim.jt808 import Jt808Fleet, SimTerminal

    term = SimTerminal(PHONE, SimTrack("t", [(24.30, 109.40), (24.33, 109.43)], 10.0), interval_s=0.2,
                       camera_every_s=0.3, waybill="建筑垃圾处置联单 LZ-0042")
    fleet = Jt808Fleet([term], "127.0.0.1", gateway.address[1]).start()
    try:
        [bill] = wait_for(lambda: events(core, "jt808.waybill"), what="the trip's waybill, once logged in")
        assert bill.payload["text"] == "建筑垃圾处置联单 LZ-0042" and bill.payload["unit"] == "truck-41"
        wait_for(lambda: len(term.kept) >= 3, what="three photos kept by the timed camera")
        asked = call(core, "jt808.read_attributes", {"unit_id": "truck-41"}, actor="engineer:wu")
        attrs = wait_for(lambda: outcome(core, asked["event"]), what="the simulated truck's attributes")["values"]
        assert attrs["manufacturer"] and attrs["firmware"] and len(attrs["iccid"]) == 20

        now = time.time()
        kept = len(term.kept)
        found = call(core, "jt808.find_photos", {"unit_id": "truck-41", "start": now - 3600, "end": now + 60},
                     actor="dispatcher:li")
        cmd = wait_for(lambda: outcome(core, found["event"]), what="the search's answer")
        assert cmd["outcome"] == "acked" and len(cmd["found"]) >= kept
        assert all(f["event"] == "timed" and f["lat"] and f["time"] for f in cmd["found"])
        assert not events(core, "jt808.media_received")  # found, not uploaded
        none = call(core, "jt808.find_photos", {"unit_id": "truck-41", "start": now - 7200, "end": now - 3601},
                    actor="dispatcher:li")
        assert wait_for(lambda: outcome(core, none["event"]), what="an empty search")["found"] == []
    finally:
        fleet.stop()


def test_two_attribute_queries_are_answered_in_the_order_they_were_given(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term)
        first = call(core, "jt808.read_attributes", {"unit_id": "truck-41"}, actor="engineer:wu")
        second = call(core, "jt808.read_attributes", {"unit_id": "truck-41"}, actor="dispatcher:li")
        term.expect(encode.QUERY_ATTRIBUTES, 2)
        term.send(encode.frame(encode.TERMINAL_ATTRIBUTES, PHONE, 7, encode.attributes_body(firmware="V1")))
        assert wait_for(lambda: outcome(core, first["event"]), what="the first answered")["values"]["firmware"] == "V1"
        assert outcome(core, second["event"]) is None  # still waiting for its own answer
        term.send(encode.frame(encode.TERMINAL_ATTRIBUTES, PHONE, 8, encode.attributes_body(firmware="V2")))
        assert wait_for(lambda: outcome(core, second["event"]), what="the second answered")["values"]["firmware"] == "V2"
    finally:
        term.close()
