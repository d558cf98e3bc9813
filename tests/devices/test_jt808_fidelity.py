"""What a check against another platform's test frames found (docs/jt808.md, "Checked against another platform's
test frames"), on frames written here: split messages whose packages' serials are not consecutive (a terminal
numbers every message it sends from one counter and sends others between the packages), and a driver's card read
sent with the 2019 body under a 2013 header."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from devices.jt808 import decode_frame, encode, location
from devices.jt808.assembler import Assembler
from devices.jt808.decoder import Jt808Stream
from devices.jt808.header import Header
from devices.jt808.messages import (
    DriverIdentity,
    Fragment,
    Heartbeat,
    LocationReport,
    MediaUpload,
    ParametersReply,
)
from tests.devices.jt808_frames import PHONE_2013, frame

PHONE = "013912345678"
T = datetime(2024, 11, 26, 12, 0, 5, tzinfo=UTC)


def photo(size: int, seed: int) -> bytes:
    return b"\xff\xd8" + random.Random(seed).randbytes(size - 4) + b"\xff\xd9"


def packages(msg_id: int, body: bytes, serials: list[int], size: int) -> list[bytes]:
    """The sub-packages of ``body`` (``size`` bytes each), package i carrying ``serials[i - 1]``."""
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    assert len(parts) == len(serials)
    return [encode.frame(msg_id, PHONE, serial, part, packages=len(parts), package=i)
            for i, (serial, part) in enumerate(zip(serials, parts, strict=True), start=1)]


def upload(data: bytes, media_id: int = 301) -> bytes:
    where = location.encode(24.3264, 109.4281, T, speed=45.6, course=275)
    return encode.media_upload_body(media_id, data, location=where, channel=3)


# 10 packages; the terminal sent a position (serial 1003) and a heartbeat (serial 1007) in between
GAPPED = [1000, 1001, 1002, 1004, 1005, 1006, 1008, 1009, 1010, 1011]


def test_a_photo_whose_packages_have_other_messages_between_them_joins():
    data = photo(9_000, seed=1)
    frames = packages(encode.MEDIA_UPLOAD, upload(data), GAPPED, 1000)
    between = {3: encode.frame(encode.LOCATION, PHONE, 1003, location.encode(24.33, 109.43, T)),
               6: encode.heartbeat(PHONE, 1007)}
    wire = b"".join(f + between.get(i, b"") for i, f in enumerate(frames, start=1))
    s = Jt808Stream()
    out = s.feed(wire)
    assert [type(m) for m in out] == ([Fragment] * 3 + [LocationReport] + [Fragment] * 3 + [Heartbeat]
                                      + [Fragment] * 4 + [MediaUpload])
    m = out[-1]
    assert m.data == data and m.media_id == 301 and m.header.serial == 1000  # package 1's serial
    assert s.counters.errors == 0 and len(s.assembler) == 0 and s.counters.incomplete == 0


def test_gapped_packages_join_in_any_order():
    data = photo(9_000, seed=2)
    frames = packages(encode.MEDIA_UPLOAD, upload(data), GAPPED, 1000)
    for seed in range(5):
        random.Random(seed).shuffle(frames)
        s = Jt808Stream()
        out = [m for f in frames for m in s.feed(f)]
        assert isinstance(out[-1], MediaUpload) and out[-1].data == data and out[-1].header.serial == 1000
        assert len(s.assembler) == 0


def test_a_split_parameters_reply_with_a_gap_joins_either_way_round():
    """Two packages 17 serials apart (a terminal answering 0x8104 with 120 parameters between its reports)."""
    params = {0xF000 + i: f"value {i:03d}".encode() for i in range(120)}
    body = encode.parameters_reply_body(77, params)
    size = (len(body) + 1) // 2
    frames = packages(encode.PARAMETERS_REPLY, body, [0xFFF8, 0x0009], size)  # and the serial wraps round
    for order in (frames, frames[::-1]):
        s = Jt808Stream()
        out = [m for f in order for m in s.feed(f)]
        assert [type(m) for m in out] == [Fragment, Fragment, ParametersReply]
        m = out[-1]
        assert m.header.serial == 0xFFF8 and m.reply_serial == 77 and len(m.params) == 120
        assert dict(m.params)[0xF000 + 5] == b"value 005"


def test_a_stale_message_of_the_same_kind_takes_no_package_of_a_new_one():
    """An earlier upload that lost its package 3 waits; a new one with gaps joins whole, the old one still waits."""
    old = packages(encode.MEDIA_UPLOAD, upload(photo(3_600, seed=3), 7), [100, 101, 102, 103], 1000)
    data = photo(3_600, seed=4)
    new = packages(encode.MEDIA_UPLOAD, upload(data, 8), [200, 202, 205, 206], 1000)
    s = Jt808Stream()
    out = [m for f in old[:2] + old[3:] + new for m in s.feed(f)]
    [m] = [m for m in out if isinstance(m, MediaUpload)]
    assert (m.media_id, m.data, m.header.serial) == (8, data, 200)
    assert len(s.assembler) == 1
    assert s.assembler.missing(decode_frame(old[3]).header)[1] == (3,)


def test_a_package_sent_again_with_its_own_serial_joins_a_gapped_message():
    data = photo(9_000, seed=5)
    frames = packages(encode.MEDIA_UPLOAD, upload(data), GAPPED, 1000)
    s = Jt808Stream()
    out = [m for i, f in enumerate(frames, start=1) if i != 5 for m in s.feed(f)]
    assert not any(isinstance(m, MediaUpload) for m in out)
    last = decode_frame(frames[-1]).header
    first, missing = s.assembler.missing(last)  # what the platform's 0x8800 names
    assert missing == (5,) and first is not None and first[:4] == (301).to_bytes(4, "big")
    out = s.feed(frames[4])  # package 5 again, serial 1005 as the first time
    assert isinstance(out[-1], MediaUpload) and out[-1].data == data


def test_stalled_names_the_serial_package_1_came_with():
    """Package 2 came first; package 1 came later, 3 serials before it: asked for again by package 1's serial."""
    asm = Assembler(timeout=60.0, clock=lambda: 0.0)
    template = Header(0, PHONE, 0, 0, 2013, 0)
    assert asm.push(Header(0x0704, PHONE, 50, 100, 2013, 0, 0, 3, 2), b"b") is None
    assert asm.push(Header(0x0704, PHONE, 47, 100, 2013, 0, 0, 3, 1), b"a") is None
    assert len(asm) == 1
    asm.clock = lambda: 20.0
    [h] = asm.stalled(10.0, 3, template)
    assert (h.serial, h.package, h.packages) == (47, 1, 3)
    assert asm.missing(h) == (b"a", (3,))
    joined = asm.push(Header(0x0704, PHONE, 58, 100, 2013, 0, 0, 3, 3), b"c")
    assert joined is not None and joined[0].serial == 47 and joined[1] == b"abc"


def test_consecutive_packages_still_group_by_their_first_serial():
    """Two messages of one kind in flight, consecutive serials: never mixed."""
    a = packages(encode.MEDIA_UPLOAD, upload(photo(2_500, seed=6), 1), [10, 11, 12], 1000)
    b = packages(encode.MEDIA_UPLOAD, upload(photo(2_500, seed=7), 2), [13, 14, 15], 1000)
    s = Jt808Stream()
    out = [m for f in (a[0], b[0], a[1], b[1], b[2], a[2]) for m in s.feed(f)]
    assert [(m.media_id, m.header.serial) for m in out if isinstance(m, MediaUpload)] == [(2, 13), (1, 10)]


# ---- 0x0702: the 2019 body under a 2013 header ------------------------------------------------------

# card put in at 2026-04-09 17:27:39 Beijing, read OK; name 张三 (GBK D5C5 C8FD); certificate number 20 bytes;
# agency 柳州 (GBK C1F8 D6DD); valid until 2030-12-31; then the 2019 edition's ID card number, BYTE[20]
CARD = ("01" "26 04 09 17 27 39" "00" "04 D5 C5 C8 FD" + "34 35 30 32 30 30 31 39 39 30 30 31 30 31 31 32 33 34 00 00"
        + "04 C1 F8 D6 DD" "20 30 12 31")
ID_NUMBER = "34 35 30 32 30 30 31 39 39 30 30 31 30 31 31 32 33 34 35 58"  # 4502001990010112345X


def test_a_2019_card_body_under_a_2013_header_keeps_its_id_number():
    n = len(bytes.fromhex((CARD + ID_NUMBER).replace(" ", "")))
    m = decode_frame(frame(f"0702 {n:04X}", PHONE_2013, "0202", CARD, ID_NUMBER))
    assert isinstance(m, DriverIdentity) and m.header.edition == 2013
    assert (m.inserted, m.read_result, m.name, m.agency, m.valid_until) == (True, 0, "张三", "柳州", "2030-12-31")
    assert m.certificate == "450200199001011234" and m.id_number == "4502001990010112345X"
    assert m.time == datetime(2026, 4, 9, 9, 27, 39, tzinfo=UTC)


def test_a_2013_card_body_has_no_id_number():
    n = len(bytes.fromhex(CARD.replace(" ", "")))
    m = decode_frame(frame(f"0702 {n:04X}", PHONE_2013, "0202", CARD))
    assert isinstance(m, DriverIdentity) and m.certificate == "450200199001011234" and m.id_number == ""
    # bytes after the validity that are not a 20-byte number are not read as one
    m = decode_frame(frame(f"0702 {n + 3:04X}", PHONE_2013, "0202", CARD, "00 00 00"))
    assert isinstance(m, DriverIdentity) and m.id_number == ""
