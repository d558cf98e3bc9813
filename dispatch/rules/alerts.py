"""Alerts as events and the state derived from them (state.ext["alerts"]).

`alert.raised` {key, rule, unit_id, lat, lon, ts, severity, zone, detail...}: a rule's condition held
(the id is the next number). `detail` says it in English; `args` (since 2026-12) holds its values (a plate,
a route's name, metres, minutes) for a console to say it in its operator's language.
`alert.cleared` {key, ts, reason}: the condition went away: the alert
closes itself and says why. `alert.acknowledged` {id, note} by a dispatcher; `alert.escalated`
{id, incident_id, evidence} when it became an incident. `key` ties a clearing to the alert it closes
(rule, subject and zone), so the engine needs no id to close what it opened.

An alert's `state`: "open" (condition holds, nobody acknowledged), "acknowledged", "cleared" (the
condition went away), "incident" (made into an incident). `active` says whether the condition holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dispatch.changes import Changes
from dispatch.state import State, applies
from dispatch.store import Event

FIELDS = ("id", "rule", "unit_id", "lat", "lon", "ts", "state", "severity", "zone", "zone_name", "detail", "args",
          "since", "active", "cleared_ts", "cleared_reason", "ack_by", "ack_note", "ack_ts", "incident_id", "key")


@dataclass
class AlertBook:
    alerts: dict[int, dict[str, Any]] = field(default_factory=dict)
    active: dict[str, int] = field(default_factory=dict)  # key -> id of the alert whose condition holds
    next_id: int = 1


def alert_book(state: State) -> AlertBook:
    b = state.ext.get("alerts")
    if b is None:
        b = state.ext["alerts"] = AlertBook()
    return b


def _state_of(a: dict[str, Any]) -> str:
    if a.get("incident_id") is not None:
        return "incident"
    if not a["active"]:
        return "cleared"
    return "acknowledged" if a.get("ack_ts") is not None else "open"


def _touch(ch: Changes, a: dict[str, Any]) -> None:
    a["state"] = _state_of(a)
    ch.alerts = True
    ch.entities.add(f"alert:{a['id']}")


@applies("alert.raised")
def _raised(state: State, ev: Event, ch: Changes) -> None:
    b = alert_book(state)
    p = ev.payload
    a = {k: p.get(k) for k in FIELDS}
    a.update(id=b.next_id, active=True, recorded=ev.ts)
    b.next_id += 1
    b.alerts[a["id"]] = a
    old = b.active.get(p["key"])
    if old is not None and old in b.alerts:  # a key raised again: the older alert is superseded
        b.alerts[old]["active"] = False
        _touch(ch, b.alerts[old])
    b.active[p["key"]] = a["id"]
    _touch(ch, a)


@applies("alert.cleared")
def _cleared(state: State, ev: Event, ch: Changes) -> None:
    b = alert_book(state)
    aid = b.active.pop(ev.payload["key"], None)
    a = b.alerts.get(aid) if aid is not None else None
    if a is None:
        return
    a.update(active=False, cleared_ts=ev.payload.get("ts"), cleared_reason=ev.payload.get("reason"))
    _touch(ch, a)


@applies("alert.acknowledged")
def _acknowledged(state: State, ev: Event, ch: Changes) -> None:
    a = alert_book(state).alerts.get(ev.payload["id"])
    if a is not None:
        a.update(ack_by=ev.actor, ack_note=ev.payload.get("note"), ack_ts=ev.ts)
        _touch(ch, a)


@applies("alert.escalated")
def _escalated(state: State, ev: Event, ch: Changes) -> None:
    a = alert_book(state).alerts.get(ev.payload["id"])
    if a is not None:
        a.update(incident_id=ev.payload["incident_id"], evidence=ev.payload.get("evidence"))
        _touch(ch, a)
