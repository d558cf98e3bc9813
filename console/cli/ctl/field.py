"""ctl field ...: the field link from the command line (assignment delivery, messages, broadcast, keys)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.ctl import iso, table


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    f = sub.add_parser("field", parents=[common], help="the field link: delivery states, messages, broadcast, keys")
    fs = f.add_subparsers(dest="field_command", required=True)

    a = fs.add_parser("assignments", parents=[common], help="per unit: online, and each assignment's delivery")
    a.add_argument("--unit")
    a.set_defaults(build=lambda a: ("field.assignments", {"unit_id": a.unit}), render=_render_assignments)

    m = fs.add_parser("messages", parents=[common],
                      help="text messages both ways and broadcasts; --unit: one unit's conversation")
    m.add_argument("--unit")
    m.add_argument("--broadcasts", action="store_true", help="only the broadcasts")
    m.set_defaults(build=lambda a: ("field.messages", {"unit_id": a.unit} if a.unit or a.broadcasts
                                    else {"all": True}), render=_render_messages)

    s = fs.add_parser("send", parents=[common], help="send a text message to one unit")
    s.add_argument("unit_id")
    s.add_argument("text")
    s.set_defaults(build=lambda a: ("field.send", {"unit_id": a.unit_id, "text": a.text}), render=_render_sent)

    b = fs.add_parser("broadcast", parents=[common], help="send a text message to every unit, or to one kind")
    b.add_argument("text")
    b.add_argument("--kind", choices=["patrol_boat", "cleaning_vessel", "officer", "truck"])
    b.set_defaults(build=lambda a: ("field.broadcast", {"text": a.text, "kind": a.kind}), render=_render_broadcast)

    o = fs.add_parser("outbox", parents=[common], help="messages waiting for (or acknowledged by) a unit")
    o.add_argument("--unit")
    o.add_argument("--limit", type=int, default=200)
    o.set_defaults(build=lambda a: ("field.outbox", {"unit_id": a.unit, "limit": a.limit}), render=_render_outbox)

    k = fs.add_parser("keys", parents=[common], help="enrolled and revoked unit keys")
    k.set_defaults(build=lambda a: ("field.keys", {}), render=lambda r, a: _render_rows(r))

    e = fs.add_parser("enrol", parents=[common], help="give a unit a new field key (the administrator's): the pair is "
                      "made here and its key file written to --out; only the public key goes to the hub or store")
    e.add_argument("unit_id")
    e.add_argument("--out", default="keys", metavar="DIR", help="folder for UNIT.key.json (default ./keys)")
    e.set_defaults(build=_build_enrol, render=lambda r, a: f"enrolled {r['unit_id']}"
                   + (" (its previous key no longer works)" if r.get("replaced") else ""),
                   after=_write_enrolled)


def _build_enrol(a: Any) -> tuple[str, dict[str, Any]]:
    """The pair made here; the folder checked before anything is enrolled (the file is written once the key is)."""
    import os
    from pathlib import Path

    from dispatch.errors import Refused
    from dispatch.hub.keys import new_pair

    folder = Path(a.out).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Refused(f"cannot make the key folder {folder}: {exc}", "bad_arguments") from None
    if not os.access(folder, os.W_OK):
        raise Refused(f"cannot write the key file in {folder}", "bad_arguments")
    a.pair = new_pair()
    return "field.enrol", {"unit_id": a.unit_id, "public_key": a.pair[0]}


def _write_enrolled(r: dict[str, Any], a: Any) -> str:
    """After the enrolment: the unit's key file, with the hub's public key the answer gave."""
    from dispatch.hub.keys import key_file, write_key_file

    path = key_file(a.out, a.unit_id)
    try:
        write_key_file(path, {"unit_id": a.unit_id, "public_key": a.pair[0], "secret_key": a.pair[1],
                              "hub_public_key": r["hub_public_key"]})
    except OSError as exc:
        raise OSError(f"{a.unit_id} is enrolled, but its key file could not be written ({exc}): enrol it again") from None
    return f"key file {path} (keep it secret; it is the unit's identity)"


def _render_assignments(units: list[dict[str, Any]], _a: Any) -> str:
    rows = []
    for u in units:
        online = {True: "online", False: "offline", None: "—"}[u.get("online")]
        for a in u.get("assignments") or [{}]:
            state = next((k for k in ("cancelled", "declined", "accepted", "delivered", "sent") if a.get(k)), "")
            rows.append([u["unit_id"], online, a.get("ref", ""), state, iso(a.get(state)) if state else "",
                         a.get("status") or "", a.get("reason") or ""])
    return table(rows, ["unit", "link", "assignment", "state", "since", "progress", "reason"])


def _render_messages(msgs: list[dict[str, Any]], a: Any) -> str:
    if not msgs:
        return "no messages"
    rows = []
    for m in msgs:
        unit = m["unit_id"] if "unit_id" in m else getattr(a, "unit", None)
        if unit:
            way = "from" if m.get("dir") == "in" else "to"
        else:
            way, unit = "broadcast", f"all {m['kind']} units" if m.get("kind") else "all units"
        rows.append([iso(m.get("ts")), way, unit, m.get("actor") or "", m.get("text") or ""])
    return table(rows, ["time", "", "unit", "by", "text"])


def _render_outbox(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[r["unit_id"], r["seq"], r["type"], r.get("ref") or "", iso(r.get("created")),
                   iso(r.get("acked")) or "waiting"] for r in rows],
                 ["unit", "seq", "type", "ref", "created", "acked"])


def _render_sent(r: dict[str, Any], _a: Any) -> str:
    line = f"sent to {r['unit_id']} (event {r['event']})"
    if r.get("enrolled") is False:
        line += (f"; {r['unit_id']} has no enrolled key, so it waits in the outbox until the unit is enrolled "
                 f"(keys new {r['unit_id']}) and connects")
    return line


def _render_broadcast(r: dict[str, Any], _a: Any) -> str:
    who = f"{r['kind']} units" if r.get("kind") else "units"
    line = f"broadcast to {r['units']} enrolled {who} (event {r['event']})"
    if not r["units"]:
        line += "; nobody will receive it"
    return line


def _render_rows(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(none)"
    keys = list(rows[0])
    return table([[iso(r[k]) if isinstance(r.get(k), float) and r[k] > 1e9 else r.get(k) for k in keys]
                  for r in rows], keys)
