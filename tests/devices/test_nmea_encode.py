"""Sentences rendered by devices.nmea.encode decode back to the values."""

from __future__ import annotations

import pytest

from devices.checksum import verify
from devices.nmea import encode
from devices.nmea.decoder import NmeaDecoder
from devices.records import Satellite
from tests.devices.helpers import clock, verify_fix

T = 1732620940.25  # 2024-11-26 11:35:40.25 UTC


def test_rmc_gga_roundtrip():
    d = NmeaDecoder("sim", clock=clock)
    line = encode.rmc("GN", T, 24.326412, 109.428061, 3.5, 271.2)
    assert verify(line) and not line.endswith("\n")
    fix = verify_fix(d.decode(line), time=T, lat=24.326412, lon=109.428061, course=271.2)
    assert fix.speed == pytest.approx(3.5, abs=1e-3)
    fix = verify_fix(d.decode(encode.gga("GN", T + 1, -24.5, -109.25, 87.3, quality=2, sats=11, hdop=0.7)),
                     lat=-24.5, lon=-109.25, alt=87.3, quality=2, sats=11, hdop=0.7, time=T + 1)
    assert d.decode(encode.rmc("GN", T, 24.3, 109.4, 0.0, None, valid=False)) == []
    assert d.decode(encode.gga("GN", T, 24.3, 109.4, quality=0)) == []


def test_minutes_rounding_carries_into_degrees():
    line = encode.rmc("GP", T, 24.9999999999, 109.0, 0.0, 0.0)
    assert ",2500.00000,N," in line


def test_vtg_gsa_gsv_hdt_zda():
    d = NmeaDecoder("sim", clock=clock)
    assert d.decode(encode.vtg("GP", 12.5, 2.0)) == []
    [gsa] = d.decode(encode.gsa("GP", [2, 5, 7], 1.5, 0.9, 1.2))
    assert gsa.used == (2, 5, 7) and gsa.hdop == 0.9
    sats = [Satellite(p, 10.0 + p, 100.0 + p, 30.0 + p) for p in (2, 5, 7, 9, 11)]
    group = encode.gsv("GP", sats)
    assert len(group) == 2 and all(verify(s) for s in group)
    assert d.decode(group[0]) == []
    [sky] = d.decode(group[1])
    assert [s.prn for s in sky.satellites] == [2, 5, 7, 9, 11]
    assert sky.satellites[1] == Satellite(5, 15.0, 105.0, 35.0, True)
    [hdt] = d.decode(encode.hdt("HE", 274.07))
    assert hdt.heading == 274.07
    [zda] = d.decode(encode.zda("GP", T))
    assert zda.time == T
