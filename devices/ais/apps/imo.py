"""DAC 1: the international application messages of IMO SN.1/Circ.236 and IMO SN.1/Circ.289.

Layouts from the public descriptions of the circulars; names, units and quirks as
``gpsdecode`` 3.22 prints them, held equal to it field by field (every length, every
field at its edge values) during development. gpsd's quirks kept here:

- positions in 1/1000 minute print as degrees with 4 decimals; the IMO 236 tidal window's
  1/10000-minute positions are divided the same way (so they come out ten times too big);
  route waypoints (1/10000 minute) print with 6 decimals.
- the met/hydro water level of FID 31 wraps below -10 m (unsigned arithmetic in gpsd).
- arrays (tidal windows, cargos, targets) have as many elements as the payload length
  gives, without the standards' caps; route waypoints as many as the count field says.
- the addressed air draught (FID 15) and persons on board (FID 16) are read at the
  broadcast form's offsets, inside the destination MMSI (FID 16 at exactly 224 bits: at
  the IMO 289 offset); the broadcast persons on board (type 8, FID 16) is decoded only at
  128 or 192 bits and is always 0.
- times print zero padded with a ``Z`` (``"05-09T09:25Z"``) except the berthing time
  (``"3-9T7:5"``) and the fairway closure times (month first, no ``Z``).
- the marine traffic signal legends are gpsd's (code 7's text again at 8).
"""

from __future__ import annotations

from devices.ais.apps.fields import App, Array, Custom, F, b, legend, plus, scaled, text, u
from devices.ais.bits import Bits

_MIN3 = scaled(60000, 4, signed=True)  # 1/1000 minute, printed as degrees with 4 decimals
_MIN4 = scaled(600000, 6, signed=True)  # 1/10000 minute, printed as degrees with 6 decimals
_TENTH = scaled(10, 1)


def _day_hour_minute(p: Bits, off: int, width: int) -> str:
    return f"{p.u(off, 5):02d}T{p.u(off + 5, 5):02d}:{p.u(off + 10, 6):02d}Z"


def _month_day_hour_minute(p: Bits, off: int, width: int) -> str:
    return f"{p.u(off, 4):02d}-{p.u(off + 4, 5):02d}T{p.u(off + 9, 5):02d}:{p.u(off + 14, 6):02d}Z"


def _month_day_hour_minute_plain(p: Bits, off: int, width: int) -> str:
    """No zero padding, no zone letter (``"3-9T7:5"``)."""
    return f"{p.u(off, 4)}-{p.u(off + 4, 5)}T{p.u(off + 9, 5)}:{p.u(off + 14, 6)}"


def _day_month_hour_minute(p: Bits, off: int, width: int) -> str:
    """Day, month, hour, minute fields printed month first, zero padded, no zone letter."""
    return f"{p.u(off + 5, 4):02d}-{p.u(off, 5):02d}T{p.u(off + 9, 5):02d}:{p.u(off + 14, 6):02d}"


def _waterlevel289(p: Bits, off: int, width: int) -> float:
    """Centimetres above -10 m; gpsd subtracts the offset in unsigned 32-bit arithmetic (wraps below)."""
    return float(f"{((p.u(off, width) - 1000) % (1 << 32)) / 100.0:.1f}")


def _text_to_end(p: Bits, off: int, width: int) -> str:
    """Six-bit text filling the rest of the payload."""
    return p.text(off, (p.n - off) // 6)


def _zero(p: Bits, off: int, width: int) -> int:
    return 0


TREND = ("steady", "increasing", "decreasing", "N/A")
PRECIPITATION = ("reserved", "rain", "thunderstorm", "freezing rain", "mixed/ice", "snow", "reserved", "N/A")
ICE = ("no", "yes", "reserved", "N/A")
MOORING = ("Not available", "Port-side to", "Starboard-side to", "Mediterranean (end-on) mooring", "Mooring buoy",
           "Anchorage", "Reserved for future use", "Reserved for future use")
SERVICES = ("agent", "fuel", "chandler", "stevedore", "electrical", "water", "customs", "cartage", "crane", "lift",
            "medical", "navrepair", "provisions", "shiprepair", "surveyor", "steam", "tugs", "solidwaste",
            "liquidwaste", "hazardouswaste", "ballast", "additional", "regional1", "regional2", "future1", "future2")
ROUTE_TYPE = ("Undefined (default)", "Mandatory", "Recommended", "Alternative", "Recommended route through ice",
              "Ship route plan") + ("Reserved for future use.",) * 25 + ("Cancel route identified by message linkage",)
ID_TYPE = ("mmsi", "imo", "callsign", "other")
SIGNAL = ("N/A", "Serious emergency \u2013 stop or divert according to instructions.", "Vessels shall not proceed.",
          "Vessels may proceed. One way traffic.", "Vessels may proceed. Two way traffic.",
          "Vessels shall proceed on specific orders only.", "Vessels in main channel shall not proceed.",
          "Vessels in main channel shall proceed on specific orders only.",
          "Vessels in main channel shall proceed on specific orders only.",
          'I = "in-bound" only acceptable.', 'O = "out-bound" only acceptable.',
          'F = both "in- and out-bound" acceptable.', 'XI = Code will shift to "I" in due time.',
          'XO = Code will shift to "O" in due time.', "X = Vessels shall proceed only on direction.")


# --- type 6 (addressed) ----------------------------------------------------------------------

CARGO236 = App("dangerous cargo indication (IMO 236)", (
    F("lastport", 88, 30, text), F("departure", 118, 20, _month_day_hour_minute),
    F("nextport", 138, 30, text), F("eta", 168, 20, _month_day_hour_minute),
    F("dangerous", 188, 120, text), F("imdcat", 308, 24, text),
    F("unid", 332, 13, u), F("amount", 345, 10, u), F("unit", 355, 2, u),
))

TIDAL236 = App("tidal window (IMO 236)", (
    F("month", 88, 4, u), F("day", 92, 5, u),
    Array("tidals", 97, 93, (
        F("lon", 27, 28, _MIN3), F("lat", 0, 27, _MIN3),
        F("from_hour", 55, 5, u), F("from_min", 60, 6, u), F("to_hour", 66, 5, u), F("to_min", 71, 6, u),
        F("cdir", 77, 9, u), F("cspeed", 86, 7, _TENTH),
    ), lambda p: (p.n - 4) // 93),
))

AIR_DRAUGHT_ADDRESSED = App("extended ship static data: air draught (IMO 236)", (F("airdraught", 56, 11, u),))


def _persons(p: Bits, d: dict[str, object], base: int) -> None:
    d["persons"] = p.u(88 if p.n == 224 else 55, 13)


PERSONS_ADDRESSED = App("number of persons on board", (Custom(_persons, ((55, 13), (88, 13))),))

CLEARANCE = App("clearance time to enter port", (
    F("linkage", 88, 10, u), F("arrival", 98, 20, _month_day_hour_minute),
    F("portname", 118, 120, text), F("destination", 238, 30, text),
    F("lon", 268, 25, _MIN3), F("lat", 293, 24, _MIN3),
))

BERTHING = App("berthing data", (
    F("linkage", 88, 10, u), F("berth_length", 98, 9, u),
    F("position", 115, 3, u), F("position_text", 115, 3, legend(MOORING)),
    F("arrival", 118, 20, _month_day_hour_minute_plain), F("availability", 138, 1, u),
    *(F(name, 139 + 2 * k, 2, u) for k, name in enumerate(SERVICES)),
    F("berth_name", 191, 120, text), F("berth_lon", 311, 25, _MIN3), F("berth_lat", 336, 24, _MIN3),
    F("berth_depth", 107, 8, _TENTH),
))

CARGO289 = App("dangerous cargo indication (IMO 289)", (
    F("unit", 88, 2, u), F("amount", 90, 10, u),
    Array("cargos", 100, 17, (F("code", 0, 4, u), F("subtype", 4, 13, u)), lambda p: (p.n - 84) // 17),
))


def _route(title: str, at: int) -> App:
    """Route information from ``at`` (the linkage ID); as many waypoints as the count field says."""

    def waypoints(p: Bits) -> int:
        return p.u(at + 56, 5)

    return App(title, (
        F("linkage", at, 10, u), F("sender", at + 10, 3, u),
        F("rtype", at + 13, 5, u), F("rtype_text", at + 13, 5, legend(ROUTE_TYPE)),
        F("start", at + 18, 20, _month_day_hour_minute), F("duration", at + 38, 18, u),
        Array("waypoints", at + 61, 55, (F("lon", 0, 28, _MIN4), F("lat", 28, 27, _MIN4)), waypoints),
    ))


ROUTE_ADDRESSED = _route("route information (addressed)", 88)
TEXT_ADDRESSED = App("text description (addressed)", (F("linkage", 88, 10, u), F("text", 98, 0, _text_to_end)))

TIDAL289 = App("tidal window (IMO 289)", (
    F("month", 88, 4, u), F("day", 92, 5, u),
    Array("tidals", 97, 88, (
        F("lon", 0, 25, _MIN3), F("lat", 25, 24, _MIN3),
        F("from_hour", 49, 5, u), F("from_min", 54, 6, u), F("to_hour", 60, 5, u), F("to_min", 65, 6, u),
        F("cdir", 71, 9, u), F("cspeed", 80, 8, _TENTH),
    ), lambda p: (p.n - 9) // 88),
))


# --- type 8 (broadcast) ----------------------------------------------------------------------

MET236 = App("meteorological and hydrographic data (IMO 236)", (
    F("lat", 56, 24, _MIN3), F("lon", 80, 25, _MIN3),
    F("timestamp", 105, 16, _day_hour_minute),
    F("wspeed", 121, 7, u), F("wgust", 128, 7, u), F("wdir", 135, 9, u), F("wgustdir", 144, 9, u),
    F("humidity", 164, 7, u),
    F("airtemp", 153, 11, scaled(10, 1, add=-60)), F("dewpoint", 171, 10, scaled(10, 1, add=-20)),
    F("pressure", 181, 9, plus(800)), F("pressuretend", 190, 2, legend(TREND)),
    F("visibility", 192, 8, _TENTH),
    F("waterlevel", 200, 9, scaled(10, 1, add=-10)), F("leveltrend", 209, 2, legend(TREND)),
    F("cspeed", 211, 8, _TENTH), F("cdir", 219, 9, u),
    F("cspeed2", 228, 8, _TENTH), F("cdir2", 236, 9, u), F("cdepth2", 245, 5, u),
    F("cspeed3", 250, 8, _TENTH), F("cdir3", 258, 9, u), F("cdepth3", 267, 5, u),
    F("waveheight", 272, 8, _TENTH), F("waveperiod", 280, 6, u), F("wavedir", 286, 9, u),
    F("swellheight", 295, 8, _TENTH), F("swellperiod", 303, 6, u), F("swelldir", 309, 9, u),
    F("seastate", 318, 4, u),
    F("watertemp", 322, 10, scaled(10, 1, add=-10)),
    F("preciptype", 332, 3, u), F("preciptype_text", 332, 3, legend(PRECIPITATION)),
    F("salinity", 335, 9, _TENTH),
    F("ice", 344, 2, u), F("ice_text", 344, 2, legend(ICE)),
))

FAIRWAY_CLOSED = App("fairway closed", (
    F("reason", 56, 120, text), F("closefrom", 176, 120, text), F("closeto", 296, 120, text),
    F("radius", 416, 10, u), F("extunit", 426, 2, u),
    F("from", 428, 20, _day_month_hour_minute), F("to", 448, 20, _day_month_hour_minute),
))

AIR_DRAUGHT_BROADCAST = App("extended ship static data: air draught (IMO 236)", (F("airdraught", 56, 11, u),))
PERSONS_BROADCAST = App("number of persons on board (IMO 236)", (F("persons", 56, 0, _zero),),
                        frozenset({128, 192}))


def _target_id(p: Bits, d: dict[str, object], base: int) -> None:
    """The identifier under the name of its kind: an MMSI or IMO number as a string (the low 32
    of its 42 bits), or seven characters of call sign or other text."""
    kind = p.u(base, 2)
    d["idtype"] = kind
    d["idtype_text"] = ID_TYPE[kind]
    d[ID_TYPE[kind]] = str(p.u(base + 12, 32)) if kind < 2 else p.text(base + 2, 7)


VTS_TARGETS = App("VTS-generated / synthetic targets", (
    Array("targets", 56, 122, (
        Custom(_target_id, ((0, 2), (2, 42))),
        F("lat", 48, 24, _MIN3), F("lon", 72, 25, _MIN3),
        F("course", 97, 9, u), F("second", 106, 6, u), F("speed", 112, 10, u),
    ), lambda p: (p.n + 66) // 122),
))

TRAFFIC_SIGNAL = App("marine traffic signal", (
    F("linkage", 56, 10, u), F("station", 66, 120, text),
    F("lon", 186, 25, _MIN3), F("lat", 211, 24, _MIN3),
    F("status", 235, 2, u),
    F("signal", 237, 5, u), F("signal_text", 237, 5, legend(SIGNAL, "INVALID SIGNAL TYPE")),
    F("hour", 242, 5, u), F("minute", 247, 6, u),
    F("nextsignal", 253, 5, u), F("nextsignal_text", 253, 5, legend(SIGNAL, "INVALID SIGNAL TYPE")),
))

ROUTE_BROADCAST = _route("route information (broadcast)", 56)
TEXT_BROADCAST = App("text description (broadcast)", (F("linkage", 56, 10, u), F("text", 66, 0, _text_to_end)))

MET289 = App("meteorological and hydrographic data (IMO 289)", (
    F("lat", 81, 24, _MIN3), F("lon", 56, 25, _MIN3), F("accuracy", 105, 1, b),
    F("timestamp", 106, 16, _day_hour_minute),
    F("wspeed", 122, 7, u), F("wgust", 129, 7, u), F("wdir", 136, 9, u), F("wgustdir", 145, 9, u),
    F("humidity", 165, 7, u),
    F("airtemp", 154, 11, scaled(10, 1, signed=True)), F("dewpoint", 172, 10, scaled(10, 1, signed=True)),
    F("pressure", 182, 9, plus(799)), F("pressuretend", 191, 2, legend(TREND)),
    F("visgreater", 193, 1, b), F("visibility", 194, 7, _TENTH),
    F("waterlevel", 201, 12, _waterlevel289), F("leveltrend", 213, 2, legend(TREND)),
    F("cspeed", 215, 8, _TENTH), F("cdir", 223, 9, u),
    F("cspeed2", 232, 8, _TENTH), F("cdir2", 240, 9, u), F("cdepth2", 249, 5, u),
    F("cspeed3", 254, 8, _TENTH), F("cdir3", 262, 9, u), F("cdepth3", 271, 5, u),
    F("waveheight", 276, 8, _TENTH), F("waveperiod", 284, 6, u), F("wavedir", 290, 9, u),
    F("swellheight", 299, 8, _TENTH), F("swellperiod", 307, 6, u), F("swelldir", 313, 9, u),
    F("seastate", 322, 4, u),
    F("watertemp", 326, 10, scaled(10, 1, signed=True)),
    F("preciptype", 336, 3, legend(PRECIPITATION)),  # the text only, unlike FID 11
    F("salinity", 339, 9, _TENTH),
    F("ice", 348, 2, legend(ICE)),
))

APPS: dict[tuple[int, int, int], App] = {
    (6, 1, 12): CARGO236,
    (6, 1, 14): TIDAL236,
    (6, 1, 15): AIR_DRAUGHT_ADDRESSED,
    (6, 1, 16): PERSONS_ADDRESSED,
    (6, 1, 18): CLEARANCE,
    (6, 1, 20): BERTHING,
    (6, 1, 25): CARGO289,
    (6, 1, 28): ROUTE_ADDRESSED,
    (6, 1, 30): TEXT_ADDRESSED,
    (6, 1, 32): TIDAL289,
    (8, 1, 11): MET236,
    (8, 1, 13): FAIRWAY_CLOSED,
    (8, 1, 15): AIR_DRAUGHT_BROADCAST,
    (8, 1, 16): PERSONS_BROADCAST,
    (8, 1, 17): VTS_TARGETS,
    (8, 1, 19): TRAFFIC_SIGNAL,
    (8, 1, 27): ROUTE_BROADCAST,
    (8, 1, 29): TEXT_BROADCAST,
    (8, 1, 31): MET289,
}
