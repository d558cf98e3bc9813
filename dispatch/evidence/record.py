"""Recording a camera's stream as evidence: ``evidence.record`` reads N minutes of the camera's stream
(rtsp://, http(s)://, file://) with PyAV, copies its video packets unchanged into a Matroska file (no
re-encoding: the camera's own frames), and keeps it like any clip (clips.add_clip), starting when the first
packet came. A stream that does not answer within the timeout, or stops sending, is refused with a clear
message; nothing is stored unless a whole segment was read.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from dispatch.blobs import attachments_dir
from dispatch.errors import Refused
from dispatch.evidence.book import book, get_camera
from dispatch.evidence.clips import add_clip
from dispatch.evidence.media import load_av
from dispatch.incidents.book import get as get_incident
from dispatch.incidents.book import parse_id as parse_incident
from dispatch.ops import op
from dispatch.store import NewEvent

MAX_MINUTES = 60.0
DEFAULT_TIMEOUT_S = 5.0


def stream_source(address: str) -> str:
    """What FFmpeg opens for a camera's stream address (a file:// URL becomes its path)."""
    if address.lower().startswith("file://"):
        return unquote(urlparse(address).path)
    return address


def record_segment(address: str, seconds: float, dest: Path, *, timeout: float = DEFAULT_TIMEOUT_S,
                   clock: Any = time.time) -> float:
    """Copy `seconds` of the stream's video into `dest` (Matroska). Returns the time the first packet came.

    :raises Refused: the stream cannot be opened, does not answer, has no video, or ends early.
    """
    av = load_av()
    src = stream_source(address)
    options = {"rtsp_transport": "tcp"} if src.lower().startswith("rtsp") else {}
    try:
        inp = av.open(src, mode="r", timeout=(timeout, timeout), options=options)
    except av.FFmpegError as exc:
        raise Refused(f"stream {address} did not answer within {timeout:g} s or cannot be read "
                      f"({getattr(exc, 'strerror', None) or exc}): nothing recorded", "stream_unreachable") from None
    try:
        if not inp.streams.video:
            raise Refused(f"stream {address} carries no video: nothing recorded", "not_video")
        vin = inp.streams.video[0]
        tb = vin.time_base
        started = None
        first = None
        got = 0.0
        deadline = time.monotonic() + seconds + 2 * timeout + 10.0  # a live stream sends in real time
        with av.open(str(dest), mode="w", format="matroska") as out:
            vout = out.add_stream_from_template(vin)
            try:
                for pkt in inp.demux(vin):
                    if pkt.pts is None or pkt.size == 0:
                        continue
                    if first is None:
                        if not pkt.is_keyframe:
                            continue  # a segment starts on a frame that decodes alone
                        first, started = pkt.pts, clock()
                    got = float((pkt.pts - first) * tb)
                    if got >= seconds:
                        break
                    pkt.pts -= first
                    if pkt.dts is not None:
                        pkt.dts -= first
                    pkt.stream = vout
                    out.mux(pkt)
                    if time.monotonic() > deadline:
                        break
            except av.FFmpegError as exc:
                raise Refused(f"stream {address} stopped after {got:.1f} s ({getattr(exc, 'strerror', None) or exc})"
                              ": nothing recorded", "stream_dropped") from None
        if started is None:
            raise Refused(f"stream {address} sent no frame that starts a segment: nothing recorded", "stream_dropped")
        if got + 1.0 < seconds:
            raise Refused(f"stream {address} ended after {got:.1f} s of the {seconds:g} s asked: nothing recorded",
                          "stream_dropped")
        return float(started)
    finally:
        inp.close()


@op("evidence.record")
def record(core: Any, actor: str, camera_id: str, incident_id: Any, minutes: float,
           timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    """Record `minutes` of a camera's stream and keep it as a clip of the incident (start: the first packet)."""
    iid = parse_incident(incident_id)
    try:
        m = float(minutes)
        t_out = float(timeout)
    except (TypeError, ValueError):
        raise Refused(f"bad minutes {minutes!r}", "bad_arguments") from None
    if not 0 < m <= MAX_MINUTES or not 0 < t_out <= 60:
        raise Refused(f"minutes must be more than 0 and at most {MAX_MINUTES:g}; timeout 0-60 s", "bad_arguments")
    core.refresh()
    with core.lock:
        get_incident(core.state, iid)
        cam = get_camera(core.state, camera_id)
    if not cam.stream:
        raise Refused(f"camera {cam.id} has no stream address", "no_stream")
    folder = attachments_dir(core)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".recording-", suffix=".mkv")
    os.close(fd)
    try:
        started = record_segment(cam.stream, m * 60.0, Path(tmp), timeout=t_out, clock=core.clock)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(started))
        return add_clip(core, actor, path=tmp, incident_id=iid, camera_id=cam.id, start=started,
                        name=f"{cam.id}-{stamp}Z.mkv")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def probe_stream(address: str, timeout: float) -> str | None:
    """None if the stream opens and sends a video packet within `timeout`, else why not."""
    av = load_av()
    src = stream_source(address)
    options = {"rtsp_transport": "tcp"} if src.lower().startswith("rtsp") else {}
    try:
        with av.open(src, mode="r", timeout=(timeout, timeout), options=options) as inp:
            if not inp.streams.video:
                return "no video in the stream"
            for pkt in inp.demux(inp.streams.video[0]):
                if pkt.size:
                    return None
            return "the stream sent nothing"
    except av.FFmpegError as exc:
        return f"did not answer within {timeout:g} s or cannot be read ({getattr(exc, 'strerror', None) or exc})"


@op("cameras.check")
def check_cameras(core: Any, actor: str, timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    """Try every camera's stream; a camera that becomes unreachable or reachable again is recorded
    (``camera.unreachable`` / ``camera.reachable``, only on a change). Returns {"down": {id: why}, "up": [...]}."""
    try:
        t_out = float(timeout)
    except (TypeError, ValueError):
        raise Refused(f"bad timeout {timeout!r}", "bad_arguments") from None
    if not 0 < t_out <= 60:
        raise Refused("the timeout is more than 0 and at most 60 s", "bad_arguments")
    core.refresh()

    with core.lock:
        cams = [(c.id, c.stream) for c in book(core.state).cameras.values() if c.stream and c.removed_at is None]
    found = {cid: probe_stream(stream, t_out) for cid, stream in sorted(cams)}

    def decide(st: Any) -> list[NewEvent]:
        events = []
        for cid, why in found.items():
            cam = book(st).cameras.get(cid)
            if cam is None:
                continue
            if why is not None and cam.down != why:
                events.append(NewEvent("camera.unreachable", {"id": cid, "reason": why}, f"camera:{cid}"))
            elif why is None and cam.down is not None:
                events.append(NewEvent("camera.reachable", {"id": cid}, f"camera:{cid}"))
        return events

    core.command(actor, decide)
    return {"down": {k: v for k, v in found.items() if v}, "up": [k for k, v in found.items() if v is None]}
