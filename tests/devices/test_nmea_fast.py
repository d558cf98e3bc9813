"""The fast RMC/GGA path agrees with the pynmea2 decoder, field for field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.checksum import append
from devices.errors import ChecksumError, MalformedSentenceError
from devices.nmea.decoder import NmeaDecoder
from devices.nmea.fast import fast_position, handles
from devices.nmea.state import StreamState
from tests.devices.helpers import clock, lines

talkers = st.sampled_from(["GP", "GN", "GL", "GA", "BD", "GB", "QZ", "GQ"]) | st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2).filter(lambda t: t[0] != "P")  # P: proprietary


@st.composite
def hhmmss(draw) -> str:
    h, m, s = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    decimals = draw(st.sampled_from([0, 1, 2, 3]))
    frac = draw(st.integers(0, 10**decimals - 1)) if decimals else 0
    return f"{h:02d}{m:02d}{s:02d}" + (f".{frac:0{decimals}d}" if decimals else "")


@st.composite
def coordinate(draw, width: int, limit: int) -> str:
    deg = draw(st.integers(0, limit - 1))
    decimals = draw(st.integers(1, 6))
    minutes = draw(st.integers(0, 60 * 10**decimals - 1))
    whole, frac = divmod(minutes, 10**decimals)
    return f"{deg:0{width}d}{whole:02d}.{frac:0{decimals}d}"


def number(max_value: float, decimals: int = 3) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), st.floats(0, max_value, allow_nan=False).map(lambda v: f"{v:.{decimals}f}"))


@st.composite
def rmc(draw) -> str:
    date = f"{draw(st.integers(1, 28)):02d}{draw(st.integers(1, 12)):02d}{draw(st.integers(0, 99)):02d}"
    fields = [
        draw(hhmmss()), draw(st.sampled_from("AAAV")),
        draw(coordinate(2, 90)), draw(st.sampled_from("NS")), draw(coordinate(3, 180)), draw(st.sampled_from("EW")),
        draw(number(150)), draw(number(359.99, 2)), draw(st.sampled_from([date, date, ""])), "", "",
    ]
    fields += draw(st.sampled_from([[], ["A"], ["D", "V"]]))
    return append(f"{draw(talkers)}RMC," + ",".join(fields))


@st.composite
def gga(draw) -> str:
    fields = [
        draw(hhmmss()), draw(coordinate(2, 90)), draw(st.sampled_from("NS")), draw(coordinate(3, 180)),
        draw(st.sampled_from("EW")), draw(st.sampled_from("0124568")),
        draw(st.sampled_from(["", "04", "12", "7", "35"])), draw(number(99.9, 2)),
        draw(st.one_of(st.just(""), st.floats(-400, 9000, allow_nan=False).map(lambda v: f"{v:.1f}"))),
        "M", "-18.2", "M", "", "",
    ]
    return append(f"{draw(talkers)}GGA," + ",".join(fields))


def both(sentences: list[str]) -> tuple[list, list]:
    slow = NmeaDecoder("prop", clock=clock)
    state = StreamState(clock=clock)
    a, b = [], []
    for line in sentences:
        a.extend(slow.decode(line))
        fix = fast_position(line, "prop", state)
        b.extend([fix] if fix is not None else [])
    return a, b


@settings(max_examples=150, deadline=None)
@given(st.lists(rmc() | gga(), min_size=1, max_size=6))
def test_fast_path_equals_pynmea2_path(sentences):
    slow, fast = both(sentences)
    assert fast == slow  # dataclass equality: every field, exactly


@pytest.mark.parametrize("name", ["ublox_gn.nmea", "beidou_bd_gb.nmea", "garmin_gp.nmea"])
def test_fast_path_equals_pynmea2_on_captured_logs(name):
    positions = [line for line in lines(name) if handles(line)]
    assert positions
    slow, fast = both(positions)
    assert fast == slow and fast


def test_other_sentences_return_none():
    state = StreamState(clock=clock)
    for line in lines("ublox_gn.nmea"):
        if not handles(line):
            assert fast_position(line, "x", state) is None
    assert fast_position("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C", "x", state) is None
    assert fast_position("", "x", state) is None
    assert fast_position(append("PAGGA,000000,0000.0,N,00000.0,E,1,,,,M,,M,,"), "x", state) is None


def test_errors():
    state = StreamState(clock=clock)
    good = append("GPGGA,031540.00,2419.58460,N,10925.68360,E,1,05,1.5,12.0,M,,M,,")
    assert fast_position(good + "\r\n", "x", state) is not None
    with pytest.raises(ChecksumError):
        fast_position(good[:-1] + ("0" if good[-1] != "0" else "1"), "x", state)
    with pytest.raises(ChecksumError):
        fast_position(good[:-3], "x", state)
    assert fast_position(good[:-3], "x", StreamState(clock=clock, require_checksum=False)) is not None
    with pytest.raises(MalformedSentenceError):
        fast_position(append("GPGGA,031540.00,2419.58460,N,10925.68360,E,1,05,1.5"[:-12]), "x", state)
    with pytest.raises(MalformedSentenceError):
        fast_position(append("GPRMC,031540.00,A,2419.5x460,N,10925.68360,E,,,261124"), "x", state)
