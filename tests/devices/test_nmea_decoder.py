"""The pynmea2-based decoder, on captured logs and single sentences."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devices.checksum import append
from devices.errors import ChecksumError, MalformedSentenceError, UnknownSentenceError
from devices.nmea.decoder import NmeaDecoder
from devices.records import Fix, HeadingReport, SkyReport, TimeReport
from tests.devices.helpers import NOW, check_sanity, clock, lines, verify_fix, verify_none


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def decoder() -> NmeaDecoder:
    return NmeaDecoder("gps0", clock=clock)


def decode_log(name: str) -> tuple[NmeaDecoder, list]:
    d = decoder()
    out = []
    for line in lines(name):
        try:
            out.extend(d.decode(line))
        except UnknownSentenceError:
            pass
    return d, out


# -- single sentences ------------------------------------------------------------------


def test_rmc():
    fix = verify_fix(
        decoder().decode("$GNRMC,031540.00,A,2419.58460,N,10925.68360,E,4.187,16.52,261124,,,A,V*00".replace(
            "*00", "*" + append("GNRMC,031540.00,A,2419.58460,N,10925.68360,E,4.187,16.52,261124,,,A,V")[-2:])),
        time=utc(2024, 11, 26, 3, 15, 40), lat=24.326410, lon=109.428060, course=16.52, talker="GN",
        sentence="RMC", mode=2,
    )
    assert fix.speed == pytest.approx(4.187 * 1852 / 3600)


def test_gga_takes_its_date_from_the_last_rmc():
    d = decoder()
    d.decode(append("GPRMC,235959.00,A,2419.58400,N,10925.68600,E,0.0,,261124,,,A"))
    fix = verify_fix(d.decode(append("GPGGA,235959.50,2419.58400,N,10925.68600,E,2,11,0.9,88.0,M,-18.2,M,,")),
                     alt=88.0, quality=2, sats=11, hdop=0.9, mode=3)
    assert fix.time == utc(2024, 11, 26, 23, 59, 59) + 0.5


def test_gga_after_midnight_rolls_the_date_over():
    d = decoder()
    d.decode(append("GPRMC,235959.00,A,2419.58400,N,10925.68600,E,0.0,,261124,,,A"))
    fix = verify_fix(d.decode(append("GPGGA,000001.00,2419.58400,N,10925.68600,E,1,08,1.0,88.0,M,,M,,")))
    assert fix.time == utc(2024, 11, 27, 0, 0, 1)


def test_gga_without_rmc_uses_the_reception_date():
    fix = verify_fix(decoder().decode(append("GPGGA,101500.00,2419.58400,N,10925.68600,E,1,08,1.0,,M,,M,,")))
    assert fix.time == utc(2024, 11, 26, 10, 15)
    assert fix.alt is None and fix.mode == 2
    assert NOW - 86400 < fix.time < NOW + 86400


def test_zda_sets_the_date():
    d = decoder()
    [report] = d.decode(append("GPZDA,201530.00,04,07,2023,00,00"))
    assert report == TimeReport("gps0", utc(2023, 7, 4, 20, 15, 30), "GP")
    fix = verify_fix(d.decode(append("GPGLL,2419.58400,N,10925.68600,E,201531.00,A,A")), sentence="GLL")
    assert fix.time == utc(2023, 7, 4, 20, 15, 31)


@pytest.mark.parametrize(
    "body",
    [
        "GPRMC,031540.00,V,2419.58460,N,10925.68360,E,,,261124,,,N",  # status V
        "GPRMC,031540.00,V,,,,,,,261124,,,N",
        "GPGGA,031540.00,2419.58460,N,10925.68360,E,0,00,99.99,,,,,,",  # quality 0
        "GPGGA,031540.00,,,,,0,00,99.99,,,,,,",
        "GNGLL,,,,,031540.00,V,N",
        "GPVTG,16.52,T,,M,4.187,N,7.754,K,A",
        "GPGSV,2,1,07,02,24,074,36,05,45,185,41,07,59,259,44,09,73,333,45",  # first of two
    ],
)
def test_no_record(body):
    verify_none(decoder().decode(append(body)))


@pytest.mark.parametrize("talker", ["GP", "GN", "GL", "GA", "BD", "GB", "GQ", "QZ", "XY"])
def test_every_talker(talker):
    d = decoder()
    fix = verify_fix(d.decode(append(f"{talker}RMC,031540.00,A,2419.58460,N,10925.68360,W,0.5,,261124,,,A")))
    assert fix.talker == talker and fix.lon < 0
    verify_fix(d.decode(append(f"{talker}GGA,031541.00,2419.58460,S,10925.68360,E,1,05,1.5,12.0,M,,M,,")),
               talker=talker, lat=-24.32641)
    [hdt] = d.decode(append(f"{talker}HDT,12.5,T"))
    assert hdt == HeadingReport("gps0", 12.5, None, talker)


def test_gsa_then_gsv_group():
    d = decoder()
    [gsa] = d.decode(append("GPGSA,A,3,02,05,07,,,,,,,,,,2.1,1.2,1.7"))
    assert gsa == SkyReport("gps0", None, 1.2, 1.7, 2.1, (2, 5, 7), (), 3, "GP")
    assert d.decode(append("GPGSV,2,1,05,02,24,074,36,05,45,185,41,07,59,259,44,09,73,333,45")) == []
    [sky] = d.decode(append("GPGSV,2,2,05,13,31,045,"))
    assert [s.prn for s in sky.satellites] == [2, 5, 7, 9, 13]
    assert [s.used for s in sky.satellites] == [True, True, True, False, False]
    assert sky.satellites[-1].snr is None and sky.satellites[0].snr == 36.0
    assert (sky.hdop, sky.vdop, sky.pdop, sky.mode) == (1.2, 1.7, 2.1, 3)


def test_gsv_group_with_a_missing_sentence_is_dropped():
    d = decoder()
    d.decode(append("GPGSV,3,1,09,02,24,074,36,05,45,185,41,07,59,259,44,09,73,333,45"))
    assert d.decode(append("GPGSV,3,3,09,30,18,210,31")) == []  # 2 of 3 never came
    d.decode(append("GPGSV,1,1,01,30,18,210,31"))
    [sky] = d.decode(append("GPGSV,1,1,01,30,18,210,31"))
    assert [s.prn for s in sky.satellites] == [30]


# -- errors ----------------------------------------------------------------------------


def test_checksum_error_carries_the_raw_line():
    d = decoder()
    with pytest.raises(ChecksumError) as info:
        d.decode("$GPHDT,274.07,T*04")
    assert info.value.raw == "$GPHDT,274.07,T*04"
    assert d.counters.checksum_errors == 1


def test_missing_checksum_needs_the_flag():
    with pytest.raises(ChecksumError):
        decoder().decode("$GPHDT,274.07,T")
    lax = NmeaDecoder("gps0", require_checksum=False, clock=clock)
    assert lax.decode("$GPHDT,274.07,T") == [HeadingReport("gps0", 274.07, None, "GP")]


@pytest.mark.parametrize("line", [append("GPTXT,01,01,02,ANTENNA OPEN"), append("PGRME,5.2,M,7.4,M,9.0,M"),
                                  append("GPXYZ,1,2,3"), append("PUBX,00,031540.00")])
def test_unknown_sentences(line):
    d = decoder()
    with pytest.raises(UnknownSentenceError) as info:
        d.decode(line)
    assert info.value.raw == line
    assert d.counters.unknown == 1


@pytest.mark.parametrize(
    "line",
    [
        "hello",
        "$",
        append("GPRMC,031540.00,A,24x9.58460,N,10925.68360,E,0.5,,261124,,,A"),
        append("GPRMC,031540.00,A,2419.58460,Q,10925.68360,E,0.5,,261124,,,A"),
        append("GPRMC,031540.00,A,9919.58460,N,10925.68360,E,0.5,,261124,,,A"),
        append("GPRMC,031540.00,A,2419.58460,N,10925.68360,E,fast,,261124,,,A"),
        append("GPRMC,251540.00,A,2419.58460,N,10925.68360,E,0.5,,261124,,,A"),
        append("GPRMC,031540.00,A,2419.58460,N,10925.68360,E,0.5,,321324,,,A"),
        append("GPGGA,031540.00,2419.58460,N,10925.68360,E,x,05,1.5,12.0,M,,M,,"),
        append("GPGSV,x,1,05"),
        append("GPGSV,1,2,05"),
        append("GPZDA,201530.00,41,07,2023,00,00"),
    ],
)
def test_malformed(line):
    d = decoder()
    with pytest.raises(MalformedSentenceError) as info:
        d.decode(line)
    assert info.value.raw is not None
    assert d.counters.malformed == 1


# -- captured logs ---------------------------------------------------------------------


def test_ublox_gn_log():
    d, out = decode_log("ublox_gn.nmea")
    fixes = [r for r in out if isinstance(r, Fix)]
    assert len(fixes) == 18  # 6 epochs x RMC, GGA, GLL; the cold-start epoch has none
    for fix in fixes:
        check_sanity(fix)
        assert fix.talker == "GN"
        assert 24.32 < fix.lat < 24.33 and 109.42 < fix.lon < 109.43
        assert datetime.fromtimestamp(fix.time, UTC).date().isoformat() == "2024-11-26"
    skies = [r for r in out if isinstance(r, SkyReport) and r.satellites]
    # per epoch one group each for GPS, GLONASS, BeiDou (GB); plus the cold-start GPS group
    assert len(skies) == 6 * 3 + 1
    gps = skies[-3]
    assert gps.talker == "GP" and len(gps.satellites) == 9
    assert {s.prn for s in gps.satellites if s.used} == {2, 5, 7, 9, 13, 18, 20}
    assert skies[-1].talker == "GB" and {s.prn for s in skies[-1].satellites if s.used} == {6, 9, 16}
    assert d.counters.unknown == 2  # GNTXT
    assert d.counters.by_type["ZDA"] == 1
    assert d.counters.checksum_errors == d.counters.malformed == 0


def test_beidou_log_crosses_midnight():
    d, out = decode_log("beidou_bd_gb.nmea")
    fixes = [r for r in out if isinstance(r, Fix)]
    assert [f.talker for f in fixes] == ["BD"] * 6 + ["GB"] * 6
    times = [f.time for f in fixes]
    assert times == sorted(times)
    assert times[0] == utc(2024, 11, 26, 23, 59, 57)
    assert times[-1] == utc(2024, 11, 27, 0, 0, 2)
    for fix in fixes:
        check_sanity(fix)
    skies = [r for r in out if isinstance(r, SkyReport) and r.satellites]
    assert len(skies) == 6 and all(len(s.satellites) == 9 for s in skies)


def test_garmin_log_with_proprietary_sentences():
    d, out = decode_log("garmin_gp.nmea")
    fixes = [r for r in out if isinstance(r, Fix)]
    assert len(fixes) == 12
    rmc = fixes[0]
    assert rmc.sentence == "RMC" and rmc.time == utc(2024, 2, 27, 6, 2, 11)
    assert rmc.speed == pytest.approx(12.3 * 1852 / 3600) and rmc.course == 271.4
    for fix in fixes:
        check_sanity(fix)
    # PGRME, PGRMZ, PGRMM, GPBOD, GPRTE are not ours: unknown, counted, not fatal
    assert d.counters.unknown == 4 * 5
    assert d.counters.by_type["GSV"] == 8
