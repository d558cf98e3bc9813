"""`main.py ingest FILE --unit UNIT`: a truck's recorded NMEA log through decoding, state, the rules and
the store, with the log's own times; `ctl --json alerts` shows what the rules made of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from devices.nmea import encode
from tests.rules.helpers import FRAME, line, local_ts, make_core, setup_city, stay

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path):
    core = make_core(tmp_path, "log.db")
    setup_city(core)
    core.close()
    return f"sqlite:///{tmp_path / 'log.db'}"


def write_log(path, points):
    """RMC + GGA once a second, as a truck's receiver writes them (the file holds no receive times)."""
    with open(path, "w", encoding="ascii") as fh:
        for ts, x, y, speed in points:
            lat, lon = FRAME.to_latlon(x, y)
            fh.write(encode.rmc("GN", ts, lat, lon, speed, 90.0) + "\r\n")
            fh.write(encode.gga("GN", ts, lat, lon, 85.0, sats=12, hdop=0.8) + "\r\n")
    return str(path)


def ctl_without_qt(tmp_path, db, *args):
    """`main.py ctl --db DB ARGS` in a process where Qt cannot be loaded (a headless server's): its output."""
    blocked = tmp_path / "no-qt" / "PySide6"
    blocked.mkdir(parents=True, exist_ok=True)
    (blocked / "__init__.py").write_text("raise ImportError('ctl loaded Qt')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocked.parent), str(ROOT)])}
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "ctl", "--db", db, *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def run(capsys, *args, rc=0):
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == rc, (args, out, err)
    return out, err


def day(field_stop: bool):
    t = local_ts("2026-12-03 09:00")
    pts = stay(t, (-200, 0), 15 * 60)  # loading at the construction site
    t += 15 * 60
    if field_stop:
        pts += line(t, (-200, 0), (1500, 700), 10.0)
        t = pts[-1][0] + 1
        pts += stay(t, (1500, 700), 20 * 60)  # twenty minutes in a field
        t += 20 * 60
        pts += line(t, (1500, 700), (3100, 0), 10.0)
    else:
        pts += line(t, (-200, 0), (3100, 0), 10.0)
    t = pts[-1][0] + 1
    pts += stay(t, (3100, 0), 20 * 60)  # unloading at the approved disposal site
    t += 20 * 60
    pts += line(t, (3100, 0), (-200, 0), 10.0)
    return pts


def test_a_stop_in_a_field_raises_exactly_one_suspected_dumping(capsys, db, tmp_path):
    pts = day(field_stop=True)
    log = write_log(tmp_path / "truck-01.nmea", pts)
    out, _ = run(capsys, "ingest", log, "--unit", "truck-01", "--db", db, "--json")
    summary = json.loads(out)
    assert summary["fixes"] == len(pts) and summary["bad_lines"] == 0 and summary["alerts"] == 1
    assert summary["first"] == "2026-12-03T01:00:00Z"  # the log's own times
    [a] = json.loads(run(capsys, "ctl", "--db", db, "--json", "alerts")[0])
    assert {"id", "rule", "unit_id", "lat", "lon", "ts", "state"} <= set(a)
    assert (a["rule"], a["unit_id"], a["state"]) == ("suspected_dumping", "truck-01", "cleared")
    x, y = FRAME.to_xy(a["lat"], a["lon"])
    assert (x - 1500) ** 2 + (y - 700) ** 2 < 40**2
    stop_begins = next(p[0] for p in pts if p[1] == pytest.approx(1500, abs=40) and p[2] == pytest.approx(700, abs=40))
    assert stop_begins + 15 * 60 <= a["ts"] < stop_begins + 20 * 60
    # the fixes went to the store with the log's times: the evidence track can be made from them
    made = json.loads(ctl_without_qt(tmp_path, db, "--json", "alert", "incident", str(a["id"]), "--lang", "zh_CN",
                                     "--note", "现场核查"))
    assert made["evidence"]["points"] > 20 * 60
    # its text says the alert as the console's Alerts tab does, in the language asked for, then the note
    shown = json.loads(run(capsys, "ctl", "--db", db, "--json", "incident", "show", str(made["incident_id"]))[0])
    assert shown["text"].startswith("疑似偷倒 · truck-01 · 在工地和消纳场以外停留 ") and shown["text"].endswith(" — 现场核查")


def test_the_same_truck_unloading_at_its_disposal_site_raises_none(capsys, db, tmp_path):
    log = write_log(tmp_path / "truck-01.nmea", day(field_stop=False))
    run(capsys, "ingest", log, "--unit", "truck-01", "--db", db)
    assert json.loads(run(capsys, "ctl", "--db", db, "--json", "alerts")[0]) == []


def test_an_unknown_unit_or_file_is_refused(capsys, db, tmp_path):
    log = write_log(tmp_path / "x.nmea", day(field_stop=False)[:5])
    _, err = run(capsys, "ingest", log, "--unit", "truck-77", "--db", db, rc=1)
    assert "unknown unit 'truck-77'" in err
    _, err = run(capsys, "ingest", str(tmp_path / "nope.nmea"), "--unit", "truck-01", "--db", db, rc=1)
    assert "no such file" in err
