"""JT/T 808 messages decoded from frames written by hand from the standard (2011, 2013, 2019)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce
from operator import xor as op_xor

import pytest

from devices.errors import (
    BadEscapeError,
    BodyError,
    BodyLengthError,
    DeviceError,
    EncryptedMessageError,
    FrameChecksumError,
    FrameTooLongError,
    TruncatedFrameError,
    UnknownMessageError,
)
from devices.jt808 import decode_frame, decode_hex, encode, phone_key, source_key
from devices.jt808.messages import (
    Authenticate,
    Heartbeat,
    LocationBatch,
    LocationReport,
    Logout,
    PlatformResponse,
    PositionQuery,
    PositionReply,
    Register,
    RegisterResponse,
    SetParameters,
    TemporaryTracking,
    TerminalResponse,
    TextMessage,
)
from tests.devices.jt808_frames import LOCATION_BODY, LOCATION_FIXED, PHONE_2013, PHONE_2019, frame, raw

LOCATION_16 = "00 00 00 03 00 0C 00 03 01 73 31 00 06 85 BD 84"  # the first 16 of its 28 bytes

T = datetime(2024, 11, 26, 12, 0, 5, tzinfo=UTC)


def check_position(loc, *, extras=True):  # type: ignore[no-untyped-def]
    assert loc.lat == 24.3264 and loc.lon == 109.4281
    assert loc.altitude == 92 and loc.speed == 45.6 and loc.course == 275
    assert loc.time == T  # 20:00:05 Beijing
    assert loc.alarms == ("emergency", "overspeed")
    assert loc.statuses == ("acc_on", "positioned", "gps", "beidou")
    if extras:
        x = loc.extras
        assert (x.mileage_km, x.fuel_l, x.recorder_speed_kmh, x.signal_strength, x.satellites) == (
            12345.6, 80.5, 45.0, 25, 12)
        assert x.raw == ((0xE1, b"\xaa\x7e\x7d"),)  # unknown item kept raw, escapes undone


def test_location_2013():
    data = frame("0200 0035", PHONE_2013, "0007", LOCATION_BODY)
    assert b"\x7d\x02" in data and b"\x7d\x01" in data  # the vendor item's 7E/7D travel escaped
    msg = decode_frame(data)
    assert isinstance(msg, LocationReport)
    h = msg.header
    assert (h.msg_id, h.phone, h.serial, h.body_length, h.edition, h.packages) == (0x0200, "013912345678", 7, 53,
                                                                                   2013, 0)
    check_position(msg.location)
    fix = msg.location.fix(source_key(h.phone))
    assert fix is not None and fix.source == "jt808:13912345678"
    assert fix.time == T.timestamp() and abs(fix.speed - 45.6 / 3.6) < 1e-9 and fix.course == 275.0
    assert fix.sats == 12 and fix.alt == 92.0


def test_location_2019_header():
    # attributes: bit 14 version flag + body length 53 = 0x4035; protocol version 1; BCD[10] phone
    msg = decode_frame(frame("0200 4035 01", PHONE_2019, "FFFF", LOCATION_BODY))
    h = msg.header
    assert (h.phone, h.serial, h.edition, h.protocol_version) == ("00000000013912345678", 0xFFFF, 2019, 1)
    assert phone_key(h.phone) == phone_key("013912345678") == "13912345678"
    check_position(msg.location)


def test_version_flag_on_a_2013_header_is_read_by_the_frame_length():
    # some 2013 terminals set the reserved bit 14; the frame only fits a 2013 header
    msg = decode_frame(frame("0200 401C", PHONE_2013, "0001", LOCATION_FIXED))
    assert msg.header.edition == 2013 and msg.header.phone == "013912345678"
    check_position(msg.location, extras=False)


def test_south_west_and_no_date():
    fixed = LOCATION_FIXED.replace("00 0C 00 03", "00 0C 00 0F").replace("24 11 26 20 00 05", "00 00 00 00 00 00")
    loc = decode_frame(frame("0200 001C", PHONE_2013, "0001", fixed)).location
    assert loc.lat == -24.3264 and loc.lon == -109.4281
    assert "south" in loc.statuses and "west" in loc.statuses
    assert loc.time is None and loc.fix("x") is None  # a terminal before its first fix


def test_all_additional_items():
    extras = ("01 04 00 00 00 64"  # mileage 10.0 km
              "04 02 00 2A"  # alarm event id 42
              "05 03 FA FF 64"  # tyre pressures 250, none, 100 kPa
              "06 02 FF F6"  # carriage -10 C
              "11 05 01 00 00 00 07"  # overspeed in circle 7
              "12 06 02 00 00 00 09 01"  # leaving rectangle 9
              "13 07 00 00 00 0B 00 3C 01"  # section 11 driven in 60 s: too long
              "25 04 00 00 00 11"  # low beam, braking
              "2A 02 00 02"  # sleep
              "2B 04 00 02 00 01"  # AD0 1, AD1 2
              "30 01 1F" "31 01 09"
              "11 01 00")  # a second 0x11, no area: the last one wins
    body = LOCATION_FIXED + extras
    n = len(bytes.fromhex(body.replace(" ", "")))
    x = decode_frame(frame(f"0200 {n:04X}", PHONE_2013, "0001", body)).location.extras
    assert x.mileage_km == 10.0 and x.alarm_event_id == 42 and x.tire_pressure_kpa == (250, None, 100)
    assert x.carriage_temp_c == -10
    assert x.overspeed is not None and (x.overspeed.kind, x.overspeed.area_id) == ("none", None)
    assert x.area is not None and (x.area.kind, x.area.area_id, x.area.entering) == ("rectangle", 9, False)
    assert x.route_time is not None and (x.route_time.section_id, x.route_time.seconds, x.route_time.too_long) == (
        11, 60, True)
    assert x.signals == ("low_beam", "braking") and x.io == ("sleep",) and x.analog == (1, 2)
    assert x.signal_strength == 31 and x.satellites == 9 and x.raw == ()


def test_additional_item_running_past_the_body_is_kept_raw():
    x = decode_frame(frame("0200 0023", PHONE_2013, "0001", LOCATION_FIXED + "31 01 07" "01 04 00 00")).location.extras
    assert x.satellites == 7 and x.mileage_km is None and x.raw == ((0x01, b"\x00\x00"),)
    x = decode_frame(frame("0200 0020", PHONE_2013, "0001", LOCATION_FIXED + "30 02 01 02")).location.extras
    assert x.signal_strength is None and x.raw == ((0x30, b"\x01\x02"),)  # a length its id does not have: raw, the position stands


def test_location_batch_blind_area():
    body = "00 02" "01" "00 1C" + LOCATION_FIXED + "00 1C" + LOCATION_FIXED.replace("00 05", "00 15")
    msg = decode_frame(frame("0704 003F", PHONE_2013, "0009", body))
    assert isinstance(msg, LocationBatch) and msg.blind_area and len(msg.locations) == 2
    check_position(msg.locations[0], extras=False)
    assert msg.locations[1].time == datetime(2024, 11, 26, 12, 0, 15, tzinfo=UTC)


@pytest.mark.parametrize(("body", "why"), [
    ("00 03 01 00 1C" + LOCATION_FIXED, "3 positions announced, the body ends after 1"),
    ("00 01 00 00 1D" + LOCATION_FIXED, "runs past the body"),
    ("00 01 00 00 1C" + LOCATION_FIXED + "00", "1 bytes after"),
    ("00 01 00 00 10" + LOCATION_16, "needs at least 28"),
])
def test_location_batch_that_lies(body, why):
    n = len(bytes.fromhex(body.replace(" ", "")))
    with pytest.raises(BodyError, match=why) as exc:
        decode_frame(frame(f"0704 {n:04X}", PHONE_2013, "0009", body))
    assert exc.value.header is not None and exc.value.header.serial == 9


def test_position_reply():
    msg = decode_frame(frame("0201 001E", PHONE_2013, "0010", "00 05" + LOCATION_FIXED))
    assert isinstance(msg, PositionReply) and msg.reply_serial == 5
    check_position(msg.location, extras=False)


def test_register_2011_2013_2019():
    plate = "B9 F0 42 31 32 33 34 35"  # 桂B12345 in GBK
    body_2011 = "00 2D 00 C8" "4C 5A 43 47 00" "5A 54 2D 31 00 00 00 00" "30 30 30 30 30 30 31" "02" + plate
    body_2013 = "00 2D 00 C8" "4C 5A 43 47 00" "5A 54 2D 31" + " 00" * 16 + "30 30 30 30 30 30 31" "02" + plate
    body_2019 = ("00 2D 00 C8" "4C 5A 43 47" + " 00" * 7 + "5A 54 2D 31" + " 00" * 26 + "30 30 30 30 30 30 31"
                 + " 00" * 23 + "02" + plate)
    for edition, head, body in ((2011, "0100 0021", body_2011), (2013, "0100 002D", body_2013)):
        msg = decode_frame(frame(head, PHONE_2013, "0001", body))
        assert isinstance(msg, Register)
        assert (msg.edition, msg.province, msg.city, msg.manufacturer, msg.model, msg.terminal_id, msg.plate_color,
                msg.plate) == (edition, 45, 200, "LZCG", "ZT-1", "0000001", 2, "桂B12345")
    msg = decode_frame(frame("0100 4054 01", PHONE_2019, "0001", body_2019))
    assert (msg.edition, msg.manufacturer, msg.model, msg.terminal_id, msg.plate) == (2019, "LZCG", "ZT-1", "0000001",
                                                                                    "桂B12345")
    with pytest.raises(BodyError, match="registration"):
        decode_frame(frame("0100 0010", PHONE_2013, "0001", LOCATION_16))


def test_a_terminal_id_that_is_not_text_reads_as_its_bytes_in_hex():
    # a 2011 terminal that puts its number's BCD in the terminal ID (and nothing in the maker and model)
    body = "00 00 00 00" + " 00" * 5 + " 00" * 8 + "01 39 12 34 56 78 00" "00"
    msg = decode_frame(frame("0100 0019", PHONE_2013, "0001", body))
    assert (msg.edition, msg.terminal_id, msg.plate) == (2011, "013912345678", "")
    body = "00 2D 00 C8" "4C 5A 43 47 00" "5A 54 2D 31 00 00 00 00" "20 41 42 2D 37 00 00" "02"  # padding either side
    assert decode_frame(frame("0100 0019", PHONE_2013, "0001", body)).terminal_id == "AB-7"


def test_authenticate_2013_and_2019():
    msg = decode_frame(frame("0102 0006", PHONE_2013, "0002", "41 42 43 31 32 33"))
    assert isinstance(msg, Authenticate) and (msg.code, msg.imei, msg.software) == ("ABC123", None, None)
    body = "06 41 42 43 31 32 33" "38 36 31 32 33 34 35 36 37 38 39 30 31 32 33" "56 31 2E 32" + " 00" * 16
    msg = decode_frame(frame("0102 402A 01", PHONE_2019, "0002", body))
    assert (msg.code, msg.imei, msg.software) == ("ABC123", "861234567890123", "V1.2")


def test_short_messages():
    assert isinstance(decode_frame(frame("0002 0000", PHONE_2013, "0003")), Heartbeat)
    assert isinstance(decode_frame(frame("0003 0000", PHONE_2013, "0004")), Logout)
    assert isinstance(decode_frame(frame("8201 0000", PHONE_2013, "0004")), PositionQuery)
    msg = decode_frame(frame("0001 0005", PHONE_2013, "0005", "00 21 83 00 00"))
    assert isinstance(msg, TerminalResponse) and (msg.reply_serial, msg.reply_id, msg.result) == (0x21, 0x8300, 0)
    msg = decode_frame(frame("8001 0005", PHONE_2013, "0001", "00 07 02 00 04"))
    assert isinstance(msg, PlatformResponse) and (msg.reply_serial, msg.reply_id, msg.result) == (7, 0x0200, 4)
    msg = decode_frame(frame("8100 0009", PHONE_2013, "0001", "00 01 00 41 42 43 31 32 33"))
    assert isinstance(msg, RegisterResponse) and (msg.reply_serial, msg.result, msg.auth_code) == (1, 0, "ABC123")
    msg = decode_frame(frame("8100 0003", PHONE_2013, "0001", "00 01 04"))
    assert (msg.result, msg.auth_code) == (4, None)
    msg = decode_frame(frame("8202 0006", PHONE_2013, "0001", "00 05 00 00 01 2C"))
    assert isinstance(msg, TemporaryTracking) and (msg.interval_s, msg.duration_s) == (5, 300)


def test_text_message_2013_and_2019():
    text = "C7 EB BB D8 B6 D3"  # 请回队 in GBK
    msg = decode_frame(frame("8300 0007", PHONE_2013, "0001", "0D", text))
    assert isinstance(msg, TextMessage) and msg.text == "请回队" and msg.emergency and msg.display and msg.tts
    msg = decode_frame(frame("8300 4008 01", PHONE_2019, "0001", "06 01", text))
    assert msg.text == "请回队" and msg.emergency and msg.display and not msg.tts and msg.text_type == 1


def test_set_parameters():
    body = ("03" "00 00 00 29 04 00 00 00 0A"  # report interval 10 s
            "00 00 00 83 08 B9 F0 42 31 32 33 34 35"  # plate
            "00 00 F0 01 02 AB CD")  # a vendor's parameter: raw
    msg = decode_frame(frame("8103 001E", PHONE_2013, "0001", body))
    assert isinstance(msg, SetParameters)
    assert msg.params == ((0x0029, 10), (0x0083, "桂B12345"), (0xF001, b"\xab\xcd"))


def test_frame_errors_are_typed():
    good = frame("0002 0000", PHONE_2013, "0003")
    with pytest.raises(FrameChecksumError):
        decode_frame(frame("0002 0000", PHONE_2013, "0003", check=0x55))
    with pytest.raises(TruncatedFrameError):
        decode_frame(good[:8] + b"\x7e")
    with pytest.raises(BodyLengthError) as exc:  # says 5 bytes, carries none
        decode_frame(frame("0002 0005", PHONE_2013, "0003"))
    assert exc.value.header.msg_id == 2
    with pytest.raises(BodyLengthError):  # says 0, carries 2
        decode_frame(frame("0002 0000", PHONE_2013, "0003", "00 00"))
    with pytest.raises(UnknownMessageError) as unknown:
        decode_frame(frame("0F99 0000", PHONE_2013, "0003"))
    assert unknown.value.header.msg_id == 0x0F99 and unknown.value.header.serial == 3
    with pytest.raises(EncryptedMessageError):
        decode_frame(frame("0200 041C", PHONE_2013, "0003", LOCATION_FIXED))  # bit 10: RSA
    with pytest.raises(BodyError, match="needs at least 28"):
        decode_frame(frame("0200 0010", PHONE_2013, "0003", LOCATION_16))
    with pytest.raises(FrameTooLongError):
        decode_frame(frame("0200 03FF", PHONE_2013, "0003", "00" * 1100))
    with pytest.raises(DeviceError):
        decode_hex("7e 02 zz")


def test_every_truncation_of_a_good_frame_is_a_typed_error():
    data = frame("0200 0035", PHONE_2013, "0007", LOCATION_BODY)
    for n in range(1, len(data) - 1):
        with pytest.raises(DeviceError):
            decode_frame(data[:n])


def test_a_terminal_number_that_is_not_bcd_is_its_hex_and_goes_back_as_it_came():
    # some terminals send an identifier in the number's place that is not BCD (nibbles a-f)
    m = decode_frame(frame("0200 0035", "4E B6 FB 4A FD 9E", "0003", LOCATION_BODY))
    assert m.header.phone == "4eb6fb4afd9e" and phone_key(m.header.phone) == "4eb6fb4afd9e"
    assert source_key(m.header.phone) == "jt808:4eb6fb4afd9e"
    assert m.location.lat == 24.3264
    reply = encode.frame(encode.PLATFORM_RESPONSE, m.header.phone, 1, encode.platform_response_body(3, 0x0200))
    assert raw("4E B6 FB 4A FD 9E") in reply and decode_frame(reply).header.phone == "4eb6fb4afd9e"
    m19 = decode_frame(frame("0002 4000 01", "00 00 00 00 0A BC DE F0 12 34", "0004"))
    assert m19.header.phone == "000000000abcdef01234" and phone_key(m19.header.phone) == "abcdef01234"


def test_an_unescaped_7d_is_read_as_itself_when_the_check_code_agrees():
    # a terminal that escapes 0x7E but not 0x7D, here in its number (4F 07 78 8E F8 7D, then the serial 00 0C)
    content = raw("0002 0000", "4F 07 78 8E F8 7D", "00 0C")
    sent = b"\x7e" + content + bytes((reduce(op_xor, content, 0),)) + b"\x7e"
    assert b"\x7d\x00" in sent  # not an escape
    m = decode_frame(sent)
    assert (m.header.phone, m.header.serial) == ("4f07788ef87d", 12)
    # the same bytes with a check code that agrees with no reading: still a bad escape, not a guess
    with pytest.raises(BadEscapeError):
        decode_frame(sent[:-2] + bytes((sent[-2] ^ 0x55,)) + b"\x7e")
    # a proper escape next to a bare 0x7D: 7D 02 is a 0x7E, the bare 7D itself
    content = raw("0002 0000", "01 39 12 34 56 78", "7D 7E")
    body = content.replace(b"\x7e", b"\x7d\x02")
    sent = b"\x7e" + body + bytes((reduce(op_xor, content, 0),)) + b"\x7e"
    assert decode_frame(sent).header.serial == 0x7D7E


def _driver_body(status: str, *, read: str | None = None, name: str = "", cert: str = "", agency: str = "",
                 valid: str = "", id_number: str | None = None) -> str:
    """A 0x0702 body laid out as the standard's table (2013; 2019 adds the identity card number)."""
    body = status + "25 12 05 19 30 00"  # 2025-12-05 19:30:00 Beijing
    if read is not None:
        body += read
        if read == "00":
            n, a = name.encode("gbk"), agency.encode("gbk")
            body += f"{len(n):02X}" + n.hex() + cert.encode().ljust(20, b"\0").hex()
            body += f"{len(a):02X}" + a.hex() + valid
            if id_number is not None:
                body += id_number.encode().ljust(20, b"\0").hex()
    return body


def test_driver_identity_card_put_in_read_and_taken_out():
    from devices.jt808 import report
    from devices.jt808.messages import DriverIdentity

    body = _driver_body("01", read="00", name="韦建华", cert="450200197001011234", agency="柳州市交通运输局",
                        valid="20 28 06 30")
    m = decode_frame(frame(f"0702 00{len(raw(body)):02X}", PHONE_2013, "0007", body))
    assert isinstance(m, DriverIdentity) and m.inserted and m.read_result == 0
    assert m.time == datetime(2025, 12, 5, 11, 30, tzinfo=UTC)
    assert (m.name, m.certificate, m.agency, m.valid_until, m.id_number) == (
        "韦建华", "450200197001011234", "柳州市交通运输局", "2028-06-30", "")
    j = report.message(m)
    assert (j["card"], j["read"], j["name"], j["valid_until"], j["time"]) == (
        "inserted", "ok", "韦建华", "2028-06-30", "2025-12-05T11:30:00Z")
    body19 = _driver_body("01", read="00", name="韦建华", cert="450200197001011234", agency="柳州市交通运输局",
                          valid="20 28 06 30", id_number="450202197001011234")
    m19 = decode_frame(frame(f"0702 40{len(raw(body19)):02X} 01", PHONE_2019, "0008", body19))
    assert m19.id_number == "450202197001011234" and m19.certificate == "450200197001011234"
    out = decode_frame(frame("0702 0007", PHONE_2013, "0009", _driver_body("02")))
    assert not out.inserted and out.read_result is None and out.time == m.time
    locked = decode_frame(frame("0702 0008", PHONE_2013, "000A", _driver_body("01", read="02")))
    assert locked.inserted and locked.read_result == 2 and locked.name == ""
    assert report.message(locked)["read"] == "card_locked"


def test_driver_identity_that_does_not_fit_is_a_body_error():
    with pytest.raises(BodyError, match="card status 3"):
        decode_frame(frame("0702 0007", PHONE_2013, "0001", _driver_body("03")))
    with pytest.raises(BodyError, match="2011 layout"):  # 2011: name length 2, then a one-character GBK name
        decode_frame(frame("0702 0007", PHONE_2013, "0001", "02 CE A4" + " 00" * 4))
    with pytest.raises(BodyError, match="needs 7"):
        decode_frame(frame("0702 0003", PHONE_2013, "0001", "01 25 12"))
    cut = _driver_body("01", read="00", name="韦建华", cert="4502", agency="柳州", valid="20 28 06 30")[:-6]
    with pytest.raises(BodyError, match="agency, validity"):
        decode_frame(frame(f"0702 00{len(raw(cut)):02X}", PHONE_2013, "0001", cut))
