"""Quirks of real receivers, found by decoding gpsd's whole regression set (test/daemon) beside its .chk files.

The corpus stays out of the repository: every quirk is written here again by hand, with our own
positions (Liuzhou) and times, and the reports expected of it. docs/decode-fidelity.md lists
what is still reported differently from gpsd and why.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devices.checksum import append
from devices.lines import LineFramer
from devices.nmea.cycle import EpochAssembler
from devices.records import TpvReport
from devices.report_stream import ReportStream

LAT, LON = 24.32641, 109.42806  # 2419.58460 N, 10925.68360 E


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def run(bodies: list[str]) -> list[TpvReport]:
    """Every TPV of these sentences (a checksum is added to each), the last cycle's included."""
    a = EpochAssembler("gps0")
    out = [r for b in bodies for r in a.feed(append(b))] + a.flush()
    return [r for r in out if isinstance(r, TpvReport)]


def last_per_time(tpvs: list[TpvReport]) -> dict[float | None, tuple]:
    """What a map ends up showing for each time: the last report of it (mode, lat, lon)."""
    return {t.time: (t.mode, t.lat and round(t.lat, 7), t.lon and round(t.lon, 7)) for t in tpvs}


# --- a doubled start character ($$GNGSA: an ST Teseo receiver) --------------------------------------

def test_a_doubled_dollar_is_read_as_one():
    f = LineFramer()
    assert f.feed(b"$$GPHDT,1*00\r\n$$$GPHDT,2*00\r\n") == ["$GPHDT,1*00", "$GPHDT,2*00"]
    assert f.garbage == 0


def test_a_receiver_that_doubles_every_start_is_decoded():
    s = ReportStream("gps0")
    lines = ["GNRMC,033000.00,A,2419.58460,N,10925.68360,E,0.1,12.0,150325,,,A",
             "GNGGA,033000.00,2419.58460,N,10925.68360,E,1,09,0.8,88.0,M,-18.2,M,,",
             "GNGSA,A,3,02,05,07,09,13,15,,,,,,,1.5,0.8,1.2,1"]
    data = "".join("$" + append(b) + "\r\n" for b in lines).encode()
    out = s.feed(data) + s.close()
    tpv = [r for r in out if isinstance(r, TpvReport)]
    assert [(t.mode, t.time, round(t.lat, 5)) for t in tpv] == [(3, ts("2025-03-15T03:30:00"), LAT)]
    assert s.counters.unknown == 0 and s.counters.sentences == 3


# --- NMEA 4.11, GN talker: RMC/GNS with a navigational status, GGA counting no satellites, a GSA per system --

def gn_411_cycle(second: int) -> list[str]:
    t = f"0330{second:02d}.000"
    return [
        f"GNRMC,{t},A,2419.58460,N,10925.68360,E,0.00,0.00,150325,,,D,V",
        f"GNGNS,{t},2419.58460,N,10925.68360,E,NDD,11,1.3,88.0,-18.2,,,V",
        f"GNGGA,{t},2419.58460,N,10925.68360,E,2,00,1.3,88.0,M,-18.2,M,,",
        "GNGSA,A,3,68,69,70,78,84,85,,,,,,,1.5,1.3,1.0,2",
        "GNGSA,A,3,04,05,09,11,36,,,,,,,,1.5,1.3,1.0,3",
        f"GPZDA,{t},15,03,2025,+00,00",
        "GLGSV,2,1,06,68,06,033,31,69,53,053,37,70,52,187,27,78,09,034,34,1",
        "GLGSV,2,2,06,84,27,134,41,85,85,247,32,,,,,,,,,1",
    ]


def test_a_gn_receiver_whose_gga_counts_no_satellites_has_a_3d_fix_every_cycle():
    # GNS says "NDD" (no GPS, GLONASS and Galileo differential) and GGA counts 00 satellites: each
    # makes the fix mode 1 as gpsd 3.22 reads them. The GSAs that follow the cycle's last timed
    # sentence give the 3D fix; gpsd reports them (since 3.23) and so do we, so every second is a fix.
    tpvs = run([line for s in range(5) for line in gn_411_cycle(s)])
    seen = last_per_time(tpvs)
    for s in range(5):
        assert seen[ts(f"2025-03-15T03:30:{s:02d}")] == (3, LAT, LON), s
    assert all(t.status == 2 for t in tpvs if t.mode == 3)  # differential (RMC's D)


# --- a fix before any date ---------------------------------------------------------------------------

def test_a_finer_position_before_the_date_is_reported_without_time():
    # GGA gives 5 decimals of minutes before any date; RMC then dates the cycle with 4: gpsd reports the
    # GGA's position (no time) at once, then RMC's with its time. Both are kept.
    tpvs = run(["GPGGA,033000.00,2419.58472,N,10925.68368,E,1,05,1.7,88.0,M,-18.2,M,,",
                "GPGSA,A,3,02,05,07,09,13,,,,,,,,2.4,1.7,1.7",
                "GPRMC,033000.00,A,2419.5847,N,10925.6837,E,0.1,201.8,150325,,,A"])
    assert [(t.time, round(t.lat, 7), round(t.lon, 7)) for t in tpvs] == [
        (None, round(24 + 19.58472 / 60, 7), round(109 + 25.68368 / 60, 7)),
        (ts("2025-03-15T03:30:00"), round(24 + 19.5847 / 60, 7), round(109 + 25.6837 / 60, 7))]


def test_the_same_position_before_and_after_the_date_is_one_report():
    tpvs = run(["GPGGA,033000.00,2419.58460,N,10925.68360,E,1,05,1.7,88.0,M,-18.2,M,,",
                "GPRMC,033000.00,A,2419.58460,N,10925.68360,E,0.1,201.8,150325,,,A"])
    assert [(t.time, t.mode) for t in tpvs] == [(ts("2025-03-15T03:30:00"), 3)]


def test_an_rmc_with_a_bad_date_keeps_its_position():
    # a year of "-1" (a receiver between 1999 and 2000): no date, no time, but the position counts
    tpvs = run(["GPRMC,033000.099,A,2419.58460,N,10925.68360,E,0.15,212.28,1503-1,,,A",
                "GPRMC,033000.42,A,2419.58460,N,10925.68370,E,0.16,212.28,150325,,,A"])
    assert [(t.mode, t.time) for t in tpvs] == [(2, None), (2, ts("2025-03-15T03:30:00.42"))]
    assert round(tpvs[0].lat, 5) == LAT


def test_a_time_of_day_that_does_not_parse_leaves_the_fix():
    a = EpochAssembler("gps0")
    reports = [r for b in ["GPRMC,033000.00,A,2419.58460,N,10925.68360,E,0.1,12.0,150325,,,A",
                           "GPGGA,03300|.00,2419.58470,N,10925.68370,E,1,05,1.7,88.0,M,-18.2,M,,"]
               for r in a.feed(append(b))] + a.flush()
    tpv = [r for r in reports if isinstance(r, TpvReport)]
    assert tpv[-1].lat == pytest.approx(24 + 19.5847 / 60) and tpv[-1].alt_msl == 88.0
    assert a.counters.malformed == 0 and a.counters.sentences == 2


def test_a_simulated_fix_voided_in_the_first_cycle_is_still_reported():
    # a Garmin in simulator mode: GGA quality 8 with a 3D position, then a void GLL; gpsd reports every
    # sentence of the first cycle (it does not know the cycle yet), so the 3D position shows once
    tpvs = run(["GPRMC,033000,V,2419.5846,N,10925.6836,E,0.0,0.0,150325,,,S",
                "GPGGA,033000,2419.5846,N,10925.6836,E,8,10,2.0,268.8,M,-33.9,M,,",
                "GPGSA,A,3,03,07,08,11,13,16,19,23,,,,,3.6,2.0,3.0",
                "GPGLL,2419.5846,N,10925.6836,E,033000,V,S"])
    # (the void RMC before the first time of day is a cycle of its own, as gpsd reports it)
    assert [t.mode for t in tpvs] == [1, 3, 1]
    assert (round(tpvs[1].lat, 5), round(tpvs[1].lon, 5), tpvs[1].alt_msl) == (LAT, LON, 268.8)


# --- dates a receiver takes back ---------------------------------------------------------------------

def test_a_void_rmc_without_a_date_makes_the_receiver_forget_it():
    tpvs = run(["GPRMC,033000.00,A,2419.58460,N,10925.68360,E,0.1,12.0,150325,,,A",
                "GPGGA,033000.00,2419.58460,N,10925.68360,E,1,05,1.7,88.0,M,-18.2,M,,",
                "GPRMC,,V,,,,,,,,,,N",
                "GPGGA,033002.00,2419.58460,N,10925.68360,E,1,05,1.7,88.0,M,-18.2,M,,"])
    # the GGA after it has a time of day but no date any more: no time, as gpsd prints it
    assert tpvs[0].time == ts("2025-03-15T03:30:00") and tpvs[-1].time is None and tpvs[-1].mode == 3


def test_a_zda_with_a_bad_date_gives_no_date():
    tpvs = run(["GPZDA,033000.00,15,13,2025,00,00",
                "GPGGA,033000.00,2419.58460,N,10925.68360,E,1,05,1.7,88.0,M,-18.2,M,,"])
    assert [t.time for t in tpvs] == [None]


def test_a_log_that_goes_back_an_hour_keeps_its_date():
    # two recordings joined: 15:25 then 14:33 of the same day. An earlier hour is midnight only when the
    # day has turned (23h -> 0h), not for an hour back (gpsd 3.22 moved the date on by a day here)
    tpvs = run(["GPRMC,152508.00,A,2419.58460,N,10925.68360,E,0.0,0.0,150325,,,A",
                "GPGGA,152508.00,2419.58460,N,10925.68360,E,1,05,1.7,88.0,M,-18.2,M,,",
                "GPGGA,143306.00,2419.58470,N,10925.68370,E,1,05,1.7,88.0,M,-18.2,M,,",
                "GPGGA,143307.00,2419.58480,N,10925.68380,E,1,05,1.7,88.0,M,-18.2,M,,",
                "GPGGA,000001.00,2419.58490,N,10925.68390,E,1,05,1.7,88.0,M,-18.2,M,,"])
    assert [t.time for t in tpvs] == [ts("2025-03-15T15:25:08"), ts("2025-03-15T14:33:06"),
                                      ts("2025-03-15T14:33:07"), ts("2025-03-16T00:00:01")]
