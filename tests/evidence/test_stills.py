"""ctl evidence frame: a clip made in the test whose frame n is grey level 8n, attached with a start time;
the still taken at a chosen instant is the frame of that instant (the last frame whose presentation time is at
or before it), kept with its clip, offset and hash; annotations are events beside it, the PNG untouched."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

from tests.evidence.clipmaker import frame_number_of_png, make_clip
from tests.evidence.helpers import ctl, js

START = "2026-12-03T18:00:00+08:00"
T0 = datetime.fromisoformat(START).timestamp()


def at(seconds: float) -> str:
    return datetime.fromtimestamp(T0 + seconds).astimezone().isoformat(timespec="microseconds")


@pytest.fixture
def clip(capsys, db, tmp_path):
    inc = js(capsys, db, "incident", "create", "--category", "illegal_dumping", "--priority", "P2",
             "--lat", "24.33", "--lon", "109.41", "--source", "video")
    path = make_clip(tmp_path / "site.mp4", frames=30, fps=10)  # 3 s, frame n shown from n/10 s
    return js(capsys, db, "evidence", "add", str(path), "--incident", str(inc["id"]), "--start", START)


def test_frame_of_the_instant(capsys, db, tmp_path, clip):
    for offset, frame in [(0.0, 0), (1.25, 12), (1.3, 13), (1.299999, 12), (2.95, 29), (0.05, 0), (2.0, 20)]:
        out = tmp_path / f"still-{offset}.png"
        r = js(capsys, db, "evidence", "frame", str(clip["id"]), "--at", at(offset), "--out", str(out))
        png = out.read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert frame_number_of_png(png) == frame, offset
        assert r["offset_s"] == pytest.approx(frame / 10) and r["frame_time"] == pytest.approx(T0 + frame / 10)
        assert r["sha256"] == hashlib.sha256(png).hexdigest() and r["clip_sha256"] == clip["sha256"]
        assert r["clip_id"] == clip["id"] and (r["width"], r["height"]) == (64, 48)


def test_still_recorded_annotated_never_altered(capsys, db, tmp_path, clip):
    cid = str(clip["id"])
    s = js(capsys, db, "evidence", "frame", cid, "--at", at(1.7), "--out", str(tmp_path / "a.png"))
    stored = tmp_path / "evidence.attachments" / s["sha256"][:2] / s["sha256"]
    before = stored.read_bytes()
    assert frame_number_of_png(before) == 17
    r = js(capsys, db, "evidence", "annotate", str(s["id"]), "--box", "10,8,20,12", "--note", "车牌 桂B·12345")
    assert r["annotations"][0]["box"] == [10, 8, 20, 12] and r["annotations"][0]["note"] == "车牌 桂B·12345"
    js(capsys, db, "evidence", "annotate", str(s["id"]), "--note", "倾倒时刻")
    assert stored.read_bytes() == before
    shown = js(capsys, db, "evidence", "show", cid)
    assert [len(x["annotations"]) for x in shown["stills"]] == [2]
    _o, err = ctl(capsys, db, "evidence", "annotate", str(s["id"]), "--box", "60,40,10,10", rc=1)
    assert "not inside the still (64x48 pixels)" in err
    _o, err = ctl(capsys, db, "evidence", "annotate", str(s["id"]), rc=1)
    assert "a box, a note or both" in err
    eng = create_engine(db)
    with eng.connect() as c:
        kinds = [r[0] for r in c.execute(text("SELECT kind FROM events WHERE kind LIKE 'evidence.%' ORDER BY seq"))]
    eng.dispose()
    assert kinds == ["evidence.clip_added", "evidence.still_taken", "evidence.still_annotated",
                     "evidence.still_annotated"]


def test_instant_outside_the_clip_refused(capsys, db, tmp_path, clip):
    for off in (-0.5, 3.5):
        _o, err = ctl(capsys, db, "evidence", "frame", str(clip["id"]), "--at", at(off),
                      "--out", str(tmp_path / "x.png"), rc=1)
        assert f"is outside clip {clip['id']}" in err
    _o, err = ctl(capsys, db, "evidence", "frame", "77", "--at", at(1), rc=1)
    assert "unknown clip 77" in err
    assert not (tmp_path / "x.png").exists()
