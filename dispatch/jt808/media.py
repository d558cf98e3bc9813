"""Photos (and any media) a truck's terminal uploads, kept as evidence.

- 0x0800, a multimedia event (the terminal took a photo: on the platform's command, on a timer, on an alarm,
  a door opened...), is answered 0x8001; the upload that follows is what is kept.
- 0x0801, the media itself (the stream joins its sub-packages), is written content-addressed beside the store
  (dispatch/blobs.py) and recorded as ``jt808.media_received`` by the gateway's ingest thread, with where the
  truck was and what it was doing when the photo was taken (the upload's own position), its SHA-256 and, when
  an operator's photo command asked for it (the terminal's 0x0805 named its media id), that command's seq.
- 0x8800, the answer that lets the terminal drop its copy, goes only once the file and the event are written:
  a photo lost with a crash or a full disk is uploaded again, as a terminal repeats an upload nobody answered.
  When a photo's last package comes with others missing, 0x8800 names the missing ones (`ask_again`) and the
  terminal sends those again (with their first serials, so they join the packages already in).

The loop thread (`uploaded`) hands the bytes over and never touches the disk; the ingest thread (`stored`)
writes the file and makes the event, then hands the answer back to the loop.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from devices.jt808 import encode
from devices.jt808.messages import MediaEvent, MediaUpload
from dispatch.blobs import attachments_dir, store_blob
from dispatch.jt808.state import jt808_state
from dispatch.store import NewEvent

if TYPE_CHECKING:
    from dispatch.jt808.gateway import Gateway
    from dispatch.jt808.session import TerminalSession

log = logging.getLogger(__name__)

MAX_MEDIA_BYTES = 2 * 1024 * 1024  # beyond the stream's own limit on a joined message: never reached by a good upload
REQUESTS_KEPT = 2000  # (unit, media id) -> the photo command that asked for it, oldest forgotten first
EXTENSIONS = {"jpeg": "jpg", "tif": "tif", "mp3": "mp3", "wav": "wav", "wmv": "wmv"}


class MediaRequests(OrderedDict[tuple[str, int], int]):
    """The media ids terminals said they would upload for a photo command (0x0805), bounded."""

    def __setitem__(self, key: tuple[str, int], value: int) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > REQUESTS_KEPT:
            self.popitem(last=False)


def announced(gw: Gateway, s: TerminalSession, m: MediaEvent) -> None:
    """0x0800 (loop thread): said in the log; the upload that follows is recorded."""
    log.info("jt808 %s: %s %s taken on camera %d (%s), media id %d", s.label, m.kind, m.format_name, m.channel,
             m.event_name, m.media_id)


def ask_again(gw: Gateway, s: TerminalSession, h: Any, first: bytes | None, missing: tuple[int, ...]) -> bool:
    """The last package of a split photo came with packages `missing` (loop thread): 0x8800 with their numbers (at
    most 255 in one answer). False when that cannot be said: package 1 (`first`, which carries the media id the
    answer names) missing too (then the general 0x8003 asks)."""
    if first is None or len(first) < 4:
        return False
    media_id = int.from_bytes(first[:4], "big")
    gw.count("media_packages_asked_again")
    log.info("jt808 %s: photo %d came without %d of its %d packages: asked for again", s.label, media_id,
             len(missing), h.packages)
    gw.send(s, encode.MEDIA_UPLOAD_RESPONSE, encode.media_response_body(media_id, missing[:255]))
    return True


def uploaded(gw: Gateway, s: TerminalSession, m: MediaUpload) -> bool:
    """0x0801 (loop thread): handed to the ingest thread, which stores it and then answers 0x8800.
    False when no unit has the terminal (nothing is kept)."""
    unit = s.unit = gw.unit_for(s.phone or "")
    if unit is None:
        s.error("unbound", "media from a terminal no unit has")
        gw.count("unbound")
        return False
    loc = m.location
    when = loc.time.timestamp() if loc is not None and loc.time is not None else None
    payload: dict[str, Any] = {
        "unit": unit, "terminal": s.phone, "media_id": m.media_id, "media_type": m.kind, "format": m.format_name,
        "mime": m.mime, "event": m.event_name, "channel": m.channel,
        "time": when, "lat": None, "lon": None, "speed_kmh": None, "course": None, "alarms": [],
        "request": gw.media_requests.pop((unit, m.media_id), None),
        "name": f"{unit}-ch{m.channel}-{m.media_id}.{EXTENSIONS.get(m.format_name, 'bin')}",
    }
    if loc is not None and loc.status & 2:  # the terminal had a fix when it took the photo
        payload.update(lat=round(loc.lat, 6), lon=round(loc.lon, 6), speed_kmh=loc.speed, course=loc.course,
                       alarms=list(loc.alarms))
    phone, media_id = s.phone or "", m.media_id

    def answer() -> None:  # loop thread, once the file and the event are written
        live = gw.session_of(phone)
        if live is not None and live.connected:
            gw.send(live, encode.MEDIA_UPLOAD_RESPONSE, encode.media_response_body(media_id))

    gw.ingest.put_media(payload, m.data, answer)
    return True


def same_upload(recorded: dict[str, Any], payload: dict[str, Any], sha256: str) -> bool:
    """Whether a recorded upload is this one again: the same truck, media id and bytes."""
    return (recorded.get("sha256") == sha256 and recorded.get("unit") == payload["unit"]
            and recorded.get("media_id") == payload["media_id"])


def stored(core: Any, payload: dict[str, Any], data: bytes) -> NewEvent | None:
    """The ingest thread's part: the file written (fsync'd) and its event; None when the log has this very upload
    already (the terminal sent it again because our 0x8800 did not reach it): answered, not recorded twice.
    :raises OSError, Refused: not written."""
    sha, size = store_blob(attachments_dir(core), [data], limit=MAX_MEDIA_BYTES)
    with core.lock:
        seen = any(same_upload(m, payload, sha) for m in jt808_state(core.state).media.values())
    if seen:
        return None
    return NewEvent("jt808.media_received", {**payload, "sha256": sha, "size": size}, f"unit:{payload['unit']}")
