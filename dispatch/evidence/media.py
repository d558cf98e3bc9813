"""What a clip holds, read with PyAV (FFmpeg's demuxers and decoders): no container is parsed by hand.

``probe(path)`` opens the file, demuxes every packet of its video stream (reading the file once, a
packet at a time: a 4 GB clip never sits in memory) and decodes every frame. A file FFmpeg cannot
open, without a video stream, or whose packets stop before the duration its header declares is refused
(``Refused``, code ``not_video`` or ``truncated``); one with a frame that does not decode is refused naming
that frame's time in the clip (``bad_frame``). ``check(path)`` says the same of a stored clip (audit verify,
evidence.verify).

Times: a clip's media timeline starts at its first video frame; ``frame_at(path, offset)`` returns the
frame shown at ``offset`` seconds into it: the last frame whose presentation time is at or before it.

Checked against ffprobe/ffmpeg (FFmpeg 5.1) on ~150 clips: MP4, MOV, MKV, WebM, AVI, MPEG-TS, FLV, 3GP;
H.264, HEVC, MPEG-4, MJPEG, VP8/9, with and without audio; creation times with and without zones; rotation,
VFR, portrait and anamorphic sizes, long GOPs, B-frames, fragmented MP4, files cut at 50/95/99 %, garbage
appended, empty and non-video files. Fixed then: a seek landing after the instant (MP4 index of decoding
times, MPEG-TS/FLV) refused the still; AVI with B-frames (FFmpeg guesses its times) gave early stills and
looked damaged; rotated clips gave sideways stills; Matroska with audio longer than its video was refused as
truncated; MP4/AVI/Matroska cut by less than 0.5 s were accepted; QuickTime's creationdate was ignored.
Different on purpose: the still keeps the stored pixels of a non-square-pixel clip (ffmpeg does too; no
rescaling of evidence); an MPEG-TS or fragmented MP4 cut between frames is accepted (no header declares
their length; ffprobe cannot tell either); a creation time without a zone is taken as UTC (FFmpeg writes
MP4's and Matroska's with Z); garbage after a whole clip is not a defect of its frames. ffprobe's quirks:
its AVI-with-B-frames frame times run a frame or two late (decoding-time guesses), FLV's declared duration two
frames long; ``ffmpeg -ss`` on MPEG-TS/HEVC/fragmented MP4 may land on another frame (stills were compared
with a full decode).
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


QT_CREATIONDATE = "com.apple.quicktime.creationdate"  # phones: the capture time, with its zone (+0800)


def _parse_time(raw: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
    except ValueError:
        log.info("unreadable creation time %r", raw)
        return None


def _creation_time(container: Any, stream: Any) -> float | None:
    """The recording's start: QuickTime's creationdate when it names its zone (a phone's capture time; its
    creation_time may be when the clip was exported), else the container's (or stream's) creation_time."""
    qt = _parse_time(container.metadata.get(QT_CREATIONDATE)) if container.metadata.get(QT_CREATIONDATE) else None
    if qt is not None and qt.tzinfo is not None and qt.year >= 1990:
        return qt.timestamp()
    for meta in (container.metadata, stream.metadata):
        raw = meta.get("creation_time") if meta else None
        d = _parse_time(raw) if raw else None
        if d is None:
            continue
        if d.tzinfo is None:
            d = d.replace(tzinfo=UTC)  # the formats store UTC (FFmpeg writes it with Z)
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
    covered_s: float | None = None  # what the packets cover of it (the video's, or every stream's: see scan)
    indexed: int = 0  # the frames the container's index lists (MP4/MOV), 0 when it has none


def by_order(container: Any) -> bool:
    """AVI stores no presentation times: FFmpeg guesses its packets' (from decoding times), and with B-frames
    its decoded frames carry them out of order. Its frames are taken in the order the decoder gives them
    (presentation order), the k-th at the k-th smallest packet time; a frame that gives no picture is then
    found but named at the clip's end."""
    return bool(container.format.name == "avi")


def scan(path: str | Path, label: str | None = None) -> Scan:
    """Read a clip's video stream through once, a packet at a time, decoding every frame.

    A frame is bad when its packet makes the decoder fail, when the decoder marks it corrupt (it concealed
    damage), or when no frame comes out for its presentation time. Only the first bad one (in presentation
    order) is named. The other streams' packets are demuxed, not decoded: when only the container declares a
    duration (Matroska, WebM) it may be the audio's, longer than the video. Memory stays bounded however long the clip: decoders give frames in presentation order, so
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
        lo = hi = None  # every stream's packets, in seconds
        frames = 0
        pending: list[int] = []  # a heap of presentation times demuxed, not yet given by the decoder
        worst: list[tuple[int, str]] = []  # the earliest bad frame found: [(pts, why)]

        def bad(pts: int, why: str) -> None:
            if not worst or pts < worst[0][0]:
                worst[:] = [(pts, why)]

        ordered = by_order(c)

        def take(out: Any) -> None:
            for fr in out:
                if ordered:  # AVI: the k-th frame out is shown at the k-th presentation time
                    if not pending:
                        continue
                    pts = heapq.heappop(pending)
                elif fr.pts is None:
                    continue
                else:
                    pts = fr.pts
                    while pending and pending[0] < pts:
                        bad(heapq.heappop(pending), "gives no picture")
                    if pending and pending[0] == pts:
                        heapq.heappop(pending)
                if fr.is_corrupt:
                    bad(pts, "is marked corrupt by the decoder")

        try:
            for pkt in c.demux():
                if pkt.size == 0 or pkt.pts is None:
                    continue  # the flush packet at the end
                t0 = float(pkt.pts * pkt.time_base)
                lo = t0 if lo is None else min(lo, t0)
                hi = max(hi or t0, float((pkt.pts + (pkt.duration or 0)) * pkt.time_base))
                if pkt.stream_index != vs.index:
                    continue
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
        declared = covered = None
        if frames and first is not None and last_end is not None:
            covered = float((last_end - first) * tb)
        if vs.duration is not None:
            declared = float(vs.duration * tb)
        elif c.duration is not None:
            declared = c.duration / av.time_base
            covered = None if lo is None or hi is None else hi - lo
        indexed = int(vs.frames or 0) if c.format.name.startswith("mov") or c.format.name == "avi" else 0
        rate = vs.average_rate or vs.guessed_rate
        if c.format.name == "avi" and indexed and rate:  # its header counts the frames, a frame period each;
            declared = max(declared or 0.0, float(indexed / rate))  # FFmpeg's duration is of the chunks found
        if frames == 0 or first is None or last_end is None:
            return Scan(None, None, declared, covered, indexed)
        info = ClipInfo(duration_s=float((last_end - first) * tb), creation_time=_creation_time(c, vs),
                        codec=ctx.name, width=ctx.width, height=ctx.height, fps=float(rate) if rate else None,
                        frames=frames, container=c.format.name)
    found = None
    if worst:
        pts, why = worst[0]
        found = BadFrame(offset_s=float((pts - first) * tb), number=_rank(p, what, pts), why=why)
    return Scan(info, found, declared, covered, indexed)


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
    slack, frame_s = TRUNCATION_SLACK_S, 1 / s.info.fps if s.info.fps else 0.04
    if s.indexed > s.info.frames:  # the index (MP4) or header (AVI) counts frames the file does not hold
        slack = 0.5 * frame_s
    elif s.info.container.startswith("matroska"):  # its muxer declares the end of its last block
        slack = min(slack, 1.5 * frame_s)
    if s.declared_s is not None and s.covered_s is not None and s.covered_s + slack < s.declared_s:
        raise Refused(f"{what} is truncated: its frames end at {s.covered_s:.2f} s of the {s.declared_s:.2f} s "
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
    """The frame shown ``offset`` seconds into the clip: the last one whose presentation time <= offset, turned
    as the clip's display matrix says (a phone's portrait clip is stored sideways; a quarter turn moves pixels,
    it changes none).

    A seek lands on a keyframe found by the container's index, which may be shown after the instant (an MP4
    index of decoding times with B-frames) or be no keyframe at all (MPEG-TS and FLV seek by timestamp):
    decoding starts at the first keyframe read, and when no clean frame at or before the instant comes out, it
    starts earlier (1, 2, 4... s), at last at the clip's first packet. AVI (``by_order``) is decoded from its
    first frame: after a seek the order of its guessed times is lost.

    :raises Refused: offset before the first frame, or no frame decodes.
    """
    if offset < 0:
        raise Refused("that instant is before the clip starts", "out_of_clip")
    p = Path(path)
    with _open(p, p.name) as c:
        if not c.streams.video:
            raise Refused(f"{p.name} has no video stream", "not_video")
        vs = c.streams.video[0]
        tb = vs.time_base
        ordered = by_order(c)
        start_pts = vs.start_time if vs.start_time is not None else 0
        if ordered:  # the first presentation time, as scan counts it (FFmpeg's start_time is a decoding time)
            start_pts = _first_pts(c, vs)
    target = start_pts + int(offset / tb)  # floor: a frame at exactly the instant counts
    back, second = 0, max(1, int(1 / tb))
    while True:
        at = start_pts if ordered else target - back  # AVI: from its first frame (a seek loses the order)
        best = _shown_at(p, at if at > start_pts else None, target, ordered)
        if best is not None or at <= start_pts:
            break
        back = 2 * back or second
    if best is None:
        raise Refused("no frame of the clip is shown at that instant", "out_of_clip")
    fr, pts = best
    fr = _upright(fr)  # the one frame shown, not each decoded on the way to it
    return Frame(offset_s=float((pts - start_pts) * tb), pts=int(pts), png=_png(fr), width=fr.width,
                 height=fr.height)


def _first_pts(c: Any, vs: Any) -> int:
    """The smallest presentation time of the clip's first group of pictures (up to its second keyframe)."""
    first, keys = None, 0
    for n, pkt in enumerate(c.demux(vs)):
        if pkt.size == 0 or pkt.pts is None:
            continue
        keys += bool(pkt.is_keyframe)
        if keys > 1 or n > 1000:
            break
        first = pkt.pts if first is None else min(first, pkt.pts)
    return int(first or 0)


def _shown_at(path: Path, at: int | None, target: int, ordered: bool = False) -> tuple[Any, int] | None:
    """(frame, pts) of the last frame at or before `target`, decoding from the first keyframe at
    or after a seek to `at` (from the first packet when None); None when the first clean frame is later.
    ``ordered``: presentation times taken in order from the packets' (``by_order``)."""
    av = load_av()
    with _open(path, path.name) as c:
        vs = c.streams.video[0]
        if at is not None:
            c.seek(at, stream=vs, backward=True, any_frame=False)
        ctx = vs.codec_context
        best = None
        keyed = at is None
        pending: list[int] = []
        for pkt in c.demux(vs):
            if not keyed and pkt.size:
                if not pkt.is_keyframe:
                    continue  # landed between keyframes: its frames would be made from missing ones
                keyed = True
            if ordered and pkt.size and pkt.pts is not None:
                heapq.heappush(pending, pkt.pts)
            try:
                out = ctx.decode(pkt) if pkt.size or keyed else []
            except av.FFmpegError as exc:
                log.info("%s: a packet does not decode: %s", path.name, _why(exc))
                continue
            for fr in out:
                pts = (heapq.heappop(pending) if pending else None) if ordered else fr.pts
                if pts is None:
                    continue
                if pts > target:
                    return best
                if fr.is_corrupt and at is not None:
                    return None  # a frame made after the seek from references it lacks: from earlier
                best = (fr, int(pts))
        return best


def _upright(frame: Any) -> Any:
    """The frame turned counterclockwise by its display matrix's rotation (PyAV's VideoFrame.rotation)."""
    turns = round((getattr(frame, "rotation", 0) or 0) / 90) % 4  # a PyAV without it: as stored
    if not turns:
        return frame
    import numpy as np

    av = load_av()
    rgb = np.ascontiguousarray(np.rot90(frame.to_ndarray(format="rgb24"), turns))
    return av.VideoFrame.from_ndarray(rgb, format="rgb24")


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
