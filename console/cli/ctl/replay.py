"""ctl positions --at TIME, ctl events --from T1 --to T2, ctl export --from T1 --to T2 --out FILE,
ctl retention show|set|apply (how long every fix is kept)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from console.cli.ctl import table


def _time(value: str) -> str:
    """Checked here so a typo is an argparse error; the operation parses it again (epoch or ISO)."""
    from dispatch.errors import Refused
    from dispatch.record.replay import parse_time

    try:
        parse_time(value)
    except Refused as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("seats", parents=[common],
                       help="shift handover: who was logged in at which seat at a time (default now)")
    s.add_argument("--at", type=_time, metavar="TIME", help="ISO 8601 (2026-03-01T08:30:00+08:00) or epoch seconds")
    s.add_argument("--history", type=int, default=20, metavar="N", help="also the last N logins and logouts")
    s.set_defaults(build=lambda a: ("replay.seats", {"at": a.at, "history": a.history}), render=_render_seats)
    p = sub.add_parser("positions", parents=[common],
                       help="every unit's position at a past instant, as the replay draws it")
    p.add_argument("--at", required=True, type=_time, metavar="TIME",
                   help="ISO 8601 (2026-03-01T08:30:00+08:00, ...Z for UTC; no offset: local time) or epoch seconds")
    p.add_argument("--unit", action="append", dest="units", metavar="ID", help="only this unit (repeatable)")
    p.set_defaults(build=lambda a: ("replay.positions", {"at": a.at, "units": a.units}), render=_render_positions)

    e = sub.add_parser("events", parents=[common], help="the event log of a time window")
    e.add_argument("--from", dest="start", type=_time, metavar="T1", help="window start (ISO 8601 or epoch)")
    e.add_argument("--to", dest="end", type=_time, metavar="T2", help="window end (ISO 8601 or epoch)")
    e.add_argument("--entity", metavar="E", help='only events about this entity, e.g. "incident:12"')
    e.add_argument("--kind", metavar="K", help='only this kind, or a family: "incident" matches incident.*')
    e.add_argument("--limit", type=int, metavar="N")
    e.set_defaults(build=lambda a: ("replay.events", {"start": a.start, "end": a.end, "entity": a.entity,
                                                      "kind": a.kind, "limit": a.limit}),
                   render=_render_events)

    x = sub.add_parser("export", parents=[common],
                       help="a time window as a replay file (main.py replay FILE) or an HTML track map")
    x.add_argument("--from", dest="start", required=True, type=_time, metavar="T1")
    x.add_argument("--to", dest="end", required=True, type=_time, metavar="T2")
    x.add_argument("--out", required=True, metavar="FILE")
    x.add_argument("--html", action="store_true", help="an HTML track map for a report (works offline)")
    x.set_defaults(build=lambda a: ("replay.export", {"start": a.start, "end": a.end, "html": a.html, **(
        {} if getattr(a, "hub", None) else {"out": a.out})}), received_as="file", render=_render_export)

    r = sub.add_parser("retention", parents=[common],
                       help="how long every fix is kept before it is thinned (events are never thinned)")
    rsub = r.add_subparsers(dest="retention_command", metavar="ACTION", required=True)
    rsub.add_parser("show", parents=[common], help="the policy and what was thinned so far").set_defaults(
        build=lambda a: ("retention.show", {}), render=_render_retention)
    rs = rsub.add_parser("set", parents=[common], help="keep every fix DAYS days, then one per SECONDS (administrator)")
    rs.add_argument("--keep-all-days", required=True, metavar="DAYS",
                    help="days every fix is kept (e.g. 90), or 'forever' to thin nothing")
    rs.add_argument("--every", type=float, default=30.0, metavar="SECONDS",
                    help="after that, one fix per unit per this many seconds (30)")
    rs.set_defaults(build=lambda a: ("retention.set", {"keep_all_days": a.keep_all_days, "every_s": a.every}),
                    render=_render_retention)
    rsub.add_parser("apply", parents=[common], help="thin what is due now (the hub and console do it by themselves)"
                    ).set_defaults(build=lambda a: ("retention.apply", {}), render=_render_retention)


def _render_retention(r: dict[str, Any], _args: Any) -> str:
    from console.cli.ctl import iso

    if r.get("keep_all_days") is None:
        out = "every fix is kept for ever"
    else:
        out = f"every fix kept {r['keep_all_days']:g} days, then one per {r['every_s']:g} s"
    if r.get("applied_until") is not None:
        out += f"; thinned up to {iso(r['applied_until'])}, {r['thinned']} fixes in {r['runs']} run(s)"
    applied = r.get("applied")
    if applied:
        out += (f"\nthis run: {applied['thinned']} of {applied['fixes_before']} fixes thinned between "
                f"{iso(applied['from_ts'])} and {iso(applied['to_ts'])}")
    elif "applied" in r:
        out += "\nthis run: nothing due"
    return out


def _render_export(r: dict[str, Any], _args: Any) -> str:
    """One line, like every other command (--json gives the whole answer)."""
    what = "replay file" if "fixes" in r else "HTML track map"
    parts = [f"{r.get('units', 0)} units", f"{r.get('events_in_window', r.get('events', 0))} events"]
    if "fixes" in r:
        parts.append(f"{r['fixes']} fixes")
    if "bytes" in r:
        parts.append(f"{r['bytes'] / 1024:.0f} KiB")
    return f"{what} {r['file']}: {r['from']} to {r['to']}, " + ", ".join(parts)


def _render_positions(rows: list[dict[str, Any]], _args: Any) -> str:
    if not rows:
        return "no unit has a stored fix at or before that time"
    return table([[r["unit_id"], f"{r['lat']:.6f}", f"{r['lon']:.6f}", r["time"]] for r in rows],
                 ["unit", "lat", "lon", "fix time (UTC)"])


def _render_events(rows: list[dict[str, Any]], _args: Any) -> str:
    return table([[r["seq"], r["time"], r["actor"], r["kind"], r["entity"] or "",
                   json.dumps(r["payload"], ensure_ascii=False)[:80]] for r in rows],
                 ["seq", "time (UTC)", "actor", "kind", "entity", "payload"])


def _render_seats(r: dict[str, Any], _args: Any) -> str:
    from console.cli.ctl import iso

    out = [f"at {iso(r['at'])}:"]
    out.append(table([[s["seat"], s["name"], s["role"], iso(s["since"])] for s in r["seats"]],
                     ["seat", "operator", "role", "since"]) if r["seats"] else "no one logged in")
    if r["changes"]:
        out += ["", table([[iso(c["ts"]), c["seat"], c["name"], c["what"], c["reason"]] for c in r["changes"]],
                          ["time", "seat", "operator", "", "reason"])]
    return "\n".join(out)
