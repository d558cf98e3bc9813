"""Evidence bench: what checking a clip costs, per minute of video, beside its peers in the same run.

A clip of camera-like H.264 (1280x720, 25 fps, a keyframe every 2 s, moving content) is made with PyAV, then:
``evidence_verify_s_per_min``: media.check, every frame decoded (what evidence add, evidence verify and audit
verify pay); its peers: ``evidence_decode_only_s_per_min`` (PyAV decoding the same frames and nothing else: what
the checks add), ``evidence_sha256_s_per_min`` (the hash every kept file already gets) and, when the ffmpeg program
is installed, ``ffmpeg_decode_s_per_min`` (`ffmpeg -v error -i CLIP -f null -`, the same
decoding done by FFmpeg's own command).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from dispatch.blobs import sha256_file
from dispatch.evidence.media import check

FPS = 25
SIZE = (1280, 720)


def make_clip(path: Path, seconds: float) -> Path:
    w, h = SIZE
    rng = np.random.default_rng(7)
    base = rng.integers(0, 255, (h // 8, w // 8, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    with av.open(str(path), mode="w") as out:
        s = out.add_stream("libx264", rate=FPS, options={"g": str(2 * FPS), "preset": "veryfast", "crf": "26"})
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for n in range(int(seconds * FPS)):
            img = np.roll(base, 4 * n, axis=1)  # a scene panning by: every frame differs
            img[(n * 3) % (h - 40):(n * 3) % (h - 40) + 40, 100:300] = 255
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts, f.time_base = n, Fraction(1, FPS)
            for pkt in s.encode(f):
                out.mux(pkt)
        for pkt in s.encode(None):
            out.mux(pkt)
    return path


def best_of(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def decode_only(path: Path) -> int:
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        vs.thread_type = "AUTO"
        return sum(1 for _ in c.decode(vs))


def run(quick: bool) -> dict[str, float | int | str]:
    seconds = 20.0 if quick else 60.0
    folder = Path(tempfile.mkdtemp(prefix="evidence-bench-"))
    try:
        clip = make_clip(folder / "clip.mp4", seconds)
        per_min = 60.0 / seconds
        runs = 2 if quick else 3
        assert check(clip) is None
        verify = best_of(lambda: check(clip), runs)
        bare = best_of(lambda: decode_only(clip), runs)
        sha = best_of(lambda: sha256_file(clip), runs)
        out: dict[str, float | int | str] = {
            "evidence_verify_s_per_min": round(verify * per_min, 3),
            "evidence_decode_only_s_per_min": round(bare * per_min, 3),
            "evidence_sha256_s_per_min": round(sha * per_min, 3),
            "evidence_clip_mb_per_min": round(clip.stat().st_size / 1e6 * per_min, 2),
        }
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg:
            cmd = [ffmpeg, "-v", "error", "-nostdin", "-i", str(clip), "-f", "null", "-"]
            out["ffmpeg_decode_s_per_min"] = round(best_of(lambda: subprocess.run(cmd, check=True), runs) * per_min, 3)
        else:
            out["ffmpeg_decode_s_per_min"] = "ffmpeg not installed"
        out["evidence_bench_note"] = (f"{seconds:g} s of H.264 {SIZE[0]}x{SIZE[1]} at {FPS} fps, best of {runs}; "
                                      "verify decodes every frame")
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover - manual runs
    import json
    import sys

    sys.stdout.write(json.dumps(run("--full" not in sys.argv), indent=1) + "\n")
