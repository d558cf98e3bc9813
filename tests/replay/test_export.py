"""Export a window as a replay file and as an HTML track map; bad files get clear messages."""

from __future__ import annotations

import os
import re
import sqlite3

import pytest

from console.cli import main as cli_main
from dispatch.errors import Refused
from dispatch.record.export import ReplayFileError, export_html, export_replay, open_replay_file
from dispatch.record.replay import iso_z
from tests.replay.conftest import T0, expected_positions


def test_replay_file_round_trip(shift, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    out = tmp_path / "shift.replay"
    t1, t2 = T0 + 600, T0 + 1200
    assert cli_main(["ctl", "--db", shift.url, "export", "--from", iso_z(t1), "--to", iso_z(t2),
                     "--out", str(out)]) == 0
    said = capsys.readouterr().out  # a line like every other command (issue 19, item 19), not JSON
    assert said.startswith(f"replay file {out}: ") and " units, " in said and " fixes" in said
    assert not said.lstrip().startswith("{")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # others may read it, as any file the user makes
    rf = open_replay_file(out)
    assert rf.window == pytest.approx((t1, t2), abs=1e-6)
    rec = rf.recording()
    for t in (t1, t1 + 123.4, t2):
        want = expected_positions(shift.fixes, t)
        got = {f.unit_id: (f.lat, f.lon) for f in rec.positions_at(t)}
        assert got == {u: (f.lat, f.lon) for u, f in want.items()}
    # the state at the window's start is rebuilt from the events before it, and the chain verifies
    assert set(rec.state_at(t1).units) == set(shift.units)
    rf.close()
    assert cli_main(["audit", "verify", "--db", f"sqlite:///{out}"]) == 0
    assert cli_main(["replay", str(out), "--check"]) == 0
    assert "replay of" in capsys.readouterr().out


def test_a_replay_file_of_format_1_still_opens(shift, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A file exported before fixes were packed (format 1: a row per fix, no block tables) reads as it did,
    through a copy with the sealed tier's tables added."""
    from dispatch import fixes

    shift.core.close()
    out = tmp_path / "old.replay"
    t1, t2 = T0 + 600, T0 + 1200
    export_replay(shift.store.engine, t1, t2, out)
    rf = open_replay_file(out)
    with rf.engine.connect() as conn:
        rows = fixes.fixes_between(conn, None, None, order="time")
    rf.close()
    con = sqlite3.connect(out)  # what version 1 wrote: the fixes table, no blocks
    con.executescript("DROP TABLE fix_blocks; DROP TABLE fix_sources; DROP TABLE fixes; "
                      "CREATE TABLE fixes (id INTEGER PRIMARY KEY, "
                      "unit_id TEXT, ts REAL, lat REAL, lon REAL, speed REAL, course REAL, source TEXT); "
                      "UPDATE replay_meta SET value = '1' WHERE key = 'format_version';")
    con.executemany("INSERT INTO fixes (unit_id, ts, lat, lon, speed, course, source) VALUES (?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()
    before = out.read_bytes()
    rf = open_replay_file(out)
    try:
        assert rf.copy is not None and rf.copy.exists()
        rec = rf.recording()
        for t in (t1, t1 + 123.4, t2):
            want = expected_positions(shift.fixes, t)
            assert {f.unit_id: (f.lat, f.lon) for f in rec.positions_at(t)} == {
                u: (f.lat, f.lon) for u, f in want.items()}
    finally:
        rf.close()
    assert rf.copy is not None and not rf.copy.exists()
    assert out.read_bytes() == before  # the file itself is left as it was


def test_bad_replay_files_are_refused_clearly(shift, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    good = tmp_path / "good.replay"
    export_replay(shift.store.engine, T0, T0 + 1800, good)
    data = good.read_bytes()

    cut = tmp_path / "cut.replay"
    cut.write_bytes(data[: len(data) // 2])
    newer = tmp_path / "newer.replay"
    newer.write_bytes(data)
    with sqlite3.connect(newer) as con:
        con.execute("update replay_meta set value='99' where key='format_version'")
    text_file = tmp_path / "notes.replay"
    text_file.write_text("hello")
    cases = {cut: "cut short", newer: "newer", text_file: "not a SQLite", tmp_path / "missing.replay": "no such file",
             tmp_path / "plain.db": "not a replay file"}
    sqlite3.connect(tmp_path / "plain.db").execute("create table t(x)").connection.close()
    for path, words in cases.items():
        with pytest.raises(ReplayFileError, match=words):
            open_replay_file(path)
        assert cli_main(["replay", str(path)]) == 2
        assert words in capsys.readouterr().err


def test_an_empty_window_is_refused(shift, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    with pytest.raises(Refused, match="no data"):
        export_replay(shift.store.engine, T0 - 7200, T0 - 3600, tmp_path / "x.replay")
    with pytest.raises(Refused, match="before it starts"):
        export_replay(shift.store.engine, T0 + 10, T0, tmp_path / "x.replay")
    assert not (tmp_path / "x.replay").exists()


def test_html_track_map_is_self_contained(shift, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    out = tmp_path / "tracks.html"
    r = export_html(shift.store.engine, T0, T0 + 1800, out)
    assert r["units"] == len(shift.units)
    page = out.read_text(encoding="utf-8")
    assert "L.polyline" in page or "polyline" in page.lower()
    # one line per unit, two for the unit whose fixes stopped for five minutes: none across the gap (issue 19, 13)
    assert page.count("L.polyline(") == len(shift.units) + 1
    assert "L.version" in page or "Leaflet" in page  # Leaflet itself is in the file
    assert page.count("L.control.scale(") == 1 and "imperial: false" in page  # metres only, as on the live map
    # no script, style sheet or image comes from elsewhere (links inside Leaflet's own code are text)
    remote = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)\s*=\s*["\'](?:https?:)?//[^"\']+', page)
    assert remote == [], remote
