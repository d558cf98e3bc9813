"""JT/T 808 multimedia: 0x0800 event, 0x0801 upload, 0x0805 camera reply, 0x8800 upload response, 0x8801
camera command, against frames written by hand (2013 and 2019 headers, the 2011 upload without a position),
and a photo's sub-packages joined by the stream (in order, out of order, one missing)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.errors import BodyError
from devices.jt808 import Jt808Stream, decode_frame, encode, location
from devices.jt808.assembler import MAX_BYTES
from devices.jt808.messages import (
    CameraShoot,
    CameraShotReply,
    Fragment,
    Heartbeat,
    MediaEvent,
    MediaUpload,
    MediaUploadResponse,
)
from tests.conftest import Clock
from tests.devices.jt808_frames import LOCATION_BODY, LOCATION_FIXED, PHONE_2013, PHONE_2019, frame, raw

PHONE = "013912345678"
T = datetime(2024, 11, 26, 12, 0, 5, tzinfo=UTC)  # LOCATION_FIXED's time (20:00:05 Beijing)

# id 300, image, JPEG, event 4 (door opened), channel 2
EVENT = "00 00 01 2C" "00" "00" "04" "02"
# id 301, image, JPEG, event 0 (the platform's command), channel 3
UPLOAD_HEAD = "00 00 01 2D" "00" "00" "00" "03"
# the smallest JPEG-shaped data: start of image, a comment "AB", end of image
JPEG = "FF D8" "FF FE 00 04 41 42" "FF D9"
# answer to serial 42: ok, 2 ids (7, 8)
CAMERA_REPLY = "00 2A" "00" "00 02" "00 00 00 07" "00 00 00 08"
# upload 301: send packages 2, 5 and 9 again
UPLOAD_RESPONSE = "00 00 01 2D" "03" "00 02" "00 05" "00 09"
# camera 2: 3 photos 5 s apart, upload now, 640x480, quality 10, brightness 128, contrast 64, saturation 64,
# chroma 128
SHOOT = "02" "00 03" "00 05" "00" "02" "0A" "80" "40" "40" "80"


def hand(msg_id: int, body: str, edition: int = 2013, serial: str = "0007") -> bytes:
    """A frame written from the standard's layout: header (attributes with the body's length), body."""
    n = len(raw(body))
    if edition == 2019:
        return frame(f"{msg_id:04X} {0x4000 | n:04X} 01", PHONE_2019, serial, body)
    return frame(f"{msg_id:04X} {n:04X}", PHONE_2013, serial, body)


def header(edition: int):  # type: ignore[no-untyped-def]
    return decode_frame(hand(0x0002, "", edition)).header


EDITIONS = pytest.mark.parametrize("edition", [2013, 2019])


@EDITIONS
def test_media_event_both_ways(edition):
    m = decode_frame(hand(0x0800, EVENT, edition))
    assert isinstance(m, MediaEvent) and m.header.edition == edition
    assert (m.media_id, m.media_type, m.media_format, m.event, m.channel) == (300, 0, 0, 4, 2)
    assert (m.kind, m.format_name, m.event_name) == ("image", "jpeg", "door_opened")
    body = encode.media_event_body(300, event=4, channel=2)
    assert encode.frame(encode.MEDIA_EVENT, PHONE, 7, body, edition=edition) == hand(0x0800, EVENT, edition)


@EDITIONS
def test_media_upload_with_its_position_both_ways(edition):
    body = UPLOAD_HEAD + LOCATION_FIXED + JPEG
    m = decode_frame(hand(0x0801, body, edition))
    assert isinstance(m, MediaUpload)
    assert (m.media_id, m.kind, m.format_name, m.event_name, m.channel) == (301, "image", "jpeg", "platform_command", 3)
    assert m.data == raw(JPEG) and m.mime == "image/jpeg"
    loc = m.location
    assert loc is not None and (loc.lat, loc.lon, loc.time, loc.speed, loc.course) == (24.3264, 109.4281, T, 45.6, 275)
    assert loc.alarms == ("emergency", "overspeed")
    # only the 28 fixed bytes of the position body go in: its additional items stay out
    out = encode.media_upload_body(301, raw(JPEG), location=raw(LOCATION_BODY), channel=3)
    assert encode.frame(encode.MEDIA_UPLOAD, PHONE, 7, out, edition=edition) == hand(0x0801, body, edition)


def test_media_upload_2011_layout_has_no_position():
    m = decode_frame(hand(0x0801, UPLOAD_HEAD + JPEG))
    assert isinstance(m, MediaUpload) and m.location is None and m.data == raw(JPEG)
    assert encode.media_upload_body(301, raw(JPEG), location=None, channel=3) == raw(UPLOAD_HEAD + JPEG)
    # long enough for a position, and decimal digits where its time would be: the JPEG start says 2011
    data = "FF D8" + "11" * 40 + "FF D9"
    m = decode_frame(hand(0x0801, UPLOAD_HEAD + data))
    assert m.location is None and m.data == raw(data)
    # no BCD time at 30..36: the 2011 layout, whatever the data
    data = "52 49 46 46" + "AB" * 40
    m = decode_frame(hand(0x0801, UPLOAD_HEAD + data))
    assert m.location is None and m.data == raw(data)
    # a 2019 header always has the position: a body too short for it is an error, not the 2011 layout
    with pytest.raises(BodyError) as info:
        decode_frame(hand(0x0801, UPLOAD_HEAD + JPEG, 2019))
    assert info.value.header.msg_id == 0x0801


def test_media_upload_before_a_fix_keeps_its_position_without_a_time():
    before_fix = "00" * 28  # terminals send zeros (a valid BCD "time" of all zeros) before their first fix
    m = decode_frame(hand(0x0801, UPLOAD_HEAD + before_fix + "01 02"))
    assert m.location is not None and m.location.time is None and m.data == b"\x01\x02"


def test_codes_the_standard_does_not_name():
    m = decode_frame(hand(0x0801, "00 00 00 01" "07" "09" "2F" "01" + JPEG))
    assert (m.kind, m.format_name, m.event_name, m.mime) == ("type_7", "format_9", "event_47", "application/octet-stream")
    names = {f: decode_frame(hand(0x0801, f"00 00 00 01 01 {f:02X} 01 01")).mime for f in range(5)}
    assert names == {0: "image/jpeg", 1: "image/tiff", 2: "audio/mpeg", 3: "audio/wav", 4: "video/x-ms-wmv"}


@EDITIONS
def test_camera_shot_reply_both_ways(edition):
    m = decode_frame(hand(0x0805, CAMERA_REPLY, edition))
    assert isinstance(m, CameraShotReply) and (m.reply_serial, m.result, m.media_ids) == (42, 0, (7, 8))
    assert encode.frame(encode.CAMERA_SHOT_REPLY, PHONE, 7, encode.camera_reply_body(42, 0, [7, 8]),
                        edition=edition) == hand(0x0805, CAMERA_REPLY, edition)
    none = "00 2A 01 00 00"  # failure, no ids
    assert decode_frame(hand(0x0805, none, edition)).media_ids == ()
    assert encode.camera_reply_body(42, 1) == raw(none)
    short = decode_frame(hand(0x0805, "00 2A 02", edition))  # channel not supported, without a count
    assert (short.reply_serial, short.result, short.media_ids) == (42, 2, ())


@EDITIONS
def test_media_upload_response_both_ways(edition):
    m = decode_frame(hand(0x8800, UPLOAD_RESPONSE, edition))
    assert isinstance(m, MediaUploadResponse) and (m.media_id, m.missing) == (301, (2, 5, 9))
    h = header(edition)
    assert encode.reply(h, encode.MEDIA_UPLOAD_RESPONSE, 7, encode.media_response_body(301, [2, 5, 9])) == hand(
        0x8800, UPLOAD_RESPONSE, edition)
    assert encode.media_response_body(301) == raw("00 00 01 2D 00")
    assert decode_frame(hand(0x8800, "00 00 01 2D 00", edition)).missing == ()
    assert decode_frame(hand(0x8800, "00 00 01 2D", edition)).missing == ()  # all came: the id alone
    with pytest.raises(ValueError):
        encode.media_response_body(301, range(1, 257))
    assert len(encode.media_response_body(301, range(1, 256))) == 5 + 2 * 255


@EDITIONS
def test_camera_shoot_both_ways(edition):
    m = decode_frame(hand(0x8801, SHOOT, edition))
    assert isinstance(m, CameraShoot)
    assert (m.channel, m.command, m.interval_s, m.save, m.resolution, m.quality) == (2, 3, 5, False, 2, 10)
    assert (m.brightness, m.contrast, m.saturation, m.chroma) == (128, 64, 64, 128)
    body = encode.camera_body(2, photos=3, interval_s=5, resolution=2, quality=10)
    assert encode.reply(header(edition), encode.CAMERA_SHOOT, 7, body) == hand(0x8801, SHOOT, edition)
    video = decode_frame(hand(0x8801, "01 FF FF 00 1E 01 01 05 80 40 40 80", edition))
    assert (video.command, video.interval_s, video.save) == (0xFFFF, 30, True)
    assert encode.camera_body(1, photos=0xFFFF, interval_s=30, save=True) == raw("01 FF FF 00 1E 01 01 05 80 40 40 80")


SHORT = [
    (0x0800, "00 00 01 2C 00 00 04"),  # 7 bytes
    (0x0801, "00 00 01"),
    (0x0805, "00 2A"),
    (0x0805, "00 2A 00"),  # result ok: the count must follow
    (0x0805, "00 2A 00 00"),
    (0x0805, "00 2A 00 00 02 00 00 00 07"),  # 2 ids announced, 1 there
    (0x0805, "00 2A 00 00 01 00 00 00 07 FF"),  # a byte after the ids announced
    (0x8800, "00 00 01"),
    (0x8800, "00 00 01 2D 02 00 02"),  # 2 numbers announced, 1 there
    (0x8800, "00 00 01 2D 01 00 02 00"),  # a byte after them
    (0x8801, "02 00 03 00 05 00 02 0A 80 40 40"),  # 11 bytes
]


@EDITIONS
@pytest.mark.parametrize(("msg_id", "body"), SHORT)
def test_short_bodies_are_body_errors_with_their_header(edition, msg_id, body):
    with pytest.raises(BodyError) as info:
        decode_frame(hand(msg_id, body, edition))
    h = info.value.header
    assert (h.msg_id, h.edition, h.serial) == (msg_id, edition, 7)
    s = Jt808Stream()
    out = s.feed(hand(msg_id, body, edition) + hand(0x0002, "", edition))
    assert [type(m) for m in out] == [BodyError, Heartbeat] and s.counters.malformed == 1


@given(st.sampled_from([0x0800, 0x0801, 0x0805, 0x8800, 0x8801]), st.sampled_from([2013, 2019]),
       st.binary(max_size=80))
def test_any_body_is_a_record_or_a_body_error(msg_id, edition, body):
    try:
        decode_frame(encode.frame(msg_id, PHONE, 1, body, edition=edition))
    except BodyError:
        pass


# ---- a photo in sub-packages ---------------------------------------------------------------------

def photo(size: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    return b"\xff\xd8" + rng.randbytes(size - 4) + b"\xff\xd9"


def upload_frames(data: bytes, *, serial: int = 500, edition: int = 2013) -> tuple[list[bytes], bytes]:
    where = location.encode(24.3264, 109.4281, T, speed=45.6, course=275, altitude=92)
    body = encode.media_upload_body(301, data, location=where, channel=3)
    return encode.frames(encode.MEDIA_UPLOAD, PHONE, serial, body, edition=edition), where


def feed(stream: Jt808Stream, data: bytes, chunk: int) -> list[object]:
    return [m for i in range(0, len(data), chunk) for m in stream.feed(data[i:i + chunk])]


@EDITIONS
@pytest.mark.parametrize("chunk", [None, 7])
def test_a_100_kb_photo_joins_from_its_packages(edition, chunk):
    data = photo(100 * 1024)
    frames, where = upload_frames(data, edition=edition)
    assert len(frames) == 101  # 8 + 28 + 102400 bytes in 1023-byte packages
    s = Jt808Stream()
    wire = b"".join(frames)
    out = feed(s, wire, chunk or len(wire))
    assert [type(m) for m in out] == [Fragment] * len(frames) + [MediaUpload]
    assert [m.header.package for m in out[:-1]] == list(range(1, 102))
    m = out[-1]
    assert m.data == data and m.header.serial == 500 and m.header.edition == edition and m.media_id == 301
    assert m.location == location.decode(where)
    assert s.counters.messages == 1 and s.counters.errors == 0 and len(s.assembler) == 0


def test_packages_out_of_order_and_serials_wrapping_round():
    data = photo(30_000, seed=2)
    frames, _ = upload_frames(data, serial=0xFFF0)
    random.Random(3).shuffle(frames)
    s = Jt808Stream()
    out = [m for f in frames for m in s.feed(f)]
    uploads = [m for m in out if isinstance(m, MediaUpload)]
    assert len(uploads) == 1 and uploads[0].data == data and uploads[0].header.serial == 0xFFF0
    assert out[-1] is uploads[0] and sum(isinstance(m, Fragment) for m in out) == len(frames)


def test_a_600_kb_photo_joins_by_default():
    assert MAX_BYTES == 1024 * 1024
    data = photo(600 * 1024, seed=4)
    frames, _ = upload_frames(data)
    s = Jt808Stream()
    out = s.feed(b"".join(frames))
    assert isinstance(out[-1], MediaUpload) and out[-1].data == data and len(frames) == 601


def test_a_package_missing_gives_no_upload_and_is_counted_after_the_timeout():
    clock = Clock(0.0)
    frames, _ = upload_frames(photo(20_000, seed=5))
    s = Jt808Stream(clock=clock, reassembly_timeout=60)
    out = [m for f in frames[:7] + frames[8:] for m in s.feed(f)]
    assert not any(isinstance(m, MediaUpload) for m in out) and len(s.assembler) == 1
    clock.t = 59.0
    s.feed(encode.heartbeat(PHONE, 1))
    assert s.counters.incomplete == 0  # still waiting for package 8
    clock.t = 120.0
    s.feed(encode.heartbeat(PHONE, 2))
    assert s.counters.incomplete == 1 and len(s.assembler) == 0


def test_the_timeout_counts_from_the_latest_package():
    clock = Clock(0.0)
    frames, _ = upload_frames(photo(5_000, seed=6))
    s = Jt808Stream(clock=clock, reassembly_timeout=60)
    out: list[object] = []
    for i, f in enumerate(frames):  # a slow link: 40 s between packages, 200 s in all
        clock.t = 40.0 * i
        out += s.feed(f)
    assert isinstance(out[-1], MediaUpload) and s.counters.incomplete == 0


def test_stalled_messages_are_asked_for_again_a_few_times_then_left_to_expire():
    from devices.jt808.assembler import Assembler
    from devices.jt808.header import Header

    clock = Clock(1000.0)
    asm = Assembler(timeout=60.0, clock=clock)
    template = Header(0, "013912345678", 0, 0, 2019, 1)
    for n in (1, 2):  # packages 1 and 2 of 3 of a batch whose first serial is 40; the last never comes
        assert asm.push(Header(0x0704, "013912345678", 39 + n, 100, 2019, 1, 0, 3, n), b"x") is None
    assert asm.stalled(10.0, 3, template) == []  # not quiet long enough yet
    clock.t += 10.5
    [h] = asm.stalled(10.0, 3, template)
    assert (h.msg_id, h.serial, h.packages, h.package, h.edition, h.protocol_version) == (0x0704, 40, 3, 1, 2019, 1)
    assert asm.missing(h) == (b"x", (3,))
    assert asm.stalled(10.0, 3, template) == []  # just asked: not again at once
    asks = 1
    for _ in range(3):  # 21, 31.5 and 42 s after its latest package
        clock.t += 10.5
        asks += len(asm.stalled(10.0, 3, template))
    assert asks == 3 and len(asm) == 1  # three times, then no more; still waiting for its timeout (60 s)
    clock.t += 60.0
    assert asm.stalled(10.0, 3, template) == [] and len(asm) == 0 and asm.incomplete == 1  # expired, counted
    # a message joined is forgotten with its asks
    assert asm.push(Header(0x0704, "013912345678", 50, 100, 2013, 0, 0, 2, 1), b"a") is None
    clock.t += 11
    assert len(asm.stalled(10.0, 3, template)) == 1
    assert asm.push(Header(0x0704, "013912345678", 51, 100, 2013, 0, 0, 2, 2), b"b") is not None
    assert asm._asked == {}
