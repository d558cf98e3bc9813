"""The rules, their severities and the thresholds the bureau can change (`rules.config_set`, an event).

Every threshold has a default that does the job out of the box: a truck stopped 20 minutes outside
every site is flagged (`dumping_stop_min` 15), a corridor is left when more than 50 m outside it for a
minute, and so on. `clear_s` is how long a condition must stay false before its alert closes itself:
the debounce that keeps a fix jittering across a border to one alert.
"""

from __future__ import annotations

from typing import Any

from dispatch.changes import Changes
from dispatch.errors import Refused
from dispatch.state import State, applies
from dispatch.store import Event

SEVERITY = {  # rule -> severity, highest first in the console's queue
    "suspected_dumping": 3,
    "protection_zone_entry": 3,
    "restricted_entry": 3,
    "corridor_deviation": 2,
    "permit_expired": 2,
    "outside_hours": 2,
    "speeding": 2,
    "left_patrol_area": 2,
    "stale": 1,
}
RULES = tuple(SEVERITY)
SEVERITY_NAMES = {3: "high", 2: "medium", 1: "low"}

# Alarms raised by JT/T 808 terminals (devices/jt808/bits.py names) -> severity of their alert (rule
# "terminal_<alarm>", dispatch/rules/terminal.py); an alarm not listed (a reserved bit) is low.
TERMINAL_SEVERITY = {
    # someone may be in danger, or the truck is being taken: high
    "emergency": 3, "vehicle_stolen": 3, "collision_warning": 3, "rollover_warning": 3, "power_cut": 3,
    "illegal_displacement": 3,
    # driving against the rules, or the terminal blinded: medium
    "overspeed": 2, "fatigue_driving": 2, "dangerous_driving": 2, "illegal_driving": 2, "gnss_antenna_cut": 2,
    "gnss_antenna_short": 2, "gnss_fault": 2, "power_undervoltage": 2, "daily_driving_overtime": 2,
    "overtime_parking": 2, "area_in_out": 2, "route_in_out": 2, "route_time": 2, "route_deviation": 2,
    "illegal_ignition": 2, "illegal_door_open": 2, "fuel_abnormal": 2, "vss_fault": 2,
    # early warnings and faults of the terminal's peripherals: low
    "overspeed_warning": 1, "fatigue_warning": 1, "tire_pressure_warning": 1, "right_turn_blind_spot": 1,
    "display_fault": 1, "tts_fault": 1, "camera_fault": 1, "ic_card_fault": 1,
}

DEFAULTS: dict[str, float] = {
    "corridor_deviation_m": 50.0,  # metres beyond the corridor's edge
    "corridor_deviation_s": 60.0,  # ... for this long
    "dumping_stop_min": 15.0,  # stopped this long outside every construction and disposal site
    "dumping_radius_m": 40.0,  # "stopped": staying within this distance of where the stop began
    "restricted_entry_s": 10.0,
    "outside_hours_s": 60.0,
    "moving_mps": 1.5,  # faster than this is driving (outside_hours only counts driving)
    "speeding_tolerance_kmh": 5.0,
    "speeding_s": 10.0,
    "stale_s": 300.0,  # a unit silent this long
    "left_patrol_s": 60.0,
    "protection_entry_s": 10.0,
    "clear_s": 60.0,  # a condition false this long closes its alert
}
LIMITS = {k: (0.0, 7 * 86400.0) for k in DEFAULTS}


_DEFAULT_EXT: dict[str, Any] = {"thresholds": dict(DEFAULTS), "enabled": dict.fromkeys(RULES, True)}


def rules_ext(state: State, *, create: bool = False) -> dict[str, Any]:
    """The rules' thresholds and switches. A read of a state no `rules.config_set` has touched gets the
    defaults without adding them to the state (so a snapshot taken after fixes were checked equals a replay);
    the applier asks to `create` its own copy. Readers never change what they get."""
    ext = state.ext.get("rules")
    if ext is None:
        if not create:
            return _DEFAULT_EXT
        ext = state.ext["rules"] = {"thresholds": dict(DEFAULTS), "enabled": dict.fromkeys(RULES, True)}
    return ext


def check_config(config: Any) -> dict[str, Any]:
    """{"thresholds": {...}, "enabled": {...}} or a flat {name: value}: the known names, checked.

    :raises Refused: an unknown name or a value out of range, naming it and what is known.
    """
    if not isinstance(config, dict) or not config:
        raise Refused("give thresholds to change, e.g. {\"dumping_stop_min\": 10}", "bad_config")
    flat = dict(config.get("thresholds") or {}) if "thresholds" in config or "enabled" in config else dict(config)
    enabled = dict(config.get("enabled") or {}) if "enabled" in config else {}
    for k in [k for k in flat if k in RULES]:  # {"stale": false} switches a rule
        enabled[k] = flat.pop(k)
    out: dict[str, Any] = {"thresholds": {}, "enabled": {}}
    for k, v in flat.items():
        if k not in DEFAULTS:
            raise Refused(f"unknown threshold {k!r}; known: {', '.join(DEFAULTS)} (and rules to switch: "
                          f"{', '.join(RULES)})", "bad_config")
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise Refused(f"threshold {k}: {v!r} is not a number", "bad_config") from None
        lo, hi = LIMITS[k]
        if not lo <= f <= hi:
            raise Refused(f"threshold {k}: {f} is outside {lo:g}..{hi:g}", "bad_config")
        out["thresholds"][k] = f
    for k, v in enabled.items():
        if k not in RULES:
            raise Refused(f"unknown rule {k!r}; known: {', '.join(RULES)}", "bad_config")
        if isinstance(v, str):
            v = v.strip().lower() in ("1", "true", "on", "yes")
        out["enabled"][k] = bool(v)
    return out


@applies("rules.config_set")
def _config_set(state: State, ev: Event, ch: Changes) -> None:
    ext = rules_ext(state, create=True)
    ext["thresholds"].update(ev.payload.get("thresholds") or {})
    ext["enabled"].update(ev.payload.get("enabled") or {})
    ch.alerts = True
    ch.entities.add("rules")
