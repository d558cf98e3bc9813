"""gpsd JSON in (devices.gpsd) and out (devices.gpsd_json)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from devices.ais.decoder import AisDecoder
from devices.errors import MalformedSentenceError, UnknownSentenceError
from devices.gpsd import WATCH, GpsdDecoder, watch_command
from devices.gpsd_json import iso_time, to_gpsd_json
from devices.records import Fix, HeadingReport, Satellite, SkyReport, TimeReport
from tests.devices.helpers import clock, verify_fix

TPV = ('{"class":"TPV","device":"/dev/ttyACM0","mode":3,"time":"2024-11-26T03:15:40.250Z","ept":0.005,'
       '"lat":24.326410,"lon":109.428060,"altHAE":69.7,"altMSL":87.9,"alt":87.9,"epx":3.1,"track":16.52,'
       '"speed":2.154,"climb":0.0}')
SKY = ('{"class":"SKY","device":"/dev/ttyACM0","time":"2024-11-26T03:15:40.000Z","hdop":0.78,"vdop":1.07,'
       '"pdop":1.32,"nSat":3,"uSat":2,"satellites":[{"PRN":2,"el":24.0,"az":74.0,"ss":22.0,"used":true},'
       '{"PRN":5,"el":45.0,"az":185.0,"ss":33.0,"used":true},{"PRN":15,"el":12.0,"az":290.0,"ss":21.0,"used":false}]}')
AIS = ('{"class":"AIS","device":"tcp://ais.liuzhou:10110","type":1,"repeat":0,"mmsi":413761230,"scaled":true,'
       '"status":0,"status_text":"Under way using engine","turn":0,"speed":6.8,"accuracy":true,"lon":109.40712,'
       '"lat":24.31234,"course":47.3,"heading":46,"second":12,"maneuver":0,"raim":false,"radio":0}')


def test_watch_command():
    assert WATCH == '?WATCH={"enable":true,"json":true}'
    assert watch_command() == WATCH
    assert watch_command(device="/dev/ttyUSB0") == '?WATCH={"enable":true,"json":true,"device":"/dev/ttyUSB0"}'


def test_tpv():
    fix = verify_fix(GpsdDecoder("gpsd", clock=clock).decode(TPV), lat=24.32641, lon=109.42806, alt=87.9,
                     speed=2.154, course=16.52, mode=3, sentence="TPV")
    assert fix.time == datetime(2024, 11, 26, 3, 15, 40, 250000, tzinfo=UTC).timestamp()
    assert fix.source == "gpsd:/dev/ttyACM0"
    assert fix.quality == 1  # no "status": a plain GPS fix, as the bench's fix quality column shows it


@pytest.mark.parametrize(("status", "quality"), [(1, 1), (2, 2), (3, 4), (4, 5), (5, 6), (8, 8)])
def test_tpv_status_is_the_fix_quality(status, quality):
    line = TPV.replace('"mode":3,', f'"mode":3,"status":{status},')
    assert GpsdDecoder("gpsd", clock=clock).decode(line)[0].quality == quality


def test_tpv_without_fix_and_housekeeping():
    d = GpsdDecoder("gpsd", clock=clock)
    assert d.decode('{"class":"TPV","device":"/dev/ttyACM0","mode":1,"time":"2024-11-26T03:15:40.000Z"}') == []
    assert d.decode('{"class":"VERSION","release":"3.25","rev":"3.25","proto_major":3,"proto_minor":15}') == []
    assert d.decode('{"class":"DEVICES","devices":[]}') == []


def test_sky_and_ais():
    d = GpsdDecoder("gpsd", clock=clock)
    [sky] = d.decode(SKY)
    assert (sky.hdop, sky.vdop, sky.pdop, sky.used) == (0.78, 1.07, 1.32, (2, 5))
    assert sky.satellites[2] == Satellite(15, 12.0, 290.0, 21.0, False)
    [ais] = d.decode(AIS)
    assert (ais.msg_type, ais.mmsi, ais.lat, ais.lon, ais.speed, ais.heading) == (1, 413761230, 24.31234, 109.40712,
                                                                                  6.8, 46.0)
    assert ais.fields["status_text"] == "Under way using engine"
    [raw] = d.decode('{"class":"AIS","type":1,"mmsi":1,"scaled":false,"lat":14595600,"lon":65656560,'
                     '"speed":1023,"course":3600,"heading":511}')
    assert raw.lat == pytest.approx(24.326) and raw.lon == pytest.approx(109.4276)
    assert raw.speed is raw.course is raw.heading is None


@pytest.mark.parametrize("line", ["{", "[]", '{"nope":1}', '{"class":"TPV","mode":3,"lat":95,"lon":1}',
                                  '{"class":"AIS","type":"x"}'])
def test_malformed(line):
    with pytest.raises(MalformedSentenceError):
        GpsdDecoder("gpsd").decode(line)


def test_unknown_class():
    with pytest.raises(UnknownSentenceError):
        GpsdDecoder("gpsd").decode('{"class":"WHATEVER"}')


def test_iso_time():
    assert iso_time(1732590940.25) == "2024-11-26T03:15:40.250Z"
    assert iso_time(1732590940.9996) == "2024-11-26T03:15:41.000Z"
    assert iso_time(0) == "1970-01-01T00:00:00.000Z"


def test_to_gpsd_json_tpv():
    fix = Fix("gps0", 1732590940.25, 24.32641, 109.42806, speed=2.154, course=16.52, alt=87.9, mode=3)
    assert to_gpsd_json(fix, "/dev/ttyACM0") == {
        "class": "TPV", "device": "/dev/ttyACM0", "time": "2024-11-26T03:15:40.250Z", "lat": 24.32641,
        "lon": 109.42806, "alt": 87.9, "speed": 2.154, "track": 16.52, "mode": 3,
    }
    assert "device" not in to_gpsd_json(fix) and "alt" not in to_gpsd_json(Fix("g", 0.0, 1.0, 2.0))


def test_to_gpsd_json_sky():
    sky = SkyReport("gps0", None, 0.78, 1.07, 1.32, (2,), (Satellite(2, 24.0, 74.0, 22.0, True),
                                                         Satellite(15, None, None, None, False)))
    assert to_gpsd_json(sky) == {
        "class": "SKY", "hdop": 0.78, "vdop": 1.07, "pdop": 1.32, "nSat": 2, "uSat": 1,
        "satellites": [{"PRN": 2, "el": 24.0, "az": 74.0, "ss": 22.0, "used": True}, {"PRN": 15, "used": False}],
    }


def test_to_gpsd_json_ais_and_others():
    [r] = AisDecoder("ais", clock=clock).decode("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C")
    d = to_gpsd_json(r)
    assert d["class"] == "AIS" and d["type"] == 1 and d["mmsi"] == 366053209 and d["lat"] == 37.802118
    json.dumps(d)  # serialisable as is
    assert to_gpsd_json(HeadingReport("g", 274.07)) == {"class": "ATT", "heading": 274.07}
    assert to_gpsd_json(TimeReport("g", 0.0)) == {"class": "TPV", "time": "1970-01-01T00:00:00.000Z", "mode": 1}
    with pytest.raises(TypeError):
        to_gpsd_json("nope")  # type: ignore[arg-type]


def test_gpsd_roundtrip():
    fix = Fix("gps0", 1732590940.25, 24.32641, 109.42806, speed=2.154, course=16.52, alt=87.9, mode=3)
    back = GpsdDecoder("gps0").decode(json.dumps(to_gpsd_json(fix)))[0]
    assert (back.time, back.lat, back.lon, back.speed, back.course, back.alt, back.mode) == (
        fix.time, fix.lat, fix.lon, fix.speed, fix.course, fix.alt, fix.mode)


def test_a_tpv_without_time_waits_for_the_date_then_takes_the_receive_time():
    """gpsd's first cycle has no "time" (no date yet): no fix stamped 'now' ahead of a replayed log's own
    times. A device that never sends a date (GGA only) gets receive-time stamps after a few fixes."""
    d = GpsdDecoder("gpsd", clock=clock)
    untimed = '{"class":"TPV","device":"%s","mode":2,"lat":24.3,"lon":109.4}'
    timed = '{"class":"TPV","device":"/dev/a","mode":2,"time":"2019-03-01T00:00:00.000Z","lat":24.3,"lon":109.4}'
    assert d.decode(untimed % "/dev/a") == []
    assert d.decode(timed)[0].time == datetime(2019, 3, 1, tzinfo=UTC).timestamp()
    assert d.decode(untimed % "/dev/a") == []  # a device that sends times: a time-less one is skipped
    got = [d.decode(untimed % "/dev/b") for _ in range(GpsdDecoder.UNTIMED_GRACE + 2)]
    assert got[: GpsdDecoder.UNTIMED_GRACE] == [[]] * GpsdDecoder.UNTIMED_GRACE
    assert [f.time for fixes in got[GpsdDecoder.UNTIMED_GRACE :] for f in fixes] == [clock(), clock()]
