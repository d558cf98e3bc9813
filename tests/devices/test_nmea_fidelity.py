"""NMEA decoding beside a second parser's test expectations (docs/decode-fidelity.md, last section).

The other parser's test sentences stay out of the repository: each case it raised is written here again
by hand, with our own positions (Liuzhou) and times, checksums computed by `append`. Every case runs on
every path that reads the sentence: the feeds' pynmea2 decoder, their fast RMC/GGA path, their batch path
(numpy/C pair scan, merged pairs), and `decode`'s Python and compiled paths.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from devices.checksum import append, checksum_hex
from devices.errors import MalformedSentenceError
from devices.framing import Decoder, DecodeStream
from devices.lines import LineFramer
from devices.nmea import pairs as pairs_module
from devices.nmea.decoder import NmeaDecoder
from devices.nmea.fast import fast_position
from devices.nmea.native import cnmea
from devices.nmea.pairs import _scan_pairs_numpy
from devices.nmea.state import StreamState
from devices.records import Fix, SkyReport
from devices.report_stream import ReportLines
from tests.devices.helpers import NOW, clock

LAT, LON = 24.32641, 109.42806  # 2419.58460 N, 10925.68360 E
RMC = "GPRMC,101500.00,A,2419.58460,N,10925.68360,E,3.50,45.00,261124,,,A"
GGA = "GPGGA,101500.00,2419.58460,N,10925.68360,E,1,08,0.9,88.0,M,-18.2,M,,"
PATHS = [pytest.param(False, id="python"),
         pytest.param(True, id="compiled", marks=pytest.mark.skipif(cnmea() is None, reason="_cnmea not built"))]


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def feed_each(lines: list[str], *, fast: bool) -> tuple[list[Fix | SkyReport], Decoder]:
    """The feeds' records, line by line (errors raise)."""
    d = Decoder("gps0", fast=fast, clock=clock)
    return [r for line in lines for r in d.decode_line(line)], d  # type: ignore[misc]


def feed_batch(lines: list[str], **kw: bool) -> tuple[list, list]:
    return Decoder("gps0", clock=clock).decode_batch(lines, **kw)


def decode(lines: list[str], native: bool) -> list[dict]:
    """`main.py decode`'s JSON reports of these lines."""
    r = ReportLines("gps0", None, native=native)
    text = r.feed("".join(line + "\r\n" for line in lines).encode()) + r.close()
    return [json.loads(x) for x in text.splitlines()]


def tag_block(body: str) -> str:
    """An NMEA 4 tag block (``\\s:...*hh\\``)."""
    return "\\" + body + "*" + checksum_hex(body) + "\\"


# --- a GGA without a fix quality: no fix, and not malformed ------------------------------------------------

NO_QUALITY = [
    "GNGGA,,,,,,,,,,,,,,",  # what a receiver sends before its first fix: every field empty
    "GPGGA,101500.00,2419.58460,N,10925.68360,E,,08,0.9,88.0,M,-18.2,M,,",  # a position no quality vouches for
]


@pytest.mark.parametrize("body", NO_QUALITY)
@pytest.mark.parametrize("fast", [False, True])
def test_a_gga_without_quality_is_no_fix_on_the_feeds(body: str, fast: bool) -> None:
    records, d = feed_each([append(body)], fast=fast)
    assert records == []
    assert d.counters.malformed == 0 and d.counters.sentences == 1
    assert NmeaDecoder("gps0", clock=clock).decode(append(body)) == []
    assert fast_position(append(body), "gps0", StreamState(clock, True)) is None


@pytest.mark.parametrize("body", NO_QUALITY)
def test_a_gga_without_quality_in_a_batch(body: str) -> None:
    # beside a valid RMC of the same second, and in a batch long enough for the numpy checksums and pair scan
    lines = [append(RMC), append(body)] * 15
    for merge in (False, True):
        for full in (False, True):
            records, errors = feed_batch(lines, merge=merge, full=full)
            assert errors == []
            assert [r.sentence for r in records] == ["RMC"] * 15
    peers = [0] * len(lines)
    dates = lambda _peers, keys: [1732579200 for _ in keys]  # noqa: E731 - 2024-11-26 known to the stream
    want = _scan_pairs_numpy(lines, peers, dates)
    assert want is not None and want.index == []  # no pair: the GGA claims no fix
    control = [append(RMC), append(GGA)] * 15
    assert _scan_pairs_numpy(control, peers, dates).index[:1] == [0]  # the scan does read such a batch
    if pairs_module.available():
        assert pairs_module.scan_pairs(lines, peers, dates).index == []


def test_a_gga_with_a_short_field_list_is_still_malformed() -> None:
    with pytest.raises(MalformedSentenceError):
        NmeaDecoder("gps0", clock=clock).decode(append("GPGGA,101500.00,2419.58460,N"))
    with pytest.raises(MalformedSentenceError):
        fast_position(append("GPGGA,101500.00,2419.58460,N"), "gps0", StreamState(clock, True))


@pytest.mark.parametrize("native", PATHS)
def test_decode_reports_an_empty_gga_as_gpsd_does(native: bool) -> None:
    # gpsd 3.22 (gpsfake): a TPV of mode 1; a position without quality is still a position to gpsd
    assert decode([append(NO_QUALITY[0])], native) == [{"class": "TPV", "mode": 1}]
    [tpv] = decode([append(NO_QUALITY[1])], native)
    assert (tpv["mode"], tpv["lat"], tpv["lon"], tpv["altMSL"]) == (3, pytest.approx(LAT), pytest.approx(LON), 88.0)


# --- a GSV group whose later messages leave the counts empty -----------------------------------------------

GSV_COUNTS_ONCE = [
    "GPGSV,3,1,09,2,12,74,22,5,45,185,25,7,30,301,31,9,66,40,40",
    "GPGSV,,2,,13,21,128,33,15,8,210,19,18,57,95,41,20,35,250,36",
    "GPGSV,,3,,26,4,330,",
]


@pytest.mark.parametrize("fast", [False, True])
def test_a_gsv_group_that_counts_its_messages_once(fast: bool) -> None:
    records, d = feed_each([append(b) for b in GSV_COUNTS_ONCE], fast=fast)
    [sky] = records
    assert isinstance(sky, SkyReport)
    assert [s.prn for s in sky.satellites] == [2, 5, 7, 9, 13, 15, 18, 20, 26]
    assert (sky.satellites[0].elevation, sky.satellites[0].azimuth, sky.satellites[0].snr) == (12.0, 74.0, 22.0)
    assert sky.satellites[-1].snr is None
    assert d.counters.malformed == 0
    records, errors = feed_batch([append(b) for b in GSV_COUNTS_ONCE] * 10)
    assert errors == [] and len(records) == 10


@pytest.mark.parametrize("native", PATHS)
def test_decode_reads_that_group_as_gpsd_does(native: bool) -> None:
    # gpsd 3.22 takes an empty count for 0: the second and third message each end a view
    skies = decode([append(b) for b in GSV_COUNTS_ONCE], native)
    assert [s["nSat"] for s in skies] == [8, 9]


def test_an_empty_count_outside_a_group_is_still_malformed() -> None:
    d = NmeaDecoder("gps0", clock=clock)
    with pytest.raises(MalformedSentenceError):
        d.decode(append(GSV_COUNTS_ONCE[1]))  # no group to continue
    with pytest.raises(MalformedSentenceError):
        d.decode(append("GPGSV,,1,,2,12,74,22"))  # a first message must count the group
    d.decode(append(GSV_COUNTS_ONCE[0]))
    assert d.decode(append("GPGSV,,3,,26,4,330,")) == []  # message 2 went missing: the group is dropped


# --- an NMEA 4 tag block in front of a sentence ------------------------------------------------------------

def test_the_framer_reads_the_sentence_behind_a_tag_block() -> None:
    rmc, ais = append(RMC), "!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*23"
    tb = tag_block("s:gps1,c:1732616100")
    f = LineFramer()
    data = f"{tb}{rmc}\r\n{tb}{ais}\r\n{rmc}\r\n".encode()
    assert f.feed(data) == [rmc, tb + ais, rmc]  # an AIS line keeps its block: the AIS decoder reads it
    for cut in range(1, len(data)):
        g = LineFramer()
        assert g.feed(data[:cut]) + g.feed(data[cut:]) == [rmc, tb + ais, rmc]
    assert LineFramer().feed(b"\\s:x*00\\$$GPHDT,1.0,T*00\n") == ["$GPHDT,1.0,T*00"]
    assert LineFramer().feed(b"\\g:1-2-3*00\\\n") == ["\\g:1-2-3*00\\"]  # a block alone is left as it is


def test_a_feed_decodes_positions_behind_tag_blocks() -> None:
    s = DecodeStream("gps0", errors="raise", clock=clock)
    tb = tag_block("s:gps1,c:1732616100")
    [fix] = s.feed(f"{tb}{append(RMC)}\r\n".encode())
    assert isinstance(fix, Fix)
    assert (fix.time, round(fix.lat, 6), round(fix.lon, 6)) == (ts("2024-11-26T10:15:00"), LAT, LON)
    assert fix.time < NOW


@pytest.mark.parametrize("native", PATHS)
def test_decode_reads_sentences_behind_tag_blocks(native: bool) -> None:
    tb = tag_block("s:gps1,c:1732616100")
    plain = decode([append(RMC), append(GGA)], native)
    assert decode([tb + append(RMC), tb + append(GGA)], native) == plain
    assert plain[0]["mode"] == 3 and plain[0]["time"] == "2024-11-26T10:15:00.000Z"


# --- course and speed alone are not a report (gpsd prints no TPV for them) ----------------------------------

VTG = "GPVTG,45.00,T,,M,3.50,N,6.48,K,A"


@pytest.mark.parametrize("native", PATHS)
def test_vtg_alone_is_not_reported(native: bool) -> None:
    assert decode([append(VTG)] * 3, native) == []
    assert decode([append(VTG), append("GPHDT,44.10,T"), append(VTG)], native) == [
        {"class": "ATT", "heading": 44.1}]


@pytest.mark.parametrize("native", PATHS)
def test_a_vtg_before_the_first_fix_adds_no_empty_report(native: bool) -> None:
    # a receiver's first cycle opening with VTG (gpsd's gp-320fw and venus634lp logs): gpsd's first TPV is the GGA's
    second = GGA.replace("101500.00", "101501.00")
    tpvs = decode([append(VTG), append(GGA), append(VTG), append(second)], native)
    assert [t["mode"] for t in tpvs] == [3, 3]
    assert "time" not in tpvs[0]  # no date yet (no RMC)


@pytest.mark.parametrize("native", PATHS)
def test_vtg_still_gives_course_and_speed_to_a_fix(native: bool) -> None:
    rmc_without_course = "GPRMC,101500.00,A,2419.58460,N,10925.68360,E,,,261124,,,A"
    [tpv] = decode([append(rmc_without_course), append(VTG)], native)
    assert (tpv["track"], tpv["speed"]) == (45.0, pytest.approx(3.5 * 1852 / 3600, abs=5e-4))


# --- checked and left as they are ---------------------------------------------------------------------------

@pytest.mark.parametrize("native", PATHS)
def test_magellan_status_mode_is_read_from_its_second_field(native: bool) -> None:
    # gpsd 3.22 (and later) reads the fix flag and mode one field too far: a 3D 'T' status comes out mode 1.
    # The layout gpsd's own comment gives (version, mode, T/F, ...) is read here.
    assert decode([append("PMGNST,01.80,3,T,902,08.2,-00120,05")], native) == [{"class": "TPV", "mode": 3}]
    assert decode([append("PMGNST,01.80,3,F,902,08.2,-00120,05")], native) == [{"class": "TPV", "mode": 1}]


def test_zda_time_is_utc_whatever_its_local_zone() -> None:
    [report] = NmeaDecoder("gps0", clock=clock).decode(append("GPZDA,101512.25,26,11,2024,-08,30"))
    assert report.time == ts("2024-11-26T10:15:12.250")


# --- GNS on the feeds: a multi-constellation receiver's fix in GGA's place ---------------------------------

GNS = "GNGNS,101500.00,2419.58460,N,10925.68360,E,AAN,14,0.8,88.0,-18.2,,,S"


@pytest.mark.parametrize("fast", [False, True])
def test_a_gns_gives_the_feeds_a_fix_with_satellites_hdop_and_altitude(fast: bool) -> None:
    records, d = feed_each([append(RMC), append(GNS)], fast=fast)
    gns = [r for r in records if isinstance(r, Fix) and r.sentence == "GNS"]
    assert len(gns) == 1 and d.counters.malformed == 0
    f = gns[0]
    assert (f.lat, f.lon, f.alt, f.sats, f.hdop, f.quality, f.mode, f.talker) == (
        LAT, LON, 88.0, 14, 0.8, 1, 3, "GN")
    assert f.time == ts("2024-11-26T10:15:00")  # the date from the RMC before it
    fixes, _errors = feed_batch([append(RMC), append(GNS)])
    assert [r.sentence for r in fixes if isinstance(r, Fix) and r.sentence == "GNS"] == ["GNS"]


@pytest.mark.parametrize("body, quality", [
    ("GNGNS,101500.00,2419.58460,N,10925.68360,E,DA,14,0.8,88.0,-18.2,2.0,0101,S", 2),  # differential
    ("GNGNS,101500.00,2419.58460,N,10925.68360,E,RR,14,0.8,88.0,-18.2,1.0,0101", 4),  # RTK, NMEA 2.3-4.0: no status
])
def test_a_gns_mode_letter_is_its_fix_quality(body: str, quality: int) -> None:
    [f] = NmeaDecoder("gps0", clock=clock).decode(append(body))
    assert isinstance(f, Fix) and f.quality == quality


@pytest.mark.parametrize("body", [
    "GNGNS,101500.00,,,,,NN,00,,,,,,V",  # no fix yet: N for every constellation
    "GNGNS,101500.00,2419.58460,N,10925.68360,E,AA,14,0.8,88.0,-18.2,,,V",  # navigational status: not valid
    "GNGNS,101500.00,2419.58460,N,10925.68360,E,AA,14,0.8,88.0,-18.2,,,U",  # unsafe
    "GNGNS,,,,,,,,,,,,",  # all empty
])
def test_a_gns_without_a_fix_gives_none(body: str) -> None:
    d = NmeaDecoder("gps0", clock=clock)
    assert d.decode(append(body)) == [] and d.counters.malformed == 0


def test_a_gns_with_an_unknown_mode_letter_is_malformed() -> None:
    with pytest.raises(MalformedSentenceError):
        NmeaDecoder("gps0", clock=clock).decode(append("GNGNS,101500.00,2419.58460,N,10925.68360,E,Q,14,0.8,88.0,,,"))
