"""The messages of devices/jt808/extra.py: 0x0705 CAN bus data, 0x0901 compressed data, 0x0A00/0x8A00 RSA public
keys, and the 2013 edition's 0x8301/0x0301 events, 0x8302/0x0302 questions and 0x0303 information on demand. Bodies
written by hand from the standard, framed with `encode.frame` (2013 and 2019 headers), round trips through the
encoders, bodies that do not fit (short, counts that disagree, corrupt or oversized GZIP, text that is not GBK), and
`decode --jt808`."""

from __future__ import annotations

import gzip
import random
import zlib
from datetime import time

import pytest

from devices.errors import BodyError
from devices.jt808 import Jt808Stream, decode_frame, encode, extra
from devices.jt808.bodies import DECODERS
from devices.jt808.extra import (
    MAX_DECOMPRESSED,
    CanBusData,
    Candidate,
    CanItem,
    CompressedData,
    EventItem,
    EventReport,
    EventSetting,
    InfoDemand,
    PlatformRsaKey,
    Question,
    QuestionAnswer,
    TerminalRsaKey,
)
from devices.jt808.messages import Fragment
from tests.devices.jt808_frames import raw
from tests.devices.test_jt808_cli import decode as cli_decode

PHONE = "013912345678"
EDITIONS = pytest.mark.parametrize("edition", [2013, 2019])


def dec(msg_id: int, body: bytes | str, edition: int = 2013, serial: int = 7):  # type: ignore[no-untyped-def]
    """The record of one frame (``body`` bytes, or hex written by hand)."""
    data = raw(body) if isinstance(body, str) else body
    return decode_frame(encode.frame(msg_id, PHONE, serial, data, edition=edition))


def bad(msg_id: int, body: bytes | str, edition: int = 2013) -> BodyError:
    """The `BodyError` of a body that does not fit, with the frame's header on it."""
    with pytest.raises(BodyError) as e:
        dec(msg_id, body, edition)
    assert e.value.header is not None and e.value.header.msg_id == msg_id
    return e.value


def test_ids():
    assert (encode.CAN_BUS_DATA, encode.COMPRESSED_DATA, encode.TERMINAL_RSA_KEY, encode.PLATFORM_RSA_KEY) == (
        0x0705, 0x0901, 0x0A00, 0x8A00)
    assert (encode.EVENT_SETTING, encode.EVENT_REPORT, encode.QUESTION, encode.QUESTION_ANSWER,
            encode.INFO_DEMAND) == (0x8301, 0x0301, 0x8302, 0x0302, 0x0303)


# ---- CAN bus data ------------------------------------------------------------------------------------

# 2 items received from 12:30:45.123: CAN1 standard raw frame 0x123; CAN2 extended averaged 0x18FEF100
# (bits 31, 30, 29 set: F8 FE F1 00), its data with a 0x7E and a 0x7D to escape
CAN = ("00 02" "12 30 45 01 23" "00 00 01 23" "11 22 33 44 55 66 77 88"
       "F8 FE F1 00" "7E 7D 00 01 02 03 04 05")


@EDITIONS
def test_can_bus_data_by_hand(edition):
    m = dec(0x0705, CAN, edition)
    assert isinstance(m, CanBusData) and m.header.edition == edition
    assert m.received == time(12, 30, 45, 123000)
    assert m.items == (CanItem(1, False, False, 0x123, raw("11 22 33 44 55 66 77 88")),
                       CanItem(2, True, True, 0x18FEF100, raw("7E 7D 00 01 02 03 04 05")))
    assert [i.id_hex for i in m.items] == ["0x123", "0x18FEF100"]
    empty = dec(0x0705, "00 00" "23 59 59 09 99", edition)
    assert (empty.received, empty.items) == (time(23, 59, 59, 999000), ())


@EDITIONS
def test_can_bus_data_round_trip(edition):
    items = [CanItem(c, x, a, i, bytes(range(n, n + 8))) for n, (c, x, a, i) in enumerate(
        [(1, False, False, 0x7FF), (2, False, True, 0), (1, True, False, 0x1FFFFFFF), (2, True, True, 0x0CF00400)])]
    body = extra.can_bus_data_body(time(7, 5, 9, 40500), items)
    assert body[:7] == raw("00 04 07 05 09 00 40") and len(body) == 7 + 4 * 12
    m = dec(encode.CAN_BUS_DATA, body, edition)
    assert m.received == time(7, 5, 9, 40000) and m.items == tuple(items)


def test_can_bus_data_that_does_not_fit():
    for body in ("", "00 02 12 30 45 01", CAN[:-3], CAN + " 00", CAN.replace("00 02", "00 03", 1),
                 CAN.replace("00 02", "00 01", 1), "00 01 12 30 45 01 23"):
        bad(0x0705, body)
    for stamp in ("24 00 00 00 00", "12 60 00 00 00", "12 00 60 00 00", "12 00 00 10 00", "1A 00 00 00 00",
                  "12 00 00 00 0F"):
        assert "hhmmssmsms" in str(bad(0x0705, "00 00" + stamp, 2019))
    for item in (CanItem(3, False, False, 1, bytes(8)), CanItem(1, False, False, 1 << 29, bytes(8)),
                 CanItem(1, False, False, 1, bytes(7))):
        with pytest.raises(ValueError):
            extra.can_bus_data_body(time(0, 0), [item])


# ---- compressed data ---------------------------------------------------------------------------------

# "hello" in a GZIP member written by hand (RFC 1952): header 1F 8B 08, no flags, no time, no extra flags, OS
# unknown; one stored deflate block (RFC 1951) of 5 bytes; CRC-32 3610A686 and size 5, little-endian
HELLO_GZIP = "1F 8B 08 00 00 00 00 00 00 FF" "01 05 00 FA FF" "68 65 6C 6C 6F" "86 A6 10 36" "05 00 00 00"


def gz_body(packed: bytes) -> bytes:
    return len(packed).to_bytes(4, "big") + packed


@EDITIONS
def test_compressed_data_by_hand_and_round_trip(edition):
    m = dec(0x0901, "00 00 00 1C" + HELLO_GZIP, edition)
    assert isinstance(m, CompressedData) and (m.compressed_length, m.data) == (28, b"hello")
    text = b"$GPRMC,123519,A,2419.58,N,10925.69,E,022.4,084.4,261124,,*6A\r\n" * 20
    body = extra.compressed_data_body(text)
    assert len(body) < len(text) and gzip.decompress(body[4:]) == text
    m = dec(encode.COMPRESSED_DATA, body, edition)
    assert (m.compressed_length, m.data) == (len(body) - 4, text)
    assert dec(0x0901, extra.compressed_data_body(b""), edition).data == b""


def test_compressed_data_as_gzip_reads_it():
    """Members one after another are joined, NUL padding after them dropped, a zlib header read too."""
    two = gzip.compress(b"first ") + gzip.compress(b"second")
    assert dec(0x0901, gz_body(two)).data == b"first second"
    assert dec(0x0901, gz_body(raw(HELLO_GZIP) + bytes(4))).data == b"hello"
    assert dec(0x0901, gz_body(zlib.compress(b"zlib, not gzip"))).data == b"zlib, not gzip"
    assert dec(0x0901, gz_body(gzip.compress(b"x") * 16)).data == b"x" * 16
    assert "more than 16" in str(bad(0x0901, gz_body(gzip.compress(b"x") * 17)))


def test_compressed_data_split_over_packages():
    data = random.Random(808).randbytes(3000)  # does not compress: 3 packages
    frames = encode.frames(encode.COMPRESSED_DATA, PHONE, 40, extra.compressed_data_body(data), edition=2019)
    assert len(frames) == 3
    out = Jt808Stream().feed(b"".join(frames))
    assert [type(m) for m in out] == [Fragment] * 3 + [CompressedData]
    assert out[-1].data == data and out[-1].header.edition == 2019


def test_corrupt_compressed_data_is_a_body_error():
    good = raw(HELLO_GZIP)
    for packed, what in ((good[:-1], "ends before"),  # the size cut short
                         (good[:-8], "ends before"),  # no CRC, no size
                         (good[:12], "ends before"),  # the block cut short
                         (good[:-8] + raw("86 A6 10 37") + good[-4:], "does not inflate"),  # CRC of other data
                         (good[:-4] + raw("06 00 00 00"), "does not inflate"),  # the size of other data
                         (good.replace(b"hello", b"jello"), "does not inflate"),
                         (b"hello", "does not inflate"),  # not compressed at all
                         (b"", "ends before"),
                         (good + b"junk", "does not inflate")):  # after the member, not another member
        assert what in str(bad(0x0901, gz_body(packed)))
    for body in ("", "00 00 00", "00 00 00 1D" + HELLO_GZIP, "00 00 00 1B" + HELLO_GZIP, "FF FF FF FF" + HELLO_GZIP):
        what = str(bad(0x0901, body))
        assert "follow" in what or "needs 4" in what


def test_compressed_data_inflating_past_64_kib_is_refused():
    assert dec(0x0901, gz_body(gzip.compress(bytes(MAX_DECOMPRESSED)))).data == bytes(MAX_DECOMPRESSED)
    e = bad(0x0901, gz_body(gzip.compress(bytes(MAX_DECOMPRESSED + 1))))
    assert "past 65536 bytes" in str(e)
    half = gzip.compress(bytes(MAX_DECOMPRESSED // 2 + 1))  # two members, each under the bound, not together
    bad(0x0901, gz_body(half + half))
    # a zip bomb: 10 MiB of zeros in 10 KB, split over 10 packages, joined, refused at 64 KiB
    bomb = extra.compressed_data_body(bytes(10 * 1024 * 1024))
    frames = encode.frames(encode.COMPRESSED_DATA, PHONE, 1, bomb)
    stream = Jt808Stream()
    out = stream.feed(b"".join(frames))
    assert len(frames) == 10 and len(out) == 11 and all(isinstance(m, Fragment) for m in out[:-1])
    assert isinstance(out[-1], BodyError) and "past 65536 bytes" in str(out[-1])
    assert stream.counters.malformed == 1


# ---- RSA public keys ----------------------------------------------------------------------------------

N = int.from_bytes(bytes([0xC3]) + bytes(range(1, 127)) + bytes([0xE5]), "big")  # 1024 bits


@EDITIONS
def test_rsa_keys_both_ways(edition):
    body = "00 01 00 01" + (bytes([0xC3]) + bytes(range(1, 127)) + bytes([0xE5])).hex()
    m = dec(0x0A00, body, edition)
    assert isinstance(m, TerminalRsaKey) and (m.e, m.n) == (65537, N) and m.n.bit_length() == 1024
    assert m.modulus == raw(body)[4:]
    p = dec(encode.PLATFORM_RSA_KEY, extra.rsa_key_body(3, N), edition)
    assert isinstance(p, PlatformRsaKey) and (p.e, p.n) == (3, N)
    small = dec(encode.TERMINAL_RSA_KEY, extra.rsa_key_body(65537, b"\x01\x02"), edition)
    assert small.n == 0x0102 and small.modulus == bytes(126) + b"\x01\x02"
    assert extra.rsa_key_body(65537, N.to_bytes(128, "big")) == extra.rsa_key_body(65537, N)


def test_rsa_keys_that_do_not_fit():
    body = extra.rsa_key_body(65537, N)
    for msg_id in (0x0A00, 0x8A00):
        for cut in (b"", body[:4], body[:-1], body + b"\x00"):
            bad(msg_id, cut)
    for e, n in ((1 << 32, N), (-1, N), (3, 1 << 1024), (3, -1), (3, bytes(129))):
        with pytest.raises(ValueError):
            extra.rsa_key_body(e, n)


# ---- events, questions, information on demand (2013) -----------------------------------------------------

@EDITIONS
def test_event_report_question_answer_info_demand(edition):
    m = dec(0x0301, "05", edition)
    assert isinstance(m, EventReport) and m.event_id == 5
    m = dec(0x0302, "00 2A 03", edition)
    assert isinstance(m, QuestionAnswer) and (m.reply_serial, m.answer_id) == (42, 3)
    m = dec(0x0303, "02 01", edition)
    assert isinstance(m, InfoDemand) and (m.info_type, m.demand) == (2, True)
    assert dec(0x0303, "02 00", edition).demand is False
    assert dec(encode.EVENT_REPORT, extra.event_report_body(9), edition).event_id == 9
    m = dec(encode.QUESTION_ANSWER, extra.question_answer_body(0x1FFFF, 2), edition)
    assert (m.reply_serial, m.answer_id) == (0xFFFF, 2)
    m = dec(encode.INFO_DEMAND, extra.info_demand_body(7, demand=False), edition)
    assert (m.info_type, m.demand) == (7, False)
    assert "flag 2" in str(bad(0x0303, "02 02", edition))


# event setting: append (2) 2 events, 1 "堵车" (traffic jam), 2 "事故" (accident)
EVENTS = "02 02" "01 04 B6 C2 B3 B5" "02 04 CA C2 B9 CA"


@EDITIONS
def test_event_setting_by_hand_and_round_trip(edition):
    m = dec(0x8301, EVENTS, edition)
    assert isinstance(m, EventSetting) and (m.setting, m.setting_name) == (2, "append")
    assert m.events == (EventItem(1, "堵车"), EventItem(2, "事故"))
    body = extra.event_setting_body(1, [(1, "堵车"), (2, "事故"), (9, "卸货 OK")])
    m = dec(encode.EVENT_SETTING, body, edition)
    assert m.setting_name == "update" and [(e.event_id, e.text) for e in m.events] == [
        (1, "堵车"), (2, "事故"), (9, "卸货 OK")]
    assert extra.event_setting_body(2, [(1, "堵车"), (2, "事故")]) == raw(EVENTS)
    m = dec(0x8301, extra.event_setting_body(4, [(1, ""), (2, "")]), edition)
    assert m.setting_name == "delete" and m.events == (EventItem(1, ""), EventItem(2, ""))
    for body in ("00", "00 00", extra.event_setting_body(0)):  # delete all, with or without its count
        m = dec(0x8301, body, edition)
        assert (m.setting_name, m.events) == ("delete_all", ())
    assert dec(0x8301, "07 00", edition).setting_name == "setting_7"


def test_event_setting_that_does_not_fit():
    for body in ("", "02", "02 03" + EVENTS[5:], "02 01" + EVENTS[5:], EVENTS + " 00", "02 01 01 05 B6 C2 B3 B5",
                 "02 01 01"):
        bad(0x8301, body)
    for text in ("FF FE", "81 20", "B6"):  # not GBK: a byte no character starts with, a bad second byte, cut short
        assert "not GBK" in str(bad(0x8301, f"01 01 03 {len(raw(text)):02X} {text}"))
    with pytest.raises(ValueError):
        extra.event_setting_body(1, [(n, "x") for n in range(256)])
    with pytest.raises(ValueError):
        extra.event_setting_body(1, [(1, "长" * 128)])


# question: urgent, TTS, display (0x19) "到场了吗" (arrived?), answers 1 "是" (yes), 2 "否" (no)
QUESTION = "19 08 B5 BD B3 A1 C1 CB C2 F0" "01 00 02 CA C7" "02 00 02 B7 F1"


@EDITIONS
def test_question_by_hand_and_round_trip(edition):
    m = dec(0x8302, QUESTION, edition)
    assert isinstance(m, Question) and (m.flags, m.urgent, m.tts, m.display) == (0x19, True, True, True)
    assert m.question == "到场了吗" and m.answers == (Candidate(1, "是"), Candidate(2, "否"))
    assert extra.question_body("到场了吗", [(1, "是"), (2, "否")], urgent=True, tts=True) == raw(QUESTION)
    body = extra.question_body("Dump at site 3?", [(7, "OK"), (8, "不行, 满了"), (9, "")])
    m = dec(encode.QUESTION, body, edition)
    assert (m.urgent, m.tts, m.display, m.question) == (False, False, True, "Dump at site 3?")
    assert [(a.answer_id, a.text) for a in m.answers] == [(7, "OK"), (8, "不行, 满了"), (9, "")]
    m = dec(0x8302, extra.question_body("", [], display=False), edition)
    assert (m.flags, m.question, m.answers) == (0, "", ())


def test_question_that_does_not_fit():
    body = raw(QUESTION)
    ends = {10, 15, 20}  # after the question, after answer 1, after answer 2: whole bodies
    for n in range(len(body)):
        if n in ends:
            assert len(dec(0x8302, body[:n]).answers) == (n - 10) // 5
        else:
            bad(0x8302, body[:n])
    bad(0x8302, body + b"\x03")
    bad(0x8302, body + b"\x03\x00")
    bad(0x8302, QUESTION.replace("01 00 02", "01 00 03"))
    assert "not GBK" in str(bad(0x8302, "00 02 81 20"))
    assert "answer 2" in str(bad(0x8302, QUESTION.replace("B7 F1", "B7 FF")))
    with pytest.raises(ValueError):
        extra.question_body("问" * 128, [])
    with pytest.raises(ValueError):
        extra.question_body("?", [(1, "x" * 65536)])


# ---- every body that does not fit ------------------------------------------------------------------------

GOOD = {
    0x0705: "00 01 12 30 45 01 23 00 00 01 23 11 22 33 44 55 66 77 88",
    0x0901: "00 00 00 1C" + HELLO_GZIP,
    0x0A00: "00 01 00 01" + "AB" * 128,
    0x8A00: "00 00 00 03" + "CD" * 128,
    0x0301: "05",
    0x0302: "00 2A 03",
    0x0303: "02 01",
    0x8301: EVENTS,
}


@pytest.mark.parametrize("msg_id", sorted(GOOD))
@EDITIONS
def test_every_shorter_body_is_a_body_error(msg_id, edition):
    body = raw(GOOD[msg_id])
    assert DECODERS[msg_id] and dec(msg_id, body, edition)  # the whole body decodes
    for n in range(len(body)):
        with pytest.raises(BodyError) as e:
            dec(msg_id, body[:n], edition)
        assert e.value.header.msg_id == msg_id and e.value.raw == body[:n]


@pytest.mark.parametrize("msg_id", [0x0705, 0x0901, 0x0A00, 0x8A00, 0x8301, 0x8302])
def test_a_byte_too_many_is_a_body_error(msg_id):
    with pytest.raises(BodyError):
        dec(msg_id, raw(GOOD.get(msg_id, QUESTION)) + b"\x00")


# ---- decode --jt808 ---------------------------------------------------------------------------------------

def test_decode_command_says_the_new_messages():
    frames = [
        encode.frame(0x0705, PHONE, 1, raw(CAN), edition=2019),
        encode.frame(0x0901, PHONE, 2, extra.compressed_data_body(b"$OBD,12.3\r\n" * 3)),
        encode.frame(0x0A00, PHONE, 3, extra.rsa_key_body(65537, N)),
        encode.frame(0x8301, PHONE, 4, raw(EVENTS)),
        encode.frame(0x8302, PHONE, 5, raw(QUESTION)),
        encode.frame(0x0301, PHONE, 6, extra.event_report_body(2)),
        encode.frame(0x0302, PHONE, 7, extra.question_answer_body(5, 1)),
        encode.frame(0x0303, PHONE, 8, extra.info_demand_body(3)),
        encode.frame(0x8A00, PHONE, 9, extra.rsa_key_body(3, 0xFF)),
        encode.frame(0x0901, PHONE, 10, gz_body(b"not gzip")),
    ]
    objs, err = cli_decode(b"".join(frames), "-")
    assert [o.get("id") for o in objs] == ["0x0705", "0x0901", "0x0A00", "0x8301", "0x8302", "0x0301", "0x0302",
                                           "0x0303", "0x8A00", "0x0901"]
    can = objs[0]
    assert can["edition"] == 2019 and can["received"] == "12:30:45.123"
    assert can["items"] == [
        {"channel": 1, "extended": False, "averaged": False, "can_id": "0x123", "data": "1122334455667788"},
        {"channel": 2, "extended": True, "averaged": True, "can_id": "0x18FEF100", "data": "7e7d000102030405"}]
    assert (objs[1]["bytes"], objs[1]["head"]) == (33, b"$OBD,12.3\r\n$OBD,".hex())
    assert objs[1]["compressed"] == len(extra.compressed_data_body(b"$OBD,12.3\r\n" * 3)) - 4
    assert (objs[2]["e"], objs[2]["n"]) == (65537, N.to_bytes(128, "big").hex())
    assert objs[3]["setting"] == "append" and objs[3]["events"] == [{"event_id": 1, "text": "堵车"},
                                                                   {"event_id": 2, "text": "事故"}]
    assert (objs[4]["urgent"], objs[4]["tts"], objs[4]["display"], objs[4]["question"]) == (True, True, True,
                                                                                           "到场了吗")
    assert objs[4]["answers"] == [{"answer_id": 1, "text": "是"}, {"answer_id": 2, "text": "否"}]
    assert objs[5]["event_id"] == 2
    assert (objs[6]["reply_serial"], objs[6]["answer_id"]) == (5, 1)
    assert (objs[7]["info_type"], objs[7]["demand"]) == (3, True)
    assert objs[8]["n"] == "00" * 127 + "ff"
    assert objs[9]["error"] == "malformed" and "does not inflate" in objs[9]["message"]
    assert "1 malformed" in err
