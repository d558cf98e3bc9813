"""The compiled NMEA path of `main.py decode` (devices/nmea/_cnmea.c) against the Python path, byte for byte.

`ReportLines(native=True)` frames the bytes, runs gpsd's cycle rules and writes TPV/SKY/ATT in C;
`ReportLines(native=False)` does it with `LineFramer`, `EpochAssembler` and `report_line`. Both must
print the same text and count the same lines, whatever the input: the samples, the quirks written by
hand in the other NMEA tests, sentences broken every way (and numbers Python's float() reads oddly),
cut into chunks anywhere. Without the extension built (no C compiler) the native half is skipped.
"""

from __future__ import annotations

import ast
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from devices.checksum import append
from devices.nmea import bench as nmea_bench
from devices.nmea.native import PURE_ENV, cnmea
from devices.report_stream import ReportLines
from tests.devices.helpers import DATA
from tests.devices.test_decode_mutated import mutate

ROOT = Path(__file__).resolve().parents[2]
needs_c = pytest.mark.skipif(cnmea() is None, reason="the C extension is not built (no compiler at install?)")


def decode(data: bytes, native: bool, cuts: list[int] = (), *, rollover: bool = False,
           device: str | None = "dev") -> tuple[str, tuple]:
    r = ReportLines("x", device, rollover=rollover, native=native)
    assert r.native is native
    edges = [0, *cuts, len(data)]
    text = "".join(r.feed(data[a:b]) for a, b in zip(edges, edges[1:], strict=False)) + r.close()
    c = r.counters
    return text, (c.lines, c.sentences, r.printed, c.checksum_errors, c.unknown, c.malformed, c.too_long,
                  c.garbage, c.ais_incomplete)


def same_both_ways(data: bytes, cuts: list[int] = (), **kw: object) -> str:
    c = decode(data, True, cuts, **kw)
    p = decode(data, False, cuts, **kw)
    assert c[1] == p[1]
    if c[0] != p[0]:  # the first line that differs, not two megabytes of text
        for i, (x, y) in enumerate(zip(c[0].splitlines(), p[0].splitlines(), strict=False)):
            assert x == y, f"line {i}"
        assert len(c[0]) == len(p[0])
    return c[0]


def _bodies(module: str) -> list[str]:
    """The sentences written by hand in a test module (string constants that look like a sentence body)."""
    tree = ast.parse((ROOT / "tests" / "devices" / module).read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            v = node.value.lstrip("$")
            head = v.split(",", 1)[0]
            if "," in v and 3 <= len(head) <= 7 and head.isalnum() and head.isupper():
                out.append(v.split("*")[0])
    return out


QUIRKS = [
    "GPRMC,120000.00,A,2419.58460,N,10925.68360,E,4.187,16.52,261124,,,A",
    "GPGSA,A," + "9" * 40 + ",02,05,07,,,,,,,,,,1.40,0.80,1.10",  # a mode no int64 holds
    "GPGGA,120001.00,2419.58460,N,10925.68360,E,1,08,0.9,86.4,M,,M,,",
    "GPGSA,A,-" + "8" * 30 + ",02,05,07,,,,,,,,,,1.40,0.80,1.10",
    "GPGSV,1,1,04,02," + "9" * 400 + ",074,22,05,45,185,25",  # float() of it overflows: malformed
    "GPGSV,1,1,04,02," + "9" * 40 + ",074,22,05,45,1_85,25,07,-5,+20,0",
    "PGRMZ," + "9" * 400 + ",f,3",
    "PGRMZ," + "9" * 40 + ",f,3",
    "GPGBS," + "9" * 400 + "x,1,2,3,4,5,6",
    "GPGGA,120002.00,2419.5_8460,N, 10925.68360 ,E,1,08,0.9,8e1,M,1E1,M,,",  # what float() takes
    "GPRMC,120003.00,A,2419.58460,N,10925.68360,E,inf,16.52,261124,,,A",
    "GPRMC,120003.00,A,2419.58460,N,10925.68360,E,nan,16.52,261124,,,A",
    "GPRMC,120004.00,A,2419.58460,N,10925.68360,E,1e2,16.52,261124,,,A",
    "GPZDA,120005.00,26,11,2024,00,00",
    "GPHDT,274.07,T", "GPHDT,2_74.07,T", "GPHDT,,T",
    "GPGGA,120006.0000000001,2419.58460,N,10925.68360,E,1,08,0.9,86.4,M,,M,,",
    "GPGLL,2419.58460,N,10925.68360,E,120007.00,A,A",
    "GPGNS,120008.00,2419.58460,N,10925.68360,E,AA,10,0.8,86.4,-3.0,,,V",
    "GPGNS,120009.00,2419.58460,N,10925.68360,E,AA,10,0.8,86.4,-3.0,,,S",
    "PMGNST,1,3,T,1,2,3,4",
    "PSRFEPE,120010.00,A,1.2,3,4,5",
    "GPRMC,120011.00,V,,,,,,,,,,N",
    "GPGGA,120012.00,2419.58460,S,10925.68360,W,1,08,0.9,86.4,M,,M,,",
    "GPRMC,120012.00,A,2419.58460,S,10925.68360,W,,,,,,",
    "GPZDA,235959.99,31,12,1999,00,00",
    "GPGGA,000000.50,2419.58460,N,10925.68360,E,1,08,0.9,86.4,M,,M,,",
]
RAW = [
    b"$GPRMC,120013.00,A,2419.5846\xff0,N,10925.68360,E,4.187,16.52,261124,,,A*50", b"$$$GPHDT,1.0,T*00",
    b"#comment", b"junk$GPHDT,274.07,T*03", b"$GPHDT,274.07,T", b"$GPHDT,274.07,T*", b"$GPHDT,274.07,T*0",
    b"$GPHDT,274.07,T*zz", b"$GPHDT,274.07,T*03 \x1c\t", b"$GP", b"$", b"$,,,,", b"$\xe9\xe9\xe9,1*00",
    b"!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*23", b'{"class":"TPV"}', b"\\c:1*00\\!AIVDM", b"x" * 5000,
]


@needs_c
@pytest.mark.parametrize("name", sorted(p.name for p in DATA.iterdir() if p.suffix == ".nmea"))
@pytest.mark.parametrize("rollover", [False, True])
def test_samples(name: str, rollover: bool) -> None:
    data = (DATA / name).read_bytes()
    text = same_both_ways(data, rollover=rollover)
    assert text
    rng = random.Random(name)
    same_both_ways(data, sorted(rng.sample(range(len(data)), 20)), rollover=rollover)


@needs_c
def test_the_bench_stream_in_chunks_of_every_size() -> None:
    data = "".join(line + "\r\n" for line in nmea_bench.nmea_stream(300)).encode()
    text = same_both_ways(data, device=None)
    assert text.count('"class":"TPV"') == 300 and '"device"' not in text
    for step in (1, 7, 64, 1000):
        same_both_ways(data, list(range(step, len(data), step)))


@needs_c
@pytest.mark.parametrize("module", ["test_nmea_receivers.py", "test_nmea_epochs.py"])
def test_the_hand_written_quirks(module: str) -> None:
    bodies = _bodies(module)
    assert len(bodies) > 5
    data = "".join(f"{append(b)}\r\n" for b in bodies).encode()
    assert same_both_ways(data)
    same_both_ways(data, rollover=True)


@needs_c
def test_numbers_and_lines_python_reads_its_own_way() -> None:
    lines = [append(b).encode() for b in QUIRKS] + RAW
    data = b"\r\n".join(lines) + b"\r\n$GPHDT,5.0,T*"
    text = same_both_ways(data)
    assert '"mode":' + "9" * 40 in text
    for i in range(len(data)):  # every cut
        same_both_ways(data, [i])


@needs_c
@pytest.mark.parametrize("seed", range(6))
def test_mutated_lines(seed: int) -> None:
    rng = random.Random(seed)
    good = nmea_bench.nmea_stream(600) + nmea_bench.ais_stream(100)[0] + [append(b) for b in QUIRKS]
    parts = []
    for i in range(12_000):
        line = mutate(good[i % len(good)], rng)
        if rng.random() < 0.2:  # a byte anywhere, then (sometimes) the checksum made right again
            b = bytearray(line)
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
            line = bytes(b)
            if line.startswith(b"$") and b"*" in line and rng.random() < 0.5:
                body = line[1:line.index(b"*")].decode("ascii", "replace")
                line = append(body).encode("utf-8", "replace")
        parts.append(line + rng.choice([b"\r\n", b"\n", b"\r", b""]))
    data = b"".join(parts)
    same_both_ways(data, sorted(rng.sample(range(len(data)), 30)), rollover=seed % 2 == 1)


@needs_c
def test_the_environment_switches_the_compiled_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ReportLines("x", None).native
    monkeypatch.setenv(PURE_ENV, "1")
    assert cnmea() is None
    assert not ReportLines("x", None).native


def _decode_process(data: bytes, pure: bool) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    env.pop(PURE_ENV, None)
    if pure:
        env[PURE_ENV] = "1"
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "decode", "-"], input=data, capture_output=True,
                          cwd=ROOT, env=env, timeout=120, check=True)


@needs_c
def test_the_whole_process_prints_the_same_either_way() -> None:
    data = "".join(line + "\r\n" for line in nmea_bench.nmea_stream(200) + nmea_bench.ais_stream(50)[0]).encode()
    c, p = _decode_process(data, False), _decode_process(data, True)
    assert c.stdout == p.stdout and c.stderr == p.stderr
    assert b'"class":"AIS"' in c.stdout and b'"class":"SKY"' in c.stdout


def test_the_pure_path_needs_no_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PURE_ENV, "1")
    data = "".join(line + "\r\n" for line in nmea_bench.nmea_stream(5)).encode()
    text, counters = decode(data, False)
    assert text.count('"class":"TPV"') == 5 and counters[1] == 35
