"""ctl incidents / incident create|show|unassign|merge|check-deadlines / recommend / assign / transition /
evaluate / attach / merge: the dispatcher's workflow on the command line (same ops as the console)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from console.cli.ctl import iso, table

CATEGORIES = ["illegal_dumping", "construction_waste_spill", "floating_garbage", "water_pollution", "illegal_fishing",
              "illegal_sand_mining", "street_vending", "illegal_construction", "damaged_facility", "other"]


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("incidents", parents=[common], help="the incident queue")
    p.add_argument("--state", help="only this state (reported, verified, dispatched, ...)")
    p.add_argument("--open", action="store_true", help="only open incidents (not closed/evaluated/rejected)")
    p.add_argument("--category", help="only this category")
    p.set_defaults(build=lambda a: ("incidents", {"state": a.state, "open": a.open, "category": a.category}),
                   render=_render_list)

    inc = sub.add_parser("incident", parents=[common], help="create, show, unassign, merge an incident")
    isub = inc.add_subparsers(dest="incident_command", required=True)
    c = isub.add_parser("create", parents=[common], help="file a report; prints the new incident")
    c.add_argument("--category", required=True, help=", ".join(CATEGORIES))
    c.add_argument("--priority", required=True, help="P1 (most urgent) .. P4")
    c.add_argument("--lat", required=True, type=float)
    c.add_argument("--lon", required=True, type=float)
    c.add_argument("--text", help="description")
    c.add_argument("--source", default="hotline", help="hotline, app, patrol, video, alert, other")
    c.add_argument("--address")
    c.add_argument("--reporter")
    c.add_argument("--contact")
    c.add_argument("--verified", action="store_true", help="file it already verified")
    c.set_defaults(build=lambda a: ("incident.create", {
        "category": a.category, "priority": a.priority, "lat": a.lat, "lon": a.lon, "text": a.text,
        "source": a.source, "address": a.address, "reporter": a.reporter, "contact": a.contact,
        "verified": a.verified}), render=_render_created)
    s = isub.add_parser("show", parents=[common], help="state, details and full history")
    s.add_argument("incident_id")
    s.set_defaults(build=lambda a: ("incident.show", {"incident_id": a.incident_id}), render=_render_detail)
    u = isub.add_parser("unassign", parents=[common], help="withdraw the unit: back to verified")
    u.add_argument("incident_id")
    u.add_argument("--note")
    u.set_defaults(build=lambda a: ("incident.unassign", {"incident_id": a.incident_id, "note": a.note}),
                   render=_render_detail)
    m = isub.add_parser("merge", parents=[common], help="merge DUPLICATE_ID into ID")
    _merge_args(m)
    dl = isub.add_parser("check-deadlines", parents=[common], help="record overdue alerts now")
    dl.add_argument("--now", type=float, help="epoch seconds (default: now)")
    dl.set_defaults(build=lambda a: ("incidents.check_deadlines", {"now": a.now}),
                    render=lambda r, a: "\n".join(f"incident {x['id']}: {x['stage']} overdue by {x['overdue_s']:.0f} s"
                                                  for x in r) or "nothing overdue")

    al = isub.add_parser("alerts", parents=[common], help="shift-lead alerts nobody has acknowledged (--all: every one)")
    al.add_argument("--all", action="store_true", help="also the acknowledged ones, with who and when")
    al.set_defaults(build=lambda a: ("incidents.alerts", {"all": a.all}), render=_render_alerts)
    ack = isub.add_parser("acknowledge", parents=[common], help="acknowledge shift-lead alerts (default: every one)")
    ack.add_argument("alerts", nargs="*", type=int, metavar="ALERT", help="alert numbers as `incident alerts` lists")
    ack.set_defaults(build=lambda a: ("incidents.acknowledge_alerts", {"alerts": a.alerts or None}),
                     render=lambda r, a: f"{r['acknowledged']} alert(s) acknowledged")

    r = sub.add_parser("recommend", parents=[common], help="units ranked by ETA for an incident")
    r.add_argument("incident_id", nargs="?")
    r.add_argument("--task", dest="task_id", help="recommend for a cleaning task instead")
    r.add_argument("--limit", type=int, default=3)
    r.add_argument("--kinds", help="comma-separated unit kinds instead of those suited to the category")
    r.set_defaults(build=lambda a: ("recommend", {"incident_id": a.incident_id, "task_id": a.task_id,
                                                  "limit": a.limit, "kinds": a.kinds}), render=_render_recommend)

    a = sub.add_parser("assign", parents=[common], help="dispatch UNIT to incident ID")
    a.add_argument("incident_id")
    a.add_argument("unit_id")
    a.add_argument("--note")
    a.add_argument("--only-if-free", action="store_true",
                   help="refuse if the unit already has work (otherwise it is queued behind its current job)")
    a.set_defaults(build=lambda a: ("incident.assign", {"incident_id": a.incident_id, "unit_id": a.unit_id,
                                                        "note": a.note, "exclusive": a.only_if_free}),
                   render=_render_assigned)

    t = sub.add_parser("transition", parents=[common], help="move incident ID to STATE")
    t.add_argument("incident_id")
    t.add_argument("state", help="verified, rejected, accepted, en_route, on_scene, resolved, closed, evaluated, reopened")
    t.add_argument("--note")
    t.add_argument("--reason", help="for rejected: invalid (default) or duplicate")
    t.add_argument("--satisfaction", type=int, help="for evaluated: 1..5")
    t.set_defaults(build=lambda a: ("incident.transition", {
        "incident_id": a.incident_id, "state": a.state, "note": a.note, "reason": a.reason,
        "satisfaction": a.satisfaction}), render=_render_detail)

    e = sub.add_parser("evaluate", parents=[common], help="closed -> evaluated with the reporter's satisfaction")
    e.add_argument("incident_id")
    e.add_argument("--satisfaction", type=int, required=True, help="1..5")
    e.add_argument("--note")
    e.set_defaults(build=lambda a: ("incident.evaluate", {"incident_id": a.incident_id,
                                                          "satisfaction": a.satisfaction, "note": a.note}),
                   render=_render_detail)

    at = sub.add_parser("attach", parents=[common], help="attach a file (kept with its SHA-256, never altered)")
    at.add_argument("incident_id")
    at.add_argument("file")
    at.add_argument("--note")
    at.set_defaults(build=_build_attach,
                    render=lambda r, a: f"attached {r['name']} to incident {r['id']}: {r['size']} bytes, "
                                        f"sha256 {r['sha256']}")

    mg = sub.add_parser("merge", parents=[common], help="merge DUPLICATE_ID into ID (keeps both reports)")
    _merge_args(mg)


def _merge_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("incident_id")
    p.add_argument("duplicate_id")
    p.add_argument("--note")
    p.set_defaults(build=lambda a: ("incident.merge", {"incident_id": a.incident_id,
                                                       "duplicate_id": a.duplicate_id, "note": a.note}),
                   render=_render_detail)


def _build_attach(a: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    path = Path(a.file).expanduser()
    args: dict[str, Any] = {"incident_id": a.incident_id, "name": path.name, "note": a.note}
    if getattr(a, "hub", None):
        a.send_file = path  # the hub may run on another machine: the file goes in pieces (dispatch/uploads.py)
    else:
        args["path"] = str(path.resolve())
    return "incident.attach", args


def _deadline(row: dict[str, Any]) -> str:
    """The running deadline, after any earlier stage that was late this round: "dispatch late, arrive 0:19:40"."""
    d = row.get("deadline")
    running = (d or {}).get("stage")
    late = [s for s in row.get("overdue_stages") or [] if s != running] if row.get("open", True) else []
    parts = [f"{'+'.join(late)} late"] if late else []
    if d:
        r = d["remaining_s"]
        sign = "-" if r < 0 else ""
        r = abs(r)
        parts.append(f"{d['stage']} {sign}{int(r // 3600)}:{int(r % 3600 // 60):02d}:{int(r % 60):02d}")
    return ", ".join(parts)


def _where(row: dict[str, Any]) -> str:
    """Where, as the queue names it: the report's address, else its coordinates (`ctl incident show` has both)."""
    address = (row.get("address") or "").strip()
    return address[:24] if address else f"{row['lat']:.5f},{row['lon']:.5f}"


def _render_list(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[r["id"], r["priority"], r["category"], r["state"] + (" !" if r["overdue"] else ""),
                   r.get("unit_id") or "", _deadline(r), _where(r),
                   (r.get("text") or "")[:40]] for r in rows],
                 ["id", "prio", "category", "state", "unit", "deadline", "where", "text"])


def _render_alerts(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[r["seq"], iso(r["at"]), r["incident_id"], r.get("priority") or "", r.get("category") or "",
                   r["stage"], r.get("state") or "",
                   f"{r['acknowledged_by']} {iso(r['acknowledged_at'])}" if r.get("acknowledged_at") else ""]
                  for r in rows], ["alert", "at", "incident", "prio", "category", "stage late", "state now",
                                   "acknowledged"]) if rows else "no alerts"


def _render_created(r: dict[str, Any], a: Any) -> str:
    text = f"incident {r['id']} {r['state']}: {r['category']} {r['priority']} at {r['lat']:.6f},{r['lon']:.6f}"
    if r.get("possible_duplicates"):
        text += f"\nlikely duplicate of: {', '.join(str(x) for x in r['possible_duplicates'])} (ctl merge ID DUP)"
    for w in r.get("warnings") or []:
        text += f"\nwarning: {w['message']}"
    return text


def _render_assigned(d: dict[str, Any], args: Any) -> str:
    notes = []
    if d.get("queued_behind"):
        notes.append(f"note: queued behind incident(s) {', '.join(map(str, d['queued_behind']))}")
    if d.get("delivery"):
        notes.append(f"note: {d['delivery']}")
    return "\n".join([_render_detail(d, args), *notes])


def _render_detail(r: dict[str, Any], _a: Any) -> str:
    lines = [f"incident {r['id']}  {r['state']}  {r['category']} {r['priority']}  "
             f"{r['lat']:.6f},{r['lon']:.6f}  unit: {r.get('unit_id') or '-'}"]
    if r.get("text"):
        lines.append(f"  {r['text']}")
    if (r.get("address") or "").strip():
        lines.append(f"  where: {r['address'].strip()}")
    if r.get("reporter") or r.get("source"):
        lines.append(f"  reported by: {r.get('reporter') or '-'} ({r.get('source') or '-'})")
    if r.get("deadline") or r.get("overdue"):
        lines.append(f"  deadline: {_deadline(r)}" + ("  OVERDUE" if r.get("overdue") else ""))
    if r.get("possible_duplicates"):
        lines.append(f"  likely duplicate of: {', '.join(map(str, r['possible_duplicates']))}")
    lines.append(f"  allowed next: {', '.join(r.get('allowed') or []) or 'nothing'}")
    for att in r.get("attachments") or []:
        lines.append(f"  attachment {att.get('name')} {att.get('size')} B sha256 {att.get('sha256')}")
    lines.append(table([[iso(h["time"]), h["actor"], h["kind"], h.get("from") or "", h.get("to") or "",
                         h.get("unit_id") or h.get("stage") or "", h.get("note") or ""] for h in r.get("history", [])],
                       ["time", "actor", "event", "from", "to", "unit", "note"]))
    return "\n".join(lines)


def _render_recommend(rows: list[dict[str, Any]], _a: Any) -> str:
    if not rows:
        return "no available unit of a suitable kind with a position"
    return table([[i + 1, r["unit_id"], r["name"], r["kind"], f"{r['eta_s'] / 60:.1f} min",
                   f"{r['distance_m'] / 1000:.2f} km", r["mode"] + (" (stale fix)" if r.get("stale") else "")]
                  for i, r in enumerate(rows)], ["#", "unit", "name", "kind", "eta", "distance", "by"])
