"""Stills: the frame a clip shows at an instant, kept as a PNG blob with its source clip, offset and hash
(``evidence.still_taken``); annotations (a box round a plate, a note) recorded beside it as events
(``evidence.still_annotated``), never drawn into the image.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from dispatch.blobs import attachments_dir, blob_path, store_blob, write_copy
from dispatch.changes import Changes
from dispatch.errors import Refused
from dispatch.evidence.book import Still, book, get_clip, get_still
from dispatch.evidence.media import frame_at
from dispatch.ops import op
from dispatch.record.replay import iso_z, parse_time
from dispatch.state import State, applies
from dispatch.store import Event, NewEvent

MICRO = 1_000_000


@op("evidence.frame")
def take_frame(core: Any, actor: str, clip_id: Any, at: Any, out: str | None = None) -> dict[str, Any]:
    """The frame clip ``clip_id`` shows at instant ``at`` (ISO or epoch seconds), kept as a still;
    a copy written to ``out`` if given. Refused for an instant outside the clip."""
    t = parse_time(at)
    core.refresh()
    folder = attachments_dir(core)
    with core.lock:
        clip = get_clip(core.state, clip_id)
    if t < clip.start or t > clip.end:
        raise Refused(f"{iso_z(t)} is outside clip {clip.id} ({iso_z(clip.start)} to {iso_z(clip.end)})",
                      "out_of_clip")
    src = blob_path(folder, clip.sha256)
    if not src.is_file():
        raise Refused(f"clip {clip.id}'s file is missing from {folder} (run audit verify)", "blob_missing")
    offset = Fraction(round(t * MICRO) - round(clip.start * MICRO), MICRO)
    fr = frame_at(src, offset)
    sha, size = store_blob(folder, [fr.png])
    name = f"clip{clip.id}-{fr.offset_s:.3f}s.png"
    payload = {"clip_id": clip.id, "clip_sha256": clip.sha256, "sha256": sha, "size": size, "name": name,
               "at": t, "offset_s": fr.offset_s, "pts": fr.pts, "frame_time": round(clip.start + fr.offset_s, 6),
               "width": fr.width, "height": fr.height}
    box: dict[str, int] = {}

    def decide(st: State) -> list[NewEvent]:
        get_clip(st, clip.id)
        sid = max(book(st).stills, default=0) + 1
        box["id"] = sid
        return [NewEvent("evidence.still_taken", {"id": sid, **payload}, f"clip:{clip.id}")]

    core.command(actor, decide)
    result = {"id": box["id"], **payload, "path": str(blob_path(folder, sha)),
              "frame_iso": iso_z(payload["frame_time"])}
    if out:
        result["out"] = write_copy(out, fr.png, "still.png")
    return result


def _box(value: Any, still: Still) -> list[int] | None:
    if value in (None, "", []):
        return None
    parts = value.split(",") if isinstance(value, str) else list(value)
    try:
        x, y, w, h = (int(round(float(v))) for v in parts)
    except (TypeError, ValueError):
        raise Refused(f"bad box {value!r}: give x,y,width,height in pixels", "bad_box") from None
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > still.width or y + h > still.height:
        raise Refused(f"box {x},{y},{w},{h} is not inside the still ({still.width}x{still.height} pixels)",
                      "bad_box")
    return [x, y, w, h]


@op("evidence.annotate")
def annotate(core: Any, actor: str, still_id: Any, note: str | None = None, box: Any = None) -> dict[str, Any]:
    """A box (x,y,width,height in pixels) and/or a note on a still, kept beside it; the image is untouched."""
    text = (note or "").strip()[:2000]
    out: dict[str, Any] = {}

    def decide(st: State) -> list[NewEvent]:
        s = get_still(st, still_id)
        b = _box(box, s)
        if b is None and not text:
            raise Refused("an annotation is a box, a note or both", "bad_arguments")
        out["id"] = s.id
        return [NewEvent("evidence.still_annotated", {"id": s.id, "box": b, "note": text},
                         f"clip:{s.clip_id}")]

    core.command(actor, decide)
    with core.lock:
        return get_still(core.state, out["id"]).as_dict()


@applies("evidence.still_taken")
def _taken(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    s = Still(id=int(p["id"]), clip_id=int(p["clip_id"]), sha256=p["sha256"], size=int(p["size"]),
              at=float(p["at"]), offset_s=float(p["offset_s"]), frame_time=float(p["frame_time"]),
              width=int(p.get("width") or 0), height=int(p.get("height") or 0), name=p.get("name") or "",
              taken_at=ev.ts, taken_by=ev.actor)
    book(state).stills[s.id] = s
    ch.entities.add(f"clip:{s.clip_id}")


@applies("evidence.still_annotated")
def _annotated(state: State, ev: Event, ch: Changes) -> None:
    s = book(state).stills.get(int(ev.payload["id"]))
    if s is not None:
        s.annotations.append({"box": ev.payload.get("box"), "note": ev.payload.get("note") or "",
                              "time": ev.ts, "actor": ev.actor, "seq": ev.seq})
        ch.entities.add(f"clip:{s.clip_id}")
