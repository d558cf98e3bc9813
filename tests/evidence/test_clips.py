"""ctl evidence add|list on a real SQLite store with clips made by PyAV in the test: the start from the
container's creation time or given, end = start + duration, the place from the camera; a file that is not a
video, a truncated clip, a clip without a time and no --start are refused with nothing stored; audit verify
names a clip changed by one byte, or missing."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime

import pytest

from console.cli import main
from tests.evidence.clipmaker import make_clip
from tests.evidence.helpers import ctl, js

CREATED = "2026-12-03T10:00:00.000000Z"
T_CREATED = datetime.fromisoformat("2026-12-03T10:00:00+00:00").timestamp()


def blobs(tmp_path):
    folder = tmp_path / "evidence.attachments"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def evidence_events(db):
    from sqlalchemy import create_engine, text

    eng = create_engine(db)
    with eng.connect() as c:
        n = c.execute(text("SELECT count(*) FROM events WHERE kind LIKE 'evidence.%'")).scalar()
    eng.dispose()
    return n


@pytest.fixture
def incident(capsys, db, tmp_path):
    f = tmp_path / "cams.csv"
    f.write_text("id,lat,lon,direction,fov,range_m\ncam-bridge,24.3301,109.4102,90,60,150\n", encoding="utf-8")
    ctl(capsys, db, "cameras", "import", str(f))
    inc = js(capsys, db, "incident", "create", "--category", "illegal_dumping", "--priority", "P2",
             "--lat", "24.3301", "--lon", "109.4110", "--source", "video")
    return str(inc["id"])


def test_add_from_container_time_and_list(capsys, db, tmp_path, incident):
    clip = make_clip(tmp_path / "bridge.mp4", frames=30, fps=10, creation_time=CREATED)
    r = js(capsys, db, "evidence", "add", str(clip), "--incident", incident, "--camera", "cam-bridge")
    assert r["sha256"] == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert r["duration_s"] == pytest.approx(3.0) and r["id"] == 1
    assert r["start"] == pytest.approx(T_CREATED) and r["end"] == pytest.approx(T_CREATED + 3.0)
    assert r["start_source"] == "container" and (r["lat"], r["lon"]) == (24.3301, 109.4102)
    assert r["media"]["codec"] == "mpeg4" and r["media"]["frames"] == 30
    assert blobs(tmp_path) == [r["sha256"]]
    # the same clip given another start: stored once, recorded twice, the given start wins
    r2 = js(capsys, db, "evidence", "add", str(clip), "--incident", incident, "--start", "2026-12-03T18:30:00+08:00")
    assert r2["start"] == pytest.approx(T_CREATED + 30 * 60) and r2["start_source"] == "given"
    assert r2["camera_id"] is None and r2["lat"] is None
    listed = js(capsys, db, "evidence", "list", "--incident", incident)
    assert [c["id"] for c in listed] == [1, 2] and blobs(tmp_path) == [r["sha256"]]
    out, _ = ctl(capsys, db, "evidence", "list", "--incident", incident)
    assert r["sha256"] in out and "2026-12-03T10:00:00Z" in out
    assert main(["audit", "verify", "--db", db]) == 0
    capsys.readouterr()


def test_bad_clips_refused_nothing_stored(capsys, db, tmp_path, incident):
    notvideo = tmp_path / "notes.mp4"
    notvideo.write_text("这不是视频\n" * 200, encoding="utf-8")
    _o, err = ctl(capsys, db, "evidence", "add", str(notvideo), "--incident", incident, "--start", CREATED, rc=1)
    assert "notes.mp4 is not a video FFmpeg can read" in err and "nothing stored" in err

    whole = make_clip(tmp_path / "whole.mp4", creation_time=CREATED).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 2])  # the index (moov) at the end is lost
    _o, err = ctl(capsys, db, "evidence", "add", str(cut), "--incident", incident, rc=1)
    assert "cut.mp4 is not a video FFmpeg can read" in err

    fast = make_clip(tmp_path / "fast.mp4", creation_time=CREATED, faststart=True, frames=50).read_bytes()
    cut2 = tmp_path / "cut2.mp4"
    cut2.write_bytes(fast[: len(fast) * 2 // 3])  # the index at the front, the frames cut short
    _o, err = ctl(capsys, db, "evidence", "add", str(cut2), "--incident", incident, rc=1)
    assert "cut2.mp4 is truncated: its frames end at" in err and "of the 5.00 s its header declares" in err

    untimed = make_clip(tmp_path / "untimed.mp4")
    _o, err = ctl(capsys, db, "evidence", "add", str(untimed), "--incident", incident, rc=1)
    assert "untimed.mp4 carries no recording time: give its start (--start" in err

    _o, err = ctl(capsys, db, "evidence", "add", str(tmp_path / "nope.mp4"), "--incident", incident, rc=1)
    assert "no such file" in err
    _o, err = ctl(capsys, db, "evidence", "add", str(untimed), "--incident", "999", "--start", CREATED, rc=1)
    assert "unknown incident 999" in err
    _o, err = ctl(capsys, db, "evidence", "add", str(untimed), "--incident", incident, "--start", CREATED,
                  "--camera", "cam-nowhere", rc=1)
    assert "unknown camera cam-nowhere" in err
    assert blobs(tmp_path) == [] and evidence_events(db) == 0
    # with its start given, the untimed clip is kept
    r = js(capsys, db, "evidence", "add", str(untimed), "--incident", incident, "--start", CREATED)
    assert r["start"] == pytest.approx(T_CREATED) and blobs(tmp_path) == [r["sha256"]]


def test_audit_names_changed_and_missing_clip(capsys, db, tmp_path, incident):
    a = js(capsys, db, "evidence", "add", str(make_clip(tmp_path / "a.mp4", creation_time=CREATED)),
           "--incident", incident)
    b = js(capsys, db, "evidence", "add", str(make_clip(tmp_path / "b.mp4", frames=20, creation_time=CREATED)),
           "--incident", incident)
    assert main(["audit", "verify", "--db", db]) == 0
    capsys.readouterr()
    pa = tmp_path / "evidence.attachments" / a["sha256"][:2] / a["sha256"]
    os.chmod(pa, 0o644)
    data = bytearray(pa.read_bytes())
    data[len(data) // 2] ^= 0x01  # one byte
    pa.write_bytes(bytes(data))
    assert main(["audit", "verify", "--db", db]) != 0
    out, err = capsys.readouterr()
    assert f"a.mp4 of clip:{a['id']}" in out + err and "altered" in out + err
    assert "b.mp4" not in out + err
    pb = tmp_path / "evidence.attachments" / b["sha256"][:2] / b["sha256"]
    pb.unlink()
    assert main(["audit", "verify", "--db", db]) != 0
    out, err = capsys.readouterr()
    assert f"b.mp4 of clip:{b['id']}" in out + err and "missing" in out + err
