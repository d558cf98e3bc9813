"""ctl evidence to-case: a non-site incident's clips and stills carried into the enforcement case opened from it,
each by its hash (the same blob), listed by ctl case show with its SHA-256; nothing is added twice."""

from __future__ import annotations

from tests.evidence.clipmaker import make_clip
from tests.evidence.helpers import ctl, js

START = "2026-12-03T18:00:00+08:00"


def test_video_evidence_into_the_case(capsys, db, tmp_path):
    inc = str(js(capsys, db, "incident", "create", "--category", "construction_waste_spill", "--priority", "P2",
                 "--lat", "24.33", "--lon", "109.41", "--source", "video")["id"])
    clip = js(capsys, db, "evidence", "add", str(make_clip(tmp_path / "truck.mp4")), "--incident", inc,
              "--start", START)
    still = js(capsys, db, "evidence", "frame", str(clip["id"]), "--at", "2026-12-03T18:00:01.5+08:00")
    case = js(capsys, db, "case", "open", "--incident", inc, "--violation", "CSRQ-001", "--party-type",
              "organisation", "--party-name", "柳州市某某渣土运输有限公司", "--id-number", "91450200MA5K000001")
    r = js(capsys, db, "evidence", "to-case", str(case["id"]))
    assert [(e["kind"], e["sha256"]) for e in r["added"]] == [("video", clip["sha256"]), ("still", still["sha256"])]
    out, _ = ctl(capsys, db, "case", "show", str(case["id"]))
    assert f"truck.mp4 {clip['size']} B sha256 {clip['sha256']}" in out and still["sha256"] in out
    assert js(capsys, db, "evidence", "to-case", str(case["id"]))["added"] == []
    _o, err = ctl(capsys, db, "evidence", "to-case", "99", rc=1)
    assert "99" in err
