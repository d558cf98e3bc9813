"""ctl jt808 ...: JT/T 808 truck terminals (texts to a truck's display, alarms, the gateway's terminals)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.ctl import iso, table

RESULTS = {0: "ok", 1: "failure", 2: "bad message", 3: "unsupported"}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    j = sub.add_parser("jt808", parents=[common], help="JT/T 808 truck terminals: texts, alarms, terminals")
    js = j.add_subparsers(dest="jt808_command", required=True)

    s = js.add_parser("send-text", parents=[common], help="a text to a truck's display (0x8300); --tts reads it out")
    s.add_argument("unit_id")
    s.add_argument("text")
    s.add_argument("--tts", action="store_true", help="also read it out (text to speech)")
    s.add_argument("--emergency", action="store_true", help="mark it urgent")
    s.set_defaults(build=lambda a: ("jt808.send_text", {"unit_id": a.unit_id, "text": a.text, "tts": a.tts,
                                                         "emergency": a.emergency}), render=_render_sent)

    t = js.add_parser("texts", parents=[common], help="texts sent to terminals and their answers")
    t.add_argument("--unit")
    t.set_defaults(build=lambda a: ("jt808.texts", {"unit_id": a.unit}), render=_render_texts)

    al = js.add_parser("alarms", parents=[common], help="alarms terminals raised, and those still on")
    al.add_argument("--unit")
    al.set_defaults(build=lambda a: ("jt808.alarms", {"unit_id": a.unit}), render=_render_alarms)

    tm = js.add_parser("terminals", parents=[common], help="the gateway's terminals (needs --hub: a running gateway)")
    tm.set_defaults(build=lambda a: ("jt808.terminals", {}), render=_render_terminals)

    u = js.add_parser("unknown", parents=[common],
                      help="terminals refused because no unit has their number (bind with ctl unit bind-terminal)")
    u.set_defaults(build=lambda a: ("jt808.unknown", {}), render=_render_unknown)


def _render_sent(r: dict[str, Any], _a: Any) -> str:
    state = "sent to the terminal" if r["connected"] else "waiting for the terminal to come online"
    return f"text {r['event']} for {r['unit_id']} (terminal {r['terminal']}): {state}"


def _render_texts(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[t["seq"], iso(t["ts"]), t["unit"], t["by"], t["text"],
                   "waiting" if t["result"] is None else RESULTS.get(t["result"], t["result"]), iso(t["answered"])]
                  for t in rows], ["event", "sent", "unit", "by", "text", "answer", "answered"])


def _render_alarms(r: dict[str, Any], _a: Any) -> str:
    recent = table([[a["seq"], iso(a["time"]), a["unit"], ", ".join(a["alarms"]), f"{a['lat']:.6f}",
                     f"{a['lon']:.6f}"] for a in r["recent"]], ["event", "time", "unit", "alarms", "lat", "lon"])
    active = "\n".join(f"  {u}: {', '.join(a)}" for u, a in sorted(r["active"].items())) or "  none"
    return f"{recent}\nstill on:\n{active}"


def _render_terminals(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[r["phone"], r["unit"] or "", r["edition"] or "", "yes" if r["connected"] else r["close_reason"],
                   "yes" if r["authenticated"] else "no", r["messages"], r["rate_per_s"], r["last_message"],
                   r["errors"], r["peer"]] for r in rows],
                 ["terminal", "unit", "edition", "connected", "auth", "messages", "msg/s", "last", "errors", "peer"])


def _render_unknown(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[r["terminal"], r.get("plate", ""), r.get("manufacturer", ""), r.get("model", ""),
                   r["attempts"], f"{r['age']:.0f} s", r.get("peer", "")] for r in rows],
                 ["terminal", "plate", "maker", "model", "attempts", "last", "peer"])
