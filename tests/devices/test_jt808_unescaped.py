"""Terminals that do not escape: a 0x7D or a 0x7E of the content sent as itself.

Seen in the field: a location whose latitude holds the bytes ``7D 01`` sent as they are (read as an escape they
would become one byte and shift everything after it), and frames with a bare 0x7E in their body, which cuts
them at that byte. The check code and the header's body length decide together: a reading is taken only
when both agree with it, and a frame that no reading fits is refused as before."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import FrameChecksumError
from devices.jt808 import Jt808Stream, decode_frame
from devices.jt808.messages import Heartbeat, LocationReport
from tests.devices.jt808_frames import FIXED_7D, FIXED_7E, PHONE_2013, frame, raw, unescaped

HEARTBEAT = frame("0002 0000", PHONE_2013, "0009")


def test_a_7d_01_of_the_content_is_read_as_its_two_bytes_when_check_code_and_length_agree():
    sent = unescaped("0200 001C", PHONE_2013, "0003", FIXED_7D)
    assert b"\x7d\x01" in sent
    m = decode_frame(sent)
    assert isinstance(m, LocationReport) and m.header.serial == 3
    assert (m.location.lat, m.location.lon, m.location.altitude) == (24.345857, 109.4281, 92)
    # the same content escaped as the standard says is read the standard's way
    assert decode_frame(frame("0200 001C", PHONE_2013, "0003", FIXED_7D)).location.lat == 24.345857
    # a check code that agrees with neither reading is refused, not guessed
    with pytest.raises(FrameChecksumError):
        decode_frame(sent[:-2] + bytes((sent[-2] ^ 0x11,)) + b"\x7e")
    # nor a reading whose length the header does not announce: the check code agrees, the length is one off
    with pytest.raises(FrameChecksumError):
        decode_frame(unescaped("0200 001D", PHONE_2013, "0003", FIXED_7D))


def test_a_frame_cut_by_its_own_bare_7e_is_joined_again():
    sent = unescaped("0200 001C", PHONE_2013, "0003", FIXED_7E)
    assert sent[1:-1].count(b"\x7e") == 1
    whole = sent + HEARTBEAT
    for pieces in ([whole], [bytes((b,)) for b in whole], [whole[:30], whole[30:]]):
        s = Jt808Stream()
        got = [m for p in pieces for m in s.feed(p)] + s.close()
        assert [type(m) for m in got] == [LocationReport, Heartbeat], pieces[0][:8]
        assert (got[0].location.lat, got[0].location.lon) == (24.3264, 109.411972)
        assert (s.counters.frames, s.counters.messages, s.counters.errors) == (2, 2, 0)


def test_a_frame_truly_cut_short_loses_nothing_after_it():
    """A frame cut by the line (its end lost) is held for a rest that never comes: the next frame, whole on
    its own, is read as itself, and the cut one is refused with the bytes it had."""
    good = frame("0200 001C", PHONE_2013, "0003", FIXED_7E)
    cut = good[:25] + b"\x7e"
    s = Jt808Stream()
    got = s.feed(cut + HEARTBEAT + good)
    assert [type(m) for m in got] == [FrameChecksumError, Heartbeat, LocationReport]
    assert got[0].raw == cut[1:-1]
    assert (s.counters.frames, s.counters.messages, s.counters.checksum_errors) == (3, 2, 1)


def test_a_piece_held_when_the_stream_ends_is_refused_then():
    s = Jt808Stream()
    cut = frame("0200 001C", PHONE_2013, "0003", FIXED_7E)[:25] + b"\x7e"
    assert s.feed(cut) == []
    assert s.splitter.pending == 0 and s.pending == len(cut) - 2 and s.in_frame  # held by the stream for its rest
    [err] = s.close()
    assert isinstance(err, FrameChecksumError) and err.raw == cut[1:-1]
    assert (s.counters.frames, s.counters.errors) == (1, 1)


def test_pieces_as_long_as_announced_are_one_frame_refused_whole_when_its_check_code_is_wrong():
    sent = unescaped("0200 001C", PHONE_2013, "0003", FIXED_7E)
    bad = sent[:-2] + bytes((sent[-2] ^ 0x40,)) + b"\x7e"
    s = Jt808Stream()
    got = s.feed(bad + HEARTBEAT) + s.close()
    assert [type(m) for m in got] == [FrameChecksumError, Heartbeat]
    assert got[0].raw == bad[1:-1]  # both pieces and the 0x7E between them
    assert (s.counters.frames, s.counters.messages, s.counters.errors) == (2, 1, 1)


def test_a_piece_never_swallows_a_frame_that_checks_on_its_own():
    """The first piece announces the longest body there is; heartbeats follow, each whole: the piece is
    refused at the first of them, and each is read."""
    piece = raw("0200 03FF", PHONE_2013, "0003", FIXED_7E)[:30]
    s = Jt808Stream()
    got = s.feed(b"\x7e" + piece + b"\x7e" + HEARTBEAT * 3) + s.close()
    assert [type(m) for m in got] == [FrameChecksumError, Heartbeat, Heartbeat, Heartbeat]
    assert (s.counters.frames, s.counters.messages, s.counters.errors) == (4, 3, 1)


_PIECES = [frame("0200 001C", PHONE_2013, "0003", FIXED_7E), unescaped("0200 001C", PHONE_2013, "0004", FIXED_7E),
           unescaped("0200 001C", PHONE_2013, "0005", FIXED_7D), HEARTBEAT, b"\x7e\x02\x00\x03\xff\x01\x02\x7e",
           b"\x7e\x00\x02\x7e", b"garbage", b"\x7e"]


@settings(deadline=None)  # a loaded machine (CI beside a bench) takes longer than hypothesis's 200 ms on a cold example
@given(parts=st.lists(st.sampled_from(range(len(_PIECES))), max_size=12),
       cuts=st.lists(st.integers(min_value=1, max_value=40), max_size=20))
def test_how_the_bytes_are_cut_into_reads_changes_nothing(parts: list[int], cuts: list[int]) -> None:
    """Whole frames, frames cut by their own 0x7E, pieces and garbage, in any order: read at once, or in reads
    of any sizes, the stream gives the same messages and errors, and counts the same."""
    data = b"".join(_PIECES[i] for i in parts)

    def read(chunks: list[bytes]) -> tuple[list[tuple[str, object]], dict[str, object]]:
        s = Jt808Stream()
        got = [m for c in chunks for m in s.feed(c)] + s.close()
        return [(type(m).__name__, getattr(m, "raw", None) or getattr(getattr(m, "header", None), "serial", None))
                for m in got], s.counters.as_dict()

    chunks, at = [], 0
    for n in cuts:
        chunks.append(data[at:at + n])
        at += n
    chunks.append(data[at:])
    assert read(chunks) == read([data])
