"""What a simulated truck's CAN bus says (0x0705, devices/jt808/extra.py), as SAE J1939 lays it out on a heavy
vehicle's bus: the engine's speed (EEC1, PGN 0xF004, SPN 190: 0.125 rpm a bit) and the wheel-based vehicle
speed (CCVS, PGN 0xFEF1, SPN 84: 1/256 km/h a bit), little-endian, bytes not sent as 0xFF."""

from __future__ import annotations

from datetime import datetime, time

from devices.jt808.extra import CanItem, can_bus_data_body

EEC1 = 0x0CF00400  # priority 3, PGN 0xF004, from the engine (source address 0)
CCVS = 0x18FEF100  # priority 6, PGN 0xFEF1, from the engine
IDLE_RPM, RPM_PER_KMH, MAX_RPM = 650.0, 28.0, 2100.0


def engine_rpm(kmh: float) -> float:
    """A loaded truck's engine at a road speed (idling when standing)."""
    return min(MAX_RPM, IDLE_RPM + max(0.0, kmh) * RPM_PER_KMH)


def can_frames(kmh: float) -> list[CanItem]:
    """EEC1 and CCVS at `kmh`: what a J1939 tool reads as the engine's rpm and the road speed."""
    rpm = round(engine_rpm(kmh) / 0.125)
    speed = round(max(0.0, min(kmh, 250.0)) * 256)
    eec1 = bytes((0xFF, 0x7D, 0x7D)) + rpm.to_bytes(2, "little") + bytes((0x00, 0xFF, 0x7D))
    ccvs = bytes((0xFF,)) + speed.to_bytes(2, "little") + bytes((0x00, 0x00, 0x00, 0xFF, 0xFF))
    return [CanItem(channel=1, extended=True, averaged=False, can_id=EEC1 & ((1 << 29) - 1), data=eec1),
            CanItem(channel=1, extended=True, averaged=False, can_id=CCVS & ((1 << 29) - 1), data=ccvs)]


def can_body(kmh: float, at: datetime) -> bytes:
    """A 0x0705 body of the two frames, received at `at` (its time of day: the caller gives Beijing time, as a
    terminal keeps it)."""
    return can_bus_data_body(time(at.hour, at.minute, at.second, at.microsecond // 1000 * 1000), can_frames(kmh))


def rpm_of(data: bytes) -> float:
    """The engine speed an EEC1 frame carries (what a reader of the bus does with it)."""
    return int.from_bytes(data[3:5], "little") * 0.125


def kmh_of(data: bytes) -> float:
    """The road speed a CCVS frame carries."""
    return int.from_bytes(data[1:3], "little") / 256
