"""Clips: video evidence kept content-addressed (dispatch/blobs.py), never altered, with its SHA-256, camera,
start and end time, place and who added it (``evidence.clip_added``); attached to more incidents later
(``evidence.clip_attached``).

The file is checked with PyAV first (media.probe: a video, not truncated), then streamed into the blob
folder while hashed; a refused file stores nothing and records nothing. The start is the container's
creation time unless one is given; a clip without one and no start given is refused, asking for it.
The place is the fixed camera's position, or the position of a mobile camera's unit at the start (its
stored fix, if there is one within FIX_MAX_AGE_S).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dispatch.blobs import attachments_dir, blob_path, file_chunks, store_blob
from dispatch.changes import Changes
from dispatch.errors import Refused
from dispatch.evidence.book import Clip, book, get_camera, get_clip
from dispatch.evidence.media import probe
from dispatch.incidents.book import get as get_incident
from dispatch.incidents.book import parse_id as parse_incident
from dispatch.ops import op
from dispatch.record.replay import iso_z, parse_time
from dispatch.state import State, applies
from dispatch.store import Event, NewEvent

MAX_CLIP_BYTES = 64 * 1024**3  # a day of a recorder's video; streamed, so only the disk limits it
FIX_MAX_AGE_S = 120.0


def unit_position(core: Any, unit_id: str, at: float) -> tuple[float, float, float | None] | None:
    """(lat, lon, course) of the unit's last stored fix at or before `at`, if not older than FIX_MAX_AGE_S."""
    fix = core.store.latest_fixes(at=at, units=[unit_id]).get(unit_id)
    if fix is None or at - fix.ts > FIX_MAX_AGE_S:
        return None
    return fix.lat, fix.lon, fix.course


def clip_view(c: Clip, folder: Path | None = None) -> dict[str, Any]:
    d = c.as_dict()
    d["start_iso"], d["end_iso"] = iso_z(c.start), iso_z(c.end)
    if folder is not None:
        d["path"] = str(blob_path(folder, c.sha256))
    return d


@op("evidence.add")
def add_clip(core: Any, actor: str, incident_id: Any, path: str | None = None, camera_id: str | None = None,
             start: Any = None, name: str | None = None, upload_id: str | None = None) -> dict[str, Any]:
    """Keep a video clip as evidence of an incident (``path`` readable here, or ``upload_id`` + ``name``: a clip a
    seat sent in pieces). Returns the clip with ``id``, ``sha256``, ``duration_s``."""
    if upload_id is not None:
        from dispatch.uploads import taken

        with taken(core, actor, upload_id) as part:
            return add_clip(core, actor, incident_id, path=str(part), camera_id=camera_id, start=start,
                            name=name or "clip.mp4")
    if path is None:
        raise Refused("give the clip's path, or its upload_id", "bad_arguments")
    iid = parse_incident(incident_id)
    src = Path(str(path)).expanduser()
    fname = Path(name or src.name).name[:200] or "clip"
    given = None if start in (None, "") else parse_time(start)
    core.refresh()
    with core.lock:
        get_incident(core.state, iid)
        cam = get_camera(core.state, camera_id) if camera_id else None
    if not src.is_file():
        raise Refused(f"cannot read clip {path}: no such file", "attachment_unreadable")
    try:
        info = probe(src, fname)
    except OSError as exc:
        raise Refused(f"cannot read clip {path}: {exc.strerror or exc}", "attachment_unreadable") from None
    if given is None and info.creation_time is None:
        raise Refused(f"{fname} carries no recording time: give its start (--start 2026-03-01T08:30:00+08:00)",
                      "start_needed")
    t0 = given if given is not None else float(info.creation_time or 0.0)
    lat = lon = None
    if cam is not None and cam.kind == "fixed":
        lat, lon = cam.lat, cam.lon
    elif cam is not None and cam.unit_id:
        pos = unit_position(core, cam.unit_id, t0)
        if pos is not None:
            lat, lon = pos[0], pos[1]
    folder = attachments_dir(core)
    try:
        sha, size = store_blob(folder, file_chunks(src), limit=MAX_CLIP_BYTES)
    except OSError as exc:
        raise Refused(f"cannot read clip {path}: {exc.strerror or exc}", "attachment_unreadable") from None
    payload = {"sha256": sha, "size": size, "name": fname, "start": round(t0, 6),
               "end": round(t0 + info.duration_s, 6), "duration_s": round(info.duration_s, 6),
               "start_source": "given" if given is not None else "container",
               "camera_id": cam.id if cam else None, "lat": lat, "lon": lon, "incident_id": iid,
               "media": info.media()}
    out: dict[str, Any] = {}

    def decide(st: State) -> list[NewEvent]:
        get_incident(st, iid)
        if cam is not None:
            get_camera(st, cam.id)
        cid = max(book(st).clips, default=0) + 1
        out["id"] = cid
        return [NewEvent("evidence.clip_added", {"id": cid, **payload}, f"clip:{cid}")]

    core.command(actor, decide)
    with core.lock:
        return clip_view(get_clip(core.state, out["id"]), folder)


@op("evidence.attach")
def attach_clip(core: Any, actor: str, clip_id: Any, incident_id: Any) -> dict[str, Any]:
    """Attach a stored clip to (another) incident, e.g. footage found for it."""
    iid = parse_incident(incident_id)

    def decide(st: State) -> list[NewEvent]:
        c = get_clip(st, clip_id)
        get_incident(st, iid)
        if iid in c.incidents:
            raise Refused(f"clip {c.id} is already evidence of incident {iid}", "already_attached")
        return [NewEvent("evidence.clip_attached", {"id": c.id, "incident_id": iid, "sha256": c.sha256,
                                                    "name": c.name}, f"clip:{c.id}")]

    core.command(actor, decide)
    with core.lock:
        return clip_view(get_clip(core.state, clip_id), attachments_dir(core))


@op("evidence.list")
def list_clips(core: Any, actor: str, incident_id: Any = None, camera_id: str | None = None) -> list[dict[str, Any]]:
    """Clips (of an incident, or of a camera), each with its hash, times, place and stills."""
    iid = None if incident_id in (None, "") else parse_incident(incident_id)
    core.refresh()
    folder = attachments_dir(core)
    with core.lock:
        if iid is not None:
            get_incident(core.state, iid)
        b = book(core.state)
        out = []
        for c in sorted(b.clips.values(), key=lambda c: (c.start, c.id)):
            if (iid is None or iid in c.incidents) and (camera_id is None or c.camera_id == camera_id):
                d = clip_view(c, folder)
                d["stills"] = [s.as_dict() for s in b.stills.values() if s.clip_id == c.id]
                out.append(d)
        return out


@op("evidence.show")
def show_clip(core: Any, actor: str, clip_id: Any) -> dict[str, Any]:
    core.refresh()
    with core.lock:
        c = get_clip(core.state, clip_id)
        d = clip_view(c, attachments_dir(core))
        d["stills"] = [s.as_dict() for s in book(core.state).stills.values() if s.clip_id == c.id]
        return d


@applies("evidence.clip_added")
def _added(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    c = Clip(id=int(p["id"]), sha256=p["sha256"], size=int(p["size"]), name=p.get("name") or "",
             start=float(p["start"]), end=float(p["end"]), duration_s=float(p["duration_s"]),
             incidents=[int(p["incident_id"])], camera_id=p.get("camera_id"), lat=p.get("lat"), lon=p.get("lon"),
             start_source=p.get("start_source") or "container", media=dict(p.get("media") or {}),
             added_at=ev.ts, added_by=ev.actor)
    book(state).clips[c.id] = c
    ch.entities.update({f"clip:{c.id}", f"incident:{p['incident_id']}"})


@applies("evidence.clip_attached")
def _attached(state: State, ev: Event, ch: Changes) -> None:
    c = book(state).clips.get(int(ev.payload["id"]))
    iid = int(ev.payload["incident_id"])
    if c is not None and iid not in c.incidents:
        c.incidents.append(iid)
        ch.entities.update({f"clip:{c.id}", f"incident:{iid}"})
