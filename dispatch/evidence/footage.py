"""Finding footage: for an incident or an alert (a place and a time), the cameras whose view covered that
place at that time, and their clips overlapping those minutes.

A fixed camera covers a point within its range whose bearing from the camera lies inside its field of
view around its view direction. A mobile camera is where its unit's stored fix put it at that time (the
last fix at or before it, no older than clips.FIX_MAX_AGE_S) and looks along the unit's course turned by
its direction; a unit whose fix has no course covers the point only with an all-round camera.
"""

from __future__ import annotations

from typing import Any

from dispatch.blobs import attachments_dir
from dispatch.errors import Refused
from dispatch.evidence.book import Camera, book
from dispatch.evidence.clips import clip_view, unit_position
from dispatch.geo import bearing_deg, destination, haversine_m
from dispatch.incidents.book import get as get_incident
from dispatch.incidents.book import parse_id as parse_incident
from dispatch.ops import op
from dispatch.record.replay import iso_z, parse_time


def angle_off(a: float, b: float) -> float:
    """The smaller angle between two bearings, degrees (0..180)."""
    d = abs(a - b) % 360.0
    return 360.0 - d if d > 180.0 else d


def view_covers(cam_lat: float, cam_lon: float, looking: float | None, fov: float, range_m: float,
                lat: float, lon: float) -> tuple[bool, float, float]:
    """(covered, distance_m, bearing from the camera) of a point for a camera at a place looking one way
    (``looking`` None: unknown, covered only by an all-round view)."""
    dist = haversine_m(cam_lat, cam_lon, lat, lon)
    brg = bearing_deg(cam_lat, cam_lon, lat, lon)
    if dist > range_m:
        return False, dist, brg
    if fov >= 360.0 or dist < 1.0:
        return True, dist, brg
    if looking is None:
        return False, dist, brg
    return angle_off(brg, looking) <= fov / 2.0, dist, brg


def camera_covers(core: Any, cam: Camera, lat: float, lon: float, at: float) -> dict[str, Any] | None:
    """Where the camera was and how it saw the point at `at`, or None if its view did not cover it (or it
    was out of service then). A camera moved since is taken where it was at `at`."""
    placed = cam.at(at)
    if placed is None:
        return None
    cam = placed
    if cam.kind == "fixed":
        if cam.lat is None or cam.lon is None:
            return None
        ok, dist, brg = view_covers(cam.lat, cam.lon, cam.direction, cam.fov, cam.range_m, lat, lon)
        where = (cam.lat, cam.lon)
        looking: float | None = cam.direction
    else:
        pos = unit_position(core, cam.unit_id or "", at)
        if pos is None:
            return None
        course = pos[2]
        looking = None if course is None else (course + cam.direction) % 360.0
        ok, dist, brg = view_covers(pos[0], pos[1], looking, cam.fov, cam.range_m, lat, lon)
        where = (pos[0], pos[1])
    if not ok:
        return None
    return {"camera": cam.as_dict(), "lat": where[0], "lon": where[1], "looking": looking,
            "distance_m": round(dist, 1), "bearing": round(brg, 1)}


@op("evidence.footage")
def find_footage(core: Any, actor: str, incident_id: Any = None, lat: float | None = None,
                 lon: float | None = None, at: Any = None, minutes: float = 5.0) -> dict[str, Any]:
    """The cameras that saw an incident's place (or lat/lon) at its time (or ``at``), and their clips
    overlapping [time - minutes, time + minutes]."""
    core.refresh()
    try:
        m = float(minutes)
    except (TypeError, ValueError):
        raise Refused(f"bad minutes {minutes!r}", "bad_arguments") from None
    if not 0 < m <= 24 * 60:
        raise Refused("minutes must be more than 0 and at most a day", "bad_arguments")
    iid = None
    if incident_id not in (None, ""):
        iid = parse_incident(incident_id)
        with core.lock:
            inc = get_incident(core.state, iid)
            lat = inc.lat if lat is None else lat
            lon = inc.lon if lon is None else lon
            t = inc.created_at if at in (None, "") else parse_time(at)
    else:
        if lat is None or lon is None or at in (None, ""):
            raise Refused("give an incident, or a place and a time (lat, lon, at)", "bad_arguments")
        t = parse_time(at)
    try:
        plat, plon = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise Refused(f"bad place {lat!r}, {lon!r}", "bad_arguments") from None
    if not (-90 <= plat <= 90 and -180 <= plon <= 180):
        raise Refused(f"bad place {lat!r}, {lon!r}", "bad_arguments")
    t1, t2 = t - m * 60.0, t + m * 60.0
    with core.lock:
        cams = sorted(book(core.state).cameras.values(), key=lambda c: c.id)
        clips = list(book(core.state).clips.values())
    folder = attachments_dir(core)
    found = []
    for cam in cams:
        seen = camera_covers(core, cam, plat, plon, t)
        if seen is None:
            continue
        seen["clips"] = [dict(clip_view(c, folder), attached=iid in c.incidents if iid else False)
                         for c in sorted(clips, key=lambda c: c.start)
                         if c.camera_id == cam.id and c.start <= t2 and c.end >= t1]
        found.append(seen)
    found.sort(key=lambda s: s["distance_m"])
    return {"incident_id": iid, "lat": plat, "lon": plon, "time": t, "time_iso": iso_z(t),
            "from": t1, "to": t2, "cameras": found}


def view_cone(lat: float, lon: float, looking: float | None, fov: float, range_m: float,
              steps: int = 12) -> list[list[float]]:
    """The view cone as a closed ring of [lat, lon] points (the camera, the arc): a circle for an all-round
    camera or one whose heading is unknown."""
    if fov >= 360.0 or looking is None:
        return [list(destination(lat, lon, 360.0 * i / (2 * steps), range_m)) for i in range(2 * steps)]
    a0 = looking - fov / 2.0
    arc = [list(destination(lat, lon, (a0 + fov * i / steps) % 360.0, range_m)) for i in range(steps + 1)]
    return [[lat, lon], *arc]


@op("cameras.map")
def cameras_map(core: Any, actor: str) -> list[dict[str, Any]]:
    """Every camera where it is now with its view cone (a mobile one at its unit's latest fix, if any)."""
    core.refresh()
    now = core.clock()
    with core.lock:
        cams = sorted(book(core.state).cameras.values(), key=lambda c: c.id)
    out = []
    for cam in cams:
        if cam.removed_at is not None:
            continue
        if cam.kind == "fixed" and cam.lat is not None and cam.lon is not None:
            lat, lon, looking = cam.lat, cam.lon, cam.direction
        else:
            pos = unit_position(core, cam.unit_id or "", now)
            if pos is None:
                continue
            lat, lon = pos[0], pos[1]
            looking = None if pos[2] is None else (pos[2] + cam.direction) % 360.0
        out.append({"id": cam.id, "name": cam.name, "kind": cam.kind, "lat": lat, "lon": lon, "looking": looking,
                    "fov": cam.fov, "range_m": cam.range_m, "stream": cam.stream, "unit_id": cam.unit_id,
                    "down": cam.down,
                    "cone": view_cone(lat, lon, looking, cam.fov, cam.range_m)})
    return out
