"""JT/T 808 encoders: the platform's downlink against frames written by hand, the terminal's uplink
through the decoder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devices.jt808 import decode_frame, encode, location
from devices.jt808.messages import (
    AreaCrossing,
    Authenticate,
    Extras,
    LocationBatch,
    OverspeedInfo,
    PositionReply,
    Register,
    RouteTime,
    SetParameters,
    TemporaryTracking,
    TerminalResponse,
    TextMessage,
)
from tests.devices.jt808_frames import LOCATION_BODY, PHONE_2013, PHONE_2019, frame, raw

T = datetime(2024, 11, 26, 12, 0, 5, tzinfo=UTC)
H2013 = decode_frame(frame("0002 0000", PHONE_2013, "0001")).header
H2019 = decode_frame(frame("0002 4000 01", PHONE_2019, "0001")).header


def test_platform_response_and_register_response_by_hand():
    body = encode.platform_response_body(0x0007, 0x0200, 0)
    assert encode.reply(H2013, 0x8001, 0x0010, body) == frame("8001 0005", PHONE_2013, "0010", "00 07 02 00 00")
    assert encode.reply(H2019, 0x8001, 0x0010, body) == frame("8001 4005 01", PHONE_2019, "0010", "00 07 02 00 00")
    body = encode.register_response_body(0x0001, 0, "ABC123")
    assert encode.reply(H2013, 0x8100, 2, body) == frame("8100 0009", PHONE_2013, "0002",
                                                           "00 01 00 41 42 43 31 32 33")
    refused = encode.register_response_body(0x0001, 4, "ignored")  # no code after a refusal
    assert encode.reply(H2013, 0x8100, 3, refused) == frame("8100 0003", PHONE_2013, "0003", "00 01 04")


def test_downlink_text_query_tracking_parameters_by_hand():
    text = encode.text_body("请回队", display=True, tts=True)
    assert encode.reply(H2013, 0x8300, 4, text) == frame("8300 0007", PHONE_2013, "0004", "0C C7 EB BB D8 B6 D3")
    text = encode.text_body("请回队", edition=2019, emergency=True)
    assert encode.reply(H2019, 0x8300, 4, text) == frame("8300 4008 01", PHONE_2019, "0004",
                                                          "06 01 C7 EB BB D8 B6 D3")
    assert encode.reply(H2013, 0x8201, 5) == frame("8201 0000", PHONE_2013, "0005")
    assert encode.reply(H2013, 0x8202, 6, encode.tracking_body(5, 300)) == frame(
        "8202 0006", PHONE_2013, "0006", "00 05 00 00 01 2C")
    params = encode.parameters_body({"report_interval_s": 10, 0x0083: "桂B12345", 0xF001: b"\xab\xcd"})
    assert encode.reply(H2013, 0x8103, 7, params) == frame(
        "8103 001E", PHONE_2013, "0007",
        "03 00 00 00 29 04 00 00 00 0A 00 00 00 83 08 B9 F0 42 31 32 33 34 35 00 00 F0 01 02 AB CD")
    with pytest.raises(ValueError, match="unknown parameter"):
        encode.parameters_body({"no_such": 1})
    with pytest.raises(ValueError, match="is a number"):
        encode.parameters_body({"report_interval_s": "ten"})


def test_downlink_decodes_back():
    for edition, h in ((2013, H2013), (2019, H2019)):
        msg = decode_frame(encode.reply(h, 0x8300, 1, encode.text_body("渣土车请减速", edition=edition, tts=True)))
        assert isinstance(msg, TextMessage) and msg.text == "渣土车请减速" and msg.display and msg.tts
        assert not msg.emergency
        msg = decode_frame(encode.reply(h, 0x8202, 2, encode.tracking_body(0, 0)))
        assert isinstance(msg, TemporaryTracking) and msg.interval_s == 0
        msg = decode_frame(encode.reply(h, 0x8103, 3, encode.parameters_body({"heartbeat_interval_s": 30})))
        assert isinstance(msg, SetParameters) and msg.params == ((1, 30),)


def test_location_body_matches_the_hand_made_one():
    extras = Extras(mileage_km=12345.6, fuel_l=80.5, recorder_speed_kmh=45.0, signal_strength=25, satellites=12,
                    raw=((0xE1, b"\xaa\x7e\x7d"),))
    body = location.encode(24.3264, 109.4281, T, speed=45.6, course=275, altitude=92,
                           alarms=("emergency", "overspeed"), status=("acc_on", "positioned", "gps", "beidou"),
                           extras=extras)
    assert body == raw(LOCATION_BODY)


def test_every_extra_round_trips():
    extras = Extras(mileage_km=1.5, fuel_l=2.5, recorder_speed_kmh=3.5, alarm_event_id=4, tire_pressure_kpa=(250, None),
                    carriage_temp_c=-12, overspeed=OverspeedInfo("circle", 7), area=AreaCrossing("polygon", 8, True),
                    route_time=RouteTime(9, 600, False), signals=("high_beam", "horn"), io=("deep_sleep",),
                    analog=(100, 200), signal_strength=31, satellites=14, raw=((0xEE, b"\x01"),))
    body = location.encode(-24.5, -109.25, T, extras=extras, status=("positioned", "full"))
    loc = decode_frame(encode.frame(encode.LOCATION, "013912345678", 1, body)).location
    assert loc.extras == extras and loc.lat == -24.5 and loc.lon == -109.25
    assert loc.statuses == ("positioned", "south", "west", "full")
    with pytest.raises(ValueError, match="unknown alarm"):
        location.encode(1, 1, T, alarms=("sos",))


def test_terminal_uplink_decodes_back():
    for edition in (2011, 2013, 2019):
        body = encode.register_body(edition=edition, plate="桂B12345", terminal_id="T000041")
        msg = decode_frame(encode.frame(encode.REGISTER, "013912345678", 1, body,
                                        edition=2019 if edition == 2019 else 2013))
        assert isinstance(msg, Register) and (msg.edition, msg.plate, msg.terminal_id, msg.province, msg.city) == (
            edition, "桂B12345", "T000041", 45, 200)
    msg = decode_frame(encode.frame(encode.AUTHENTICATE, "013912345678", 2,
                                    encode.authenticate_body("K1", edition=2019, imei="861234567890123",
                                                             software="1.0"), edition=2019))
    assert isinstance(msg, Authenticate) and (msg.code, msg.imei, msg.software) == ("K1", "861234567890123", "1.0")
    msg = decode_frame(encode.frame(encode.TERMINAL_RESPONSE, "013912345678", 3,
                                    encode.terminal_response_body(9, 0x8300, 0)))
    assert isinstance(msg, TerminalResponse) and (msg.reply_serial, msg.reply_id) == (9, 0x8300)
    loc = location.encode(24.3, 109.4, T)
    msg = decode_frame(encode.frame(encode.POSITION_REPLY, "013912345678", 4, encode.position_reply_body(8, loc)))
    assert isinstance(msg, PositionReply) and msg.reply_serial == 8 and msg.location.lat == 24.3


def test_location_frames_fill_1023_bytes_and_keep_every_position():
    bodies = [location.encode(24.3 + i * 1e-4, 109.4, T) for i in range(100)]
    frames = encode.location_frames("013912345678", 10, bodies)
    assert len(frames) == 3  # 34 positions of 2 + 28 bytes fit a body of 1023 after its 3-byte head
    msgs = [decode_frame(f) for f in frames]
    assert all(isinstance(m, LocationBatch) and m.blind_area for m in msgs)
    assert [m.header.serial for m in msgs] == [10, 11, 12] and [len(m.locations) for m in msgs] == [34, 34, 32]
    lats = [round(loc.lat, 4) for m in msgs for loc in m.locations]
    assert lats == [round(24.3 + i * 1e-4, 4) for i in range(100)]


def test_header_limits():
    with pytest.raises(ValueError, match="1023"):
        encode.frame(encode.LOCATION, "013912345678", 1, b"\x00" * 1024)
    with pytest.raises(ValueError, match="BCD"):
        encode.frame(encode.HEARTBEAT, "0139123456789", 1)  # 13 digits in a 2013 header
    assert decode_frame(encode.frame(encode.HEARTBEAT, "13912345678", 65537)).header.serial == 1  # wraps


def test_alarm_confirmation_round_trip() -> None:
    from devices.jt808 import decode_frame, encode
    from devices.jt808.messages import AlarmConfirm

    m = decode_frame(encode.frame(encode.ALARM_CONFIRM, "013912345678", 7, encode.alarm_confirm_body(0, 0x101)))
    assert isinstance(m, AlarmConfirm) and (m.header.msg_id, m.reply_serial, m.alarms) == (0x8203, 0, 0x101)
    assert encode.alarm_confirm_body(0x1234, 1) == bytes.fromhex("1234 00000001")


@pytest.mark.parametrize("edition", [2013, 2019])
def test_a_retransmission_request_round_trip_and_its_bounds(edition):
    """0x8003: the serial of package 1, a BYTE count, the WORD package numbers; 1 to 255 of them."""
    from devices.errors import BodyError

    m = decode_frame(encode.frame(encode.RETRANSMIT_REQUEST, "013912345678", 7,
                                  encode.retransmit_body(0x1234, (2, 5, 300)), edition=edition))
    assert (m.first_serial, m.missing) == (0x1234, (2, 5, 300))
    assert encode.retransmit_body(0x1234, (2, 3)) == bytes.fromhex("1234 02 0002 0003")
    for bad in ((), tuple(range(1, 257))):
        with pytest.raises(ValueError):
            encode.retransmit_body(1, bad)
    for body in ("12", "1234 02 0002"):  # too short; a count running past the body
        with pytest.raises(BodyError):
            decode_frame(encode.frame(encode.RETRANSMIT_REQUEST, "013912345678", 8, bytes.fromhex(body)))


def test_parameter_queries_and_their_answer_round_trip():
    """0x8104 (all), 0x8106 (BYTE count, DWORD ids), 0x0104 (the serial answered, then items as 0x8103's)."""
    from devices.errors import BodyError

    q = decode_frame(encode.frame(encode.QUERY_SOME_PARAMETERS, "013912345678", 3, encode.query_parameters_body([1, 0x29])))
    assert q.ids == (1, 0x29) and decode_frame(encode.frame(encode.QUERY_PARAMETERS, "013912345678", 4)).ids == ()
    r = decode_frame(encode.frame(encode.PARAMETERS_REPLY, "013912345678", 5, encode.parameters_reply_body(
        3, {"heartbeat_interval_s": 30, "apn": "cmnet", 0xF001: b"\x01"}), edition=2019))
    assert (r.reply_serial, r.params) == (3, ((1, 30), (0x10, "cmnet"), (0xF001, b"\x01")))
    with pytest.raises(ValueError):
        encode.query_parameters_body([])
    for body in ("0003", "0003 02 00000001 04 0000001e"):  # too short; fewer items than announced
        with pytest.raises(BodyError):
            decode_frame(encode.frame(encode.PARAMETERS_REPLY, "013912345678", 6, bytes.fromhex(body)))


def test_a_stored_media_upload_request_round_trip():
    """0x8803: type, channel, event, start and end in BCD Beijing time, the delete flag (16 bytes)."""
    from devices.errors import BodyError

    start, end = datetime(2026, 12, 5, 2, 0, tzinfo=UTC), datetime(2026, 12, 5, 3, 30, 15, tzinfo=UTC)
    body = encode.stored_upload_body(start, end, channel=3, event=1, delete=True)
    assert body.hex() == "000301" + "261205100000" + "261205113015" + "01"
    m = decode_frame(encode.frame(encode.STORED_MEDIA_UPLOAD, "013912345678", 9, body))
    assert (m.media_type, m.channel, m.event, m.start, m.end, m.delete) == (0, 3, 1, start, end, True)
    with pytest.raises(BodyError):
        decode_frame(encode.frame(encode.STORED_MEDIA_UPLOAD, "013912345678", 10, body[:15]))
