"""To a case: the clips and stills of a case's incident carried into its evidence list (``case.evidence_added``,
kind video or still), each by the SHA-256 it was stored under: the blob is the same file, never copied again, and
`ctl case show` lists it with its hash. What the case holds already (by hash) is not added twice."""

from __future__ import annotations

import mimetypes
from typing import Any

from dispatch.cases.book import case_event
from dispatch.cases.book import get as get_case
from dispatch.cases.book import parse_id as parse_case
from dispatch.errors import Refused
from dispatch.evidence.book import book
from dispatch.ops import op
from dispatch.record.replay import iso_z
from dispatch.state import State
from dispatch.store import NewEvent


@op("evidence.to_case")
def to_case(core: Any, actor: str, case_id: Any) -> dict[str, Any]:
    """Carry the video evidence of the case's incident into the case. Returns {"id", "added": [...]}."""
    cid = parse_case(case_id)
    added: list[dict[str, Any]] = []

    def decide(st: State) -> list[NewEvent]:
        added.clear()
        c = get_case(st, cid)
        if c.stage == "archived":
            raise Refused(f"case {cid} is archived: nothing is added to an archived dossier", "archived")
        if c.incident_id is None:
            raise Refused(f"case {cid} was not opened from an incident: it has no video evidence to carry", "no_incident")
        have = {e.get("sha256") for e in c.evidence}
        b = book(st)
        now = core.clock()
        events = []
        for clip in sorted(b.clips.values(), key=lambda x: (x.start, x.id)):
            if int(c.incident_id) not in clip.incidents:
                continue
            items = [(clip.sha256, clip.size, clip.name, "video",
                      f"clip {clip.id}, camera {clip.camera_id or '-'}, {iso_z(clip.start)} to {iso_z(clip.end)}")]
            items += [(s.sha256, s.size, s.name, "still",
                       f"still {s.id} of clip {clip.id} at offset {s.offset_s:.3f} s ({iso_z(s.frame_time)})")
                      for s in sorted(b.stills.values(), key=lambda s: s.id) if s.clip_id == clip.id]
            for sha, size, name, kind, note in items:
                if sha in have:
                    continue
                have.add(sha)
                media = mimetypes.guess_type(name)[0] or ("video/mp4" if kind == "video" else "image/png")
                payload = {"sha256": sha, "size": size, "name": name, "media_type": media, "kind": kind,
                           "note": note, "time": now}
                events.append(case_event("case.evidence_added", cid, **payload))
                added.append(payload)
        return events

    core.command(actor, decide)
    return {"id": cid, "added": list(added)}


def photo_note(p: dict[str, Any]) -> str:
    """A truck photo in words for the case's evidence list: whose camera, when, where, why it was taken."""
    where = f"at {p['lat']:.6f}, {p['lon']:.6f}, {p.get('speed_kmh') or 0:g} km/h" if p.get("lat") is not None \
        else "no position fix"
    when = iso_z(p["time"]) if p.get("time") else "time not given"
    asked = f", asked by command {p['request']}" if p.get("request") else ""
    return (f"truck camera photo: {p['unit']}, terminal {p.get('terminal')}, camera {p.get('channel')}, media id "
            f"{p.get('media_id')}, taken {when} {where} ({p.get('event')}{asked}); event {p['seq']}")


@op("evidence.photo_to_case")
def photo_to_case(core: Any, actor: str, case_id: Any, photo: Any) -> dict[str, Any]:
    """Add a truck's camera photo (the seq of its ``jt808.media_received``: `jt808.photos`) to a case's evidence
    list, by the SHA-256 it was stored under, with whose camera took it, when and where. Returns {"id", "added"}."""
    from dispatch.jt808.ops import photo_event

    cid = parse_case(case_id)
    p = photo_event(core, photo)
    payload = {"sha256": p["sha256"], "size": p["size"], "name": p["name"], "media_type": p.get("mime") or "image/jpeg",
               "kind": "photo", "note": photo_note(p), "time": core.clock()}

    def decide(st: State) -> list[NewEvent]:
        c = get_case(st, cid)
        if c.stage == "archived":
            raise Refused(f"case {cid} is archived: nothing is added to an archived dossier", "archived")
        if any(e.get("sha256") == p["sha256"] for e in c.evidence):
            raise Refused(f"case {cid} holds this photo already", "duplicate")
        return [case_event("case.evidence_added", cid, **payload)]

    core.command(actor, decide)
    return {"id": cid, "added": [payload]}
