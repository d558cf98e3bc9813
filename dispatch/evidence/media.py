"""What a clip holds, read with PyAV (FFmpeg's demuxers and decoders): no container is parsed by hand.

``probe(path)`` opens the file, demuxes every packet of its video stream (reading the file once, a
packet at a time: a 4 GB clip never sits in memory) and decodes every frame. A file FFmpeg cannot
open, without a video stream, or whose packets stop before the duration its header declares is refused
(``Refused``, code ``not_video`` or ``truncated``); one with a frame that does not decode is refused naming
that frame's time in the clip (``bad_frame``). ``check(path)`` says the same of a stored clip (audit verify,
evidence.verify).

Times: a clip's media timeline starts at its first video frame; ``frame_at(path, offset)`` returns the
frame shown at ``offset`` seconds into it: the last frame whose presentation time is at or before it.
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from dispatch.errors import Refused

log = logging.getLogger(__name__)


def load_av() -> Any:
    """PyAV, imported when a video is first read, not at start-up (0.1 s of every console's and hub's start)."""
    import av

    return av


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
    av = load_av()
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


@dataclass(frozen=True, slots=True)
class BadFrame:
    """The first frame of a clip that does not decode: its presentation time from the clip's first frame."""

    offset_s: float
    number: int  # 1-based, in presentation order
    why: str

    def text(self) -> str:
        return f"frame {self.number} at {self.offset_s:.3f} s {self.why}"


@dataclass(frozen=True, slots=True)
class Scan:
    info: ClipInfo | None  # None: no video frames at all
    bad: BadFrame | None
    declared_s: float | None  # the duration the header declares


def scan(path: str | Path, label: str | None = None) -> Scan:
    """Read a clip's video stream through once, a packet at a time, decoding every frame.

    A frame is bad when its packet makes the decoder fail, when the decoder marks it corrupt (it concealed
    damage), or when no frame comes out for its presentation time. Only the first bad one (in presentation
    order) is named. Memory stays bounded however long the clip: decoders give frames in presentation order, so
    a presentation time still waiting when a later frame comes out never will (``pending`` holds only the
    frames in the decoder's reordering and threads).

    :raises Refused: not a video FFmpeg can read, or its container breaks off (``truncated``).
    """
    av = load_av()
    p = Path(path)
    what = label or p.name
    with _open(p, what) as c:
        if not c.streams.video:
            raise Refused(f"{what} has no video stream: nothing stored", "not_video")
        vs = c.streams.video[0]
        vs.thread_type = "AUTO"  # frame threads: a frame's error may come out a few packets later; found by pts
        ctx = vs.codec_context
        tb = vs.time_base
        first = last_end = None
        frames = 0
        pending: list[int] = []  # a heap of presentation times demuxed, not yet given by the decoder
        worst: list[tuple[int, str]] = []  # the earliest bad frame found: [(pts, why)]

        def bad(pts: int, why: str) -> None:
            if not worst or pts < worst[0][0]:
                worst[:] = [(pts, why)]

        def take(out: Any) -> None:
            for fr in out:
                if fr.pts is None:
                    continue
                while pending and pending[0] < fr.pts:
                    bad(heapq.heappop(pending), "gives no picture")
                if pending and pending[0] == fr.pts:
                    heapq.heappop(pending)
                if fr.is_corrupt:
                    bad(fr.pts, "is marked corrupt by the decoder")

        try:
            for pkt in c.demux(vs):
                if pkt.size == 0 or pkt.pts is None:
                    continue  # the flush packet at the end
                frames += 1
                heapq.heappush(pending, pkt.pts)
                t1 = pkt.pts + (pkt.duration or 0)
                first = pkt.pts if first is None else min(first, pkt.pts)
                last_end = t1 if last_end is None else max(last_end, t1)
                try:
                    take(ctx.decode(pkt))
                except av.FFmpegError as exc:
                    bad(pkt.pts, f"does not decode ({_why(exc)})")
        except av.FFmpegError as exc:
            raise Refused(f"{what} is damaged or truncated ({_why(exc)}): nothing stored", "truncated") from None
        try:
            take(ctx.decode(None))
        except av.FFmpegError as exc:
            log.info("%s: the decoder's flush failed: %s", what, _why(exc))
        for pts in pending:
            bad(pts, "gives no picture")
        declared = None
        if vs.duration is not None:
            declared = float(vs.duration * tb)
        elif c.duration is not None:
            declared = c.duration / av.time_base
        if frames == 0 or first is None or last_end is None:
            return Scan(None, None, declared)
        rate = vs.average_rate or vs.guessed_rate
        info = ClipInfo(duration_s=float((last_end - first) * tb), creation_time=_creation_time(c, vs),
                        codec=ctx.name, width=ctx.width, height=ctx.height, fps=float(rate) if rate else None,
                        frames=frames, container=c.format.name)
    found = None
    if worst:
        pts, why = worst[0]
        found = BadFrame(offset_s=float((pts - first) * tb), number=_rank(p, what, pts), why=why)
    return Scan(info, found, declared)


def _rank(path: Path, what: str, pts: int) -> int:
    """The 1-based place of presentation time `pts` among the clip's frames (a second pass, demuxing only)."""
    with _open(path, what) as c:
        vs = c.streams.video[0]
        return 1 + sum(1 for pkt in c.demux(vs) if pkt.size and pkt.pts is not None and pkt.pts < pts)


def probe(path: str | Path, label: str | None = None) -> ClipInfo:
    """Read a clip through once, decoding every frame. :raises Refused: not a video, truncated, or a frame
    that does not decode (named by its time in the clip)."""
    what = label or Path(path).name
    s = scan(path, what)
    if s.info is None:
        raise Refused(f"{what} holds no video frames: nothing stored", "not_video")
    if s.declared_s is not None and s.info.duration_s + TRUNCATION_SLACK_S < s.declared_s:
        raise Refused(f"{what} is truncated: its frames end at {s.info.duration_s:.2f} s of the {s.declared_s:.2f} s "
                      "its header declares: nothing stored", "truncated")
    if s.bad is not None:
        raise Refused(f"{what}: {s.bad.text()}: nothing stored", "bad_frame")
    return s.info


def check(path: str | Path, label: str | None = None, start: float | None = None) -> str | None:
    """Why a stored clip no longer plays whole (its first bad frame named by its time in the clip, and by the
    instant it shows when the clip's ``start`` is given), or None when every frame decodes."""
    try:
        probe(path, label)
    except Refused as exc:
        why = str(exc).removesuffix(": nothing stored")
        if start is not None and exc.code == "bad_frame":
            s = scan(path, label)
            if s.bad is not None:
                at = datetime.fromtimestamp(start + s.bad.offset_s, UTC).isoformat(timespec="milliseconds")
                why += f" (the frame of {at.replace('+00:00', 'Z')})"
        return why
    return None


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
    av = load_av()
    enc = av.CodecContext.create("png", "w")
    enc.width, enc.height = frame.width, frame.height
    enc.pix_fmt = "rgb24"
    enc.time_base = Fraction(1, 1)
    rgb = frame.reformat(format="rgb24")
    rgb.pts = 0
    data = b"".join(bytes(pkt) for pkt in enc.encode(rgb))
    data += b"".join(bytes(pkt) for pkt in enc.encode(None))
    return data
