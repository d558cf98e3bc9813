"""Evidence (证据): photos, video and stills, track excerpts, records; kept content-addressed, each with its hash.

The file goes through dispatch/blobs.py (streamed, hashed, read-only, stored once); a ``case.evidence_added``
event records its SHA-256, size, name, media type, kind and note. Nothing points at the caller's file.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from dispatch.blobs import attachments_dir, blob_path, file_chunks, store_blob
from dispatch.cases import law
from dispatch.cases.book import case_event, get, open_to, parse_id
from dispatch.errors import Refused
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent

KINDS = ("photo", "video", "still", "track", "record", "document", "other")


@op("case.evidence")
def add_evidence(core: Any, actor: str, case_id: Any, path: str | None = None, data_b64: str | None = None,
                 name: str | None = None, kind: str = "photo", note: str | None = None,
                 upload_id: str | None = None) -> dict[str, Any]:
    """Add an evidence file (``path`` readable here, ``data_b64`` + ``name``, or ``upload_id`` + ``name``: a file a
    seat sent in pieces). Refused for an unknown or archived case, an unreadable file, bad base64 or an unknown kind;
    nothing is recorded then."""
    if upload_id is not None:
        from dispatch.uploads import taken

        with taken(core, actor, upload_id) as part:
            return add_evidence(core, actor, case_id, path=str(part), name=name or "evidence", kind=kind, note=note)
    cid = parse_id(case_id)
    k = str(kind).strip().lower()
    if k not in KINDS:
        raise Refused(f"unknown evidence kind {kind!r}; one of {', '.join(KINDS)}", "bad_kind")
    core.refresh()
    with core.lock:
        get(core.state, cid)
    folder = attachments_dir(core)
    if path is not None:
        src = Path(path).expanduser()
        if not src.is_file():
            raise Refused(f"cannot read evidence {path}: no such file", "attachment_unreadable")
        try:
            sha, size = store_blob(folder, file_chunks(src))
        except OSError as exc:
            raise Refused(f"cannot read evidence {path}: {exc.strerror or exc}", "attachment_unreadable") from None
        fname = name or src.name
    elif data_b64 is not None:
        try:
            data = base64.b64decode(data_b64, validate=True)
        except (binascii.Error, ValueError):
            raise Refused("evidence data is not valid base64", "attachment_unreadable") from None
        sha, size = store_blob(folder, [data])
        fname = name or f"evidence-{sha[:12]}"
    else:
        raise Refused("give a file path or data_b64", "bad_arguments")
    fname = Path(fname).name[:200] or f"evidence-{sha[:12]}"
    media = mimetypes.guess_type(fname)[0] or "application/octet-stream"
    payload = {"sha256": sha, "size": size, "name": fname, "media_type": media, "kind": k,
               "note": (note or "").strip()[:2000], "time": core.clock()}
    _record(core, actor, cid, [payload])
    return {"id": cid, **payload, "path": str(blob_path(folder, sha))}


def _record(core: Any, actor: str, cid: int, payloads: list[dict[str, Any]]) -> None:
    """Record stored blobs as the case's evidence, in one command (refused on an archived case: nothing is
    recorded then)."""
    def decide(st: State) -> list[NewEvent]:
        c = get(st, cid)
        if not open_to(c)["evidence"]:
            raise Refused(f"case {cid} is archived: nothing is added to an archived dossier", "archived")
        return [case_event("case.evidence_added", cid, **p) for p in payloads]

    core.command(actor, decide)


# ------------------------------------------------------------------------------ track excerpts

TRACK_FORMATS = ("geojson", "gpx", "both")
MAX_TRACK_HOURS = 24.0
MAX_TRACK_POINTS = 200_000


def _iso(ts: float) -> str:
    """UTC with the fix's own precision: 2025-03-03T01:00:00Z, 2025-03-03T01:00:00.500000Z."""
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%dT%H%M%SZ")


def track_geojson(unit_id: str, fixes: list[Any], t1: float, t2: float, case_id: int) -> bytes:
    """The excerpt as GeoJSON (RFC 7946): one LineString in [lon, lat], each point's time, speed (m/s) and course
    beside it in the properties (same order), the window asked for."""
    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"case": case_id, "unit_id": unit_id, "from": law.iso_utc(t1), "to": law.iso_utc(t2),
                       "points": len(fixes), "times": [_iso(f.ts) for f in fixes],
                       "speeds": [f.speed for f in fixes], "courses": [f.course for f in fixes],
                       "sources": sorted({f.source for f in fixes if f.source})},
        "geometry": {"type": "LineString" if len(fixes) > 1 else "Point",
                     "coordinates": [[f.lon, f.lat] for f in fixes] if len(fixes) > 1 else [fixes[0].lon,
                                                                                              fixes[0].lat]},
    }]}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")


def track_gpx(unit_id: str, fixes: list[Any], t1: float, t2: float, case_id: int) -> bytes:
    """The excerpt as GPX 1.1: one track, one segment, each fix a trkpt with its UTC time."""
    ns = "http://www.topografix.com/GPX/1/1"
    ET.register_namespace("", ns)
    gpx = ET.Element(f"{{{ns}}}gpx", {"version": "1.1", "creator": "liuzhou-console"})
    meta = ET.SubElement(gpx, f"{{{ns}}}metadata")
    ET.SubElement(meta, f"{{{ns}}}name").text = f"case {case_id} track {unit_id}"
    ET.SubElement(meta, f"{{{ns}}}desc").text = f"{law.iso_utc(t1)} / {law.iso_utc(t2)}, {len(fixes)} fixes"
    trk = ET.SubElement(gpx, f"{{{ns}}}trk")
    ET.SubElement(trk, f"{{{ns}}}name").text = unit_id
    seg = ET.SubElement(trk, f"{{{ns}}}trkseg")
    for f in fixes:
        pt = ET.SubElement(seg, f"{{{ns}}}trkpt", {"lat": f"{f.lat:.7f}", "lon": f"{f.lon:.7f}"})
        ET.SubElement(pt, f"{{{ns}}}time").text = _iso(f.ts)
    return ET.tostring(gpx, encoding="utf-8", xml_declaration=True)


@op("case.evidence_track")
def add_track(core: Any, actor: str, case_id: Any, unit_id: str, start: Any, end: Any, format: str = "geojson",
              note: str | None = None) -> dict[str, Any]:
    """Cut the excerpt of a unit's stored fixes between ``start`` and ``end`` (ISO or epoch seconds, at most a
    day) and keep it as the case's evidence: GeoJSON, GPX or both (``format``), each file with its SHA-256,
    kind "track". Refused for a bad window, no fix in it, or an archived case; nothing is recorded then."""
    from dispatch.cases.ops import parse_time
    from dispatch.record.replay import Recording

    cid = parse_id(case_id)
    unit = str(unit_id or "").strip()
    fmt = str(format).strip().lower()
    if fmt not in TRACK_FORMATS:
        raise Refused(f"unknown track format {format!r}; one of {', '.join(TRACK_FORMATS)}", "bad_arguments")
    if not unit:
        raise Refused("which unit's track (--track UNIT)", "bad_arguments")
    t1, t2 = parse_time(start, "start (--from)"), parse_time(end, "end (--to)")
    if t2 <= t1:
        raise Refused("the window ends before it starts: give --from earlier than --to", "bad_window")
    if t2 - t1 > MAX_TRACK_HOURS * 3600:
        raise Refused(f"a track excerpt is at most {MAX_TRACK_HOURS:g} hours; cut the window", "bad_window")
    core.refresh()
    with core.lock:
        get(core.state, cid)
        known = unit in core.state.units
    fixes = Recording.of_store(core.store).track(unit, t1, t2, limit=MAX_TRACK_POINTS + 1)
    if not fixes:
        who = f"unit {unit}" if known else f"{unit!r} (no such unit)"
        raise Refused(f"no stored fix of {who} between {law.iso_utc(t1)} and {law.iso_utc(t2)}", "no_fixes")
    if len(fixes) > MAX_TRACK_POINTS:
        raise Refused(f"more than {MAX_TRACK_POINTS} fixes in the window: cut it", "bad_window")
    folder = attachments_dir(core)
    base = f"track-{unit}-{_stamp(t1)}-{_stamp(t2)}"
    made = []
    for kind, make, media in (("geojson", track_geojson, "application/geo+json"),
                              ("gpx", track_gpx, "application/gpx+xml")):
        if fmt not in (kind, "both"):
            continue
        sha, size = store_blob(folder, [make(unit, fixes, t1, t2, cid)])
        made.append({"sha256": sha, "size": size, "name": Path(f"{base}.{kind}").name[:200], "media_type": media,
                     "kind": "track", "note": (note or "").strip()[:2000], "time": core.clock(), "unit_id": unit,
                     "from": t1, "to": t2, "points": len(fixes)})
    _record(core, actor, cid, made)
    return {"id": cid, "unit_id": unit, "from": t1, "to": t2, "points": len(fixes),
            "files": [{**p, "path": str(blob_path(folder, p["sha256"]))} for p in made]}
