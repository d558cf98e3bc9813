"""Terminal parameters (0x8103 set, 0x0104 answer): id -> (name, type), table 12 of the standard.

Types: ``"I"`` DWORD, ``"H"`` WORD, ``"B"`` BYTE, ``"s"`` STRING (GBK). Parameters not listed travel
as raw bytes.
"""

from __future__ import annotations

import struct

from devices.jt808.text import gbk, text

PARAMS: dict[int, tuple[str, str]] = {
    0x0001: ("heartbeat_interval_s", "I"),
    0x0002: ("tcp_timeout_s", "I"),
    0x0003: ("tcp_retries", "I"),
    0x0004: ("udp_timeout_s", "I"),
    0x0005: ("udp_retries", "I"),
    0x0006: ("sms_timeout_s", "I"),
    0x0007: ("sms_retries", "I"),
    0x0010: ("apn", "s"),
    0x0011: ("dial_user", "s"),
    0x0012: ("dial_password", "s"),
    0x0013: ("server_address", "s"),
    0x0014: ("backup_apn", "s"),
    0x0017: ("backup_server_address", "s"),
    0x0018: ("server_tcp_port", "I"),
    0x0019: ("server_udp_port", "I"),
    0x0020: ("report_strategy", "I"),  # 0 by time, 1 by distance, 2 both
    0x0021: ("report_scheme", "I"),  # 0 by ACC, 1 by login and ACC
    0x0022: ("report_interval_no_driver_s", "I"),
    0x0027: ("report_interval_sleep_s", "I"),
    0x0028: ("report_interval_emergency_s", "I"),
    0x0029: ("report_interval_s", "I"),  # the default time interval
    0x002C: ("report_distance_m", "I"),
    0x002D: ("report_distance_no_driver_m", "I"),
    0x002E: ("report_distance_sleep_m", "I"),
    0x002F: ("report_distance_emergency_m", "I"),
    0x0030: ("corner_angle_deg", "I"),
    0x0031: ("fence_radius_m", "H"),
    0x0040: ("monitor_phone", "s"),
    0x0041: ("reset_phone", "s"),
    0x0042: ("factory_reset_phone", "s"),
    0x0043: ("sms_phone", "s"),
    0x0044: ("sms_alarm_phone", "s"),
    0x0050: ("alarm_mask", "I"),
    0x0051: ("alarm_sms_switch", "I"),
    0x0052: ("alarm_photo_switch", "I"),
    0x0053: ("alarm_photo_store", "I"),
    0x0054: ("key_alarms", "I"),
    0x0055: ("max_speed_kmh", "I"),
    0x0056: ("overspeed_duration_s", "I"),
    0x0057: ("continuous_driving_limit_s", "I"),
    0x0058: ("daily_driving_limit_s", "I"),
    0x0059: ("min_rest_s", "I"),
    0x005A: ("max_parking_s", "I"),
    0x005B: ("overspeed_warning_margin", "H"),  # 1/10 km/h
    0x005C: ("fatigue_warning_margin_s", "H"),
    0x0080: ("odometer", "I"),  # 1/10 km
    0x0081: ("province", "H"),
    0x0082: ("city", "H"),
    0x0083: ("plate", "s"),
    0x0084: ("plate_color", "B"),
}
BY_NAME: dict[str, int] = {name: pid for pid, (name, _t) in PARAMS.items()}
_FMT = {"I": ">I", "H": ">H", "B": ">B"}


def name_of(pid: int) -> str:
    return PARAMS[pid][0] if pid in PARAMS else f"0x{pid:04X}"


def value_of(pid: int, raw: bytes) -> int | str | bytes:
    """A parameter's value from its bytes (raw bytes for an unknown id or a length its type has not)."""
    kind = PARAMS.get(pid, ("", ""))[1]
    if kind == "s":
        return text(raw)
    if kind in _FMT and len(raw) == struct.calcsize(_FMT[kind]):
        return struct.unpack(_FMT[kind], raw)[0]  # type: ignore[no-any-return]
    return bytes(raw)


def pack_value(pid: int, value: int | str | bytes) -> bytes:
    """A parameter's bytes. :raises ValueError: a value of the wrong type for a known parameter."""
    if isinstance(value, bytes):
        return value
    kind = PARAMS.get(pid, ("", ""))[1]
    if kind == "s":
        if not isinstance(value, str):
            raise ValueError(f"parameter {name_of(pid)} is text")
        return gbk(value)
    if kind in _FMT:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"parameter {name_of(pid)} is a number")
        return struct.pack(_FMT[kind], value)
    raise ValueError(f"parameter 0x{pid:04X} is not known here: give its bytes")


TYPES = {"dword": "I", "word": "H", "byte": "B", "string": "s", "bytes": "x"}  # a typed value's type by name
_RANGE = {"I": 0xFFFFFFFF, "H": 0xFFFF, "B": 0xFF}


def pack_typed(kind: str, value: int | str) -> bytes:
    """A value of a type (``I``/``H``/``B`` numbers, ``s`` GBK text, ``x`` bytes as hex) as the
    parameter's bytes, for a parameter id this table does not know.

    :raises ValueError: a value that is not of the type, a number out of its range, bad hex.
    """
    if kind in _RANGE:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _RANGE[kind]:
            raise ValueError(f"{value!r} is not a number from 0 to {_RANGE[kind]}")
        return struct.pack(_FMT[kind], value)
    if kind == "s":
        return gbk(str(value))
    if kind == "x":
        try:
            return bytes.fromhex(str(value))
        except ValueError:
            raise ValueError(f"{value!r} is not bytes in hex") from None
    raise ValueError(f"unknown parameter type {kind!r}; one of {', '.join(TYPES)}")
