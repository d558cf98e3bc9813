"""Clips made in the tests with PyAV: frame n is filled with grey level LEVEL_STEP * n (modulo 256: 32 frames
tell themselves apart), so a decoded frame tells which frame it is (``frame_number_of_png``)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

LEVEL_STEP = 8


def make_clip(path: Path, frames: int = 30, fps: int = 10, creation_time: str | None = None,
              faststart: bool = False, size: tuple[int, int] = (64, 48)) -> Path:
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), mode="w", options=options) as out:
        if creation_time:
            out.metadata["creation_time"] = creation_time
        s = out.add_stream("mpeg4", rate=fps)
        s.width, s.height = size
        s.pix_fmt = "yuv420p"
        s.codec_context.time_base = Fraction(1, fps)
        s.codec_context.qmin, s.codec_context.qmax = 1, 3
        for n in range(frames):
            img = np.full((size[1], size[0], 3), (LEVEL_STEP * n) % 256, dtype=np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts = n
            f.time_base = Fraction(1, fps)
            for pkt in s.encode(f):
                out.mux(pkt)
        for pkt in s.encode(None):
            out.mux(pkt)
    return path


def frame_number_of_png(png: bytes) -> int:
    """Which frame a PNG still shows (decoded with PyAV's PNG decoder)."""
    ctx = av.CodecContext.create("png", "r")
    frames = []
    for pkt in ctx.parse(png):
        frames.extend(ctx.decode(pkt))
    frames.extend(ctx.decode(None))
    arr = frames[0].to_ndarray(format="rgb24")
    return int(round(float(arr.mean()) / LEVEL_STEP))
