"""ctl tasks / task create|show|assign|finish|cancel|tick: water-cleaning tasks on the command line."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.ctl import iso, table


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("tasks", parents=[common], help="water-cleaning tasks with progress")
    p.add_argument("--state", choices=["scheduled", "active", "finished", "cancelled", "recurring"])
    p.set_defaults(build=lambda a: ("tasks", {"state": a.state}), render=_render_list)

    t = sub.add_parser("task", parents=[common], help="create, show, assign, finish, cancel a cleaning task")
    tsub = t.add_subparsers(dest="task_command", required=True)
    c = tsub.add_parser("create", parents=[common], help="a river segment or a polygon of water to sweep")
    area = c.add_mutually_exclusive_group(required=True)
    area.add_argument("--segment", help="river segment id, e.g. segment-3")
    area.add_argument("--polygon", help='"lat lon; lat lon; lat lon; ..."')
    c.add_argument("--units", default="", help="vessels, comma-separated: vessel-01,vessel-02")
    c.add_argument("--sweep-width", type=float, default=20.0, help="metres swept by one pass (20)")
    c.add_argument("--at", help="start time, ISO 8601 (no zone: Beijing time); default now")
    c.add_argument("--every-day", metavar="HH:MM", help="recurring: one task each day at this time")
    c.add_argument("--name")
    c.set_defaults(build=lambda a: ("task.create", {
        "segment": a.segment, "polygon": a.polygon, "units": a.units, "sweep_width_m": a.sweep_width,
        "at": a.at, "every_day": a.every_day, "name": a.name}), render=_render_task)
    s = tsub.add_parser("show", parents=[common])
    s.add_argument("task_id")
    s.set_defaults(build=lambda a: ("task.show", {"task_id": a.task_id}), render=_render_task)
    asg = tsub.add_parser("assign", parents=[common], help="add vessels to a task")
    asg.add_argument("task_id")
    asg.add_argument("units", help="comma-separated unit ids")
    asg.set_defaults(build=lambda a: ("task.assign", {"task_id": a.task_id, "units": a.units}), render=_render_task)
    for name, opname in (("finish", "task.finish"), ("cancel", "task.cancel")):
        f = tsub.add_parser(name, parents=[common])
        f.add_argument("task_id")
        f.add_argument("--note")
        f.set_defaults(build=lambda a, o=opname: (o, {"task_id": a.task_id, "note": a.note}), render=_render_task)
    tk = tsub.add_parser("tick", parents=[common], help="start due tasks, spawn recurring ones, finish swept ones")
    tk.add_argument("--now", type=float)
    tk.set_defaults(build=lambda a: ("tasks.tick", {"now": a.now}),
                    render=lambda r, a: "\n".join(f"task {x['id']}: {x['action']}" for x in r) or "nothing to do")


def _pct(p: dict[str, Any] | None) -> str:
    return "" if not p else f"{100 * p.get('coverage', 0):.1f}%"


def _render_list(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[r["id"], r["name"], r["state"], ",".join(r["units"]), f"{r['area_m2'] / 1e4:.1f} ha",
                   _pct(r.get("progress")), r.get("every_day") or iso(r.get("at"))] for r in rows],
                 ["id", "name", "state", "units", "area", "swept", "when"])


def _render_task(r: dict[str, Any], _a: Any) -> str:
    p = r.get("progress") or {}
    lines = [f"task {r['id']} {r['name']}: {r['state']}, units {', '.join(r['units']) or '-'}, "
             f"area {r['area_m2'] / 1e4:.1f} ha, sweep width {r['sweep_width_m']:g} m"]
    if r.get("every_day"):
        lines.append(f"  every day at {r['every_day']} (Beijing time)")
    elif r.get("at"):
        lines.append(f"  at {iso(r['at'])}")
    if p:
        lines.append(f"  swept {_pct(p)} ({p.get('swept_m2', 0):.0f} m2), distance {p.get('distance_m', 0):.0f} m"
                     + (f", {p['duration_s']:.0f} s" if p.get("duration_s") is not None else ""))
    return "\n".join(lines)
