"""What media.py reads from clips of the forms cameras and phones write, checked against FFmpeg's own reading
(ffprobe, ffmpeg -ss) on a matrix of files; each case here is a discrepancy that was fixed, on a clip made in
the test with PyAV: frame n of a grey clip is grey level 8n (clipmaker.frame_number_of_png tells it back)."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from dispatch.errors import Refused
from dispatch.evidence.media import frame_at, probe
from tests.evidence.clipmaker import LEVEL_STEP, frame_number_of_png

MAY_1_0830Z = datetime(2026, 5, 1, 8, 30, tzinfo=UTC).timestamp()


def grey_clip(path: Path, codec: str = "libx264", frames: int = 30, fps: int = 10, fmt: str | None = None,
              options: dict[str, str] | None = None, container_options: dict[str, str] | None = None,
              metadata: dict[str, str] | None = None, audio_s: float = 0.0, rotation: int = 0,
              picture: np.ndarray | None = None, first: int = 0) -> Path:
    """A clip whose frame n is grey level 8n (or `picture`, the same every frame), with `audio_s` seconds of
    silence beside it in PCM; its first frame at `first` / fps s (MPEG-TS from a camera starts at 1.4 s)."""
    size = (64, 48)
    with av.open(str(path), mode="w", format=fmt, options=container_options or {}) as out:
        for k, v in (metadata or {}).items():
            out.metadata[k] = v
        s = out.add_stream(codec, rate=fps, options=options or {})
        s.width, s.height = size
        s.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        s.codec_context.time_base = Fraction(1, fps)
        if codec in ("mpeg4", "mjpeg"):
            s.codec_context.qmin, s.codec_context.qmax = 1, 3
        if rotation:
            s.set_display_rotation(rotation)
        a = out.add_stream("pcm_s16le", rate=8000, layout="mono") if audio_s else None
        for n in range(frames):
            img = picture if picture is not None else np.full((size[1], size[0], 3), (LEVEL_STEP * n) % 256, np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts, f.time_base = first + n, Fraction(1, fps)
            for pkt in s.encode(f):
                out.mux(pkt)
        for pkt in s.encode(None):
            out.mux(pkt)
        if a is not None:
            for i in range(int(audio_s * 10)):
                af = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
                af.sample_rate, af.pts, af.time_base = 8000, i * 800, Fraction(1, 8000)
                for pkt in a.encode(af):
                    out.mux(pkt)
            for pkt in a.encode(None):
                out.mux(pkt)
    return path


def shown(path: Path, seconds: float) -> int:
    return frame_number_of_png(frame_at(path, Fraction(seconds).limit_denominator(1000)).png)


def cut_before_packet(src: Path, dest: Path, from_end: int) -> Path:
    """A copy of the clip cut where its `from_end`th last video packet begins (a card pulled while writing)."""
    with av.open(str(src)) as c:
        starts = sorted(p.pos for p in c.demux(c.streams.video[0]) if p.size and p.pos >= 0)
    dest.write_bytes(src.read_bytes()[: starts[-from_end]])
    return dest


@pytest.mark.parametrize("name,kw", [
    ("hevc.mp4", {"codec": "libx265", "options": {
        "x265-params": "keyint=10:min-keyint=10:bframes=3:lossless=1:log-level=error"}}),  # index of decoding times
    ("cam.ts", {"options": {"bf": "3", "g": "10", "qp": "0"}, "first": 14}),  # seeks by timestamp, from 1.4 s
    ("cam.flv", {"options": {"bf": "3", "g": "10", "qp": "0"}}),
])
def test_the_frame_just_before_a_keyframe_is_found(tmp_path, name, kw):
    """A seek to a keyframe shown after the instant (or to no keyframe) used to give "no frame of the clip is
    shown at that instant", or a frame made from missing references."""
    clip = grey_clip(tmp_path / name, **kw)
    assert [shown(clip, t) for t in (0, 0.95, 1.0, 1.55, 1.99, 2.95)] == [0, 9, 10, 15, 19, 29]


@pytest.mark.parametrize("codec,options", [("mpeg4", {"bf": "2", "g": "10"}),
                                           ("libx264", {"bf": "3", "g": "10", "qp": "0"})])
def test_avi_with_b_frames_is_whole_and_its_frames_are_at_their_times(tmp_path, codec, options):
    """AVI stores no presentation times: FFmpeg's guesses put the frames of a B-frame clip out of order (the
    still was a frame or two early, or refused) and made a whole clip look damaged."""
    clip = grey_clip(tmp_path / "cam.avi", codec=codec, options=options)
    assert probe(clip).frames == 30
    assert [shown(clip, t) for t in (0, 0.95, 1.0, 1.55, 2.95)] == [0, 9, 10, 15, 29]
    assert frame_at(clip, Fraction(155, 100)).offset_s == pytest.approx(1.5)


def test_a_portrait_phone_clip_gives_an_upright_still(tmp_path):
    """A phone stores a portrait clip sideways with a display matrix; ffmpeg shows it turned, so is the still."""
    img = np.zeros((48, 64, 3), np.uint8)
    img[:16, :16] = 255  # a white square at the top left of the stored picture
    clip = grey_clip(tmp_path / "phone.mp4", rotation=90, picture=img, options={"qp": "0"})
    fr = frame_at(clip, Fraction(1))
    assert (fr.width, fr.height) == (48, 64)
    ctx = av.CodecContext.create("png", "r")
    got = next(f for pkt in ctx.parse(fr.png) for f in ctx.decode(pkt)).to_ndarray(format="rgb24")
    assert got.shape == (64, 48, 3)
    assert got[:16, :16].mean() < 30 and got[-16:, :16].mean() > 220  # turned counterclockwise a quarter


def test_audio_longer_than_the_video_is_not_truncation(tmp_path):
    """Matroska declares one duration for the file, here the audio's: the video ending first is not a cut."""
    clip = grey_clip(tmp_path / "cam.mkv", codec="mpeg4", audio_s=6.0)
    assert probe(clip).duration_s == pytest.approx(3.0)


@pytest.mark.parametrize("name,kw", [
    ("fast.mp4", {"container_options": {"movflags": "+faststart"}}),  # the index first: it counts every frame
    ("cam.mkv", {"codec": "mpeg4"}),  # the segment's duration is where its last block ends
    ("cam.avi", {"codec": "mjpeg"}),  # its header counts the frames; FFmpeg's duration is of those found
])
def test_a_clip_missing_its_last_frames_is_refused(tmp_path, name, kw):
    """Cut a few frames (0.3 s) short: inside the half second the check used to allow for every container."""
    clip = grey_clip(tmp_path / name, frames=50, **kw)
    assert probe(clip).frames == 50
    cut = cut_before_packet(clip, tmp_path / f"cut-{name}", 3)
    with pytest.raises(Refused) as exc:
        probe(cut)
    assert exc.value.code in ("truncated", "bad_frame"), str(exc.value)


def test_a_phone_clip_starts_at_its_capture_time(tmp_path):
    """QuickTime's creationdate (the capture time, with its zone) is read; creation_time here is the export."""
    clip = grey_clip(tmp_path / "phone.mov", container_options={"movflags": "use_metadata_tags"}, metadata={
        "com.apple.quicktime.creationdate": "2026-05-01T16:30:00+0800", "creation_time": "2026-05-02T01:00:00Z"})
    assert probe(clip).creation_time == MAY_1_0830Z
    only = grey_clip(tmp_path / "only.mov", container_options={"movflags": "use_metadata_tags"},
                     metadata={"com.apple.quicktime.creationdate": "2026-05-01T16:30:00+08:00"})
    assert probe(only).creation_time == MAY_1_0830Z
