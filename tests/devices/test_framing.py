"""LineFramer and the Decoder/DecodeStream facade."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import ChecksumError, DeviceError, LineTooLongError, UnknownSentenceError
from devices.framing import Decoder, DecodeStream
from devices.lines import LineFramer
from devices.records import AisReport, Fix, HeadingReport, Record, SkyReport
from tests.devices.helpers import DATA, check_sanity, clock, lines

ALL_LOGS = ["ublox_gn.nmea", "beidou_bd_gb.nmea", "garmin_gp.nmea", "ais_liujiang.nmea"]


def test_crlf_lf_cr_and_split_chunks():
    f = LineFramer()
    assert f.feed(b"$GPHDT,1*00\r\n$GPH") == ["$GPHDT,1*00"]
    assert f.pending == 4
    assert f.feed(b"DT,2*00\r") == ["$GPHDT,2*00"]
    assert f.feed(b"\n$GPHDT,3*00\n\n\r\n$GPHDT,4*00\r$GPHDT,5") == ["$GPHDT,3*00", "$GPHDT,4*00"]
    assert f.flush() == ["$GPHDT,5"]
    assert f.flush() == []


def test_byte_by_byte_equals_whole():
    data = (DATA / "ublox_gn.nmea").read_bytes()
    f = LineFramer()
    one = [line for i in range(len(data)) for line in f.feed(data[i : i + 1])]
    assert one == lines("ublox_gn.nmea")


def test_overlong_lines_are_dropped_without_buffering():
    f = LineFramer(max_line=100)
    assert f.feed(b"$GPHDT,1*00\n" + b"A" * 50) == ["$GPHDT,1*00"]
    for _ in range(1000):  # 10 MB in 10 kB chunks, no line ending
        assert f.feed(b"B" * 10_000) == []
        assert f.pending <= 100
    assert f.feed(b"C\r\n$GPHDT,2*00\n") == ["$GPHDT,2*00"]
    assert f.too_long == 1
    assert f.feed(b"X" * 150 + b"\n$GPHDT,3*00\n") == ["$GPHDT,3*00"]
    assert f.too_long == 2


def test_garbage_is_skipped_and_sentences_salvaged():
    f = LineFramer()
    out = f.feed(b"\x00\xff\xfe\x13garbage\r\n\xb5b\x01\x07$GPHDT,274.07,T*03\r\nhello\r\n\xe4\xb8\xad$GPHDT,1*00\n")
    assert out == ["$GPHDT,274.07,T*03", "$GPHDT,1*00"]
    assert f.garbage == 2
    assert f.feed(b"$GP\xffHDT*00\n") == ["$GP\ufffdHDT*00"]


def decode_file(name: str, errors: str = "ignore") -> tuple[DecodeStream, list]:
    s = DecodeStream(name, errors=errors, clock=clock)  # type: ignore[arg-type]
    return s, list(s.read(io.BytesIO((DATA / name).read_bytes()), chunk_size=37))


@pytest.mark.parametrize("fast", [True, False])
def test_stream_over_the_logs(fast):
    s = DecodeStream("mixed", errors="ignore", clock=clock, fast=fast)
    out: list[Record] = []
    for name in ALL_LOGS:
        out.extend(s.feed((DATA / name).read_bytes()))  # type: ignore[arg-type]
    out.extend(s.close())  # type: ignore[arg-type]
    fixes = [r for r in out if isinstance(r, Fix)]
    for fix in fixes:
        check_sanity(fix)
    assert len(fixes) == 18 + 12 + 12
    assert sum(isinstance(r, AisReport) for r in out) == 10
    assert any(isinstance(r, SkyReport) and r.satellites for r in out)
    c = s.counters
    assert c.checksum_errors == 1 and c.unknown == 2 + 1 + 20 and c.malformed == 0
    assert c.ais_incomplete == 0  # the lost fragment is still within its timeout


def test_fast_and_slow_paths_give_the_same_records():
    _, fast = decode_file("ublox_gn.nmea")
    s = DecodeStream("ublox_gn.nmea", errors="ignore", clock=clock, fast=False)
    slow = list(s.read(io.BytesIO((DATA / "ublox_gn.nmea").read_bytes())))
    assert fast == slow


def test_error_modes():
    bad = "$GPHDT,274.07,T*04"
    with pytest.raises(ChecksumError):
        Decoder("x", errors="raise").decode_line(bad)
    [err] = Decoder("x", errors="yield").decode_line(bad)
    assert isinstance(err, ChecksumError) and err.raw == bad
    d = Decoder("x", errors="ignore")
    assert d.decode_line(bad) == []
    assert d.decode_line("$GPTXT,01,01,02,ANTENNA OK*{:02X}".format(_xor("GPTXT,01,01,02,ANTENNA OK"))) == []
    assert d.decode_line("garbage") == []
    assert d.decode_line("{nope") == []
    assert d.decode_line("$GPHDT,274.07,T*03") == [HeadingReport("x", 274.07, None, "GP")]
    c = d.counters
    assert (c.checksum_errors, c.unknown, c.malformed, c.sentences) == (1, 1, 2, 1)
    with pytest.raises(ValueError):
        Decoder("x", errors="loud")  # type: ignore[arg-type]


def test_too_long_error_modes():
    s = DecodeStream("x", errors="yield", max_line=64)
    out = s.feed(b"$" + b"A" * 100 + b"\n$GPHDT,274.07,T*03\n")
    assert isinstance(out[-1], LineTooLongError) and isinstance(out[0], HeadingReport)
    with pytest.raises(LineTooLongError):
        DecodeStream("x", errors="raise", max_line=64).feed(b"$" + b"A" * 100 + b"\n")
    s = DecodeStream("x", errors="ignore", max_line=64)
    assert s.feed(b"$" + b"A" * 100 + b"\n") == []
    assert s.counters.too_long == 1


def test_dispatch_by_first_character():
    d = Decoder("x", errors="raise", clock=clock)
    assert isinstance(d.decode_line("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C")[0], AisReport)
    assert d.decode_line('{"class":"VERSION","release":"3.25"}') == []
    with pytest.raises(UnknownSentenceError):
        d.decode_line("$PGRMZ,300,f,3*18".replace("*18", "*" + "{:02X}".format(_xor("PGRMZ,300,f,3"))))
    assert d.counters.by_kind == {"ais": 1, "gpsd": 1, "nmea": 1}


def _xor(body: str) -> int:
    x = 0
    for c in body.encode():
        x ^= c
    return x


# -- robustness: nothing but DeviceError, and with 'ignore'/'yield' nothing at all -----

corpus = [line.encode() for name in ALL_LOGS for line in lines(name)]


@st.composite
def mutated(draw) -> bytes:
    line = bytearray(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        if not line:
            break
        i = draw(st.integers(0, len(line) - 1))
        if op == "cut":
            line = line[:i]
        elif op == "flip":
            line[i] = draw(st.integers(0, 255))
        elif op == "insert":
            line[i:i] = draw(st.binary(max_size=4))
        else:
            del line[i]
    return bytes(line) + draw(st.sampled_from([b"\r\n", b"\n", b"\r", b""]))


@settings(max_examples=150, deadline=None)
@given(st.lists(mutated() | st.binary(max_size=200), max_size=25), st.sampled_from(["ignore", "yield"]),
       st.integers(1, 64))
def test_random_bytes_and_mutations_never_raise(chunks, errors, size):
    s = DecodeStream("fuzz", errors=errors, max_line=128, clock=clock)
    data = b"".join(chunks)
    out = []
    for i in range(0, len(data), size):
        out.extend(s.feed(data[i : i + size]))
    out.extend(s.close())
    for item in out:
        assert isinstance(item, (Fix, SkyReport, AisReport, HeadingReport, DeviceError)) or hasattr(item, "time")
        if isinstance(item, Fix):
            assert -90 <= item.lat <= 90 and -180 <= item.lon <= 180
    if errors == "ignore":
        assert not any(isinstance(item, DeviceError) for item in out)


@settings(max_examples=100, deadline=None)
@given(st.lists(mutated(), max_size=20))
def test_raise_mode_raises_only_device_errors(chunks):
    d = Decoder("fuzz", errors="raise", clock=clock)
    f = LineFramer(max_line=128)
    for line in f.feed(b"".join(chunks)) + f.flush():
        try:
            d.decode_line(line)
        except DeviceError:
            pass
