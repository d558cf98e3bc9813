"""DAC 200: the inland AIS (ECE / Rhine) application messages, as ``gpsdecode`` 3.22 prints them.

Every one of these is decoded by gpsd only at its standard length (others stay raw
``data``), the ship static data only with a hazard code gpsd knows (0-5). Lengths, beam,
draught and air draught print in the raw units (decimetres, centimetres); ETA/RTA times
without padding or zone (``"3-9T7:5"``); the ERI ship type's legend also for the six
SOLAS codes ERI types map to (gpsd's text of the first ERI type with that code).

The EMMA warning (type 8, FID 23): gpsd prints the start time's day, hour and minute from
the hour, minute and day fields (kept), and the warning's type and intensity codes as a
second ``"type"`` and ``"class"`` member of the report, which JSON readers take over the
message's own (``"class":0``, so gpsd's clients lose the report). Those two codes are left
out here; their legends ``type_text`` and ``class_text`` stay.

gpsd writes the text of the ETA/RTA and water level messages into its JSON unescaped (a
``"`` or ``\\`` in the six-bit text makes its line invalid or changes it); ours is escaped.
"""

from __future__ import annotations

from devices.ais.apps.fields import App, Array, F, b, i, legend, scaled, text, u
from devices.ais.bits import Bits

# ERI ship and convoy types (the inland AIS standard's classification), as gpsd words them
ERI_TYPES: dict[int, str] = {
    8000: "Vessel, type unknown", 8010: "Motor freighter", 8020: "Motor tanker",
    8021: "Motor tanker, liquid cargo, type N", 8022: "Motor tanker, liquid cargo, type C",
    8023: "Motor tanker, dry cargo as if liquid (e.g. cement)", 8030: "Container vessel", 8040: "Gas tanker",
    8050: "Motor freighter, tug", 8060: "Motor tanker, tug", 8070: "Motor freighter with one or more ships alongside",
    8080: "Motor freighter with tanker", 8090: "Motor freighter pushing one or more freighters",
    8100: "Motor freighter pushing at least one tank-ship", 8110: "Tug, freighter", 8120: "Tug, tanker",
    8130: "Tug freighter, coupled", 8140: "Tug, freighter/tanker, coupled", 8150: "Freightbarge",
    8160: "Tankbarge", 8161: "Tankbarge, liquid cargo, type N", 8162: "Tankbarge, liquid cargo, type C",
    8163: "Tankbarge, dry cargo as if liquid (e.g. cement)", 8170: "Freightbarge with containers",
    8180: "Tankbarge, gas", 8210: "Pushtow, one cargo barge", 8220: "Pushtow, two cargo barges",
    8230: "Pushtow, three cargo barges", 8240: "Pushtow, four cargo barges", 8250: "Pushtow, five cargo barges",
    8260: "Pushtow, six cargo barges", 8270: "Pushtow, seven cargo barges",
    8280: "Pushtow, eigth cargo barges",  # sic, as gpsd prints it
    8290: "Pushtow, nine or more barges", 8310: "Pushtow, one tank/gas barge",
    8320: "Pushtow, two barges at least one tanker or gas barge",
    8330: "Pushtow, three barges at least one tanker or gas barge",
    8340: "Pushtow, four barges at least one tanker or gas barge",
    8350: "Pushtow, five barges at least one tanker or gas barge",
    8360: "Pushtow, six barges at least one tanker or gas barge",
    8370: "Pushtow, seven barges at least one tanker or gas barg",  # sic: gpsd's text is cut short
}
# the SOLAS codes (1-99) an ERI type may be given as: the first ERI type of that SOLAS code
_SOLAS = {31: 8130, 79: 8010, 80: 8021, 89: 8020, 90: 8161, 99: 8000}
ERI_TYPES.update({solas: ERI_TYPES[eri] for solas, eri in _SOLAS.items()})

HAZARD = ("0 blue cones/lights", "1 blue cone/light", "2 blue cones/lights", "3 blue cones/lights", "4 B-Flag",
          "Unknown")
LOADED = ("N/A (default)", "Unloaded", "Loaded", "INVALID LOAD STATUS")


def _month_day_hour_minute_plain(p: Bits, off: int, width: int) -> str:
    return f"{p.u(off, 4)}-{p.u(off + 4, 5)}T{p.u(off + 9, 5)}:{p.u(off + 14, 6)}"


EMMA_TYPE = ("Not Available", "Wind", "Rain", "Snow and ice", "Thunderstorm", "Fog", "Low temperature",
             "High temperature", "Flood", "Forest Fire")
EMMA_CLASS = ("Slight", "Medium", "Strong", "INVALID EMMA TYPE")
EMMA_WIND = ("N/A", "North", "North East", "East", "South East", "South", "South West", "West", "North West")
LOCK_STATUS = ("Operational", "Limited operation", "Out of order", "N/A")
DIRECTION = ("Unknown", "Upstream", "Downstream", "To left bank", "To right bank")
LIGHTS = ("Unknown", "No light", "White", "Yellow", "Green", "Red", "White flashing", "Yellow flashing.")

_PLACE = (  # where a lock/bridge/terminal request is for
    F("country", 88, 12, text), F("locode", 100, 18, text), F("section", 118, 30, text),
    F("terminal", 148, 30, text), F("hectometre", 178, 30, text),
    F("eta", 208, 20, _month_day_hour_minute_plain),
)


def _emma_start(p: Bits, off: int, width: int) -> str:
    """gpsd's start time: year and month, then the hour, minute and day fields as day, hour, minute."""
    return f"{2000 + p.u(56, 8):04d}-{p.u(64, 4):02d}-{p.u(90, 5):02d}T{p.u(95, 6):02d}:{p.u(68, 5):02d}"


def _emma_end(p: Bits, off: int, width: int) -> str:
    return f"{2000 + p.u(73, 8):04d}-{p.u(81, 4):02d}-{p.u(85, 5):02d}T{p.u(101, 5):02d}:{p.u(106, 6):02d}"


_MIN4 = scaled(600000, 6, signed=True)  # 1/10000 minute, printed as degrees with 6 decimals


def _eri(p: Bits, off: int, width: int) -> str:
    return ERI_TYPES.get(p.u(off, width), "Illegal ship type value.")


APPS: dict[tuple[int, int, int], App] = {
    (6, 200, 21): App("ETA at lock/bridge/terminal", (
        *_PLACE, F("tugs", 228, 3, u), F("airdraught", 231, 12, u),
    ), frozenset({248})),
    (6, 200, 22): App("RTA at lock/bridge/terminal", (
        *_PLACE, F("status", 228, 2, u), F("status_text", 228, 2, legend(LOCK_STATUS)),
    ), frozenset({232})),
    (6, 200, 55): App("persons on board", (
        F("crew", 88, 8, u), F("passengers", 96, 13, u), F("personnel", 109, 8, u),
    ), frozenset({168})),
    (8, 200, 10): App("inland ship static and voyage related data", (
        F("vin", 56, 48, text), F("length", 104, 13, u), F("beam", 117, 10, u),
        F("shiptype", 127, 14, u), F("shiptype_text", 127, 14, _eri),
        F("hazard", 141, 3, u), F("hazard_text", 141, 3, legend(HAZARD)),
        F("draught", 144, 11, u),
        F("loaded", 155, 2, u), F("loaded_text", 155, 2, legend(LOADED)),
        F("speed_q", 157, 1, b), F("course_q", 158, 1, b), F("heading_q", 159, 1, b),
    ), frozenset({168}), valid=lambda p: p.u(141, 3) < len(HAZARD)),
    (8, 200, 23): App("EMMA warning", (
        F("start", 56, 17, _emma_start), F("end", 73, 39, _emma_end),
        F("start_lon", 112, 28, _MIN4), F("start_lat", 140, 27, _MIN4),
        F("end_lon", 167, 28, _MIN4), F("end_lat", 195, 27, _MIN4),
        F("type_text", 222, 4, legend(EMMA_TYPE, "INVALID EMMA TYPE")),
        F("min", 226, 9, i), F("max", 235, 9, i),
        F("class_text", 244, 2, legend(EMMA_CLASS)),
        F("wind", 246, 4, u), F("wind_text", 246, 4, legend(EMMA_WIND, "INVALID EMMA WIND DIRECTION")),
    ), frozenset({256})),
    (8, 200, 24): App("water levels", (
        F("country", 56, 12, text),
        Array("gauges", 68, 25, (F("id", 0, 11, u), F("level", 11, 14, i)), lambda p: 4),
    ), frozenset({168})),
    (8, 200, 40): App("signal status", (
        F("lon", 56, 28, _MIN4), F("lat", 84, 27, _MIN4),
        F("form", 111, 4, u), F("facing", 115, 9, u),
        F("direction", 124, 3, u), F("direction_text", 124, 3, legend(DIRECTION, "INVALID DIRECTION")),
        F("status", 127, 30, u), F("status_text", 127, 30, legend(LIGHTS, "INVALID STATUS")),
    ), frozenset({168})),
}
