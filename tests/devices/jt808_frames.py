"""JT/T 808 frames written by hand from the standard, for the decoder tests.

`frame(*hex_parts)` joins the hex of a header and body as the standard lays them out, appends the
XOR check code and escapes 0x7E/0x7D, computed here byte by byte (independently of devices.jt808).
"""

from __future__ import annotations

from functools import reduce
from operator import xor


def raw(*parts: str) -> bytes:
    return bytes.fromhex("".join(parts).replace(" ", ""))


def frame(*parts: str, check: int | None = None) -> bytes:
    payload = raw(*parts)
    code = reduce(xor, payload, 0) if check is None else check
    out = bytearray(b"\x7e")
    for b in payload + bytes((code,)):
        out += {0x7E: b"\x7d\x02", 0x7D: b"\x7d\x01"}.get(b, bytes((b,)))
    out += b"\x7e"
    return bytes(out)


PHONE_2013 = "01 39 12 34 56 78"  # BCD[6] 013912345678
PHONE_2019 = "00 00 00 00 01 39 12 34 56 78"  # BCD[10] 00000000013912345678

# A position of a truck at Liuzhou's Liujiang bridge, 2024-11-26 20:00:05 Beijing (12:00:05 UTC):
# alarms emergency (bit 0) and overspeed (bit 1); status ACC on, positioned, GPS, BeiDou (bits 0, 1, 18, 19)
# 24.326400 N = 24326400 = 0x0173 3100; 109.428100 E = 109428100 = 0x0685 BD84
# altitude 92 m, speed 45.6 km/h = 456 = 0x01C8, course 275 = 0x0113
LOCATION_FIXED = ("00 00 00 03" "00 0C 00 03" "01 73 31 00" "06 85 BD 84" "00 5C" "01 C8" "01 13"
                  "24 11 26 20 00 05")
# additional items: mileage 0x01 (12345.6 km = 123456), fuel 0x02 (80.5 L = 805), recorder speed 0x03
# (45.0 km/h), signal strength 0x30 (25), satellites 0x31 (12), and an unknown vendor item 0xE1
LOCATION_EXTRAS = ("01 04 00 01 E2 40" "02 02 03 25" "03 02 01 C2" "30 01 19" "31 01 0C" "E1 03 AA 7E 7D")
LOCATION_BODY = LOCATION_FIXED + LOCATION_EXTRAS

# 24.345857 N = 0x0173 7D01 (holds 7D 01), 109.411972 E = 0x0685 7E84 (holds a 7E); the rest as
# LOCATION_FIXED: alarms 3, status 0x000C0003, 92 m, 45.6 km/h, 275 degrees, 2024-11-26 20:00:05
FIXED_7D = "00 00 00 03" "00 0C 00 03" "01 73 7D 01" "06 85 BD 84" "00 5C" "01 C8" "01 13" "24 11 26 20 00 05"
FIXED_7E = "00 00 00 03" "00 0C 00 03" "01 73 31 00" "06 85 7E 84" "00 5C" "01 C8" "01 13" "24 11 26 20 00 05"


def unescaped(*parts: str) -> bytes:
    """A frame as a terminal that escapes nothing sends it: its content and check code between two flags."""
    content = raw(*parts)
    return b"\x7e" + content + bytes((reduce(xor, content, 0),)) + b"\x7e"
