"""The JT/T 808 gateway against a terminal written from the standard: registration, authentication,
reports, answers, the truck moving in the core, alarms as events, texts to the display."""

from __future__ import annotations

from datetime import UTC, datetime

from dispatch.ops import call
from tests.conftest import wait_for
from tests.devices.jt808_frames import (
    FIXED_7D,
    FIXED_7E,
    LOCATION_BODY,
    LOCATION_FIXED,
    PHONE_2013,
    PHONE_2019,
    unescaped,
)
from tests.jt808.terminal import RawTerminal

T = datetime(2024, 11, 26, 12, 0, 5, tzinfo=UTC).timestamp()
PLATE = "B9 F0 42 31 32 33 34 35"  # 桂B12345
REGISTER_2013 = "00 2D 00 C8" "4C 5A 43 47 00" "5A 54 2D 31" + " 00" * 16 + "30 30 30 30 30 30 31" "02" + PLATE
REGISTER_2019 = ("00 2D 00 C8" "4C 5A 43 47" + " 00" * 7 + "5A 54 2D 31" + " 00" * 26 + "30 30 30 30 30 30 31"
                 + " 00" * 23 + "02" + PLATE)


def login(term: RawTerminal, phone: str = PHONE_2013, *, edition: int = 2013) -> str:
    """Register and authenticate as the standard says; return the authentication code."""
    if edition == 2019:
        term.send_frame("0100 4054 01", phone, "0001", REGISTER_2019)
    else:
        term.send_frame("0100 002D", phone, "0001", REGISTER_2013)
    reply = term.expect(0x8100)[0]
    assert (reply.reply_serial, reply.result) == (1, 0) and reply.auth_code
    code = reply.auth_code.encode().hex()
    if edition == 2019:
        n = len(reply.auth_code)
        term.send_frame(f"0102 40{n + 36:02X} 01", phone, "0002", f"{n:02X}", code,
                        "38 36 31 32 33 34 35 36 37 38 39 30 31 32 33", "31 2E 30" + " 00" * 17)
    else:
        term.send_frame(f"0102 00{len(reply.auth_code):02X}", phone, "0002", code)
    ack = term.expect(0x8001)[-1]
    assert (ack.reply_serial, ack.reply_id, ack.result) == (2, 0x0102, 0)
    return str(reply.auth_code)


def test_a_terminal_from_the_standard_registers_reports_and_its_truck_moves(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term)
        term.send_frame("0200 0035", PHONE_2013, "0003", LOCATION_BODY)
        ack = term.expect(0x8001, 2)[-1]
        assert (ack.reply_serial, ack.reply_id, ack.result) == (3, 0x0200, 0)
        assert ack.header.phone == "013912345678" and ack.header.edition == 2013
        pos = wait_for(lambda: core.state.units["truck-41"].position, what="truck-41's position")
        assert (pos.lat, pos.lon, pos.ts, pos.course) == (24.3264, 109.4281, T, 275.0)
        assert abs(pos.speed - 45.6 / 3.6) < 1e-9 and pos.source == "jt808:13912345678"
        term.send_frame("0002 0000", PHONE_2013, "0004")  # heartbeat
        assert term.expect(0x8001, 3)[-1].reply_serial == 4
        # every answer carries the platform's own serial, one after another
        assert [m.header.serial for m in term.received] == [1, 2, 3, 4]
        core.flush()
        from dispatch.record.replay import Recording

        [stored] = Recording.of_store(core.store).positions_at(T + 1, ["truck-41"])
        assert (stored.lat, stored.lon, stored.ts, stored.source) == (24.3264, 109.4281, T, "jt808:13912345678")
        session = gateway.session_of("013912345678")
        assert session.unit == "truck-41" and session.edition == 2013 and session.positions == 1
    finally:
        term.close()


def test_2019_header_terminal(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term, PHONE_2019, edition=2019)
        assert all(m.header.edition == 2019 and m.header.phone == "00000000013912345678" for m in term.received)
        term.send_frame("0200 4035 01", PHONE_2019, "0003", LOCATION_BODY)
        assert term.expect(0x8001, 2)[-1].reply_serial == 3
        wait_for(lambda: core.state.units["truck-41"].position, what="truck-41's position")
        s = gateway.session_of("013912345678")
        assert s.edition == 2019 and s.registered["software"] == "1.0"
        assert gateway.is_connected("13912345678")
    finally:
        term.close()


def test_unknown_terminal_is_refused_listed_and_let_in_once_bound(core, gateway):
    phone = "01 39 00 00 00 99"
    term = RawTerminal(gateway.address)
    try:
        term.send_frame("0100 002D", phone, "0001", REGISTER_2013)
        reply = term.expect(0x8100)[0]
        assert (reply.result, reply.auth_code) == (4, None)  # 4: no such terminal in the database
        unknown = call(core, "jt808.unknown", {}, actor="test")
        assert [(u["terminal"], u["plate"], u["attempts"]) for u in unknown] == [("013900000099", "桂B12345", 1)]
        # positions without authentication are refused, and go nowhere
        term.send_frame("0200 001C", phone, "0002", LOCATION_FIXED)
        assert term.expect(0x8001)[0].result == 1
        call(core, "unit.bind_terminal", {"unit_id": "truck-43", "terminal": "13900000099"}, actor="dispatcher:wang")
        wait_for(lambda: gateway.unit_for("013900000099") == "truck-43", what="the binding reaching the gateway")
        term.send_frame("0100 002D", phone, "0003", REGISTER_2013)
        assert term.expect(0x8100, 2)[-1].result == 0
        assert call(core, "jt808.unknown", {}, actor="test") == []
        ev = [e for e in core.store.events(0) if e.kind == "unit.terminal_bound"][-1]
        assert ev.actor == "dispatcher:wang" and ev.payload == {"id": "truck-43", "terminal": "13900000099"}
    finally:
        term.close()
    assert core.state.units["truck-43"].position is None


def test_wrong_code_is_refused(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        term.send_frame("0102 0004", PHONE_2013, "0001", "41 42 43 44")
        assert (term.expect(0x8001)[0].result, gateway.session_of(PHONE_2013.replace(" ", ""))) == (1, None)
        assert gateway.counters["auth_failed"] == 1
    finally:
        term.close()


def test_alarms_become_events_raised_and_cleared(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term)
        term.send_frame("0200 001C", PHONE_2013, "0003", LOCATION_FIXED)  # emergency + overspeed
        # the same alarms again: nothing new; then GNSS antenna cut (bit 5) and power cut (bit 8) on, emergency off
        term.send_frame("0200 001C", PHONE_2013, "0004", LOCATION_FIXED)
        term.send_frame("0200 001C", PHONE_2013, "0005", "00 00 01 22" + LOCATION_FIXED[11:])
        term.expect(0x8001, 4)
        wait_for(lambda: len([e for e in core.store.events(0) if e.kind.startswith("jt808.alarm")]) == 3,
                 what="alarm events")
        evs = [e for e in core.store.events(0) if e.kind.startswith("jt808.alarm")]
        raised = evs[0]
        assert raised.kind == "jt808.alarm" and raised.actor == "system:jt808" and raised.entity == "unit:truck-41"
        assert raised.payload["unit"] == "truck-41" and raised.payload["alarms"] == ["emergency", "overspeed"]
        assert (raised.payload["lat"], raised.payload["lon"], raised.payload["time"]) == (24.3264, 109.4281, T)
        assert [e.kind for e in evs[1:]] == ["jt808.alarm", "jt808.alarm_cleared"]
        assert evs[1].payload["alarms"] == ["gnss_antenna_cut", "power_cut"]
        assert evs[2].payload["alarms"] == ["emergency"]
        active = call(core, "jt808.alarms", {"unit_id": "truck-41"}, actor="test")["active"]
        assert active == {"truck-41": ["overspeed", "gnss_antenna_cut", "power_cut"]}
        from dispatch.record.replay import marker_class

        assert [marker_class(e.kind) for e in evs] == ["alert", "alert", None]  # on the replay timeline
    finally:
        term.close()


def test_blind_area_batch_is_stored(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term)
        body = "00 02" "01" "00 1C" + LOCATION_FIXED + "00 1C" + LOCATION_FIXED.replace("00 05", "00 15")
        term.send_frame("0704 003F", PHONE_2013, "0003", body)
        assert term.expect(0x8001, 2)[-1].reply_id == 0x0704
        wait_for(lambda: core.state.units["truck-41"].position, what="position")
        core.flush()
        from dispatch.record.replay import Recording

        rec = Recording.of_store(core.store)
        assert [f.ts for f in rec.positions_at(T, ["truck-41"])] == [T]
        assert [f.ts for f in rec.positions_at(T + 10, ["truck-41"])] == [T + 10]
        assert core.state.units["truck-41"].position.ts == T + 10
    finally:
        term.close()


def test_text_reaches_the_display_and_its_answer_is_recorded(core, gateway):
    # sent while the truck is away: it waits, and goes when the terminal authenticates
    first = call(core, "jt808.send_text", {"unit_id": "truck-41", "text": "请到3号工地装土"}, actor="dispatcher:li")
    assert first["connected"] is False and first["terminal"] == "013912345678"
    term = RawTerminal(gateway.address)
    try:
        login(term)
        text = term.expect(0x8300)[0]
        assert text.text == "请到3号工地装土" and text.display and not text.emergency
        second = call(core, "jt808.send_text", {"unit_id": "truck-41", "text": "紧急:绕行", "emergency": True,
                                                 "tts": True}, actor="dispatcher:li")
        assert second["connected"] is True
        urgent = term.expect(0x8300, 2)[-1]
        assert urgent.text == "紧急:绕行" and urgent.emergency and urgent.tts
        # the terminal answers each (0x0001 with the serial of the platform's message)
        for msg, result in ((text, 0), (urgent, 1)):
            term.send_frame("0001 0005", PHONE_2013, f"{10 + result:04X}",
                            f"{msg.header.serial:04X} 83 00 {result:02X}")
        wait_for(lambda: all(t["result"] is not None for t in call(core, "jt808.texts", {}, actor="t")), what="answers")
        texts = call(core, "jt808.texts", {"unit_id": "truck-41"}, actor="t")
        assert [(t["text"], t["result"], t["by"]) for t in texts] == [("请到3号工地装土", 0, "dispatcher:li"),
                                                                      ("紧急:绕行", 1, "dispatcher:li")]
    finally:
        term.close()


def test_send_text_refusals(core, gateway):
    import pytest

    from dispatch.errors import NotFound, Refused

    with pytest.raises(Refused, match="no JT/T 808 terminal"):
        call(core, "jt808.send_text", {"unit_id": "truck-43", "text": "x"}, actor="t")
    with pytest.raises(NotFound):
        call(core, "jt808.send_text", {"unit_id": "nobody", "text": "x"}, actor="t")
    with pytest.raises(Refused, match="some text"):
        call(core, "jt808.send_text", {"unit_id": "truck-41", "text": "  "}, actor="t")


def test_a_terminal_numbered_in_hex_that_leaves_0x7d_unescaped_is_served(core, gateway):
    """Terminals in the field that number themselves outside BCD (4F 07 78 8E F8 7D) and escape 0x7E but
    not 0x7D: bound by that number (as the gateway lists it), they register, report and get their answers."""
    from functools import reduce
    from operator import xor

    from tests.devices.jt808_frames import raw

    phone = "4F 07 78 8E F8 7D"

    def sloppy(*parts: str) -> bytes:  # the check code right, only 0x7E escaped: as those terminals send
        content = raw(*parts)
        content += bytes((reduce(xor, content, 0),))
        return b"\x7e" + content.replace(b"\x7e", b"\x7d\x02") + b"\x7e"

    call(core, "unit.bind_terminal", {"unit_id": "truck-43", "terminal": "4F07-788E-F87D"}, actor="test")
    assert core.state.units["truck-43"].attributes["terminal"] == "4f07788ef87d"
    wait_for(lambda: gateway.unit_for("4f07788ef87d") == "truck-43", what="the gateway knowing the binding")
    term = RawTerminal(gateway.address)
    try:
        term.send(sloppy("0100 002D", phone, "0001", REGISTER_2013))
        reply = term.expect(0x8100)[0]
        assert (reply.reply_serial, reply.result) == (1, 0) and reply.header.phone == "4f07788ef87d"
        code = reply.auth_code.encode().hex()
        term.send(sloppy(f"0102 00{len(reply.auth_code):02X}", phone, "0002", code))
        assert term.expect(0x8001)[-1].result == 0
        term.send(sloppy("0200 0035", phone, "0003", LOCATION_BODY))
        ack = term.expect(0x8001, 2)[-1]
        assert (ack.reply_serial, ack.reply_id, ack.result) == (3, 0x0200, 0)
        assert b"\x4f\x07\x78\x8e\xf8\x7d\x01" in term.raw  # the platform escapes the number's 0x7D itself
        pos = wait_for(lambda: core.state.units["truck-43"].position, what="truck-43's position")
        assert (pos.lat, pos.lon, pos.source) == (24.3264, 109.4281, "jt808:4f07788ef87d")
    finally:
        term.close()


def test_a_terminal_that_escapes_nothing_is_served(core, gateway):
    """A terminal that sends its content as it is: a latitude holding ``7D 01`` (read as an escape, the
    position would shift by a byte), a longitude holding a bare 0x7E (it cuts the frame on the wire). Its
    reports are read as it meant them, answered, and its truck moves there."""
    term = RawTerminal(gateway.address)
    try:
        login(term)
        term.send(unescaped("0200 001C", PHONE_2013, "0003", FIXED_7E))
        ack = term.expect(0x8001, 2)[-1]
        assert (ack.reply_serial, ack.reply_id, ack.result) == (3, 0x0200, 0)
        pos = wait_for(lambda: core.state.units["truck-41"].position, what="truck-41's position")
        assert (pos.lat, pos.lon) == (24.3264, 109.411972)
        # the engineer's raw monitor shows the two pieces the bare 0x7E cut as what they made, not as bad frames
        pieces = [f for f in gateway.session_of("013912345678").monitor() if f.inbound][-2:]
        assert [(f.piece, f.describe()) for f in pieces] == [((1, 2, "0x0200 #3"), "0x0200 #3"),
                                                              ((2, 2, "0x0200 #3"), "0x0200 #3")]
        sent = unescaped("0200 001C", PHONE_2013, "0003", FIXED_7E)
        assert pieces[0].frame[1:-1] + b"\x7e" + pieces[1].frame[1:-1] == sent[1:-1]
        term.send(unescaped("0200 001C", PHONE_2013, "0004", FIXED_7D.replace("24 11 26 20 00 05",
                                                                                 "24 11 26 20 00 15")))
        assert term.expect(0x8001, 3)[-1].reply_serial == 4
        wait_for(lambda: core.state.units["truck-41"].position.lat == 24.345857, what="the second position")
        assert core.state.units["truck-41"].position.lon == 109.4281
        assert gateway.session_of("013912345678").positions == 2
    finally:
        term.close()


def test_a_drivers_card_is_recorded_and_answered(core, gateway):
    """0x0702: the driver's card put in (and read) and taken out, recorded as events of the truck; the
    drivers on duty listed; before authentication it is refused like a position."""
    from tests.devices.test_jt808 import _driver_body

    body = _driver_body("01", read="00", name="韦建华", cert="450200197001011234", agency="柳州市交通运输局",
                        valid="20 28 06 30")
    size = f"{len(bytes.fromhex(body.replace(' ', ''))):02X}"
    stranger = RawTerminal(gateway.address)
    try:
        stranger.send_frame(f"0702 00{size}", "01 39 00 00 00 42", "0001", body)
        ack = stranger.expect(0x8001)[-1]
        assert (ack.reply_serial, ack.reply_id, ack.result) == (1, 0x0702, 1)  # not authenticated
    finally:
        stranger.close()
    term = RawTerminal(gateway.address)
    try:
        login(term)
        term.send_frame(f"0702 00{size}", PHONE_2013, "0005", body)
        ack = term.expect(0x8001, 2)[-1]
        assert (ack.reply_serial, ack.reply_id, ack.result) == (5, 0x0702, 0)
        on = wait_for(lambda: call(core, "jt808.drivers", {}, actor="test"), what="the driver on duty")
        assert [(d["unit"], d["name"], d["certificate"], d["agency"], d["valid_until"]) for d in on] == [
            ("truck-41", "韦建华", "450200197001011234", "柳州市交通运输局", "2028-06-30")]
        term.send_frame("0702 0007", PHONE_2013, "0006", _driver_body("02"))
        assert term.expect(0x8001, 3)[-1].reply_serial == 6
        wait_for(lambda: not call(core, "jt808.drivers", {}, actor="test"), what="the card taken out")
        evs = [e for e in core.store.events(0) if e.kind == "jt808.driver_identity"]
        assert [(e.payload["card"], e.entity, e.actor) for e in evs] == [
            ("inserted", "unit:truck-41", evs[0].actor), ("removed", "unit:truck-41", evs[0].actor)]
        assert evs[0].payload["time"] == datetime(2025, 12, 5, 11, 30, tzinfo=UTC).timestamp()
    finally:
        term.close()
