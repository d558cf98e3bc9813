"""JT/T 808 framing and the stream decoder: escapes, check codes, cutting a stream, bad input, sub-packages."""

from __future__ import annotations

from functools import reduce
from operator import xor as op_xor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.errors import (
    BadEscapeError,
    BodyError,
    BodyLengthError,
    DeviceError,
    FrameChecksumError,
    FrameTooLongError,
    TruncatedFrameError,
    UnknownMessageError,
)
from devices.jt808 import Jt808Stream, encode
from devices.jt808.framing import MAX_ESCAPED, FrameSplitter, escape, unescape, xor, xor_each
from devices.jt808.messages import Fragment, Heartbeat, LocationBatch, LocationReport
from tests.conftest import Clock
from tests.devices.jt808_frames import LOCATION_BODY, PHONE_2013, frame, raw

HEARTBEAT = frame("0002 0000", PHONE_2013, "0001")
REPORT = frame("0200 0035", PHONE_2013, "0002", LOCATION_BODY)


def test_escape_rules():
    assert escape(b"\x30\x7e\x08\x7d\x55") == b"\x30\x7d\x02\x08\x7d\x01\x55"  # the standard's example
    assert unescape(b"\x30\x7d\x02\x08\x7d\x01\x55") == b"\x30\x7e\x08\x7d\x55"
    assert unescape(b"\x7d\x01\x02") == b"\x7d\x02"  # an escaped 7D followed by a plain 02
    for bad in (b"\x01\x7d", b"\x7d\x03", b"\x7d\x7d\x02", b"\x7d\x00\x01"):
        with pytest.raises(BadEscapeError):
            unescape(bad)


@given(st.binary(max_size=300))
def test_escape_round_trip_and_xor(data):
    e = escape(data)
    assert b"\x7e" not in e and unescape(e) == data
    assert xor(data) == reduce(op_xor, data, 0)


@given(st.lists(st.binary(min_size=1, max_size=80), min_size=1, max_size=20))
def test_xor_each_is_xor_of_each(items):
    assert xor_each(items) == [reduce(op_xor, b, 0) for b in items]


def test_splitter_shared_and_double_flags_and_garbage():
    body = HEARTBEAT[1:-1]
    s = FrameSplitter()
    # garbage, a frame, a shared flag, a frame, two flags, a frame cut across chunks
    assert s.feed(b"\x00junk" + HEARTBEAT + body + b"\x7e\x7e" + body[:5]) == [body, body]
    assert s.pending == 5
    assert s.feed(body[5:] + b"\x7e") == [body]
    assert s.garbage == 5


def test_splitter_drops_an_overlong_frame_without_buffering_it():
    s = FrameSplitter()
    assert s.feed(b"\x7e" + b"\x01" * 1000) == []
    assert s.feed(b"\x02" * 10_000) == [None]  # dropped, in its place among the frames
    for _ in range(100):
        assert s.feed(b"\x02" * 10_000) == []
        assert s.pending <= MAX_ESCAPED
    assert s.too_long == 1
    body = HEARTBEAT[1:-1]
    assert s.feed(b"\x03\x7e" + body + b"\x7e") == [body]


def test_stream_byte_by_byte_equals_whole():
    data = HEARTBEAT + REPORT + HEARTBEAT
    whole = Jt808Stream().feed(data)
    s = Jt808Stream()
    one = [m for i in range(len(data)) for m in s.feed(data[i:i + 1])]
    assert one == whole and [type(m) for m in one] == [Heartbeat, LocationReport, Heartbeat]
    assert s.counters.messages == 3 and s.counters.errors == 0 and s.counters.by_id == {2: 2, 0x0200: 1}


def test_bad_input_is_counted_and_the_stream_goes_on():
    bad = [
        frame("0002 0000", PHONE_2013, "0001", check=0x00),  # wrong check code
        b"\x7e\x00\x02\x7d\x05\x00\x7e",  # broken escape
        b"\x7e\x00\x02\x00\x7e",  # truncated: shorter than a header
        frame("0002 0003", PHONE_2013, "0001"),  # body length lies
        frame("0F99 0000", PHONE_2013, "0001"),  # unknown id
        frame("0200 0001", PHONE_2013, "0001", "00"),  # a body too short for its message
        b"\x7e" + b"\x11" * (MAX_ESCAPED + 10) + b"\x7e",  # longer than the standard allows
    ]
    data = b"".join(x + HEARTBEAT for x in bad)
    for chunk in (len(data), 7):  # in one read (checked as a batch) and in small reads
        s = Jt808Stream("t")
        out = [m for i in range(0, len(data), chunk) for m in s.feed(data[i:i + chunk])]
        errors = [type(m) for m in out if isinstance(m, DeviceError)]
        assert errors == [FrameChecksumError, BadEscapeError, TruncatedFrameError, BodyLengthError,
                          UnknownMessageError, BodyError, FrameTooLongError]
        assert sum(isinstance(m, Heartbeat) for m in out) == len(bad)
        c = s.counters
        assert (c.checksum_errors, c.bad_escapes, c.truncated, c.length_errors, c.unknown, c.malformed,
                c.too_long) == (1, 1, 1, 1, 1, 1, 1)
        assert c.messages == len(bad) and c.errors == len(bad)


def test_stream_ending_inside_a_frame_is_truncated():
    s = Jt808Stream()
    assert s.feed(HEARTBEAT + REPORT[:20]) != []
    out = s.close()
    assert len(out) == 1 and isinstance(out[0], TruncatedFrameError) and s.counters.truncated == 1


def test_subpackages_joined_in_any_order():
    body = encode.batch_body([raw(LOCATION_BODY)] * 30)  # 30 x 55 + 3 bytes: two packages
    frames = encode.frames(encode.LOCATION_BATCH, "013912345678", 100, body)
    assert len(frames) == 2
    s = Jt808Stream()
    first = s.feed(frames[1])
    assert [type(m) for m in first] == [Fragment] and first[0].header.package == 2
    out = s.feed(frames[0])
    assert [type(m) for m in out] == [Fragment, LocationBatch]
    batch = out[1]
    assert batch.header.serial == 100 and len(batch.locations) == 30 and batch.locations[0].lat == 24.3264
    assert s.counters.messages == 1 and len(s.assembler) == 0


def test_subpackages_that_never_complete_are_dropped_and_counted():
    clock = Clock(0.0)
    body = encode.batch_body([raw(LOCATION_BODY)] * 30)
    frames = encode.frames(encode.LOCATION_BATCH, "013912345678", 100, body)
    s = Jt808Stream(clock=clock, reassembly_timeout=30)
    s.feed(frames[0])
    clock.t = 31.0
    s.feed(HEARTBEAT)
    assert s.counters.incomplete == 1 and len(s.assembler) == 0
    assert not any(isinstance(m, LocationBatch) for m in s.feed(frames[1]))  # its partner is gone
    # a split message of an id not decoded here is refused at once, nothing held
    unknown = encode.frames(0x0F99, "013912345678", 5, b"\x00" * 2000)
    assert all(isinstance(m, UnknownMessageError) for f in unknown for m in s.feed(f))
    assert len(s.assembler) == 1  # only the orphan package 2 of the batch


def test_bench_stream_decodes_clean():
    from devices.jt808 import bench

    data, frames, positions = bench.jt808_stream(500, terminals=20)
    s = Jt808Stream()
    out = [m for i in range(0, len(data), bench.CHUNK) for m in s.feed(data[i:i + bench.CHUNK])]
    assert s.counters.messages == frames == len(out) and s.counters.errors == 0
    assert sum(len(m.locations) if isinstance(m, LocationBatch) else isinstance(m, LocationReport) for m in out) == positions
