"""The `decode` subcommand: gpsd JSON lines on stdout, a summary on stderr.

Every test runs twice: on the compiled NMEA path (devices/nmea/_cnmea.c, when built) and on the
pure-Python one (CONSOLE_PURE_PYTHON=1).
"""

from __future__ import annotations

import argparse
import io
import json
import sys

import pytest

from console.cli import decode
from devices.checksum import append
from devices.nmea.native import PURE_ENV, cnmea
from tests.devices.helpers import DATA


@pytest.fixture(autouse=True, params=["native", "pure"])
def nmea_path(request, monkeypatch):
    """The NMEA path `decode` takes (the environment reaches the subprocesses too)."""
    if request.param == "pure":
        monkeypatch.setenv(PURE_ENV, "1")
    else:
        monkeypatch.delenv(PURE_ENV, raising=False)
        if cnmea() is None:
            pytest.skip("the C extension is not built")
    return request.param


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
    # as gpsd: the cold start (no fix, no date) gives time-less mode 1 TPVs, then one TPV per
    # second with RMC, VTG, GGA, GSA and GLL merged
    assert [o.get("time") for o in tpv] == [None, None] + [f"2024-11-26T03:15:{s}.000Z" for s in range(40, 46)]
    assert tpv[0]["mode"] == 1 and "lat" not in tpv[0]
    first = tpv[2]
    assert first["device"].endswith("ublox_gn.nmea")
    assert first["mode"] == 3 and first["lat"] == 24.32641 and first["lon"] == 109.42806
    assert first["altMSL"] == first["alt"] == 87.9 and first["geoidSep"] == -18.2 and first["altHAE"] == 69.7
    assert first["speed"] == 2.154 and first["track"] == 16.52
    # a SKY after each GSV group: GPS, GLONASS, BeiDou the first time, then (the GPS group no
    # longer ends the view) GLONASS and BeiDou of every second
    assert [o["nSat"] for o in sky] == [9, 13, 17] + [13, 17] * 5
    full = sky[-1]
    assert full["hdop"] == 0.78 and full["vdop"] == 1.07 and full["pdop"] == 1.32 and full["uSat"] == 10
    by_prn = {s["PRN"]: s for s in full["satellites"]}
    assert by_prn[72] == {"PRN": 72, "el": 52.0, "az": 130.0, "ss": 34.0, "used": True, "gnssid": 6, "svid": 8}
    # BeiDou numbered 401-437; gpsd 3.22 does not read GSA's NMEA 4.10 system id, so unused
    assert by_prn[406]["gnssid"] == 3 and by_prn[406]["svid"] == 6 and by_prn[406]["used"] is False
    assert "0 unknown" in err and "0 checksum" in err and err.count("\n") == 1


def test_numbers_are_printed_as_gpsd_prints_them(capsys):
    parser = argparse.ArgumentParser()
    decode.add_arguments(parser)
    decode.run(parser.parse_args([str(DATA / "ublox_gn.nmea")]))
    out = capsys.readouterr().out
    assert '"lat":24.326410000,"lon":109.428060000,"altHAE":69.7000,"altMSL":87.9000,"alt":87.9000' in out
    assert '"track":16.5200,"speed":2.154,"geoidSep":-18.200}' in out
    assert '"vdop":1.07,"hdop":0.78,"pdop":1.32,"nSat":9,"uSat":7' in out
    assert '{"PRN":2,"el":24.0,"az":74.0,"ss":22.0,"used":true,"gnssid":0,"svid":2}' in out


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


def test_gsa_only_receivers_get_their_mode(capsys, monkeypatch):
    # gpsd prints no SKY for a GSA without GSV, only the fix mode it gives (no time: no date)
    line = append("GPGSA,A,3,02,05,07,,,,,,,,,,2.1,1.2,1.7")
    code, objs, _ = run(capsys, "-", (line + "\n").encode(), monkeypatch)
    assert objs == [{"class": "TPV", "mode": 3}]


def test_unreadable_input(capsys, tmp_path):
    code, objs, err = run(capsys, str(tmp_path / "missing.nmea"))
    assert code == 2 and objs == [] and "cannot read" in err


@pytest.mark.parametrize(("name", "epochs"), [("beidou_bd_gb.nmea", 6), ("garmin_gp.nmea", 4)])
def test_other_logs_one_tpv_per_epoch(capsys, name, epochs):
    code, objs, _ = run(capsys, str(DATA / name))
    times = [o["time"] for o in objs if o["class"] == "TPV"]
    assert code == 0 and len(times) == len(set(times)) == epochs


def test_recording_is_dated_by_its_own_rmc(capsys):
    # the log starts with a GGA (time of day only) just before midnight; the date comes
    # from the same epoch's RMC, not from today's date, and rolls over at midnight
    code, objs, _ = run(capsys, str(DATA / "beidou_bd_gb.nmea"))
    times = [o["time"] for o in objs if o["class"] == "TPV"]
    assert times[0] == "2024-11-26T23:59:57.000Z" and times[-1] == "2024-11-27T00:00:02.000Z"
    assert times == sorted(times)


def test_a_live_pipe_gets_each_cycle_at_once_not_at_eof():
    """`nc receiver 10110 | decode -`: a report leaves as soon as its cycle is complete, while the pipe
    stays open (once the cycle's last sentence is learned from the first cycles, as gpsd learns it)."""
    import os
    import select
    import subprocess
    from pathlib import Path

    from devices.nmea import encode

    def cycle(i: int) -> bytes:
        t = 1764158400.0 + i
        lines = [encode.gga("GP", t, 24.32 + i * 1e-5, 109.41, 85.0), encode.rmc("GP", t, 24.32 + i * 1e-5, 109.41, 2.0, 90.0)]
        return "".join(line + "\r\n" for line in lines).encode()

    root = Path(__file__).resolve().parents[2]
    p = subprocess.Popen([sys.executable, str(root / "main.py"), "decode", "-"], cwd=root, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert p.stdin is not None and p.stdout is not None
    try:
        p.stdin.write(cycle(0) + cycle(1) + cycle(2))
        p.stdin.flush()
        got = b""
        fd = p.stdout.fileno()
        while got.count(b'"class":"TPV"') < 3:  # the third cycle's TPV, the pipe still open
            ready, _, _ = select.select([fd], [], [], 20)
            assert ready, f"no report within 20 s of its cycle; so far: {got!r}"
            chunk = os.read(fd, 65536)
            assert chunk, "decode ended before its input did"
            got += chunk
        assert b'"time":"2025-11-26T12:00:02.000Z"' in got
    finally:
        p.stdin.close()
        p.wait(20)
