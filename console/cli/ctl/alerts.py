"""ctl alerts, ctl alert show|ack|incident, ctl rules [set NAME=VALUE ... | sweep]: the rules' alerts and thresholds."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.ctl import iso, table


def _make_incident(client: Any, shown: dict[str, Any], actor: str, a: argparse.Namespace) -> dict[str, Any]:
    """The alert shown, then made an incident whose text says it in the operator's language, as the console's
    Alerts tab does (console/alerts/words.py), rather than the rule's bare name and recorded detail."""
    from console.alerts.words import summary
    from console.catalogue import system_language, use_language

    use_language(a.lang or system_language())
    return client.call("alert.incident", {"alert_id": a.alert_id, "minutes": a.minutes, "note": a.note,
                                          "priority": a.priority, "summary": summary(shown)}, actor)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("alerts", parents=[common], help="list alerts, most severe and newest first")
    p.add_argument("--state", choices=["open", "acknowledged", "cleared", "incident", "active"])
    p.add_argument("--rule")
    p.add_argument("--unit", dest="unit_id")
    p.set_defaults(build=lambda a: ("alerts", {"state": a.state, "rule": a.rule, "unit_id": a.unit_id}),
                   render=_render_alerts)
    alert = sub.add_parser("alert", parents=[common], help="one alert: show, acknowledge, make an incident")
    asub = alert.add_subparsers(dest="alert_command", required=True)
    show = asub.add_parser("show", parents=[common])
    show.add_argument("alert_id")
    show.set_defaults(build=lambda a: ("alert.show", {"alert_id": a.alert_id}), render=lambda r, a: _render_alerts([r], a))
    ack = asub.add_parser("ack", parents=[common], help="acknowledge an alert with a note")
    ack.add_argument("alert_id")
    ack.add_argument("--note")
    ack.set_defaults(build=lambda a: ("alert.acknowledge", {"alert_id": a.alert_id, "note": a.note}),
                     render=lambda r, a: _render_alerts([r], a))
    inc = asub.add_parser("incident", parents=[common],
                          help="make the alert an incident, with the track of the minutes around it as evidence")
    inc.add_argument("alert_id")
    inc.add_argument("--minutes", type=float, default=10.0, help="track kept before and after the alert (10)")
    inc.add_argument("--note")
    inc.add_argument("--priority", choices=["P1", "P2", "P3", "P4"])
    inc.add_argument("--lang", choices=["zh_CN", "en"],
                     help="language of the incident's text, the alert said as the console says it (default: the "
                          "environment's; Chinese under the C locale)")
    inc.set_defaults(build=lambda a: ("alert.show", {"alert_id": a.alert_id}), follow=_make_incident,
                     render=lambda r, a: f"alert {r['alert']['id']} is incident {r['incident_id']} "
                                         f"(evidence {r['evidence']['name']}, {r['evidence']['points']} fixes)")
    rules = sub.add_parser("rules", parents=[common], help="the rules' thresholds; set them, or sweep for silent units")
    rules.set_defaults(build=lambda a: ("rules.config", {}), render=_render_config)
    rsub = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    st = rsub.add_parser("set", parents=[common], help="NAME=VALUE ...: a threshold (dumping_stop_min=10) or a rule "
                                                      "switched on or off (stale=off)")
    st.add_argument("pairs", nargs="+", metavar="NAME=VALUE")
    st.set_defaults(build=lambda a: ("rules.config_set", {"config": _pairs(a.pairs)}), render=_render_config)
    sw = rsub.add_parser("sweep", parents=[common], help="check every unit for silence now")
    sw.set_defaults(build=lambda a: ("rules.sweep", {}), render=lambda r, a: f"{r['recorded']} alert(s) recorded")


def _pairs(pairs: list[str]) -> dict[str, Any]:
    from dispatch.errors import Refused

    out: dict[str, Any] = {}
    for p in pairs:
        k, eq, v = p.partition("=")
        if not eq or not k.strip():
            raise Refused(f"{p!r} is not NAME=VALUE", "bad_arguments")
        v = v.strip()
        out[k.strip()] = v.lower() in ("on", "true", "yes", "1") if v.lower() in ("on", "off", "true", "false",
                                                                                    "yes", "no") else v
    return out


def _render_alerts(alerts: list[dict[str, Any]], _a: Any) -> str:
    rows = [[a["id"], a["severity"], a["rule"], a["unit_id"], a.get("unit_name") or "", a["state"], iso(a["ts"]),
             f"{a['lat']:.6f}",
             f"{a['lon']:.6f}", a.get("zone_name") or "", a.get("detail") or "",
             a.get("cleared_reason") or a.get("ack_note") or ""] for a in alerts]
    return table(rows, ["id", "severity", "rule", "unit", "name", "state", "time", "lat", "lon", "zone", "detail",
                        "note"])


def _render_config(r: dict[str, Any], _a: Any) -> str:
    rows = [[k, v, r["defaults"][k]] for k, v in r["thresholds"].items()]
    out = table(rows, ["threshold", "value", "default"])
    return out + "\n\n" + table([[k, "on" if v else "off", r["severity"].get(k)] for k, v in r["enabled"].items()],
                                ["rule", "", "severity"])
