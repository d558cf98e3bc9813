"""What a clip holds, read with PyAV (FFmpeg's demuxers and decoders): no container is parsed by hand.

``probe(path)`` opens the file, demuxes every packet of its video stream (reading the file once, a
packet at a time: a 4 GB clip never sits in memory) and decodes its first frame. A file FFmpeg cannot
open, without a video stream, whose packets stop before the duration its header declares, or whose first
frame does not decode is refused (``Refused``, code ``not_video`` or ``truncated``).

Times: a clip's media timeline starts at its first video frame; ``frame_at(path, offset)`` returns the
frame shown at ``offset`` seconds into it: the last frame whose presentation time is at or before it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from dispatch.errors import Refused

log = logging.getLogger(__name__)

TRUNCATION_SLACK_S = 0.5  # the packets may end this much before the declared duration (rounding, B-frames)


@dataclass(frozen=True, slots=True)
class ClipInfo:
    duration_s: float
    creation_time: float | None  # epoch seconds from the container's (or stream's) creation_time tag
    codec: str
    width: int
    height: int
    fps: float | None
    frames: int
    container: str

    def media(self) -> dict[str, Any]:
        return {"codec": self.codec, "width": self.width, "height": self.height,
                "fps": None if self.fps is None else round(self.fps, 6), "frames": self.frames,
                "container": self.container}


def _open(path: Path, what: str) -> Any:
    try:
        return av.open(str(path), mode="r")
    except av.FFmpegError as exc:
        raise Refused(f"{what} is not a video FFmpeg can read ({_why(exc)}): nothing stored", "not_video") from None


def _why(exc: Exception) -> str:
    return str(getattr(exc, "strerror", None) or exc).strip() or type(exc).__name__


def _creation_time(container: Any, stream: Any) -> float | None:
    for meta in (container.metadata, stream.metadata):
        raw = meta.get("creation_time") if meta else None
        if not raw:
            continue
        try:
            d = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
        except ValueError:
            log.info("unreadable creation_time %r", raw)
            continue
        if d.tzinfo is None:
            d = d.replace(tzinfo=UTC)  # the formats store UTC
        if d.year < 1990:  # 1904/1970: the muxer's "not set"
            continue
        return d.timestamp()
    return None


def probe(path: str | Path, label: str | None = None) -> ClipInfo:
    """Read a clip's video stream through once. :raises Refused: not a video, or truncated."""
    p = Path(path)
    what = label or p.name
    with _open(p, what) as c:
        if not c.streams.video:
            raise Refused(f"{what} has no video stream: nothing stored", "not_video")
        vs = c.streams.video[0]
        tb = vs.time_base
        first = last_end = None
        frames = 0
        decoded = False
        try:
            for pkt in c.demux(vs):
                if pkt.size == 0 or pkt.pts is None:
                    continue  # the flush packet at the end
                frames += 1
                t0 = pkt.pts
                t1 = pkt.pts + (pkt.duration or 0)
                first = t0 if first is None else min(first, t0)
                last_end = t1 if last_end is None else max(last_end, t1)
                if not decoded:
                    decoded = bool(vs.codec_context.decode(pkt)) or decoded
        except av.FFmpegError as exc:
            raise Refused(f"{what} is damaged or truncated ({_why(exc)}): nothing stored", "truncated") from None
        if frames == 0 or first is None or last_end is None:
            raise Refused(f"{what} holds no video frames: nothing stored", "not_video")
        if not decoded:
            try:
                decoded = bool(vs.codec_context.decode(None))
            except av.FFmpegError:
                decoded = False
        if not decoded:
            raise Refused(f"{what}: its video does not decode: nothing stored", "truncated")
        span = float((last_end - first) * tb)
        declared = None
        if vs.duration is not None:
            declared = float(vs.duration * tb)
        elif c.duration is not None:
            declared = c.duration / av.time_base
        if declared is not None and span + TRUNCATION_SLACK_S < declared:
            raise Refused(f"{what} is truncated: its frames end at {span:.2f} s of the {declared:.2f} s its header "
                          "declares: nothing stored", "truncated")
        rate = vs.average_rate or vs.guessed_rate
        return ClipInfo(duration_s=span, creation_time=_creation_time(c, vs), codec=vs.codec_context.name,
                        width=vs.codec_context.width, height=vs.codec_context.height,
                        fps=float(rate) if rate else None, frames=frames, container=c.format.name)


@dataclass(frozen=True, slots=True)
class Frame:
    offset_s: float  # presentation time from the clip's first frame
    pts: int
    png: bytes  # the frame as a PNG image (lossless, RGB)
    width: int
    height: int


def frame_at(path: str | Path, offset: Fraction) -> Frame:
    """The frame shown ``offset`` seconds into the clip: the last one whose presentation time <= offset.

    :raises Refused: offset before the first frame, or no frame decodes.
    """
    if offset < 0:
        raise Refused("that instant is before the clip starts", "out_of_clip")
    p = Path(path)
    with _open(p, p.name) as c:
        vs = c.streams.video[0]
        tb = vs.time_base
        start_pts = vs.start_time if vs.start_time is not None else 0
        target = start_pts + int(offset / tb)  # floor: a frame at exactly the instant counts
        c.seek(max(target, start_pts), stream=vs, backward=True, any_frame=False)
        best = None
        for frame in c.decode(vs):
            if frame.pts is None:
                continue
            if frame.pts <= target:
                if best is None or frame.pts >= best.pts:
                    best = frame
            else:
                break
        if best is None:
            raise Refused("no frame of the clip is shown at that instant", "out_of_clip")
        png = _png(best)
        return Frame(offset_s=float((best.pts - start_pts) * tb), pts=int(best.pts), png=png,
                     width=best.width, height=best.height)


def _png(frame: Any) -> bytes:
    enc = av.CodecContext.create("png", "w")
    enc.width, enc.height = frame.width, frame.height
    enc.pix_fmt = "rgb24"
    enc.time_base = Fraction(1, 1)
    rgb = frame.reformat(format="rgb24")
    rgb.pts = 0
    data = b"".join(bytes(pkt) for pkt in enc.encode(rgb))
    data += b"".join(bytes(pkt) for pkt in enc.encode(None))
    return data
