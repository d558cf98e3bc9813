"""Cameras: fixed ones (position, view direction, field of view, range, zone, stream address) and mobile
ones carried by a unit (a boat's or a truck's recorder). ``camera.registered`` / ``camera.changed`` events.

An import is all or nothing: every row is checked first and the first bad one is refused by its row
number, before anything is recorded. A camera already registered with the same values is left alone.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any

from dispatch.changes import Changes
from dispatch.errors import Refused
from dispatch.evidence.book import Camera, book, get_camera
from dispatch.ops import op
from dispatch.state import State, applies
from dispatch.store import Event, NewEvent

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "file://")
FIELDS = ("id", "name", "kind", "lat", "lon", "direction", "fov", "range_m", "zone", "stream", "unit")
MOBILE_DEFAULTS = {"direction": 0.0, "fov": 90.0, "range_m": 50.0}  # looking ahead of the unit


# ---------------------------------------------------------------------------- reading a file
def read_cameras_file(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a camera file: GeoJSON (a FeatureCollection of Points; a mobile camera may have no
    geometry) or CSV with a header (id,name,kind,lat,lon,direction,fov,range_m,zone,stream,unit).
    Each row carries ``_where`` (e.g. "row 3 (line 4)", "feature 2") for the messages.

    :raises Refused: unreadable, or neither format.
    """
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused(f"cannot read the camera file {path}: {exc}", "bad_file") from None
    if text.lstrip().startswith("{"):
        return _geojson_rows(text, str(path))
    reader = csv.DictReader(io.StringIO(text))
    names = [f.strip().lower() for f in reader.fieldnames or []]
    if "id" not in names:
        raise Refused(f"{path}: a camera CSV needs a header line with at least id (and lat, lon, direction, fov, "
                      "range_m for a fixed camera, unit for a mobile one)", "bad_file")
    rows = []
    for i, r in enumerate(reader, start=1):
        row = {k.strip().lower(): (v or "").strip() for k, v in r.items() if k}
        if not any(row.values()):
            continue
        row["_where"] = f"row {i} (line {reader.line_num})"
        rows.append(row)
    return rows


def _geojson_rows(text: str, label: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise Refused(f"{label}: not valid JSON: {exc}", "bad_file") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise Refused(f"{label}: a GeoJSON camera file is a FeatureCollection", "bad_file")
    rows = []
    for i, f in enumerate(doc["features"], start=1):
        where = f"feature {i}"
        if not isinstance(f, dict):
            raise Refused(f"{label}: {where}: not a GeoJSON feature", "bad_camera")
        row = dict(f.get("properties") or {})
        geom = f.get("geometry")
        if geom:
            coords = geom.get("coordinates") if isinstance(geom, dict) else None
            if geom.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
                raise Refused(f"{label}: {where}: a camera's geometry is a Point [lon, lat]", "bad_camera")
            row["lon"], row["lat"] = coords[0], coords[1]
        row["_where"] = where
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------- checking one row
def _num(row: dict[str, Any], key: str, where: str, lo: float, hi: float, default: float | None = None,
         lo_open: bool = False) -> float | None:
    v = row.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        return default
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise Refused(f"{where}: {key} {v!r} is not a number", "bad_camera") from None
    if not math.isfinite(x) or x > hi or x < lo or (lo_open and x == lo):
        raise Refused(f"{where}: {key} {v!r} out of range ({'>' if lo_open else '>='} {lo:g}, <= {hi:g})",
                      "bad_camera")
    return x


def check_row(row: dict[str, Any], units: Any) -> Camera:
    """A camera from one imported row, or Refused naming the row and what is wrong."""
    where = str(row.get("_where") or "row")
    cid = str(row.get("id") or "").strip()
    if not ID_RE.match(cid):
        raise Refused(f"{where}: camera id {cid!r} missing or not usable (letters, digits, _ . : -)", "bad_camera")
    where = f"{where} (camera {cid})"
    unit = str(row.get("unit") or row.get("unit_id") or "").strip() or None
    kind = str(row.get("kind") or ("mobile" if unit else "fixed")).strip().lower()
    if kind not in ("fixed", "mobile"):
        raise Refused(f"{where}: kind {kind!r} is neither fixed nor mobile", "bad_camera")
    stream = str(row.get("stream") or "").strip()
    if stream and not stream.lower().startswith(STREAM_SCHEMES):
        raise Refused(f"{where}: stream {stream!r} is not an rtsp://, http(s):// or file:// address", "bad_camera")
    if kind == "mobile":
        if not unit:
            raise Refused(f"{where}: a mobile camera names the unit carrying it (unit)", "bad_camera")
        if unit not in units:
            raise Refused(f"{where}: unknown unit {unit!r}", "bad_camera")
        lat = _num(row, "lat", where, -90, 90)
        lon = _num(row, "lon", where, -180, 180)
        if lat is not None or lon is not None:
            raise Refused(f"{where}: a mobile camera has no fixed position (it is where its unit is)", "bad_camera")
        d = {k: _num(row, k, where, lo, 360 if k != "range_m" else 10_000, MOBILE_DEFAULTS[k], k != "direction")
             for k, lo in (("direction", 0), ("fov", 0), ("range_m", 0))}
    else:
        if unit:
            raise Refused(f"{where}: a fixed camera is not carried by a unit (leave unit empty or say mobile)",
                          "bad_camera")
        lat = _num(row, "lat", where, -90, 90)
        lon = _num(row, "lon", where, -180, 180)
        if lat is None or lon is None:
            raise Refused(f"{where}: a fixed camera needs lat and lon", "bad_camera")
        fov = _num(row, "fov", where, 0, 360, lo_open=True)
        rng = _num(row, "range_m", where, 0, 10_000, lo_open=True)
        direction = _num(row, "direction", where, 0, 360, 0.0 if fov == 360 else None)
        missing = [k for k, v in (("direction", direction), ("fov", fov), ("range_m", rng)) if v is None]
        if missing:
            raise Refused(f"{where}: a fixed camera needs {', '.join(missing)}", "bad_camera")
        d = {"direction": direction, "fov": fov, "range_m": rng}
    return Camera(id=cid, kind=kind, name=str(row.get("name") or cid).strip()[:120], lat=lat, lon=lon,
                  direction=float(d["direction"] or 0.0) % 360, fov=float(d["fov"] or 0.0),
                  range_m=float(d["range_m"] or 0.0), zone=str(row.get("zone") or "").strip()[:120],
                  stream=stream, unit_id=unit)


def _fields(cam: Camera) -> dict[str, Any]:
    d = cam.as_dict()
    for k in ("registered_at", "registered_by", "down", "checked_at", "removed_at", "removed_by", "past"):
        d.pop(k)
    return d


def _register_or_change(st: State, cam: Camera) -> tuple[str, NewEvent | None]:
    """("registered" | "changed" | "unchanged", the event to record). A removed camera given again is
    registered again (its earlier placements kept for its past footage)."""
    old = book(st).cameras.get(cam.id)
    if old is None or old.removed_at is not None:
        return "registered", NewEvent("camera.registered", _fields(cam), f"camera:{cam.id}")
    if _fields(old) != _fields(cam):
        return "changed", NewEvent("camera.changed", _fields(cam), f"camera:{cam.id}")
    return "unchanged", None


# ---------------------------------------------------------------------------- operations
@op("cameras.import")
def import_cameras(core: Any, actor: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Register or change cameras from rows (see read_cameras_file); all or nothing.
    Returns {"registered": [...], "changed": [...], "unchanged": [...]}."""
    if not isinstance(rows, list) or not rows:
        raise Refused("no cameras to import: the file has no rows", "bad_file")
    out: dict[str, list[str]] = {"registered": [], "changed": [], "unchanged": []}

    def decide(st: State) -> list[NewEvent]:
        seen: dict[str, str] = {}
        events = []
        for k in out:
            out[k].clear()
        for row in rows:
            if not isinstance(row, dict):
                raise Refused("each camera row is an object", "bad_camera")
            cam = check_row(row, st.units)
            if cam.id in seen:
                raise Refused(f"{row.get('_where')}: camera {cam.id} already given in {seen[cam.id]}", "bad_camera")
            seen[cam.id] = str(row.get("_where"))
            what, ev = _register_or_change(st, cam)
            out[what].append(cam.id)
            if ev is not None:
                events.append(ev)
        return events

    core.command(actor, decide)
    return out


@op("camera.save")
def save_camera(core: Any, actor: str, camera: dict[str, Any], new: bool = False) -> dict[str, Any]:
    """Add (``new``) or edit one camera (name, kind, position, view direction, field of view, range, zone,
    stream, unit), with the same checks as an import; moving it is an edit of its position, and its earlier
    placement is kept for the footage it recorded there. Returns the camera and what was done."""
    if not isinstance(camera, dict):
        raise Refused("a camera is an object of its fields", "bad_camera")
    row = {k: v for k, v in camera.items() if k in FIELDS or k == "unit_id"}
    row["_where"] = "the camera"
    out: dict[str, Any] = {}

    def decide(st: State) -> list[NewEvent]:
        cam = check_row(row, st.units)
        old = book(st).cameras.get(cam.id)
        if new and old is not None and old.removed_at is None:
            raise Refused(f"camera {cam.id} exists already: edit it, or give another id", "camera_exists")
        if not new:
            get_camera(st, cam.id)
        out["action"], ev = _register_or_change(st, cam)
        out["id"] = cam.id
        return [ev] if ev is not None else []

    core.command(actor, decide)
    with core.lock:
        return {**get_camera(core.state, out["id"]).as_dict(), "action": out["action"]}


@op("camera.remove")
def remove_camera(core: Any, actor: str, camera_id: str, reason: str = "") -> dict[str, Any]:
    """Take a camera out of service: off the map and the live views; its clips stay, and its footage of the
    time before is still found."""
    why = str(reason or "").strip()[:500]
    out: dict[str, Any] = {}

    def decide(st: State) -> list[NewEvent]:
        cam = get_camera(st, camera_id)
        out["id"] = cam.id
        return [NewEvent("camera.removed", {"id": cam.id, "reason": why}, f"camera:{cam.id}")]

    core.command(actor, decide)
    with core.lock:
        return get_camera(core.state, out["id"], removed=True).as_dict()


@op("cameras")
def list_cameras(core: Any, actor: str, kind: str | None = None, unit_id: str | None = None,
                 removed: bool = False) -> list[dict[str, Any]]:
    """The cameras in service (and the removed ones too with ``removed``)."""
    core.refresh()
    with core.lock:
        cams = sorted(book(core.state).cameras.values(), key=lambda c: c.id)
        return [c.as_dict() for c in cams if (kind is None or c.kind == kind) and
                (unit_id is None or c.unit_id == unit_id) and (removed or c.removed_at is None)]


@op("camera.show")
def show_camera(core: Any, actor: str, camera_id: str) -> dict[str, Any]:
    core.refresh()
    with core.lock:
        return get_camera(core.state, camera_id, removed=True).as_dict()


# ---------------------------------------------------------------------------- appliers
def _camera(ev: Event) -> Camera:
    p = dict(ev.payload)
    known = set(Camera.__dataclass_fields__)
    return Camera(**{k: v for k, v in p.items() if k in known})


def _placement(old: Camera, until: float) -> list[dict[str, Any]]:
    return [*old.past, {**_fields(old), "registered_at": old.registered_at, "registered_by": old.registered_by,
                        "until": until}]


@applies("camera.registered")
def _registered(state: State, ev: Event, ch: Changes) -> None:
    cam = _camera(ev)
    cam.registered_at, cam.registered_by = ev.ts, ev.actor
    old = book(state).cameras.get(cam.id)
    if old is not None and old.removed_at is not None:  # back in service: what it saw before is still its
        cam.past = _placement(old, old.removed_at)
    book(state).cameras[cam.id] = cam
    ch.entities.add(f"camera:{cam.id}")


@applies("camera.changed")
def _changed(state: State, ev: Event, ch: Changes) -> None:
    cam = _camera(ev)
    old = book(state).cameras.get(cam.id)
    if old is not None:
        cam.registered_at, cam.registered_by = old.registered_at, old.registered_by
        if cam.stream == old.stream:
            cam.down, cam.checked_at = old.down, old.checked_at
        if (old.kind, old.lat, old.lon, old.direction, old.fov, old.range_m, old.unit_id) != \
                (cam.kind, cam.lat, cam.lon, cam.direction, cam.fov, cam.range_m, cam.unit_id):
            cam.past = _placement(old, ev.ts)  # moved or turned: its footage before was seen from there
        else:
            cam.past = old.past
    book(state).cameras[cam.id] = cam
    ch.entities.add(f"camera:{cam.id}")


@applies("camera.removed")
def _removed(state: State, ev: Event, ch: Changes) -> None:
    cam = book(state).cameras.get(str(ev.payload.get("id")))
    if cam is not None:
        cam.removed_at, cam.removed_by = ev.ts, ev.actor
        ch.entities.add(f"camera:{cam.id}")


@applies("camera.unreachable")
def _unreachable(state: State, ev: Event, ch: Changes) -> None:
    cam = book(state).cameras.get(str(ev.payload.get("id")))
    if cam is not None:
        cam.down, cam.checked_at = str(ev.payload.get("reason") or "unreachable"), ev.ts
        ch.entities.add(f"camera:{cam.id}")


@applies("camera.reachable")
def _reachable(state: State, ev: Event, ch: Changes) -> None:
    cam = book(state).cameras.get(str(ev.payload.get("id")))
    if cam is not None:
        cam.down, cam.checked_at = None, ev.ts
        ch.entities.add(f"camera:{cam.id}")
