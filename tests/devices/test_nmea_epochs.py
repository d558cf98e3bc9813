"""EpochAssembler: NMEA cycles merged and reported the way gpsd 3.22 reports them.

Every sentence here is written by hand (checksums computed with `append`); the expected
reports are what gpsd 3.22 printed for the same lines (gpsfake), down to its quirks.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from devices.checksum import append
from devices.errors import ChecksumError, MalformedSentenceError, UnknownSentenceError
from devices.gpsd_json import report_line
from devices.nmea.cycle import EpochAssembler
from devices.nmea.geodesy import geodesic_distance
from devices.nmea.geoid import geoid_separation
from devices.nmea.sky import nmea_prn
from devices.records import HeadingReport, SkyView, TpvReport


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def feed_all(a: EpochAssembler, bodies: list[str]) -> list[list]:
    """The reports after each line (bodies get a checksum unless they start with '=')."""
    return [a.feed(b[1:] if b.startswith("=") else append(b)) for b in bodies]


def tpvs(reports) -> list[TpvReport]:
    flat = reports if reports and not isinstance(reports[0], list) else [r for rs in reports for r in rs]
    return [r for r in flat if isinstance(r, TpvReport)]


EPOCH = [
    "GPGGA,120000.00,2419.58460,N,10925.68360,E,1,08,1.0,87.9,M,-18.2,M,,",
    "GPGSA,A,3,02,05,07,09,,,,,,,,,2.0,1.0,1.7",
    "GPRMC,120000.00,A,2419.58460,N,10925.68360,E,4.187,16.52,261124,,,A",
    "GPVTG,16.52,T,,M,4.187,N,7.754,K,A",
]


def epoch(second: int) -> list[str]:
    return [line.replace("120000.00", f"1200{second:02d}.00") for line in EPOCH]


def test_one_tpv_per_cycle_with_every_sentence_merged():
    a = EpochAssembler("gps0")
    after = feed_all(a, epoch(0) + epoch(1) + epoch(2))
    out = tpvs(after) + tpvs(a.flush())
    assert [t.time for t in out] == [ts("2024-11-26T12:00:00"), ts("2024-11-26T12:00:01"), ts("2024-11-26T12:00:02")]
    t = out[0]
    assert (t.mode, t.lat, t.lon) == (3, pytest.approx(24.32641), pytest.approx(109.42806))
    assert (t.alt_msl, t.geoid_sep, t.alt_hae) == (87.9, -18.2, pytest.approx(69.7))
    assert t.speed == pytest.approx(4.187 * 1852 / 3600) and t.track == 16.52 and t.status == 1
    # the first cycle is reported when the second starts; by then RMC is known to end a cycle
    # (the last timestamped sentence before the time changed), so the next ones print at RMC
    assert [len(tpvs(r)) for r in after] == [0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0]


def test_no_time_until_a_date_is_known():
    a = EpochAssembler("gps0")
    lines = [EPOCH[0], EPOCH[0].replace("120000.00", "120001.00"), EPOCH[2].replace("120000.00", "120001.00")]
    out = tpvs(feed_all(a, lines)) + tpvs(a.flush())
    # a GGA carries a time of day only: until RMC (or ZDA) gives the date, gpsd prints no time;
    # the second cycle is reported at its GGA (known by then to end a cycle), before the RMC
    assert [t.time for t in out] == [None, None]
    assert out[0].mode == 3 and out[0].lat == pytest.approx(24.32641)
    later = a.feed(append(lines[0].replace("120000.00", "120002.00"))) + a.flush()
    assert [t.time for t in tpvs(later)] == [ts("2024-11-26T12:00:02")]


def test_sub_second_times_and_midnight():
    a = EpochAssembler("gps0")
    lines = ["GPRMC,235959.50,A,2419.58470,N,10925.68370,E,1.5,90.0,311224,,,A",
             "GPGGA,000000.25,2419.58480,N,10925.68380,E,1,08,1.0,87.9,M,-18.2,M,,",
             "GPGGA,000001.125,2419.58490,N,10925.68390,E,1,08,1.0,87.9,M,-18.2,M,,"]
    out = tpvs(feed_all(a, lines)) + tpvs(a.flush())
    assert [t.time for t in out] == [ts("2024-12-31T23:59:59.5"), ts("2025-01-01T00:00:00.25"),
                                     ts("2025-01-01T00:00:01.125")]


@pytest.mark.parametrize(("ddmmyy", "rollover", "expected"), [
    ("150325", True, "2025-03-15T12:00:00"),
    ("311299", False, "1999-12-31T12:00:00"),  # two-digit years 80-99 are 19xx
    ("010179", False, "2079-01-01T12:00:00"),  # and 00-79 20xx
    ("311299", True, "2019-08-16T12:00:00"),  # gpsd: before 2017 is a GPS week rollover, +1024 weeks
    ("311214", True, "2034-08-16T12:00:00"),
    ("010117", True, "2017-01-01T12:00:00"),
    ("311214", False, "2014-12-31T12:00:00"),  # the default: a 2014 log keeps its dates
])
def test_two_digit_years_and_gps_week_rollover(ddmmyy, rollover, expected):
    assert not EpochAssembler("gps0").rollover
    a = EpochAssembler("gps0", rollover=rollover)
    a.feed(append(f"GPRMC,120000,A,2419.58460,N,10925.68360,E,1.0,90.0,{ddmmyy},,"))
    assert tpvs(a.flush())[0].time == ts(expected)


def test_modes_from_gga_rmc_and_gsa():
    a = EpochAssembler("gps0")
    lines = [
        # no fix: void RMC, GGA quality 0 -> mode 1
        "GNRMC,101000.00,V,,,,,,,150325,,,N", "GNGGA,101000.00,,,,,0,00,99.99,,,,,,",
        "GNGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99",
        # a position from 3 satellites: 2D even with an altitude
        "GNRMC,101002.00,A,2419.58460,N,10925.68360,E,0.5,45.0,150325,,,A",
        "GNGGA,101002.00,2419.58460,N,10925.68360,E,1,03,2.5,87.9,M,-18.2,M,,",
        "GNGSA,A,2,02,05,07,,,,,,,,,,3.0,2.5,1.7",
        # DGPS without altitude after a 2D cycle: GSA says 3D
        "GNRMC,101003.00,A,2419.58470,N,10925.68370,E,0.5,45.0,150325,,,A",
        "GNGGA,101003.00,2419.58470,N,10925.68370,E,2,06,1.5,,M,,M,,",
        "GNGSA,A,3,02,05,07,09,11,13,,,,,,,2.0,1.5,1.3",
        "GNRMC,101004.00,V,,,,,,,150325,,,N", "GNGGA,101004.00,,,,,0,00,99.99,,,,,,",
    ]
    out = tpvs(feed_all(a, lines)) + tpvs(a.flush())
    # RMC V gives no date: the no-fix start is time-less (the lone RMC before the first time, then its cycle)
    assert [(t.mode, t.status, t.time, t.lat) for t in out[:2]] == [(1, 0, None, None)] * 2
    assert [(t.mode, t.status) for t in out[2:]] == [(2, 1), (3, 2), (1, 0)]
    assert out[2].time == ts("2025-03-15T10:10:02") and out[2].alt_msl == 87.9
    assert out[3].alt_msl is None and out[4].time == ts("2025-03-15T10:10:04")


def test_repeated_gga_time_is_a_lost_fix_but_two_talkers_are_not():
    a = EpochAssembler("gps0")
    gga = "GPGGA,090000.00,2419.58460,N,10925.68360,E,1,06,0.9,87.9,M,-18.2,M,,"
    a.feed(append("GPZDA,090000.00,15,03,2025,00,00"))
    a.feed(append(gga))
    a.feed(append(gga.replace("GPGGA", "GLGGA")))  # SiRFstarV: one GGA per constellation
    assert a.rx.status == 1
    a.feed(append(gga.replace("GPGGA", "GLGGA")))  # the same talker, the same time: Trimble's lost lock
    assert a.rx.status == 0


def test_gll_only_cycles_derive_speed_and_keep_3d():
    a = EpochAssembler("gps0")
    lines = ["GPRMC,090000.00,A,2419.58460,N,10925.68360,E,1.0,45.0,150325,,,A",
             "GPGGA,090000.00,2419.58460,N,10925.68360,E,1,06,0.9,87.9,M,-18.2,M,,",
             "GPGLL,2419.58560,N,10925.68360,E,090001.00,A,A",
             "GPGLL,2419.58660,N,10925.68460,E,090002.00,A,A",
             "GPGLL,2419.58660,N,10925.68460,E,090003.00,V,N"]
    out = tpvs(feed_all(a, lines)) + tpvs(a.flush())
    # gpsd: GLL keeps the 3D fix of the cycles before; a speed from the positions, no track
    assert [t.mode for t in out] == [3, 3, 3, 1]
    assert out[1].speed == pytest.approx(1.846, abs=1e-3) and out[1].track is None and out[1].alt_msl is None
    assert out[2].speed == pytest.approx(2.504, abs=1e-3) and out[3].lat is None


def test_zda_leading_a_cycle_belongs_to_it():
    a = EpochAssembler("gps0")
    lines = ["GPZDA,090000.00,15,03,2025,00,00",
             "GPGNS,090000.00,2419.58460,N,10925.68360,E,AA,10,0.9,87.9,-18.2,,,V",
             "GPGGA,090000.00,2419.58460,N,10925.68360,E,1,06,0.9,87.9,M,-18.2,M,,",
             "GPZDA,090001.00,15,03,2025,00,00",
             "GPGGA,090001.00,2419.58560,N,10925.68360,E,1,06,0.9,88.0,M,-18.2,M,,"]
    out = tpvs(feed_all(a, lines)) + tpvs(a.flush())
    assert [(t.time, t.alt_msl) for t in out] == [(ts("2025-03-15T09:00:00"), 87.9), (ts("2025-03-15T09:00:01"), 88.0)]


def test_sky_of_every_constellation_numbered_as_gpsd():
    a = EpochAssembler("gps0")
    lines = [
        "GNRMC,080000.00,A,2419.58460,N,10925.68360,E,0.5,45.0,150325,,,A,V",
        "GNGSA,A,3,02,05,07,09,,,,,,,,,1.3,0.8,1.0,1",
        "GNGSA,A,3,65,72,,,,,,,,,,,1.3,0.8,1.0,2",
        "GPGSV,2,1,05,02,24,074,22,05,45,185,33,07,59,259,,09,73,333,39,1",
        "GPGSV,2,2,05,30,18,210,26,1",
        "GPGSV,1,1,02,02,24,074,20,05,45,185,30,8",  # NMEA 4.10 signal id 8: starts the view again
        "GLGSV,1,1,03,65,35,040,29,72,52,130,34,02,20,200,25,1",
        "GAGSV,1,1,02,11,40,100,30,12,30,200,28,7",
        "GBGSV,1,1,03,06,48,195,36,09,33,210,31,203,22,075,28,1",
        "QZGSV,1,1,01,02,60,120,40",
        # once other constellations were seen, a GPS group does not end the view by itself
        "GPGSV,1,1,02,02,24,074,22,05,45,185,33",
        "GLGSV,1,1,01,65,00,000,29,1",
        "GPGSV,1,1,02,02,00,000,22,05,00,000,33",  # every azimuth 0: no real data (SiRF)
    ]
    skies = [r for rs in feed_all(a, lines) for r in rs if isinstance(r, SkyView)]
    assert [len(s.satellites) for s in skies] == [5, 2, 5, 7, 10, 11, 3]
    first = skies[0]
    assert (first.hdop, first.vdop, first.pdop) == (0.8, 1.0, 1.3)
    # used: listed by GSA and heard (PRN 7 has no SNR)
    assert [(s.prn, s.used) for s in first.satellites] == [(2, True), (5, True), (7, False), (9, True), (30, False)]
    view = {s.prn: s for s in skies[5].satellites}
    assert sorted(view) == [2, 5, 65, 66, 72, 194, 311, 312, 403, 406, 409]
    assert (view[66].gnssid, view[66].svid, view[66].used) == (6, 2, False)  # GL id 02 -> 66
    assert (view[403].gnssid, view[403].svid) == (3, 3)  # BeiDou 203 -> 403
    assert (view[311].gnssid, view[194].gnssid) == (2, 5)
    assert [s.prn for s in skies[6].satellites] == [2, 5, 65]


def test_gsv_without_checksum_is_one_field_short():
    a = EpochAssembler("gps0")
    # gpsd drops the last field of a sentence that has no checksum: a GSV's count goes wrong
    assert a.feed("$GPGSV,1,1,02,02,24,074,22,05,45,185,33") == []
    assert [type(r) for r in a.feed(append("GPGSV,1,1,02,02,24,074,22,05,45,185,33"))] == [SkyView]


def test_checksums_as_gpsd_checks_them():
    a = EpochAssembler("gps0")
    body = "GPRMC,120000,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"
    good = append(body)
    a.feed("$" + body)  # none: accepted
    a.feed(good.replace("120000", "120001")[:-2] + "6b")  # not upper-case hex: gpsd does not check it
    with pytest.raises(ChecksumError):
        a.feed(good[:-2] + ("00" if good[-2:] != "00" else "11"))
    with pytest.raises(ChecksumError):
        a.feed(good[:-1])  # one digit
    assert a.counters.checksum_errors == 2 and a.counters.sentences == 2


def test_bad_sentences_are_counted_and_skipped():
    a = EpochAssembler("gps0")
    with pytest.raises(UnknownSentenceError):
        a.feed(append("GQGSV,1,1,01,02,60,120,40"))  # a talker gpsd's reader drops
    with pytest.raises(UnknownSentenceError):
        a.feed(append("PSRF151,3,1833,28692,0x7EFFFFFF"))
    with pytest.raises(MalformedSentenceError):
        a.feed(append("GPRMC,120000,A,24x9.58460,N,10925.68360,E,1.0,90.0,150325,,"))  # a latitude that is no number
    with pytest.raises(MalformedSentenceError):
        a.feed(append("GPGSA,A,1,,,,*"))  # i.Trek: too few fields
    c = a.counters
    assert (c.unknown, c.malformed, c.sentences) == (2, 2, 0) and a.flush() == []


def test_stream_without_any_time_gives_one_tpv_per_cycle():
    a = EpochAssembler("gps0")
    cycle = ["GPRMC,,V,,,,,,,260810,1.0,E,N", "GPGGA,,,,,,0,00,,,M,,M,,", "GPGSA,A,1,,,,,,,,,,,,,,,",
             "GPGLL,,,,,,V,N", "GPBOD,,T,,M,,"]
    out = tpvs(feed_all(a, cycle * 3)) + tpvs(a.flush())
    assert [(t.mode, t.time) for t in out] == [(1, None)] * 3


def test_heading_and_gpsd_json_text():
    a = EpochAssembler("gps0")
    (att,) = a.feed(append("HCHDT,274.07,T"))
    assert isinstance(att, HeadingReport) and att.heading == 274.07
    assert report_line(att, "/dev/ttyUSB0") == '{"class":"ATT","device":"/dev/ttyUSB0","heading":274.070}'
    with pytest.raises(UnknownSentenceError):
        a.feed(append("HEHDT,274.07,T"))  # gpsd's reader drops this talker
    for line in epoch(0):
        a.feed(append(line))
    (t,) = tpvs(a.flush())
    assert report_line(t, "/dev/ttyUSB0") == (
        '{"class":"TPV","device":"/dev/ttyUSB0","mode":3,"time":"2024-11-26T12:00:00.000Z","lat":24.326410000,'
        '"lon":109.428060000,"altHAE":69.7000,"altMSL":87.9000,"alt":87.9000,"track":16.5200,"speed":2.154,'
        '"geoidSep":-18.200}')


def test_nmea_prn_ranges():
    assert nmea_prn("GP", 5) == (5, 0, 5) and nmea_prn("GP", 51) == (51, 1, 138)
    assert nmea_prn("GL", 3) == (67, 6, 3) and nmea_prn("GN", 70) == (70, 6, 6)
    assert nmea_prn("GA", 4) == (304, 2, 4) and nmea_prn("GB", 4) == (404, 3, 4) and nmea_prn("BD", 214) == (414, 3, 14)
    assert nmea_prn("QZ", 1) == (193, 5, 1) and nmea_prn("GP", 100) == (0, 0, 0)


def test_geodesic_distance():
    assert geodesic_distance(24.3, 109.4, 24.3, 109.4) == 0.0
    # one degree of latitude at the equator and a known long line (Vincenty's own example, Flinders Peak)
    assert geodesic_distance(0.0, 0.0, 1.0, 0.0) == pytest.approx(110574.389, abs=0.01)
    d = geodesic_distance(-(37 + 57 / 60 + 3.72030 / 3600), 144 + 25 / 60 + 29.52440 / 3600,
                          -(37 + 39 / 60 + 10.15610 / 3600), 143 + 55 / 60 + 35.38390 / 3600)
    assert d == pytest.approx(54972.271, abs=0.001)
    assert math.isfinite(geodesic_distance(0.0, 0.0, 0.5, 179.7))  # nearly antipodal


def test_geoid_model_where_the_receiver_gives_no_separation():
    # gpsd's own separations (gpsd 3.22 printed these for GGAs with an empty separation field)
    assert round(geoid_separation(24.3264, 109.42806), 3) == -21.412
    assert round(geoid_separation(53.22038, 6.573713333), 3) == 43.053
    assert round(geoid_separation(-45.457633333, 167.15275), 3) == 0.827
    assert geoid_separation(0.0, -180.0) == geoid_separation(0.0, 180.0) == 21.28
    assert round(geoid_separation(90.0, 10.0), 2) == round(geoid_separation(89.999, 10.0), 2)
    a = EpochAssembler("gps0")
    a.feed(append("GPRMC,120000,A,2419.58460,N,10925.68360,E,1.0,90.0,150325,,"))
    a.feed(append("GPGGA,120000,2419.58460,N,10925.68360,E,1,08,1.0,100.0,M,,M,,"))
    (t,) = tpvs(a.flush())
    assert round(t.geoid_sep, 3) == -21.412 and round(t.alt_hae, 3) == 78.588 and t.alt_msl == 100.0
