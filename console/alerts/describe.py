"""What an alert says, in the operator's language: the rule's values (`args` of `alert.raised`, from
dispatch/rules/checks.py) put into a sentence of the UI's catalogue. An alert recorded before its rule gave
values, or a terminal's alarm, says its recorded detail as it is (with the zone's name before it)."""

from __future__ import annotations

from typing import Any

from console.catalogue import t


def _fill(template: str, *values: Any) -> str:
    text = t(template)
    for n, v in enumerate(values, 1):
        text = text.replace(f"%{n}", "" if v is None else f"{v:g}" if isinstance(v, float) else str(v))
    return text


def describe(a: dict[str, Any]) -> str:
    """The alert's place and circumstances, as the Alerts tab shows them."""
    rule, v = a.get("rule"), a.get("args")
    if isinstance(v, dict):
        try:
            text = _sentence(str(rule), v)
        except (KeyError, TypeError, ValueError):
            text = None
        if text:
            return text
    return " · ".join(x for x in (a.get("zone_name") or "", a.get("detail") or "") if x)


def _sentence(rule: str, v: dict[str, Any]) -> str | None:
    if rule == "permit_expired":
        return _fill("%1: %2", v["plate"], papers_issue(v["whose"], v["issue"], v["day"]))
    if rule == "outside_hours":
        return _fill("%1 driving outside its permitted hours %2", v["plate"], v["hours"])
    if rule == "corridor_deviation":
        return _fill("%1 m outside the corridor of %2", v["metres"], v["route"])
    if rule == "suspected_dumping":
        return _fill("stopped %1 min outside every construction and disposal site", v["minutes"])
    if rule == "restricted_entry":
        if v.get("hours"):
            return _fill("inside %1 during its hours %2", v["zone"], v["hours"])
        return _fill("inside %1", v["zone"])
    if rule == "speeding":
        return _fill("%1 km/h where the limit is %2 km/h (%3)", v["kmh"], float(v["limit"]), v["zone"])
    if rule == "left_patrol_area":
        return _fill("outside its patrol area %1", v["areas"])
    if rule == "protection_zone_entry":
        return _fill("inside %1", v["zone"])
    if rule == "stale":
        return _fill("no position for %1 min", v["minutes"])
    return None


def papers_issue(whose: str, what: str, day: str) -> str:
    """What is wrong with a truck's papers (`permit_issue` of dispatch/zones/permits.py): whose ("permit" or
    "company permit"), what ("expired" or "not_yet_valid"), the day."""
    texts = {("permit", "expired"): "Truck permit expired %1",
             ("permit", "not_yet_valid"): "Truck permit valid only from %1",
             ("company permit", "expired"): "Company permit expired %1",
             ("company permit", "not_yet_valid"): "Company permit valid only from %1"}
    text = texts.get((whose, what))
    return _fill(text, day) if text else day


def unit_text(a: dict[str, Any]) -> str:
    """The alert's unit as a dispatcher knows it: its name (a truck's plate), else its id."""
    return str(a.get("unit_name") or a.get("unit_id") or "")
