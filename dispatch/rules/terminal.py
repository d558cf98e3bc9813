"""Alarms raised by JT/T 808 terminals as alerts in the one alert queue.

A terminal's alarm bits (emergency, overspeed, fatigue driving, GNSS antenna cut, power cut...) are
recorded by the gateway as ``jt808.alarm`` / ``jt808.alarm_cleared`` (dispatch/jt808/state.py keeps
which are on per unit). This watcher keeps the alerts in step with them: an alarm on with no open
alert of its kind for the unit raises one (``alert.raised``, rule ``terminal_<alarm>``, severity per
alarm kind, `TERMINAL_SEVERITY`); an alarm the terminal cleared closes its alert (``alert.cleared``,
"the terminal cleared the alarm"). Because it compares the alarms on with the alerts open, a terminal
repeating the same bit in every report (or after a reconnection) raises one alert, and a process that
catches up on events another one wrote adds nothing.

Some alarms a terminal keeps on until the platform confirms them (emergency, dangerous driving, area and
route alarms, illegal ignition or displacement: `CONFIRMED_BY_PLATFORM`). Acknowledging such an alert
confirms the alarm to the terminal in the same command (`acknowledge_events`: a ``jt808.command_sent``
``alarm_confirm``, 0x8203, by the dispatcher who acknowledged); the terminal then clears the bit and the
alert closes.

It runs as a subscriber of the core (any thread that recorded the alarm, usually the gateway's ingest
thread) and records as ``system:rules`` under the core's write transaction, deciding on the state it
catches up on there.
"""

from __future__ import annotations

import logging
from typing import Any

from devices.jt808.bits import CONFIRMED_BY_PLATFORM
from dispatch.jt808.ops import confirm_event
from dispatch.jt808.state import jt808_state
from dispatch.ops import installs
from dispatch.rules.alerts import alert_book
from dispatch.rules.config import SEVERITY_NAMES, TERMINAL_SEVERITY
from dispatch.state import State
from dispatch.store import NewEvent

log = logging.getLogger(__name__)

PREFIX = "terminal_"
ACTOR = "system:rules"
KINDS = ("jt808.alarm", "jt808.alarm_cleared")


def rule_of(alarm: str) -> str:
    return PREFIX + alarm


def is_terminal_rule(rule: str) -> bool:
    return rule.startswith(PREFIX)


def severity_of(alarm: str) -> str:
    return SEVERITY_NAMES[TERMINAL_SEVERITY.get(alarm, 1)]


def _open(state: State, unit: str) -> dict[str, str]:
    """The unit's open terminal alerts: alarm -> alert key."""
    out = {}
    for key in alert_book(state).active:
        rule, subject, _zone = key.split("|", 2)
        if subject == unit and is_terminal_rule(rule):
            out[rule[len(PREFIX):]] = key
    return out


def _where(state: State, unit: str, alarm: str) -> dict[str, Any]:
    """Where and when the alarm was raised: the newest ``jt808.alarm`` of the unit naming it."""
    for a in reversed(jt808_state(state).alarms):
        if a["unit"] == unit and alarm in (a.get("alarms") or ()):
            return a
    u = state.units.get(unit)
    p = u.position if u is not None else None
    return {"lat": p.lat if p else 0.0, "lon": p.lon if p else 0.0, "time": p.ts if p else state.last_ts}


def _area_zone(state: State, area: Any) -> dict[str, Any] | None:
    """The bureau's zone a terminal's area or route alarm (item 0x12) names: the polygon or corridor whose id it was
    given as (dispatch/jt808/commands.py: area_id_of)."""
    if not isinstance(area, dict) or area.get("kind") not in ("polygon", "route"):
        return None
    from dispatch.jt808.commands import area_id_of
    from dispatch.zones.book import zone_book

    return next((z for z in zone_book(state).zones.values() if area_id_of(z["id"]) == area.get("area_id")), None)


def reconcile(state: State, unit: str, now: float) -> list[NewEvent]:
    """The alert events that bring the unit's terminal alerts in step with the alarms its terminal has on."""
    on = list(jt808_state(state).active.get(unit, ()))
    have = _open(state, unit)
    out: list[NewEvent] = []
    for alarm in on:
        if alarm in have:
            continue  # debounce: the alarm repeated, its alert is open already
        w = _where(state, unit, alarm)
        ts = float(w.get("time") or now)
        speed = w.get("speed_kmh")
        # the terminal's number and the speed: words no reader needs translated (the rule names the alarm)
        detail = " · ".join(x for x in (str(w.get("terminal") or ""), f"{speed:g} km/h" if speed is not None else "")
                            if x)
        key = f"{rule_of(alarm)}|{unit}|"
        zone = _area_zone(state, w.get("area")) if alarm in ("area_in_out", "route_in_out") else None
        if zone is not None:
            detail += (" · " if detail else "") + ("entered" if w["area"].get("entering") else "left")
        out.append(NewEvent("alert.raised", {
            "key": key, "rule": rule_of(alarm), "unit_id": unit, "lat": round(float(w.get("lat") or 0.0), 7),
            "lon": round(float(w.get("lon") or 0.0), 7), "ts": ts, "since": ts, "severity": severity_of(alarm),
            "zone": zone["id"] if zone else None, "zone_name": zone["name"] if zone else None, "detail": detail,
            "alarm": alarm, "source": "jt808", "alarm_event": w.get("seq")}, f"unit:{unit}"))
    for alarm, key in have.items():
        if alarm in on:
            continue
        a = alert_book(state).alerts[alert_book(state).active[key]]
        minutes = max(0.0, now - float(a.get("since") or a.get("ts") or now)) / 60.0
        out.append(NewEvent("alert.cleared", {"key": key, "ts": now,
                                              "reason": f"the terminal cleared the alarm (held {minutes:.0f} min)"},
                            f"unit:{unit}"))
    return out


def acknowledge_events(state: State, alert: dict[str, Any]) -> list[NewEvent]:
    """What acknowledging ``alert`` sends its terminal: the confirmation of an alarm the terminal keeps until
    the platform confirms it (none for other alerts, or when the alarm is no longer on)."""
    rule = alert.get("rule") or ""
    if not is_terminal_rule(rule) or not alert.get("active"):
        return []
    alarm = rule[len(PREFIX):]
    if alarm not in CONFIRMED_BY_PLATFORM:
        return []
    ev = confirm_event(state, alert["unit_id"], [alarm])
    return [ev] if ev is not None else []


class TerminalAlarms:
    """The core's subscriber that turns terminal alarms into alerts (see the module's docstring)."""

    def __init__(self, core: Any) -> None:
        self.core = core
        self.recorded = 0
        self.failures = 0

    def on_changes(self, ch: Any) -> None:
        when: dict[str, float] = {}
        for ev in getattr(ch, "events", ()):
            if ev.kind in KINDS:
                unit = ev.payload.get("unit")
                if isinstance(unit, str):
                    when[unit] = float(ev.payload.get("time") or ev.ts)
        if not when:
            return
        try:
            with self.core.lock:  # a look first: a process catching up on alerts recorded elsewhere writes nothing
                todo = {u: t for u, t in when.items() if reconcile(self.core.state, u, t)}
            if todo:
                ch2 = self.core.command(ACTOR, lambda st: [e for u, t in todo.items() for e in reconcile(st, u, t)])
                self.recorded += len(ch2.events)
        except Exception:  # a subscriber never fails the command that published
            self.failures += 1
            log.exception("terminal alarms to alerts failed for %s", sorted(when))


@installs
def install(core: Any) -> None:
    if "terminal_alarms" in core.ext:
        return
    w = TerminalAlarms(core)
    core.ext["terminal_alarms"] = w
    core.subscribe(w.on_changes)
