"""gpsd's legends of the AIS codes (3.22's texts) and its scaled rate of turn: the tables both AIS paths
share (`devices.ais.gpsd` renders with them; the compiled decoder, `devices.ais.native`, is given them)."""

from __future__ import annotations

NAV_STATUS = (
    "Under way using engine", "At anchor", "Not under command", "Restricted manoeuverability",
    "Constrained by her draught", "Moored", "Aground", "Engaged in fishing", "Under way sailing",
    "Reserved for HSC", "Reserved for WIG", "Reserved", "Reserved", "Reserved", "Reserved", "Not defined",
)
EPFD = ("Undefined", "GPS", "GLONASS", "Combined GPS/GLONASS", "Loran-C", "Chayka",
        "Integrated navigation system", "Surveyed", "Galileo") + ("INVALID EPFD",) * 7
AID_TYPE = (
    "Unspecified", "Reference point", "RACON", "Fixed offshore structure", "Spare, Reserved for future use.",
    "Light, without sectors", "Light, with sectors", "Leading Light Front", "Leading Light Rear",
    "Beacon, Cardinal N", "Beacon, Cardinal E", "Beacon, Cardinal S", "Beacon, Cardinal W", "Beacon, Port hand",
    "Beacon, Starboard hand", "Beacon, Preferred Channel port hand", "Beacon, Preferred Channel starboard hand",
    "Beacon, Isolated danger", "Beacon, Safe water", "Beacon, Special mark", "Cardinal Mark N", "Cardinal Mark E",
    "Cardinal Mark S", "Cardinal Mark W", "Port hand Mark", "Starboard hand Mark", "Preferred Channel Port hand",
    "Preferred Channel Starboard hand", "Isolated danger", "Safe Water", "Special Mark", "Light Vessel / LANBY / Rigs",
)
STATION_TYPE = ("All types of mobiles", "Reserved for future use", "All types of Class B mobile stations",
                "SAR airborne mobile station", "Aid to Navigation station", "Class B shipborne mobile station") + (
    ("Regional use and inland waterways",) * 4 + ("Reserved for future use",) * 6)


def _ship_types() -> tuple[str, ...]:
    reserved = "Reserved for future use"
    hazard = ["all ships of this type"] + [f"Hazardous category {c}" for c in "ABCD"] + [reserved] * 4
    out = ["Not available"] + [reserved] * 19
    out += [f"Wing in ground (WIG) - {s}" for s in hazard + [reserved]]
    out += ["Fishing", "Towing", "Towing: length exceeds 200m or breadth exceeds 25m", "Dredging or underwater ops",
            "Diving ops", "Military ops", "Sailing", "Pleasure Craft", "Reserved", "Reserved"]
    out += [f"High speed craft (HSC) - {s}" for s in hazard + ["No additional information"]]
    out += ["Pilot Vessel", "Search and Rescue vessel", "Tug", "Port Tender", "Anti-pollution equipment",
            "Law Enforcement", "Spare - Local Vessel", "Spare - Local Vessel", "Medical Transport",
            "Ship according to RR Resolution No. 18"]
    for kind in ("Passenger", "Cargo", "Tanker"):
        out += [f"{kind} - {s}" for s in hazard + ["No additional information"]]
    out += [f"Other Type - {s}" for s in hazard + ["no additional information"]]
    return tuple(out) + ("INVALID SHIP TYPE",) * (256 - len(out))


SHIP_TYPE = _ship_types()
assert len(SHIP_TYPE) == 256 and SHIP_TYPE[99] == "Other Type - no additional information"


def turn(raw: int) -> str | int:
    """gpsd's scaled rate of turn: the (unsigned) square of raw / 4.733, or a legend."""
    if raw == -128:
        return "nan"
    if raw == -127:
        return "fastleft"
    if raw == 127:
        return "fastright"
    r = raw / 4.733
    return int(f"{r * r:.0f}")


TURN = tuple(turn(t - 256 if t > 127 else t) for t in range(256))  # by the raw byte of the field
