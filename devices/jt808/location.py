"""The position body (0x0200, 0x0704 items, 0x0201): its 28 fixed bytes and the additional items.

Fixed part::

    DWORD alarm | DWORD status | DWORD lat (1e-6 deg) | DWORD lon | WORD altitude (m)
    | WORD speed (1/10 km/h) | WORD course | BCD[6] time (Beijing)

then additional items ``BYTE id | BYTE length | value``. Latitude and longitude are unsigned; status
bits 2 and 3 say south and west. An item whose length runs past the body keeps what there is, raw.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from datetime import datetime

from devices.errors import BodyError
from devices.jt808.bits import (
    ALARM_BITS,
    IO_BITS,
    SIGNAL_BITS,
    STATUS_BITS,
    flags,
    io_names,
    signal_names,
)
from devices.jt808.header import beijing_time, pack_time
from devices.jt808.messages import (
    AREA_KINDS,
    EXTRAS_FIELDS,
    NO_EXTRAS,
    AreaCrossing,
    Extras,
    Location,
    OverspeedInfo,
    RouteTime,
    new_extras,
    new_location,
)

FIXED = struct.Struct(">IIIIHHH6s")
FIXED_SIZE = FIXED.size  # 28
_u16 = struct.Struct(">H").unpack_from
_u32 = struct.Struct(">I").unpack_from
_AREA_KINDS_BACK = {v: k for k, v in AREA_KINDS.items()}


def decode(body: bytes, offset: int = 0, end: int | None = None) -> Location:
    """The position in ``body[offset:end]``.

    :raises BodyError: fewer than 28 bytes.
    """
    if end is None:
        end = len(body)
    if end - offset < FIXED_SIZE:
        raise BodyError(f"position of {end - offset} bytes: needs at least {FIXED_SIZE}", raw=bytes(body))
    alarm, status, lat, lon, alt, speed, course, when = FIXED.unpack_from(body, offset)
    la = lat / 1e6
    lo = lon / 1e6
    if status & 4:
        la = -la
    if status & 8:
        lo = -lo
    start = offset + FIXED_SIZE
    extras = _extras(body, start, end) if end > start else NO_EXTRAS
    return new_location(alarm, status, la, lo, alt, speed / 10.0, course, beijing_time(when), extras)


_SLOT = {name: i for i, name in enumerate(EXTRAS_FIELDS)}
_RAW = _SLOT["raw"]
_NONE: list[object] = [None] * len(EXTRAS_FIELDS)


def _extras(body: bytes, pos: int, end: int) -> Extras:
    values: list[object] = _NONE.copy()
    raw: list[tuple[int, bytes]] = []
    while pos < end:
        item = body[pos]
        if pos + 1 >= end:
            raw.append((item, b""))
            break
        n = body[pos + 1]
        start = pos + 2
        stop = start + n
        if stop > end:
            raw.append((item, bytes(body[start:end])))
            break
        if not _item(item, body, start, n, values):
            raw.append((item, bytes(body[start:stop])))
        pos = stop
    values[_RAW] = tuple(raw)
    return new_extras(*values)  # type: ignore[no-any-return]


def _item(item: int, b: bytes, at: int, n: int, out: list[object]) -> bool:
    """Decode one known item into its slot of ``out``; False for an unknown id or a length its id has not."""
    if item == 0x01 and n == 4:
        out[0] = _u32(b, at)[0] / 10.0  # mileage_km
    elif item == 0x02 and n == 2:
        out[1] = _u16(b, at)[0] / 10.0  # fuel_l
    elif item == 0x30 and n == 1:
        out[12] = b[at]  # signal_strength
    elif item == 0x31 and n == 1:
        out[13] = b[at]  # satellites
    elif item == 0x03 and n == 2:
        out[2] = _u16(b, at)[0] / 10.0  # recorder_speed_kmh
    elif item == 0x04 and n == 2:
        out[3] = _u16(b, at)[0]  # alarm_event_id
    elif item == 0x05 and n > 0:
        out[4] = tuple(None if v == 0xFF else v for v in b[at:at + n])  # tire_pressure_kpa
    elif item == 0x06 and n == 2:
        out[5] = int.from_bytes(b[at:at + 2], "big", signed=True)  # carriage_temp_c
    elif item == 0x11 and n in (1, 5):
        kind = AREA_KINDS.get(b[at], f"kind_{b[at]}")
        out[6] = OverspeedInfo(kind, _u32(b, at + 1)[0] if n == 5 else None)
    elif item == 0x12 and n == 6:
        out[7] = AreaCrossing(AREA_KINDS.get(b[at], f"kind_{b[at]}"), _u32(b, at + 1)[0], b[at + 5] == 0)
    elif item == 0x13 and n == 7:
        out[8] = RouteTime(_u32(b, at)[0], _u16(b, at + 4)[0], b[at + 6] == 1)
    elif item == 0x25 and n == 4:
        out[9] = signal_names(_u32(b, at)[0])  # signals
    elif item == 0x2A and n == 2:
        out[10] = io_names(_u16(b, at)[0])  # io
    elif item == 0x2B and n == 4:
        out[11] = (_u16(b, at + 2)[0], _u16(b, at)[0])  # analog: bits 0-15 AD0, 16-31 AD1
    else:
        return False
    return True


assert EXTRAS_FIELDS == ("mileage_km", "fuel_l", "recorder_speed_kmh", "alarm_event_id", "tire_pressure_kpa",
                         "carriage_temp_c", "overspeed", "area", "route_time", "signals", "io", "analog",
                         "signal_strength", "satellites", "raw"), "update devices.jt808.location._item"


def encode(lat: float, lon: float, time: datetime, *, speed: float = 0.0, course: float = 0.0, altitude: int = 0,
           alarms: Iterable[str] | int = (), status: Iterable[str] | int = ("acc_on", "positioned"),
           extras: Extras | None = None) -> bytes:
    """A position body. ``speed`` km/h, ``time`` an aware datetime; south/west bits follow the signs
    of ``lat``/``lon``. :raises ValueError: an unknown alarm or status name, a naive time."""
    st = flags(status, STATUS_BITS, "status") & ~0xC
    if lat < 0:
        st |= 4
    if lon < 0:
        st |= 8
    body = FIXED.pack(flags(alarms, ALARM_BITS, "alarm"), st, round(abs(lat) * 1e6), round(abs(lon) * 1e6),
                      max(0, min(0xFFFF, int(altitude))), max(0, min(0xFFFF, round(speed * 10))),
                      int(course) % 360, pack_time(time))
    if extras is not None:
        body += encode_extras(extras)
    return body


def encode_extras(x: Extras) -> bytes:
    """The additional items of ``x`` in id order (raw items last, as they are)."""
    out = bytearray()

    def put(item: int, value: bytes) -> None:
        out.extend((item, len(value)))
        out.extend(value)

    if x.mileage_km is not None:
        put(0x01, struct.pack(">I", round(x.mileage_km * 10)))
    if x.fuel_l is not None:
        put(0x02, struct.pack(">H", round(x.fuel_l * 10)))
    if x.recorder_speed_kmh is not None:
        put(0x03, struct.pack(">H", round(x.recorder_speed_kmh * 10)))
    if x.alarm_event_id is not None:
        put(0x04, struct.pack(">H", x.alarm_event_id))
    if x.tire_pressure_kpa is not None:
        put(0x05, bytes(0xFF if v is None else v for v in x.tire_pressure_kpa))
    if x.carriage_temp_c is not None:
        put(0x06, x.carriage_temp_c.to_bytes(2, "big", signed=True))
    if x.overspeed is not None:
        kind = _AREA_KINDS_BACK[x.overspeed.kind]
        put(0x11, bytes((kind,)) + (struct.pack(">I", x.overspeed.area_id or 0) if kind else b""))
    if x.area is not None:
        put(0x12, struct.pack(">BIB", _AREA_KINDS_BACK[x.area.kind], x.area.area_id, 0 if x.area.entering else 1))
    if x.route_time is not None:
        r = x.route_time
        put(0x13, struct.pack(">IHB", r.section_id, r.seconds, 1 if r.too_long else 0))
    if x.signals is not None:
        put(0x25, struct.pack(">I", flags(x.signals, SIGNAL_BITS, "signal")))
    if x.io is not None:
        put(0x2A, struct.pack(">H", flags(x.io, IO_BITS, "io")))
    if x.analog is not None:
        put(0x2B, struct.pack(">HH", x.analog[1], x.analog[0]))
    if x.signal_strength is not None:
        put(0x30, bytes((x.signal_strength,)))
    if x.satellites is not None:
        put(0x31, bytes((x.satellites,)))
    for item, value in x.raw:
        put(item, value)
    return bytes(out)
