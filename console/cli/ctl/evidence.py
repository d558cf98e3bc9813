"""ctl cameras [import FILE], ctl evidence add|list|show|frame|annotate|footage|attach|record|to-case|verify: non-site enforcement's
cameras and video evidence on the command line (the same operations as the console)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from console.cli.ctl import iso, table


def _abs(path: str) -> str:
    return str(Path(path).expanduser().absolute())


def _build_add(a: Any) -> tuple[str, dict[str, Any]]:
    args = {"incident_id": a.incident, "camera_id": a.camera, "start": a.start,
            "name": a.name or Path(a.file).name}
    if getattr(a, "hub", None):
        a.send_file = Path(a.file).expanduser()  # through a hub the clip goes in pieces (dispatch/uploads.py)
    else:
        args["path"] = _abs(a.file)
    return "evidence.add", args


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    cams = sub.add_parser("cameras", parents=[common], help="list the cameras, or import them from CSV/GeoJSON")
    cams.add_argument("--kind", choices=["fixed", "mobile"])
    cams.add_argument("--removed", action="store_true", help="also the cameras taken out of service")
    cams.set_defaults(build=lambda a: ("cameras", {"kind": a.kind, "removed": a.removed}), render=_render_cameras)
    csub = cams.add_subparsers(dest="cameras_command", required=False)
    imp = csub.add_parser("import", parents=[common],
                          help="register or change cameras from a file: CSV with a header "
                               "(id,name,kind,lat,lon,direction,fov,range_m,zone,stream,unit) or a GeoJSON "
                               "FeatureCollection of Points with those properties; all or nothing")
    imp.add_argument("file")
    imp.set_defaults(build=_build_import, render=_render_import)
    rm = csub.add_parser("remove", parents=[common],
                         help="take a camera out of service (its clips stay, its past footage is still found)")
    rm.add_argument("camera_id")
    rm.add_argument("--reason", default="")
    rm.set_defaults(build=lambda a: ("camera.remove", {"camera_id": a.camera_id, "reason": a.reason}),
                    render=lambda r, a: f"camera {r['id']} removed")
    chk = csub.add_parser("check", parents=[common], help="try every camera's stream; an unreachable one is marked")
    chk.add_argument("--stream-timeout", type=float, default=5.0, help="seconds to wait for each stream (5)")
    chk.set_defaults(build=lambda a: ("cameras.check", {"timeout": a.stream_timeout}),
                     render=lambda r, a: "\n".join([f"reachable: {', '.join(r['up']) or '-'}"]
                                                   + [f"unreachable: {k}: {v}" for k, v in r["down"].items()]))

    ev = sub.add_parser("evidence", parents=[common], help="video evidence: clips, stills, finding footage")
    esub = ev.add_subparsers(dest="evidence_command", required=True)
    add = esub.add_parser("add", parents=[common], help="keep a video clip as evidence of an incident")
    add.add_argument("file")
    add.add_argument("--incident", required=True)
    add.add_argument("--camera", help="the camera that recorded it (gives its place)")
    add.add_argument("--start", help="when it starts (ISO 8601), if the file carries no recording time or it is wrong")
    add.add_argument("--name", help="its name in the record (default: the file's)")
    add.set_defaults(build=_build_add, render=lambda r, a: _render_clips([r], a))
    ls = esub.add_parser("list", parents=[common], help="the clips of an incident (or a camera) with their hashes")
    ls.add_argument("--incident")
    ls.add_argument("--camera")
    ls.set_defaults(build=lambda a: ("evidence.list", {"incident_id": a.incident, "camera_id": a.camera}),
                    render=_render_clips)
    show = esub.add_parser("show", parents=[common], help="one clip and its stills")
    show.add_argument("clip_id")
    show.set_defaults(build=lambda a: ("evidence.show", {"clip_id": a.clip_id}), render=_render_show)
    fr = esub.add_parser("frame", parents=[common],
                         help="keep the frame a clip shows at an instant as a still (and write it as PNG)")
    fr.add_argument("clip_id")
    fr.add_argument("--at", required=True, help="the instant, ISO 8601 (e.g. 2026-03-01T08:30:12.400+08:00)")
    fr.add_argument("--out", help="also write the still to this PNG file, here (read back from the store as kept)")
    fr.set_defaults(build=lambda a: ("evidence.frame", {"clip_id": a.clip_id, "at": a.at}),
                    render=_render_still, follow=_still_here)
    an = esub.add_parser("annotate", parents=[common], help="a box and/or a note on a still, kept beside it")
    an.add_argument("still_id")
    an.add_argument("--box", help="x,y,width,height in pixels")
    an.add_argument("--note")
    an.set_defaults(build=lambda a: ("evidence.annotate", {"still_id": a.still_id, "box": a.box, "note": a.note}),
                    render=lambda r, a: f"still {r['id']}: {len(r['annotations'])} annotation(s)")
    fo = esub.add_parser("footage", parents=[common],
                         help="the cameras that saw an incident's (or a place's) time and place, and their clips")
    fo.add_argument("--incident")
    fo.add_argument("--lat", type=float)
    fo.add_argument("--lon", type=float)
    fo.add_argument("--at", help="the time (default: the incident's report time)")
    fo.add_argument("--minutes", type=float, default=5.0, help="clips within this many minutes either side (5)")
    fo.set_defaults(build=lambda a: ("evidence.footage", {"incident_id": a.incident, "lat": a.lat, "lon": a.lon,
                                                          "at": a.at, "minutes": a.minutes}),
                    render=_render_footage)
    rec = esub.add_parser("record", parents=[common],
                          help="record N minutes of a camera's stream and keep it as a clip of an incident")
    rec.add_argument("camera_id")
    rec.add_argument("--incident", required=True)
    rec.add_argument("--minutes", type=float, required=True)
    rec.add_argument("--stream-timeout", type=float, default=5.0, help="seconds to wait for the stream (5)")
    rec.set_defaults(build=lambda a: ("evidence.record", {"camera_id": a.camera_id, "incident_id": a.incident,
                                                          "minutes": a.minutes, "timeout": a.stream_timeout}),
                     render=lambda r, a: _render_clips([r], a))
    tc = esub.add_parser("to-case", parents=[common],
                         help="carry the clips and stills of a case's incident into the case's evidence (by hash)")
    tc.add_argument("case_id")
    tc.set_defaults(build=lambda a: ("evidence.to_case", {"case_id": a.case_id}), render=_render_to_case)
    pc = esub.add_parser("photo-to-case", parents=[common],
                         help="add a truck camera's photo (its event number: ctl jt808 photos) to a case's evidence")
    pc.add_argument("case_id")
    pc.add_argument("photo", help="the photo's event number")
    pc.set_defaults(build=lambda a: ("evidence.photo_to_case", {"case_id": a.case_id, "photo": a.photo}),
                    render=_render_to_case)
    ve = esub.add_parser("verify", parents=[common],
                         help="check stored clips: there, unaltered (SHA-256) and every frame decoding")
    ve.add_argument("clip_id", nargs="?", help="one clip (default: all)")
    ve.set_defaults(build=lambda a: ("evidence.verify", {"clip_id": a.clip_id}), render=_render_verify,
                    exit_status=lambda r: 1 if r["bad"] else 0)
    at = esub.add_parser("attach", parents=[common], help="attach a stored clip to an incident")
    at.add_argument("clip_id")
    at.add_argument("--incident", required=True)
    at.set_defaults(build=lambda a: ("evidence.attach", {"clip_id": a.clip_id, "incident_id": a.incident}),
                    render=lambda r, a: f"clip {r['id']} is evidence of incident(s) "
                                        f"{', '.join(map(str, r['incidents']))}")


def _build_import(a: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    from dispatch.evidence.cameras import read_cameras_file

    return "cameras.import", {"rows": read_cameras_file(a.file)}


def _render_import(r: dict[str, Any], _a: Any) -> str:
    out = [f"registered {len(r['registered'])} camera(s)" + (f": {', '.join(r['registered'])}" if r["registered"] else "")]
    if r["changed"]:
        out.append(f"changed: {', '.join(r['changed'])}")
    if r["unchanged"]:
        out.append(f"unchanged: {', '.join(r['unchanged'])}")
    return "\n".join(out)


def _render_cameras(cams: list[dict[str, Any]], _a: Any) -> str:
    rows = [[c["id"], c["name"], c["kind"],
             c["unit_id"] if c["kind"] == "mobile" else f"{c['lat']:.6f},{c['lon']:.6f}",
             f"{c['direction']:g}", f"{c['fov']:g}", f"{c['range_m']:g}", c["zone"], c["stream"],
             "removed" if c.get("removed_at") else "unreachable" if c.get("down") else ""] for c in cams]
    return table(rows, ["id", "name", "kind", "where", "dir°", "fov°", "range m", "zone", "stream", "state"])


def _render_clips(clips: list[dict[str, Any]], _a: Any) -> str:
    rows = [[c["id"], c["name"], c["camera_id"] or "", iso(c["start"]), iso(c["end"]), f"{c['duration_s']:.3f}",
             ",".join(map(str, c["incidents"])), c["sha256"]] for c in clips]
    return table(rows, ["id", "name", "camera", "start", "end", "seconds", "incidents", "sha256"])


def _render_show(c: dict[str, Any], a: Any) -> str:
    out = [_render_clips([c], a), f"file: {c.get('path', '')}"]
    for s in c.get("stills", []):
        out.append(f"still {s['id']}: offset {s['offset_s']:.3f} s ({iso(s['frame_time'])}) sha256 {s['sha256']}"
                   + "".join(f"\n  {n.get('box') or ''} {n.get('note') or ''}".rstrip() for n in s["annotations"]))
    return "\n".join(out)


def _still_here(client: Any, result: dict[str, Any], actor: str, args: Any) -> dict[str, Any]:
    """frame --out: the still as the store keeps it, written where ctl runs (through a hub too, for any operator
    who may take a frame: nothing is written on the hub's machine)."""
    if not args.out:
        return result
    from console.cli.ctl import fetch_stored

    return {**result, "out": fetch_stored(client, actor, result["sha256"], args.out, "still.png",
                                          f"still {result['id']}")}


def _render_still(r: dict[str, Any], _a: Any) -> str:
    out = f"still {r['id']} of clip {r['clip_id']}: offset {r['offset_s']:.3f} s ({r['frame_iso']}), sha256 {r['sha256']}"
    return out + (f"\nwritten to {r['out']}" if r.get("out") else "")


def _render_footage(r: dict[str, Any], _a: Any) -> str:
    head = f"{r['lat']:.6f},{r['lon']:.6f} at {iso(r['time'])}: {len(r['cameras'])} camera(s) saw it"
    rows = []
    for s in r["cameras"]:
        clips = ", ".join(f"{c['id']}" + (" (attached)" if c.get("attached") else "") for c in s["clips"]) or "-"
        rows.append([s["camera"]["id"], s["camera"]["kind"], f"{s['distance_m']:.0f}", clips])
    return head + ("\n" + table(rows, ["camera", "kind", "distance m", "clips"]) if rows else "")


def _render_to_case(r: dict[str, Any], _a: Any) -> str:
    lines = [f"case {r['id']}: {len(r['added'])} item(s) added"]
    lines += [f"  {e['kind']} {e['name']} {e['size']} B sha256 {e['sha256']}" for e in r["added"]]
    return "\n".join(lines)


def _render_verify(r: dict[str, Any], _a: Any) -> str:
    head = (f"{r['checked']} clip file(s) checked ({r['video_s']:.1f} s of video) in {r['seconds']:.1f} s: "
            + ("every frame decodes, every hash matches" if not r["bad"] else f"{len(r['bad'])} bad"))
    return "\n".join([head] + [f"  {b['problem']}" for b in r["bad"]])
