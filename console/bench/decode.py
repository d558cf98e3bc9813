"""`python main.py decode` as a whole process beside gpsd's `gpsdecode` on the same files.

The issue: "`python main.py decode` as a whole process against gpsd's `gpsdecode` on the same file is
worth watching too". Two files, written once per run:
- a receiver's NMEA stream (GGA, GSA, 3 x GSV, RMC, VTG each second: devices.nmea.bench's stream),
- an AIS feed (types 1 and 18, two-part type 5, type 24: devices.nmea.bench's AIS stream).
Each side reads the file and writes its JSON to a pipe that is drained and counted (not /dev/null,
so neither side can skip formatting); the time is the whole process, start-up included, best of a
few alternating runs. `decode_cli_*_per_s` is ours, `gpsdecode_*_per_s` gpsd's, in input sentences per
second. gpsdecode turns AIS (and RTCM) into JSON and passes NMEA position sentences by (it needs gpsd
itself for those), so on the NMEA file it does less work than we do; the AIS file is like for like.
Without gpsdecode installed (Debian's gpsd-clients) its figures are left out and `gpsdecode_missing`
says so.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devices.nmea import bench as nmea_bench

ROOT = Path(__file__).resolve().parents[2]


def _timed(cmd: list[str], path: Path) -> tuple[float, int]:
    """(seconds, bytes of output) of `cmd` reading `path` on its standard input."""
    with path.open("rb") as f:
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdin=f, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, check=False)
        elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}")
    return elapsed, len(p.stdout)


def run(quick: bool) -> dict[str, float | int]:
    seconds = 20_000 if quick else 100_000  # receiver-seconds: 7 sentences each
    rounds = 20_000 if quick else 100_000
    repeat = 2 if quick else 3
    ours = [sys.executable, str(ROOT / "main.py"), "decode", "-"]
    gpsdecode = shutil.which("gpsdecode")
    out: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory() as d:
        nmea_file, ais_file = Path(d) / "receiver.nmea", Path(d) / "feed.ais"
        nmea = nmea_bench.nmea_stream(seconds)
        ais, _ = nmea_bench.ais_stream(rounds)
        nmea_file.write_text("".join(line + "\r\n" for line in nmea))
        ais_file.write_text("".join(line + "\r\n" for line in ais))
        for label, path, n in (("nmea", nmea_file, len(nmea)), ("ais", ais_file, len(ais))):
            best_ours = best_theirs = math.inf
            for _ in range(repeat):
                t, size = _timed(ours, path)
                best_ours = min(best_ours, t)
                if gpsdecode:
                    t, _size = _timed([gpsdecode], path)
                    best_theirs = min(best_theirs, t)
            out[f"decode_cli_{label}_per_s"] = round(n / best_ours)
            out[f"decode_cli_{label}_json_mb"] = round(size / 1e6, 1)
            if gpsdecode:
                out[f"gpsdecode_{label}_per_s"] = round(n / best_theirs)
            out[f"decode_cli_{label}_sentences"] = n
    if not gpsdecode:
        out["gpsdecode_missing"] = 1
    return out
