"""ctl apikey new|revoke|list, ctl citizens note|preview|request|layer-import|layers|satisfaction: Open311."""

from __future__ import annotations

import argparse
import json
from typing import Any

from console.cli.ctl import iso, read_json, table


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    k = sub.add_parser("apikey", parents=[common], help="Open311 API keys: new, revoke, list")
    ks = k.add_subparsers(dest="apikey_command", required=True)
    n = ks.add_parser("new", parents=[common], help="issue a key (shown once; stored hashed)")
    n.add_argument("name", help="the client, e.g. wechat, city-app, fixmystreet")
    n.add_argument("--source", default="aggregator", choices=["app", "wechat", "web", "aggregator"],
                   help="the source its reports carry (default aggregator)")
    n.set_defaults(build=lambda a: ("citizens.apikey_new", {"name": a.name, "source": a.source}),
                   render=lambda r, a: f"api_key for {r['name']} ({r['source']}): {r['api_key']}\n"
                                       "give it to the client now: it is stored hashed and never shown again")
    r = ks.add_parser("revoke", parents=[common], help="revoke a key: its client gets 403 from now on")
    r.add_argument("name")
    r.set_defaults(build=lambda a: ("citizens.apikey_revoke", {"name": a.name}),
                   render=lambda r, a: f"key {r['name']} revoked")
    ls = ks.add_parser("list", parents=[common], help="every key issued, live or revoked")
    ls.set_defaults(build=lambda a: ("citizens.apikeys", {}), render=_render_keys)

    c = sub.add_parser("citizens", parents=[common], help="citizens' requests: public notes, preview, layers")
    cs = c.add_subparsers(dest="citizens_command", required=True)
    note = cs.add_parser("note", parents=[common], help="publish a note to every citizen following an incident")
    note.add_argument("incident_id")
    note.add_argument("text")
    note.set_defaults(build=lambda a: ("citizens.public_note", {"incident_id": a.incident_id, "text": a.text}),
                      render=_render_preview)
    pv = cs.add_parser("preview", parents=[common], help="what the citizens see now (with --note: once published)")
    pv.add_argument("incident_id")
    pv.add_argument("--note")
    pv.add_argument("--lang", choices=["zh_CN", "en"])
    pv.set_defaults(build=lambda a: ("citizens.preview", {"incident_id": a.incident_id, "note": a.note,
                                                          "lang": a.lang}), render=_render_preview)
    rq = cs.add_parser("request", parents=[common], help="one service request as GET requests/{id} shows it")
    rq.add_argument("request_id")
    rq.set_defaults(build=lambda a: ("citizens.request", {"request_id": a.request_id}),
                    render=lambda r, a: json.dumps(r, ensure_ascii=False, indent=2))
    li = cs.add_parser("layer-import", parents=[common], help="replace a convenience layer from GeoJSON points")
    li.add_argument("layer", help="e.g. toilets, parking")
    li.add_argument("file")
    # the GeoJSON read here and sent: through a hub, a path would name a file of the hub's machine
    li.set_defaults(build=lambda a: ("citizens.layer_import", {"layer": a.layer, "geojson": read_json(a.file)}),
                    render=lambda r, a: f"layer {r['layer']}: {r['features']} places")
    ly = cs.add_parser("layers", parents=[common], help="the convenience layers and their sizes")
    ly.set_defaults(build=lambda a: ("citizens.layers", {}),
                    render=lambda r, a: table([[k, v] for k, v in r.items()], ["layer", "places"]))
    sa = cs.add_parser("satisfaction", parents=[common], help="the figures of citizens' ratings")
    sa.set_defaults(build=lambda a: ("citizens.satisfaction", {}),
                    render=lambda r, a: table([[k, v] for k, v in r.items()], ["figure", "value"]))


def _render_keys(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[r["name"], r["source"], iso(r["created"]), r.get("created_by") or "",
                   iso(r["revoked"]) if r.get("revoked") else "live"] for r in rows],
                 ["name", "source", "created", "by", "revoked"])


def _render_preview(r: dict[str, Any], _a: Any) -> str:
    lines = [f"incident {r['incident_id']}: {r['citizens']} citizen request(s) follow it"]
    for q in r["requests"]:
        lines.append(f"  request {q['service_request_id']} [{q['status']}] {q['status_notes'] or ''}")
        for n in q.get("notes") or []:
            lines.append(f"    {n['datetime']}  {n['type']:6s}  {n['description']}")
    return "\n".join(lines)
