"""The `decode` subcommand: gpsd JSON lines on stdout, a summary on stderr."""

from __future__ import annotations

import argparse
import io
import json
import sys

import pytest

from console.cli import decode
from devices.nmea.checksum import append
from tests.devices.helpers import DATA


def run(capsys, file: str, stdin: bytes | None = None, monkeypatch=None) -> tuple[int, list[dict], str]:
    parser = argparse.ArgumentParser()
    decode.add_arguments(parser)
    args = parser.parse_args([file])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = decode.run(args)
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_arguments_default_to_stdin():
    parser = argparse.ArgumentParser()
    decode.add_arguments(parser)
    assert parser.parse_args([]).file == "-"


def test_ublox_log(capsys):
    code, objs, err = run(capsys, str(DATA / "ublox_gn.nmea"))
    assert code == 0
    tpv = [o for o in objs if o["class"] == "TPV"]
    sky = [o for o in objs if o["class"] == "SKY"]
    # the cold-start GSA prints before the receiver's first GSV group, then one SKY per group
    assert len(tpv) == 18 and len(sky) == 1 + 19
    assert "satellites" not in sky[0] and sky[0]["hdop"] == 99.99
    first = tpv[0]
    assert first["device"].endswith("ublox_gn.nmea")
    assert first["time"] == "2024-11-26T03:15:40.000Z" and first["mode"] == 2
    assert 24.32 < first["lat"] < 24.33 and 109.42 < first["lon"] < 109.43 and "speed" in first
    full = sky[-3]
    assert full["hdop"] == 0.78 and full["nSat"] == 9 and full["uSat"] == 7
    assert set(full["satellites"][0]) == {"PRN", "el", "az", "ss", "used"}
    assert "2 unknown" in err and "0 checksum" in err and err.count("\n") == 1


def test_ais_from_stdin_with_garbage(capsys, monkeypatch):
    data = b"\x00\xff\x07garbage\r\n" + (DATA / "ais_liujiang.nmea").read_bytes() + b"!AIVDM,1,1,,B,1"
    code, objs, err = run(capsys, "-", data, monkeypatch)
    assert code == 0
    # 10 messages, but the type 24 part A is printed only with its part B, as one report (as gpsdecode does)
    assert {o["class"] for o in objs} == {"AIS"} and len(objs) == 9
    [t24] = [o for o in objs if o["type"] == 24]
    assert "part" not in t24 and t24["shipname"] and "callsign" in t24
    ship = next(o for o in objs if o.get("shipname") == "GUI PING HUO 1688")
    assert ship["type"] == 5 and ship["mmsi"] == 413761230 and ship["destination"] == "LIUZHOU"
    assert "device" not in ship
    # the corrupted line and the cut-off last line (no checksum) are both checksum errors
    assert "2 checksum" in err and "1 garbage" in err


def test_gsa_only_receivers_still_get_sky(capsys, monkeypatch):
    line = append("GPGSA,A,3,02,05,07,,,,,,,,,,2.1,1.2,1.7")
    code, objs, _ = run(capsys, "-", (line + "\n").encode(), monkeypatch)
    assert objs == [{"class": "SKY", "hdop": 1.2, "vdop": 1.7, "pdop": 2.1, "uSat": 3}]


def test_unreadable_input(capsys, tmp_path):
    code, objs, err = run(capsys, str(tmp_path / "missing.nmea"))
    assert code == 2 and objs == [] and "cannot read" in err


@pytest.mark.parametrize("name", ["beidou_bd_gb.nmea", "garmin_gp.nmea"])
def test_other_logs(capsys, name):
    code, objs, _ = run(capsys, str(DATA / name))
    assert code == 0 and sum(o["class"] == "TPV" for o in objs) == 12


def test_recording_is_dated_by_its_own_rmc(capsys):
    # the log starts with a GGA (time of day only) just before midnight; the date comes
    # from the recording's RMC, not from today's date, and rolls over at midnight
    code, objs, _ = run(capsys, str(DATA / "beidou_bd_gb.nmea"))
    times = [o["time"] for o in objs if o["class"] == "TPV"]
    assert times[0] == "2024-11-26T23:59:57.000Z" and times[-1] == "2024-11-27T00:00:02.000Z"
    assert times == sorted(times)
