"""Which event deserves which sound. A sound is for what a dispatcher must act on now; everything else is
seen, not heard. The names are the sound files' (resources/sounds/<name>.wav).

  p1_incident   a new P1 (urgent) incident                      incident.created with priority P1
  severe_alert  a rule's alert of high severity                 alert.raised with severity "high"
  overdue       a deadline of an incident passed                incident.overdue
  unit_offline  a unit left the field link, or fell silent      unit.offline; alert.raised of the "stale" rule

When one batch of events deserves several, the most urgent one plays (the order of SOUNDS). A P1 incident
the seat's own operator just filed does not sound at that seat: they know; the other seats hear it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SOUNDS = ("p1_incident", "severe_alert", "overdue", "unit_offline")  # most urgent first
URGENCY = {name: len(SOUNDS) - i for i, name in enumerate(SOUNDS)}  # bigger is more urgent


def sound_for(kind: str, payload: Mapping[str, Any] | None) -> str | None:
    """The sound one event deserves, or None (most events are silent)."""
    p = payload or {}
    if kind == "incident.created":
        return "p1_incident" if str(p.get("priority", "")).upper() == "P1" else None
    if kind == "incident.overdue":
        return "overdue"
    if kind == "unit.offline":
        return "unit_offline"
    if kind == "alert.raised":
        if p.get("rule") == "stale":
            return "unit_offline"
        return "severe_alert" if p.get("severity") == "high" else None
    return None


def most_urgent(events: Iterable[Any], own_actor: str | None = None) -> str | None:
    """The one sound for a batch of stored events (objects with `kind`, `payload` and `actor`), or None.
    `own_actor`: the seat's operator, whose own new incidents are not announced to them."""
    best: str | None = None
    for ev in events:
        kind = getattr(ev, "kind", "")
        if own_actor is not None and kind == "incident.created" and getattr(ev, "actor", None) == own_actor:
            continue
        s = sound_for(kind, getattr(ev, "payload", None))
        if s is not None and (best is None or URGENCY[s] > URGENCY[best]):
            best = s
    return best
