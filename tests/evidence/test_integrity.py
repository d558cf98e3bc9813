"""Every frame of a clip decodes, or the clip is named by its first bad frame's time: when it is kept
(ctl evidence add refuses it, nothing stored), by ctl evidence verify and by audit verify (a clip kept before
this check existed, whose file is unaltered but does not play whole)."""

from __future__ import annotations

import json
from pathlib import Path

import av

from console.cli import main
from dispatch.blobs import file_chunks, store_blob
from dispatch.evidence.media import check, probe
from dispatch.store import NewEvent
from tests.dispatch.incident_helpers import Clock, make_core
from tests.evidence.clipmaker import make_clip
from tests.evidence.helpers import ctl, js

CREATED = "2026-12-03T10:00:00.000000Z"


def damage_frame(src: Path, dest: Path, index: int) -> Path:
    """A copy of the clip whose `index`th video packet (0-based, in file order) is scrambled, the container intact."""
    with av.open(str(src)) as c:
        pkts = sorted((p.pos, p.size) for p in c.demux(c.streams.video[0]) if p.size)
    pos, size = pkts[index]
    data = bytearray(src.read_bytes())
    for i in range(pos + 4, pos + size):
        data[i] ^= 0x5A
    dest.write_bytes(bytes(data))
    return dest


def test_a_good_clip_decodes_whole(tmp_path):
    clip = make_clip(tmp_path / "good.mp4", frames=30, fps=10)
    assert probe(clip).frames == 30 and check(clip) is None


def test_a_damaged_frame_is_named_by_its_time(tmp_path, capsys, db):
    clip = make_clip(tmp_path / "c.mp4", frames=30, fps=10, creation_time=CREATED)
    bad = damage_frame(clip, tmp_path / "bad.mp4", 17)
    assert check(bad, "bad.mp4") == "bad.mp4: frame 18 at 1.700 s gives no picture"
    assert check(bad, "bad.mp4", start=1_796_292_000.0).endswith("(the frame of 2026-12-03T10:00:01.700Z)")
    inc = js(capsys, db, "incident", "create", "--category", "illegal_dumping", "--priority", "P2",
             "--lat", "24.33", "--lon", "109.41", "--source", "video")
    _o, err = ctl(capsys, db, "evidence", "add", str(bad), "--incident", str(inc["id"]), rc=1)
    assert "bad.mp4: frame 18 at 1.700 s gives no picture: nothing stored" in err
    assert not (tmp_path / "evidence.attachments").exists() or not any(
        p.is_file() for p in (tmp_path / "evidence.attachments").rglob("*"))


def test_verify_and_audit_name_a_stored_clip_that_does_not_play_whole(tmp_path, capsys):
    core = make_core(tmp_path, Clock(1_796_292_000.0), name="old.db")
    good = make_clip(tmp_path / "good.mp4", frames=20, fps=10)
    bad = damage_frame(make_clip(tmp_path / "c.mp4", frames=30, fps=10), tmp_path / "bad.mp4", 5)
    folder = tmp_path / "old.attachments"
    events = []
    for cid, f in ((1, good), (2, bad)):  # kept by a program that checked only the first frame
        sha, size = store_blob(folder, file_chunks(f))
        events.append(NewEvent("evidence.clip_added", {
            "id": cid, "sha256": sha, "size": size, "name": f.name, "start": 1_796_292_000.0 + cid * 60,
            "end": 1_796_292_003.0 + cid * 60, "duration_s": 3.0, "start_source": "given", "camera_id": None,
            "lat": None, "lon": None, "incident_id": 1, "media": {}}, f"clip:{cid}"))
    core.command("system:test", lambda _st: events)
    core.close()
    db = f"sqlite:///{tmp_path / 'old.db'}"
    r = js(capsys, db, "evidence", "verify", rc=1)  # a bad clip found: exit 1, as audit verify
    assert r["checked"] == 2 and [b["id"] for b in r["bad"]] == [2]
    assert r["bad"][0]["problem"].startswith("clip 2 (bad.mp4): frame 6 at 0.500 s gives no picture")
    assert "2026-12-03T10:02:00.500Z" in r["bad"][0]["problem"]
    assert js(capsys, db, "evidence", "verify", "1")["bad"] == []
    out, _ = ctl(capsys, db, "evidence", "verify", rc=1)
    assert "2 clip file(s) checked" in out and "1 bad" in out
    assert main(["audit", "verify", "--db", db, "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert rep["clips_decoded"] == 2
    assert [p["seq"] for p in rep["attachment_problems"]] == [2]
    assert "frame 6 at 0.500 s gives no picture" in rep["attachment_problems"][0]["message"]
    assert main(["audit", "verify", "--db", db, "--no-decode"]) == 0
    capsys.readouterr()


def test_a_segment_cut_from_an_open_gop_stream_with_b_frames_is_whole(tmp_path):
    """What evidence record keeps of a camera using B-frames and open GOPs: cut at a keyframe, its timestamps
    moved to start at 0; every frame that is shown decodes, so it is not refused."""
    from fractions import Fraction

    import numpy as np

    src = tmp_path / "cam.mkv"
    with av.open(str(src), "w") as out:
        s = out.add_stream("libx264", rate=10, options={
            "bf": "3", "x264-params": "open-gop=1:keyint=10:min-keyint=10:scenecut=0"})
        s.width, s.height, s.pix_fmt = 160, 120, "yuv420p"
        for n in range(60):
            img = np.random.default_rng(n % 7).integers(0, 255, (120, 160, 3), dtype=np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts, f.time_base = n, Fraction(1, 10)
            for pkt in s.encode(f):
                out.mux(pkt)
        for pkt in s.encode(None):
            out.mux(pkt)
    cut = tmp_path / "segment.mkv"
    with av.open(str(src)) as inp, av.open(str(cut), "w", format="matroska") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream_from_template(vin)
        first, keys = None, 0
        for pkt in inp.demux(vin):
            if pkt.pts is None or not pkt.size:
                continue
            if first is None:
                keys += pkt.is_keyframe
                if keys < 2:
                    continue  # from the second keyframe, as a recording joins a stream
                first = pkt.pts
            pkt.pts -= first
            if pkt.dts is not None:
                pkt.dts -= first
            pkt.stream = vout
            out.mux(pkt)
    assert check(cut) is None and probe(cut).frames == 50


def test_a_damaged_frame_of_an_h264_clip_with_b_frames(tmp_path):
    """Frames reordered by the decoder (B-frames) and decoded on threads: the damage is still named at its
    time (or at a B-frame shown just before it, which refers to it)."""
    from fractions import Fraction

    import numpy as np

    clip = tmp_path / "h264.mp4"
    with av.open(str(clip), "w") as out:
        s = out.add_stream("libx264", rate=10, options={"g": "20", "bf": "2"})
        s.width, s.height, s.pix_fmt = 160, 120, "yuv420p"
        for n in range(60):
            img = np.random.default_rng(n).integers(0, 255, (120, 160, 3), dtype=np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts, f.time_base = n, Fraction(1, 10)
            for pkt in s.encode(f):
                out.mux(pkt)
        for pkt in s.encode(None):
            out.mux(pkt)
    assert check(clip) is None
    with av.open(str(clip)) as c:
        vs = c.streams.video[0]
        pkts = sorted((p.pos, p.pts) for p in c.demux(vs) if p.size)
        damaged_at = float(pkts[25][1] * vs.time_base)
    bad = damage_frame(clip, tmp_path / "bad.mp4", 25)
    why = check(bad, "bad.mp4")
    assert why is not None
    named = float(why.split(" at ")[1].split(" s ")[0])
    assert damaged_at - 0.35 <= named <= damaged_at, (why, damaged_at)
