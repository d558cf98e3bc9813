"""ctl stats / hotspots / plan / plans / supervision / weights: the figures that look back, on the command line."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.ctl import iso, table

BY = ["unit", "team", "district", "category", "source", "priority", "segment", "road"]
COUNTS = ["filed", "closed", "closed_on_time", "reworked", "extended", "satisfaction_mean", "score"]


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("stats", parents=[common],
                       help="the period's indicators (filed, closed, closed on time, reworked, extended, satisfaction)")
    p.add_argument("--from", dest="start", metavar="ISO", help="period start (default: 30 days before --to)")
    p.add_argument("--to", dest="end", metavar="ISO", help="period end (default: now)")
    p.add_argument("--by", choices=BY, help="one row per unit, team, district, category...")
    p.add_argument("--out", metavar="FILE", help="also write the evaluation table to FILE.csv or FILE.xlsx")
    p.add_argument("--lang", choices=["zh_CN", "en"], default="zh_CN", help="headers of --out (zh_CN)")
    p.set_defaults(build=lambda a: ("analytics.stats", {"start": a.start, "end": a.end, "by": a.by}),
                   render=_render_stats, after=_export)

    u = sub.add_parser("utilisation", parents=[common], help="per unit: time per status and distance covered")
    u.add_argument("--from", dest="start", metavar="ISO")
    u.add_argument("--to", dest="end", metavar="ISO")
    u.set_defaults(build=lambda a: ("analytics.units", {"start": a.start, "end": a.end}), render=_render_units)

    h = sub.add_parser("hotspots", parents=[common], help="recurring hotspots: same category, place and time band")
    h.add_argument("--from", dest="start", metavar="ISO")
    h.add_argument("--to", dest="end", metavar="ISO")
    h.add_argument("--category")
    h.add_argument("--min-count", type=int, default=3)
    h.add_argument("--min-days", type=int, default=2)
    h.set_defaults(build=lambda a: ("analytics.hotspots", {"start": a.start, "end": a.end, "category": a.category,
                                                           "min_count": a.min_count, "min_days": a.min_days}),
                   render=_render_hotspots)

    pl = sub.add_parser("plan", parents=[common], help="create a response plan (处置预案) for a hotspot")
    psub = pl.add_subparsers(dest="plan_command", required=True)
    c = psub.add_parser("create", parents=[common])
    c.add_argument("--category", required=True)
    c.add_argument("--lat", type=float, required=True)
    c.add_argument("--lon", type=float, required=True)
    c.add_argument("--band", required=True, help="time band, e.g. 06:00-09:00")
    c.add_argument("--note", required=True, help="what to do when the next case comes")
    c.add_argument("--radius", type=float, default=300.0, help="metres (300)")
    c.add_argument("--units", default="", help="vessels for a recurring cleaning task (water categories)")
    c.set_defaults(build=lambda a: ("plan.create", {
        "category": a.category, "lat": a.lat, "lon": a.lon, "band": a.band, "note": a.note, "radius_m": a.radius,
        "task_units": [u for u in a.units.split(",") if u.strip()] or None}), render=lambda r, a: _render_plans([r], a))
    ps = sub.add_parser("plans", parents=[common], help="response plans (of one incident's place with --incident)")
    ps.add_argument("--incident")
    ps.set_defaults(build=lambda a: ("plans", {"incident_id": a.incident}), render=_render_plans)

    s = sub.add_parser("supervision", parents=[common], help="督察督办: flagged cases, notices to units and answers")
    ssub = s.add_subparsers(dest="supervision_command", required=True)
    f = ssub.add_parser("flagged", parents=[common], help="cases overdue or reworked more than once")
    f.add_argument("--from", dest="start", metavar="ISO")
    f.add_argument("--to", dest="end", metavar="ISO")
    f.set_defaults(build=lambda a: ("supervision.flagged", {"start": a.start, "end": a.end}), render=_render_flagged)
    n = ssub.add_parser("notice", parents=[common], help="send a supervision notice to the responsible unit")
    n.add_argument("incident_id")
    n.add_argument("text")
    n.add_argument("--unit", help="the unit to notify (default: the last unit on the incident)")
    n.set_defaults(build=lambda a: ("supervision.notice", {"incident_id": a.incident_id, "text": a.text,
                                                           "unit_id": a.unit}),
                   render=lambda r, a: _render_notices([r], a))
    ns = ssub.add_parser("notices", parents=[common], help="notices sent and whether they were answered")
    ns.set_defaults(build=lambda a: ("supervision.notices", {}), render=_render_notices)

    sn = sub.add_parser("shift-note", parents=[common], help="a handover note for the shift report")
    sn.add_argument("text")
    sn.set_defaults(build=lambda a: ("shift.note", {"text": a.text}), render=lambda r, a: f"note {r['seq']} at {r['time']}")

    w = sub.add_parser("weights", parents=[common], help="the combined score's weights; NAME=VALUE ... to set them")
    w.add_argument("set", nargs="*", metavar="NAME=VALUE")
    w.set_defaults(build=_build_weights, render=lambda r, a: "\n".join(f"{k} = {v}" for k, v in r.items()))


def _export(result: dict[str, Any], a: argparse.Namespace) -> str | None:
    if not getattr(a, "out", None):
        return None
    from console.catalogue import use_language, word
    from dispatch.analytics.export import write

    use_language(a.lang)  # the categories, kinds of unit and sources named in the file's language
    return f"wrote {write(result, a.out, lang=a.lang, word=word)}"


def _build_weights(a: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    if not a.set:
        return "analytics.weights", {}
    from dispatch.errors import Refused

    weights = {}
    for item in a.set:
        if "=" not in item:
            raise Refused(f"give NAME=VALUE, not {item!r}", "bad_arguments")
        k, v = item.split("=", 1)
        weights[k.strip()] = v.strip()
    return "analytics.weights_set", {"weights": weights}


def _pct(v: Any) -> str:
    return "" if v is None else f"{100 * v:.1f}%"


def _mins(v: Any) -> str:
    return "" if v is None else f"{v / 60:.1f}"


def _row(name: Any, f: dict[str, Any]) -> list[Any]:
    return [name, f["filed"], f["closed"], f["closed_on_time"], f["reworked"], f["extended"],
            _pct(f["closure_rate"]), _pct(f["on_time_rate"]), _pct(f["rework_rate"]),
            "" if f["satisfaction_mean"] is None else f["satisfaction_mean"], _mins(f["dispatch_s_median"]),
            _mins(f["close_s_median"]), "" if f["score"] is None else f["score"]]


HEAD = ["", "filed 立案", "closed 结案", "on time 按期", "reworked 返工", "extended 延期", "closure 结案率",
        "on-time 按期率", "rework 返工率", "satisf. 满意度", "dispatch min", "close min", "score 综合"]


def _render_stats(r: dict[str, Any], a: argparse.Namespace) -> str:
    head = f"{iso(r['from'])} .. {iso(r['to'])}"
    rows = [_row(x[r["by"]] or "-", x) for x in r["rows"]] + [_row("total 合计", r["total"])]
    return head + "\n" + table(rows, [r["by"] or ""] + HEAD[1:])


def _render_units(rows: list[dict[str, Any]], a: argparse.Namespace) -> str:
    if not rows:
        return "(no unit)"

    def h(s: dict[str, float], k: str) -> str:
        return f"{s.get(k, 0.0) / 3600:.1f}"

    return table([[r["unit_id"], r["kind"], h(r["status_s"], "available"), h(r["status_s"], "assigned"),
                   h(r["status_s"], "busy"), h(r["status_s"], "out_of_service"), _pct(r["busy_share"]), r["distance_km"]]
                  for r in rows], ["unit", "kind", "available h", "assigned h", "busy h", "out of service h", "busy",
                                   "km"])


def _render_hotspots(rows: list[dict[str, Any]], a: argparse.Namespace) -> str:
    if not rows:
        return "(no recurring hotspot in the period)"
    return table([[h["category"], h["place"] or "", f"{h['lat']:.5f},{h['lon']:.5f}", h["band"], h["count"], h["days"],
                   ",".join(map(str, h["incident_ids"][:8])) + ("…" if len(h["incident_ids"]) > 8 else "")]
                  for h in rows], ["category", "place", "lat,lon", "band", "count", "days", "incidents"])


def _render_plans(rows: list[dict[str, Any]], a: argparse.Namespace) -> str:
    if not rows:
        return "(none)"
    return table([[p["id"], p["category"], f"{p['lat']:.5f},{p['lon']:.5f}", p["radius_m"], p["band"],
                   p.get("task_id") or "", p["note"]] for p in rows],
                 ["plan", "category", "lat,lon", "radius m", "band", "task", "note"])


def _render_flagged(rows: list[dict[str, Any]], a: argparse.Namespace) -> str:
    if not rows:
        return "(no case to supervise)"
    return table([[r["incident_id"], r["category"], r["state"], r["unit_id"] or "", ", ".join(r["reasons"]),
                   "yes" if r["noticed"] else ""] for r in rows],
                 ["incident", "category", "state", "unit", "why", "noticed"])


def _render_notices(rows: list[dict[str, Any]], a: argparse.Namespace) -> str:
    if not rows:
        return "(none)"
    return table([[n["id"], n["incident_id"], n["unit_id"], iso(n["ts"]), n["text"],
                   (n["answer"] or {}).get("text", "") if n["answered"] else "(not answered)"] for n in rows],
                 ["notice", "incident", "unit", "sent", "text", "answer"])
