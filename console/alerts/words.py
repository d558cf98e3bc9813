"""The alerts' words in the operator's language: the rules', terminal alarms', states', severities' and zone
kinds' display names (English source strings; Chinese in resources/i18n/zh_CN.json), and an alert said in one
line (`summary`), as the Alerts tab and `ctl alert incident` put it into the incident made of it. No widgets."""

from __future__ import annotations

from typing import Any

from console.alerts.describe import describe, unit_text
from console.catalogue import t, word

RULES = {  # English display names (Chinese in resources/i18n/zh_CN.json)
    "suspected_dumping": "Suspected dumping",
    "protection_zone_entry": "Protection zone entry",
    "restricted_entry": "Restricted area entry",
    "corridor_deviation": "Corridor deviation",
    "permit_expired": "Permit expired",
    "outside_hours": "Outside permitted hours",
    "speeding": "Speeding",
    "left_patrol_area": "Left patrol area",
    "stale": "Silent unit",
}
TERMINAL_ALARMS = {  # alarms raised by JT/T 808 terminals (dispatch/rules/terminal.py: rule "terminal_<alarm>")
    "emergency": "Emergency alarm (terminal)",
    "overspeed": "Overspeed alarm (terminal)",
    "fatigue_driving": "Fatigue driving (terminal)",
    "dangerous_driving": "Dangerous driving (terminal)",
    "gnss_fault": "GNSS module fault (terminal)",
    "gnss_antenna_cut": "GNSS antenna cut (terminal)",
    "gnss_antenna_short": "GNSS antenna short circuit (terminal)",
    "power_undervoltage": "Main power undervoltage (terminal)",
    "power_cut": "Main power cut (terminal)",
    "display_fault": "Display fault (terminal)",
    "tts_fault": "TTS module fault (terminal)",
    "camera_fault": "Camera fault (terminal)",
    "ic_card_fault": "IC card module fault (terminal)",
    "overspeed_warning": "Overspeed warning (terminal)",
    "fatigue_warning": "Fatigue driving warning (terminal)",
    "illegal_driving": "Driving violation (terminal)",
    "tire_pressure_warning": "Tire pressure warning (terminal)",
    "right_turn_blind_spot": "Right-turn blind spot (terminal)",
    "daily_driving_overtime": "Daily driving time exceeded (terminal)",
    "overtime_parking": "Parked too long (terminal)",
    "area_in_out": "Area entry or exit (terminal)",
    "route_in_out": "Route entry or exit (terminal)",
    "route_time": "Road section driving time (terminal)",
    "route_deviation": "Off route (terminal)",
    "vss_fault": "Vehicle speed sensor fault (terminal)",
    "fuel_abnormal": "Abnormal fuel level (terminal)",
    "vehicle_stolen": "Vehicle stolen (terminal)",
    "illegal_ignition": "Illegal ignition (terminal)",
    "illegal_displacement": "Illegal displacement (terminal)",
    "collision_warning": "Collision warning (terminal)",
    "rollover_warning": "Rollover warning (terminal)",
    "illegal_door_open": "Illegal door opening (terminal)",
}
RULES.update({f"terminal_{alarm}": name for alarm, name in TERMINAL_ALARMS.items()})
STATES = {"open": "Open", "acknowledged": "Acknowledged", "cleared": "Condition cleared", "incident": "Made incident"}
SEVERITIES = {"high": "High", "medium": "Medium", "low": "Low"}
ZONE_KINDS = {"construction_site": "Construction site", "disposal_site": "Disposal site", "route": "Route",
              "restricted": "Restricted area", "patrol_area": "Patrol area", "protection_zone": "Protection zone"}


def label(table: dict[str, str], key: str | None) -> str:
    if not key:
        return ""
    return t(table[key]) if key in table else word(key)


def summary(a: dict[str, Any]) -> str:
    """The alert in one line for the incident made of it: the rule, the unit (unless the sentence names it)
    and the sentence, in the operator's language."""
    said, unit = describe(a), unit_text(a)
    return " · ".join(x for x in (label(RULES, a.get("rule")), "" if unit in said else unit, said) if x)
