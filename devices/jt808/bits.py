"""Names of the JT/T 808 bit fields: alarm flags, status flags, vehicle signals, IO status.

Names are snake_case English (the console translates them for display). Where the 2013 and 2019
editions differ, the 2019 meaning is given and the 2013 one noted; bits reserved in every edition
are named ``alarm_bit_N`` / ``status_bit_N`` when a terminal sets them anyway, so nothing is lost.
"""

from __future__ import annotations

from functools import lru_cache

# Table 24/25 of the standard (0x0200 alarm flag DWORD), bit -> name.
ALARMS: dict[int, str] = {
    0: "emergency",  # emergency alarm (SOS button)
    1: "overspeed",
    2: "fatigue_driving",
    3: "dangerous_driving",  # 2013: danger warning
    4: "gnss_fault",  # GNSS module fault
    5: "gnss_antenna_cut",  # GNSS antenna not connected or cut
    6: "gnss_antenna_short",
    7: "power_undervoltage",  # main power under voltage
    8: "power_cut",  # main power cut off
    9: "display_fault",
    10: "tts_fault",
    11: "camera_fault",
    12: "ic_card_fault",  # road transport IC card module
    13: "overspeed_warning",
    14: "fatigue_warning",
    15: "illegal_driving",  # 2019; reserved in 2013
    16: "tire_pressure_warning",  # 2019
    17: "right_turn_blind_spot",  # 2019
    18: "daily_driving_overtime",
    19: "overtime_parking",
    20: "area_in_out",
    21: "route_in_out",
    22: "route_time",  # road section driving time too short / too long
    23: "route_deviation",
    24: "vss_fault",  # vehicle speed sensor
    25: "fuel_abnormal",
    26: "vehicle_stolen",
    27: "illegal_ignition",
    28: "illegal_displacement",
    29: "collision_warning",  # 2013 revision: collision / rollover
    30: "rollover_warning",
    31: "illegal_door_open",
}
ALARM_BITS: dict[str, int] = {name: bit for bit, name in ALARMS.items()}

# Alarms that a terminal clears only when the platform confirms them (0x8001 result 4 / 0x8203).
CONFIRMED_BY_PLATFORM = frozenset({"emergency", "dangerous_driving", "area_in_out", "route_in_out", "route_time",
                                   "illegal_ignition", "illegal_displacement"})

# Table 25 (status DWORD), single bits; bits 8-9 (load) are a two-bit field handled apart.
STATUS: dict[int, str] = {
    0: "acc_on",
    1: "positioned",
    2: "south",
    3: "west",
    4: "out_of_service",
    5: "coordinates_encrypted",
    6: "forward_collision_warning",  # 2019 (ADAS); reserved in 2013
    7: "lane_departure_warning",  # 2019 (ADAS); reserved in 2013
    10: "fuel_line_cut",
    11: "circuit_cut",
    12: "doors_locked",
    13: "door1_open",  # front door
    14: "door2_open",  # middle door
    15: "door3_open",  # back door
    16: "door4_open",  # driver's door
    17: "door5_open",
    18: "gps",
    19: "beidou",
    20: "glonass",
    21: "galileo",
    22: "moving",  # 2019: the vehicle is driving (0: stopped)
}
STATUS_BITS: dict[str, int] = {name: bit for bit, name in STATUS.items()}
LOAD = {0: "empty", 1: "half_loaded", 2: "load_reserved", 3: "full"}  # status bits 8-9
LOAD_BITS = {name: value for value, name in LOAD.items()}
_LOAD_MASK = 0x300

# Additional item 0x25: extended vehicle signal status DWORD.
SIGNALS: dict[int, str] = {
    0: "low_beam", 1: "high_beam", 2: "right_turn_signal", 3: "left_turn_signal", 4: "braking",
    5: "reversing", 6: "fog_lights", 7: "position_lights", 8: "horn", 9: "air_conditioning",
    10: "neutral", 11: "retarder", 12: "abs", 13: "heater", 14: "clutch",
}
SIGNAL_BITS: dict[str, int] = {name: bit for bit, name in SIGNALS.items()}

# Additional item 0x2A: IO status WORD.
IO: dict[int, str] = {0: "deep_sleep", 1: "sleep"}
IO_BITS: dict[str, int] = {name: bit for bit, name in IO.items()}


def _names(value: int, table: dict[int, str], prefix: str) -> tuple[str, ...]:
    out = []
    bit = 0
    while value:
        if value & 1:
            out.append(table.get(bit) or f"{prefix}_bit_{bit}")
        value >>= 1
        bit += 1
    return tuple(out)


@lru_cache(maxsize=4096)
def alarm_names(alarm: int) -> tuple[str, ...]:
    """The names of the alarm bits set in ``alarm``, lowest bit first."""
    return _names(alarm, ALARMS, "alarm")


@lru_cache(maxsize=4096)
def status_names(status: int) -> tuple[str, ...]:
    """The names of the status bits set in ``status``, lowest bit first; the load state (bits 8-9)
    as one name when the vehicle is not empty."""
    load = (status & _LOAD_MASK) >> 8
    names = _names(status & ~_LOAD_MASK, STATUS, "status")
    return names + (LOAD[load],) if load else names


def signal_names(value: int) -> tuple[str, ...]:
    return _names(value, SIGNALS, "signal")


def io_names(value: int) -> tuple[str, ...]:
    return _names(value, IO, "io")


def flags(names: object, bits: dict[str, int], what: str) -> int:
    """The bit field with the named bits set (``names``: an int passes through).

    :raises ValueError: a name that is not in ``bits``.
    """
    if isinstance(names, int):
        return names
    value = 0
    for name in names:  # type: ignore[attr-defined]
        if name in LOAD_BITS and bits is STATUS_BITS:
            value |= LOAD_BITS[name] << 8
            continue
        if name not in bits:
            raise ValueError(f"unknown {what} {name!r}")
        value |= 1 << bits[name]
    return value
