"""The messages of devices/jt808/more.py: 0x0004/0x8004 server time, 0x8107/0x0107 terminal attributes, 0x0108
upgrade result, 0x0500 vehicle control reply, 0x0701 waybill, 0x0900/0x8900 transparent data, 0x8802/0x0802 search
of kept media. Bodies written by hand from the standard, framed with `encode.frame` (2013 and 2019 headers),
round trips through the encoders, bodies that do not fit, `decode --jt808`, and the simulator answering over TCP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from devices.errors import BodyError
from devices.jt808 import decode_frame, encode, locations_of, report
from devices.jt808.bodies import DECODERS
from devices.jt808.messages import CameraShotReply, LocationReport, TerminalResponse
from devices.jt808.more import (
    Passthrough,
    PassthroughDown,
    QueryAttributes,
    ServerTime,
    ServerTimeQuery,
    StoredMediaQuery,
    StoredMediaReply,
    TerminalAttributes,
    UpgradeResult,
    VehicleControlReply,
    Waybill,
)
from devices.sim.fleet import SimTrack
from devices.sim.jt808 import Jt808Fleet, SimTerminal, truck_phone
from tests.conftest import wait_for
from tests.devices.jt808_frames import LOCATION_BODY, LOCATION_FIXED, raw
from tests.devices.test_jt808_cli import decode as cli_decode
from tests.devices.test_jt808_sim import ROUTE, MiniPlatform

PHONE = "013912345678"
T = datetime(2024, 11, 26, 12, 0, 5, tzinfo=UTC)  # LOCATION_FIXED's time (20:00:05 Beijing)
EDITIONS = pytest.mark.parametrize("edition", [2013, 2019])


def dec(msg_id: int, body: bytes | str, edition: int = 2013, serial: int = 7):  # type: ignore[no-untyped-def]
    """The record of one frame (``body`` bytes, or hex written by hand)."""
    data = raw(body) if isinstance(body, str) else body
    return decode_frame(encode.frame(msg_id, PHONE, serial, data, edition=edition))


def hextext(s: str, size: int | None = None) -> str:
    """ASCII text as hex, NUL-padded to ``size`` bytes."""
    b = s.encode("ascii")
    return (b if size is None else b.ljust(size, b"\x00")).hex()


# ---- server time (2019) --------------------------------------------------------------------------

@EDITIONS
def test_server_time_query_and_answer_in_utc(edition):
    q = dec(0x0004, "", edition)
    assert isinstance(q, ServerTimeQuery) and q.header.edition == edition
    # 2026-12-05 10:00:05 UTC; not Beijing time (18:00:05)
    m = dec(0x8004, "26 12 05 10 00 05", edition)
    assert isinstance(m, ServerTime) and m.time == datetime(2026, 12, 5, 10, 0, 5, tzinfo=UTC)
    assert m.time.utcoffset() == timedelta(0)
    beijing = timezone(timedelta(hours=8))
    body = encode.server_time_body(datetime(2026, 12, 5, 18, 0, 5, tzinfo=beijing))
    assert body == raw("26 12 05 10 00 05")
    assert dec(encode.SERVER_TIME, body, edition).time == m.time
    assert (encode.SERVER_TIME_QUERY, encode.SERVER_TIME) == (0x0004, 0x8004)


def test_server_time_that_is_not_a_time():
    for body in ("", "26 12 05 10 00", "00 00 00 00 00 00", "26 13 05 10 00 05", "2F 12 05 10 00 05"):
        with pytest.raises(BodyError) as e:
            dec(0x8004, body, 2019)
        assert e.value.header is not None and e.value.header.msg_id == 0x8004
    with pytest.raises(ValueError):
        encode.server_time_body(datetime(2026, 12, 5, 10, 0, 5))  # naive


# ---- terminal attributes -------------------------------------------------------------------------

# type 0x00C5: passenger, freight, video, split; ICCID 89860412345678901234; hardware "HW1.0", firmware
# "FW2.1.07"; GNSS 0x0B: GPS, BDS, Galileo; network 0xA1: GPRS, TD-LTE, other
ATTR_TAIL = ("89 86 04 12 34 56 78 90 12 34" + "05" + hextext("HW1.0") + "08" + hextext("FW2.1.07") + "0B" + "A1")
ATTR_2013 = "00 C5" + hextext("LZCG", 5) + hextext("LZ-T808", 20) + hextext("T000001", 7) + ATTR_TAIL
ATTR_2019 = ("00 C5" + hextext("LZCG", 5) + hextext("LZ-T808-2019-BDS", 30) + hextext("T0000000000001", 30)
             + ATTR_TAIL)
ATTR_2019_WIDE = ("00 C5" + hextext("LIUZHOU-CG", 11) + hextext("LZ-T808-2019-BDS", 30) + hextext("T0000000000001", 30)
                  + ATTR_TAIL)  # the maker as wide as 2019's registration has it


def check_attributes(m, maker: str, model: str, terminal_id: str) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(m, TerminalAttributes)
    assert (m.terminal_type, m.manufacturer, m.model, m.terminal_id) == (0x00C5, maker, model, terminal_id)
    assert (m.iccid, m.hardware, m.firmware, m.gnss, m.network) == ("89860412345678901234", "HW1.0", "FW2.1.07",
                                                                    0x0B, 0xA1)
    assert m.kinds == ("passenger", "freight", "video", "split")
    assert m.gnss_names == ("gps", "bds", "galileo")
    assert m.network_names == ("gprs", "td_lte", "other")


def test_attributes_2013_and_2019_layouts():
    assert isinstance(dec(0x8107, ""), QueryAttributes) and isinstance(dec(0x8107, "", 2019), QueryAttributes)
    check_attributes(dec(0x0107, ATTR_2013), "LZCG", "LZ-T808", "T000001")
    check_attributes(dec(0x0107, ATTR_2019, 2019), "LZCG", "LZ-T808-2019-BDS", "T0000000000001")
    check_attributes(dec(0x0107, ATTR_2019_WIDE, 2019), "LIUZHOU-CG", "LZ-T808-2019-BDS", "T0000000000001")
    # a 2019 terminal with a 2013 header, and the other way round: the layout the body fits exactly
    check_attributes(dec(0x0107, ATTR_2019, 2013), "LZCG", "LZ-T808-2019-BDS", "T0000000000001")
    check_attributes(dec(0x0107, ATTR_2013, 2019), "LZCG", "LZ-T808", "T000001")
    # a body no layout fits: a byte after the 2019 layout's end
    with pytest.raises(BodyError):
        dec(0x0107, ATTR_2019 + " 00", 2019)


def test_attributes_padding_names_and_empty_versions():
    body = ("00 04" + "20 41 42 00 00" + hextext(" M1 ", 20) + hextext("", 7) + "00" * 10 + "00" + "00" + "00" + "00")
    m = dec(0x0107, body)
    assert (m.manufacturer, m.model, m.terminal_id, m.iccid, m.hardware, m.firmware) == (
        "AB", "M1", "", "0" * 20, "", "")
    assert (m.kinds, m.gnss_names, m.network_names) == (("freight", "all_in_one"), (), ())
    odd = dec(0x0107, body[:-4] + "F0" + "40")  # bits the standard does not name
    assert odd.gnss_names == ("gnss_bit_4", "gnss_bit_5", "gnss_bit_6", "gnss_bit_7")
    assert odd.network_names == ("network_bit_6",)


@EDITIONS
def test_attributes_round_trip(edition):
    body = encode.attributes_body(edition=edition)
    m = dec(encode.TERMINAL_ATTRIBUTES, body, edition)
    assert (m.terminal_type, m.manufacturer, m.model, m.terminal_id, m.iccid, m.hardware, m.firmware) == (
        0x0004, "LZCG", "LZ-T808", "T000001", "89860000000000000000", "HW1.0", "FW1.0")
    assert (m.kinds, m.gnss_names, m.network_names) == (("freight", "all_in_one"), ("gps", "bds"), ("gprs", "td_lte"))
    assert len(body) == 2 + (65 if edition == 2019 else 32) + 10 + 1 + 5 + 1 + 5 + 2
    long_id = "T" * (30 if edition == 2019 else 7)
    m = dec(0x0107, encode.attributes_body(edition=edition, terminal_id=long_id, manufacturer="桂柳", iccid="1234",
                                           firmware="固件 V2"), edition)
    assert (m.terminal_id, m.manufacturer, m.iccid, m.firmware) == (long_id, "桂柳", "0" * 16 + "1234", "固件 V2")
    assert (encode.QUERY_ATTRIBUTES, encode.TERMINAL_ATTRIBUTES) == (0x8107, 0x0107)


def test_attributes_encoder_refuses_what_does_not_fit():
    for kwargs in ({"iccid": "1" * 21}, {"iccid": "8986ABC"}, {"terminal_id": "T" * 8}, {"firmware": "x" * 256}):
        with pytest.raises(ValueError):
            encode.attributes_body(**kwargs)  # type: ignore[arg-type]


# ---- upgrade result, vehicle control reply ---------------------------------------------------------

def test_upgrade_result():
    m = dec(0x0108, "34 02")
    assert isinstance(m, UpgradeResult) and (m.kind, m.result, m.kind_name, m.result_name) == (
        52, 2, "gnss_module", "cancelled")
    m = dec(encode.UPGRADE_RESULT, encode.upgrade_result_body(12, 0), 2019)
    assert (m.kind_name, m.result_name) == ("ic_card_reader", "success")
    m = dec(0x0108, "00 01")
    assert (m.kind_name, m.result_name) == ("terminal", "failure")
    assert (dec(0x0108, "07 09").kind_name, dec(0x0108, "07 09").result_name) == ("type_7", "result_9")


@EDITIONS
def test_vehicle_control_reply_and_its_location(edition):
    m = dec(0x0500, "00 2A" + LOCATION_BODY, edition)
    assert isinstance(m, VehicleControlReply) and m.reply_serial == 42
    loc = m.location
    assert (loc.lat, loc.lon, loc.speed, loc.course, loc.time) == (24.3264, 109.4281, 45.6, 275, T)
    assert loc.extras.mileage_km == 12345.6 and loc.alarms == ("emergency", "overspeed")
    assert locations_of(m) == (loc,)
    body = encode.vehicle_control_reply_body(0x1234, raw(LOCATION_FIXED))
    again = dec(encode.VEHICLE_CONTROL_REPLY, body, edition)
    assert again.reply_serial == 0x1234 and again.location.time == T and locations_of(again) == (again.location,)


# ---- waybill ---------------------------------------------------------------------------------------

def test_waybill_text_and_bytes():
    text = "运单 LZ-0042: 渣土 18 t\r\n"
    m = dec(0x0701, encode.waybill_body(text.encode("gbk")))
    assert isinstance(m, Waybill) and m.content == text.encode("gbk") and m.text == text
    m = dec(0x0701, "00 00 00 05" + hextext("MD,OK"))
    assert (m.content, m.text) == (b"MD,OK", "MD,OK")
    assert dec(0x0701, "00 00 00 03 01 02 FF").text is None  # not text: the bytes only
    assert dec(0x0701, "00 00 00 02 41 07").text is None  # a control character
    assert dec(0x0701, "00 00 00 03 41 42 00").text == "AB"  # NUL padding at the end
    assert dec(encode.WAYBILL, encode.waybill_body(b""), 2019).content == b""
    assert encode.WAYBILL == 0x0701


def test_waybill_whose_length_disagrees():
    for body in ("", "00 00 00", "00 00 00 05 41 42", "00 00 00 01 41 42", "FF FF FF FF 41"):
        with pytest.raises(BodyError):
            dec(0x0701, body)


# ---- transparent data --------------------------------------------------------------------------------

@EDITIONS
def test_passthrough_both_ways(edition):
    m = dec(0x0900, "41" + hextext("$OBD-RT,12.3\r\n"), edition)
    assert isinstance(m, Passthrough) and (m.kind, m.kind_name, m.data) == (0x41, "serial_1", b"$OBD-RT,12.3\r\n")
    down = dec(encode.PASSTHROUGH_DOWN, encode.passthrough_body(0xF3, b"\x01\x02"), edition)
    assert isinstance(down, PassthroughDown) and (down.kind, down.kind_name, down.data) == (0xF3, "user_defined_F3",
                                                                                           b"\x01\x02")
    names = {k: dec(encode.PASSTHROUGH, encode.passthrough_body(k, b"")).kind_name for k in (0, 0x0B, 0x42, 0xFF, 0x40)}
    assert names == {0: "gnss_detail", 0x0B: "ic_card", 0x42: "serial_2", 0xFF: "user_defined_FF", 0x40: "type_40"}
    with pytest.raises(BodyError):
        dec(0x0900, "", edition)
    with pytest.raises(BodyError):
        dec(0x8900, "", edition)
    assert (encode.PASSTHROUGH, encode.PASSTHROUGH_DOWN) == (0x0900, 0x8900)


# ---- search of kept media ------------------------------------------------------------------------------

def test_stored_media_query_by_hand_and_round_trip():
    # images, camera 2, timed (event 1), 2026-12-05 10:00:00 to 11:30:15 Beijing
    m = dec(0x8802, "00 02 01" "26 12 05 10 00 00" "26 12 05 11 30 15")
    assert isinstance(m, StoredMediaQuery)
    assert (m.media_type, m.channel, m.event, m.start, m.end) == (
        0, 2, 1, datetime(2026, 12, 5, 2, 0, tzinfo=UTC), datetime(2026, 12, 5, 3, 30, 15, tzinfo=UTC))
    body = encode.stored_media_query_body()
    assert body == bytes(15)
    m = dec(encode.STORED_MEDIA_QUERY, body, 2019)
    assert (m.media_type, m.channel, m.event, m.start, m.end) == (0, 0, 0, None, None)
    body = encode.stored_media_query_body(media_type=2, channel=3, event=4, start=T, end=T + timedelta(hours=1))
    m = dec(0x8802, body)
    assert (m.media_type, m.channel, m.event, m.start, m.end) == (2, 3, 4, T, T + timedelta(hours=1))
    with pytest.raises(BodyError):
        dec(0x8802, body[:14])
    assert (encode.STORED_MEDIA_QUERY, encode.STORED_MEDIA_REPLY) == (0x8802, 0x0802)


@EDITIONS
def test_stored_media_reply_by_hand(edition):
    # answering serial 9: two items, id 300 image camera 1 timed, id 301 image camera 2 door opened
    body = ("00 09" "00 02" "00 00 01 2C" "00" "01" "01" + LOCATION_FIXED
            + "00 00 01 2D" "00" "02" "04" + LOCATION_FIXED.replace("00 05", "00 15"))
    m = dec(0x0802, body, edition)
    assert isinstance(m, StoredMediaReply) and m.reply_serial == 9
    assert [(i.media_id, i.media_type, i.channel, i.event, i.kind, i.event_name) for i in m.items] == [
        (300, 0, 1, 1, "image", "timed"), (301, 0, 2, 4, "image", "door_opened")]
    assert [(i.location.lat, i.location.time) for i in m.items] == [(24.3264, T), (24.3264, T + timedelta(seconds=10))]
    assert dec(0x0802, "00 09 00 00", edition).items == ()


def test_stored_media_reply_round_trip_and_lies():
    where = raw(LOCATION_BODY)  # with its additional items: only the 28 fixed bytes are written
    body = encode.stored_media_reply_body(5, [(7, 0, 3, 0, where), (8, 1, 1, 7, where)])
    assert len(body) == 4 + 2 * 35
    m = dec(encode.STORED_MEDIA_REPLY, body)
    assert [(i.media_id, i.media_type, i.channel, i.event, i.location.time) for i in m.items] == [
        (7, 0, 3, 0, T), (8, 1, 1, 7, T)]
    assert m.items[1].kind == "audio" and m.items[1].event_name == "fixed_distance"
    for bad in (body[:3], body[:-1], body + b"\x00", raw("00 05 00 03") + body[4:]):
        with pytest.raises(BodyError):
            dec(0x0802, bad)
    with pytest.raises(ValueError):
        encode.stored_media_reply_body(1, [(1, 0, 1, 0, where[:27])])


# ---- every body that does not fit --------------------------------------------------------------------

GOOD = {
    0x8004: "26 12 05 10 00 05",
    0x0107: ATTR_2013,
    0x0108: "00 00",
    0x0500: "00 01" + LOCATION_FIXED,
    0x0701: "00 00 00 02 41 42",
    0x0900: "41",
    0x8900: "F0",
    0x8802: "00 00 00" + "26 12 05 10 00 00" * 2,
    0x0802: "00 01 00 01 00 00 00 01 00 01 00" + LOCATION_FIXED,
}


@pytest.mark.parametrize("msg_id", sorted(GOOD))
def test_every_shorter_body_is_a_body_error(msg_id):
    body = raw(GOOD[msg_id])
    assert DECODERS[msg_id] and dec(msg_id, body)  # the whole body decodes
    for n in range(len(body)):
        with pytest.raises(BodyError) as e:
            dec(msg_id, body[:n])
        assert e.value.header.msg_id == msg_id and e.value.raw == body[:n]


@pytest.mark.parametrize("msg_id", [0x0107, 0x0701, 0x0802])
def test_a_byte_too_many_is_a_body_error(msg_id):
    with pytest.raises(BodyError):
        dec(msg_id, raw(GOOD[msg_id]) + b"\x00")


# ---- decode --jt808 --------------------------------------------------------------------------------------

def test_decode_command_says_the_new_messages():
    where = raw(LOCATION_FIXED)
    frames = [
        encode.frame(0x0107, PHONE, 1, raw(ATTR_2019), edition=2019),
        encode.frame(0x0701, PHONE, 2, encode.waybill_body("运单 42".encode("gbk"))),
        encode.frame(0x0701, PHONE, 3, encode.waybill_body(b"\x00\xff\x10")),
        encode.frame(0x0900, PHONE, 4, encode.passthrough_body(0x41, bytes(range(40)))),
        encode.frame(0x0802, PHONE, 5, encode.stored_media_reply_body(9, [(300, 0, 2, 1, where)])),
        encode.frame(0x0500, PHONE, 6, encode.vehicle_control_reply_body(8, where)),
        encode.frame(0x8004, PHONE, 7, encode.server_time_body(T), edition=2019),
        encode.frame(0x8802, PHONE, 8, encode.stored_media_query_body(channel=2, start=T)),
        encode.frame(0x0108, PHONE, 9, encode.upgrade_result_body(0, 1)),
    ]
    objs, _err = cli_decode(b"".join(frames), "-")
    assert [o.get("id") for o in objs] == ["0x0107", "0x0701", "0x0701", "0x0900", "0x0802", "0x0500", "0x8004",
                                           "0x8802", "0x0108"]
    attrs = objs[0]
    assert attrs["edition"] == 2019 and (attrs["manufacturer"], attrs["model"], attrs["firmware"], attrs["iccid"]) == (
        "LZCG", "LZ-T808-2019-BDS", "FW2.1.07", "89860412345678901234")
    assert attrs["terminal_type"] == ["passenger", "freight", "video", "split"] and attrs["gnss"] == ["gps", "bds",
                                                                                                      "galileo"]
    assert (objs[1]["text"], objs[1]["bytes"]) == ("运单 42", 7)
    assert "text" not in objs[2] and objs[2]["bytes"] == 3
    assert (objs[3]["kind"], objs[3]["bytes"], objs[3]["head"]) == ("serial_1", 40, bytes(range(16)).hex())
    item = objs[4]["items"][0]
    assert objs[4]["reply_serial"] == 9 and (item["media_id"], item["event"], item["channel"], item["time"],
                                             item["lat"]) == (300, "timed", 2, "2024-11-26T12:00:05Z", 24.3264)
    assert (objs[5]["reply_serial"], objs[5]["lat"], objs[5]["time"]) == (8, 24.3264, "2024-11-26T12:00:05Z")
    assert objs[6]["time"] == "2024-11-26T12:00:05Z"
    assert (objs[7]["channel"], objs[7]["start"], objs[7]["end"], objs[7]["media_type"]) == (
        2, "2024-11-26T12:00:05Z", None, "image")
    assert (objs[8]["kind"], objs[8]["result"]) == ("terminal", "failure")


def test_report_of_a_stored_media_upload_request_is_json():
    """The 0x8803 (no branch of its own in report.message) says its times as ISO 8601, not datetimes."""
    import json

    m = dec(encode.STORED_MEDIA_UPLOAD, encode.stored_upload_body(T, T + timedelta(minutes=5)))
    out = json.loads(json.dumps(report.message(m)))
    assert (out["start"], out["end"]) == ("2024-11-26T12:00:05Z", "2024-11-26T12:05:05Z")


# ---- the simulator --------------------------------------------------------------------------------------

@EDITIONS
def test_simulator_answers_attributes_and_transparent_data(edition):
    platform = MiniPlatform()
    phone = truck_phone(12)
    term = SimTerminal(phone, SimTrack("t", ROUTE, 10.0), edition=edition, interval_s=0.5)
    fleet = Jt808Fleet([term], "127.0.0.1", platform.port).start()
    try:
        h = wait_for(lambda: platform.of(LocationReport), what="a report")[0].header
        platform.send(h, encode.QUERY_ATTRIBUTES)
        m = wait_for(lambda: platform.of(TerminalAttributes), what="the attributes")[0]
        assert m.header.edition == edition and m.header.phone.endswith(phone)
        assert (m.manufacturer, m.model, m.hardware, m.firmware, m.terminal_id) == (
            "LZCG", "ZT-1", "SIM-HW1", "SIM-1.0", phone[-7:])
        assert len(m.iccid) == 20 and m.iccid.isdigit() and m.iccid.endswith(phone)
        sent = platform.send(h, encode.PASSTHROUGH_DOWN, encode.passthrough_body(0x41, b"AT+RESET\r\n"))
        r = wait_for(lambda: platform.of(TerminalResponse), what="the answer")[0]
        assert (r.reply_serial, r.reply_id, r.result) == (sent, 0x8900, 0)
        assert term.passthrough == [(0x41, b"AT+RESET\r\n")]
    finally:
        fleet.stop()
        platform.close()


def test_simulator_lists_its_kept_photos_by_camera_event_and_time():
    """Its timed camera keeps photo 1 (camera 1, event 1); 0x8801 with ``save`` keeps 10 + 10 + 10 more (cameras
    1, 2, 1, event 0); a 0x8802 lists those asked for in a 0x0802 (in two packages for all 31), each where and when
    it was taken."""
    platform = MiniPlatform()
    term = SimTerminal(truck_phone(3), SimTrack("t", ROUTE, 10.0), interval_s=0.5, camera_every_s=3600.0)
    fleet = Jt808Fleet([term], "127.0.0.1", platform.port).start()
    try:
        h = wait_for(lambda: platform.of(LocationReport), what="a report")[0].header
        for channel in (1, 2, 1):
            platform.send(h, encode.CAMERA_SHOOT, encode.camera_body(channel, photos=10, save=True))
        replies = wait_for(lambda: len(platform.of(CameraShotReply)) == 3 and platform.of(CameraShotReply),
                           what="3 camera replies")
        assert [r.media_ids for r in replies] == [tuple(range(2, 12)), tuple(range(12, 22)), tuple(range(22, 32))]

        def search(**kwargs: object) -> StoredMediaReply:
            before = len(platform.of(StoredMediaReply))
            sent = platform.send(h, encode.STORED_MEDIA_QUERY, encode.stored_media_query_body(**kwargs))
            reply = wait_for(lambda: platform.of(StoredMediaReply)[before:], what="the search's answer")[0]
            assert reply.reply_serial == sent
            return reply

        every = search()  # answered after the last 0x8801 was done with: every photo is kept by now
        taken = {media_id: when for media_id, _channel, _event, when in term.kept}
        first = datetime.fromtimestamp(int(min(taken.values())), UTC)
        assert every.header.packages == 2
        assert [(i.media_id, i.channel, i.event) for i in every.items] == [(1, 1, 1)] + [
            (n, 1 if n < 12 or n >= 22 else 2, 0) for n in range(2, 32)]
        for i in every.items:
            assert i.kind == "image" and 24.29 < i.location.lat < 24.34
            assert i.location.time == datetime.fromtimestamp(int(taken[i.media_id]), UTC)
        assert [i.media_id for i in search(channel=2).items] == list(range(12, 22))
        assert [i.media_id for i in search(channel=1, event=1).items] == [1]
        assert [i.media_id for i in search(event=1).items] == [1]
        assert search(media_type=1).items == ()  # it keeps no audio
        assert len(search(start=first, end=first + timedelta(hours=1)).items) == 31
        assert search(end=first - timedelta(seconds=1)).items == ()
        assert search(start=first + timedelta(hours=1)).items == ()
        assert term.stats.photos_sent == 0  # listed, not uploaded
    finally:
        fleet.stop()
        platform.close()
