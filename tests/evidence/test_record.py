"""ctl evidence record: a camera's stream served over HTTP on 127.0.0.1 is recorded for N minutes (its packets
copied, not re-encoded) and kept as a clip whose frames are the stream's; a stream address that accepts the
connection but never answers is refused after the timeout with nothing stored."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from tests.evidence.clipmaker import frame_number_of_png
from tests.evidence.helpers import ctl, js


@pytest.fixture
def silent():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)  # connections are accepted by the kernel, never answered
    yield f"http://127.0.0.1:{s.getsockname()[1]}/stream"
    s.close()


def test_record_a_served_stream_and_refuse_a_silent_one(capsys, db, tmp_path, served, silent):
    f = tmp_path / "cams.csv"
    f.write_text(f"id,lat,lon,direction,fov,range_m,stream\ncam-live,24.33,109.41,0,90,100,{served}\n"
                 f"cam-silent,24.33,109.41,0,90,100,{silent}\ncam-none,24.33,109.41,0,90,100,\n", encoding="utf-8")
    ctl(capsys, db, "cameras", "import", str(f))
    inc = str(js(capsys, db, "incident", "create", "--category", "illegal_dumping", "--priority", "P2",
                 "--lat", "24.33", "--lon", "109.41", "--source", "video")["id"])
    _o, err = ctl(capsys, db, "evidence", "record", "cam-silent", "--incident", inc, "--minutes", "0.02",
                  "--stream-timeout", "1", rc=1)
    assert f"stream {silent} did not answer within 1 s" in err and "nothing recorded" in err
    _o, err = ctl(capsys, db, "evidence", "record", "cam-none", "--incident", inc, "--minutes", "1", rc=1)
    assert "camera cam-none has no stream address" in err
    assert js(capsys, db, "evidence", "list", "--incident", inc) == []
    folder = tmp_path / "evidence.attachments"
    assert not folder.exists() or not [p for p in folder.rglob("*") if p.is_file()]

    r = js(capsys, db, "evidence", "record", "cam-live", "--incident", inc, "--minutes", "0.02")  # 1.2 s
    assert r["camera_id"] == "cam-live" and r["name"].startswith("cam-live-") and r["name"].endswith("Z.mkv")
    assert r["media"]["codec"] == "mpeg4" and r["media"]["frames"] == 12
    assert r["duration_s"] == pytest.approx(1.2, abs=0.11) and (r["lat"], r["lon"]) == (24.33, 109.41)
    at = datetime.fromtimestamp(r["start"] + 0.55, UTC).isoformat()
    still = js(capsys, db, "evidence", "frame", str(r["id"]), "--at", at, "--out", str(tmp_path / "s.png"))
    assert frame_number_of_png((tmp_path / "s.png").read_bytes()) == 5 and still["offset_s"] == pytest.approx(0.5)
    assert [p.name for p in folder.iterdir() if p.name.startswith(".recording-")] == []
    # reachability: the silent camera is marked unreachable (once), the served one is not
    r = js(capsys, db, "cameras", "check", "--stream-timeout", "1")
    assert r["up"] == ["cam-live"] and list(r["down"]) == ["cam-silent"]
    js(capsys, db, "cameras", "check", "--stream-timeout", "1")
    cams = {c["id"]: c for c in js(capsys, db, "cameras")}
    assert cams["cam-silent"]["down"].startswith("did not answer within 1 s") and cams["cam-live"]["down"] is None
    from sqlalchemy import create_engine, text

    eng = create_engine(db)
    with eng.connect() as c:
        marks = c.execute(text("SELECT count(*) FROM events WHERE kind = 'camera.unreachable'")).scalar()
    eng.dispose()
    assert marks == 1  # recorded on the change only
    out, _ = ctl(capsys, db, "cameras")
    assert "unreachable" in out
