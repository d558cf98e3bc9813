"""A million mutated NMEA and AIS lines through `python main.py decode -` as a whole process: it ends by
itself, exits 0, every line it prints is a JSON object, and its memory stays bounded."""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from devices.checksum import append
from devices.nmea import bench as nmea_bench
from devices.nmea.native import PURE_ENV, cnmea

ROOT = Path(__file__).resolve().parents[2]
N_LINES = 1_000_000
LIMIT = 512 * 1024 * 1024  # address space allowed to the decode process


def mutate(line: str, rng: random.Random) -> bytes:
    """One of the ways a radio link, a bad cable or a buggy firmware spoils a sentence."""
    b = bytearray(line.encode())
    how = rng.randrange(12)
    if how == 0:  # a flipped byte (the checksum no longer matches)
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    elif how == 1:  # cut short
        b = b[: rng.randrange(len(b))]
    elif how == 2:  # a field emptied, the checksum made right again: only the parser can object
        fields = line.split("*")[0][1:].split(",")
        fields[rng.randrange(1, len(fields))] = ""
        b = bytearray(append(",".join(fields), line[0]).encode())
    elif how == 3:  # a field replaced by nonsense with a good checksum
        fields = line.split("*")[0][1:].split(",")
        fields[rng.randrange(1, len(fields))] = rng.choice(["-1", "9" * 40, "1e999", "nan", "??", "0.0.0", "\x7f"])
        b = bytearray(append(",".join(fields), line[0]).encode())
    elif how == 4:  # random bytes inserted
        i = rng.randrange(len(b))
        b[i:i] = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 20)))
    elif how == 5:  # fields doubled or dropped, checksum made right
        fields = line.split("*")[0][1:].split(",")
        if rng.random() < 0.5:
            fields = fields + fields[1:]
        else:
            fields = fields[: rng.randrange(1, len(fields))]
        b = bytearray(append(",".join(fields), line[0]).encode())
    elif how == 6:  # two sentences run together
        b += line.encode()[rng.randrange(len(line)):]
    elif how == 7:  # AIS: fragment numbers or counts that do not hold together
        if line.startswith("!"):
            fields = line.split("*")[0][1:].split(",")
            fields[1], fields[2] = str(rng.randrange(0, 12)), str(rng.randrange(0, 12))
            fields[3] = rng.choice(["", "0", "9", "x"])
            b = bytearray(append(",".join(fields), "!").encode())
    elif how == 8:  # an AIS payload with characters outside the armouring, or a wrong fill count
        if line.startswith("!"):
            fields = line.split("*")[0][1:].split(",")
            fields[5] = "".join(rng.choice("0w`x~ZZ@@ ") for _ in range(rng.randrange(0, 90)))
            fields[6] = str(rng.randrange(-1, 9))
            b = bytearray(append(",".join(fields), "!").encode())
    # otherwise (9..11): the sentence as it was, so the decoder keeps a state to lose
    return bytes(b)


@pytest.mark.parametrize("path", ["native", "pure"])
def test_a_million_mutated_lines(tmp_path, path: str) -> None:  # type: ignore[no-untyped-def]
    """On the compiled NMEA path (devices/nmea/_cnmea.c) and on the pure-Python one."""
    env = dict(os.environ)
    env.pop(PURE_ENV, None)
    if path == "pure":
        env[PURE_ENV] = "1"
    elif cnmea() is None:
        pytest.skip("the C extension is not built")
    rng = random.Random(18)
    good = nmea_bench.nmea_stream(20_000) + nmea_bench.ais_stream(8_000)[0]
    path = tmp_path / "mutated.log"
    with path.open("wb") as f:
        for i in range(N_LINES):
            f.write(mutate(good[i % len(good)], rng) + rng.choice([b"\r\n", b"\n", b"\r\n", b"\r"]))
    def cap() -> None:  # the input is 70 MB: a decoder that kept what it read, or whose tables grew, hits this
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    with path.open("rb") as f:
        p = subprocess.run([sys.executable, str(ROOT / "main.py"), "decode", "-"], stdin=f, capture_output=True,
                           cwd=ROOT, timeout=600, preexec_fn=cap, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    out = p.stdout.splitlines()
    assert len(out) > 50_000  # the sentences left whole still make reports
    classes = set()
    for line in out:
        obj = json.loads(line)
        assert isinstance(obj, dict)
        classes.add(obj.get("class"))
    assert {"TPV", "AIS"} <= classes
