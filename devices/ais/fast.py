"""Reading an AIS sentence without pyais's sentence objects: checks, fields, payload bits.

`parse` checks a line the way gpsd's AIVDM reader does (any upper-case talker, VDM or VDO,
channel empty/A/1 or B/2, fill bits, anything after the checksum ignored) and returns its
parts; `payload_bits` turns the six-bit armoured payload into one integer, the same value
pyais's bit vector holds (first bit most significant, fill bits dropped). The decoder uses
both directly for single-sentence messages and hands multi-sentence ones, rebuilt by
`Sentence.normalized`, to pyais. The tests hold the two paths equal.
"""

from __future__ import annotations

from binascii import a2b_base64
from typing import NamedTuple

from devices.ais.legends import NAV_STATUS, TURN
from devices.checksum import check, xor
from devices.errors import ChecksumError, MalformedSentenceError, UnknownSentenceError

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _sixbit(c: int) -> int:
    """gpsd's reading of any payload character: '0'..'W' and '`'..'w' are the armour, others wrap."""
    v = (c - 48) & 0xFF
    if v >= 40:
        v -= 8
    return v & 63


# payload character -> base64 character of the same six-bit value
_TO_B64 = bytes(_B64[_sixbit(c)] for c in range(256))
# any payload character -> the armour character of its six-bit value (for pyais, which reads only armour)
_ARMOUR = bytes(v + 48 if v < 40 else v + 56 for v in (_sixbit(c) for c in range(256)))
_VALID = frozenset(chr(c) for c in range(256) if _ARMOUR[c] == c)
_PAD = (b"", b"AAA", b"AA", b"A")
_CHANNEL = {"": 0, "A": 0, "1": 0, "B": 1, "2": 1}
_FILL = {"": 0, "0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
MAX_FRAGMENTS = 9
MAX_PAYLOAD = 1000  # characters in one sentence (the NMEA limit is ~60; this only bounds garbage)


class Sentence(NamedTuple):
    talker: str  # "AI", "BS", ...
    kind: str  # "VDM" or "VDO"
    fragments: int  # fragments of the message
    number: int  # this fragment (1-based)
    seq: str  # sequential message id ('' for single-sentence messages)
    channel: int  # 0 = A (or empty, '1'), 1 = B (or '2')
    payload: str
    fill: int

    def normalized(self) -> str:
        """The sentence as pyais reads it: canonical fields, channel letter, fresh checksum."""
        payload = self.payload
        if not _VALID.issuperset(payload):
            payload = payload.encode().translate(_ARMOUR).decode()
        body = (f"{self.talker}{self.kind},{self.fragments},{self.number},{self.seq},{'AB'[self.channel]},"
                f"{payload},{self.fill}")
        return f"!{body}*{xor(body):02X}"


def strip_tag_block(line: str) -> str:
    """``\\s:station,c:time*hh\\!AIVDM...`` -> ``!AIVDM...`` (and surrounding blanks dropped)."""
    line = line.strip()
    if line[:1] == "\\":
        end = line.find("\\", 1)
        line = line[end + 1 :].lstrip() if end > 0 else ""
    return line


def parse(line: str, require_checksum: bool = True) -> Sentence:
    """The parts of one AIS sentence.

    :raises UnknownSentenceError: not a ``!xxVDM``/``!xxVDO`` sentence.
    :raises ChecksumError: a checksum that does not match, or none while one is required.
    :raises MalformedSentenceError: fields that do not parse (count, number, channel, fill),
        a payload that is not ASCII. Other characters than the six-bit armour read as gpsd
        reads them.
    """
    raw = line if line[:1] == "!" else strip_tag_block(line)
    tag = raw[1:6]
    if raw[:1] != "!" or tag[2:] not in ("VDM", "VDO") or tag[0] not in _UPPER or tag[1] not in _UPPER:
        raise UnknownSentenceError("not an AIS sentence", line)
    star = raw.find("*", 6)
    if star < 0:
        body = raw[1:].rstrip()
        if require_checksum:
            raise ChecksumError("checksum missing", line)
    else:
        body = raw[1:star]
        check(body, raw[star + 1 : star + 3], line)
    f = body.split(",")
    if len(f) < 6:
        raise MalformedSentenceError("AIS: fewer than 6 fields", line)
    channel = _CHANNEL.get(f[4][:1])
    fill = _FILL.get(f[6]) if len(f) > 6 else 0
    try:
        count = int(f[1])
        number = int(f[2])
    except ValueError:
        raise MalformedSentenceError("AIS: fragment count or number is not a number", line) from None
    if channel is None:
        raise MalformedSentenceError(f"AIS: invalid channel {f[4]!r}", line)
    if fill is None:
        raise MalformedSentenceError(f"AIS: invalid fill bits {f[6]!r}", line)
    if not (1 <= number <= count <= MAX_FRAGMENTS):
        raise MalformedSentenceError(f"AIS: fragment {number} of {count}", line)
    payload = f[5]
    if len(payload) > MAX_PAYLOAD:
        raise MalformedSentenceError("AIS: payload too long", line)
    if not payload.isascii():
        raise MalformedSentenceError("AIS: payload is not ASCII", line)
    return Sentence(tag[:2], tag[2:], count, number, f[3], channel, payload, fill)


def payload_bits(payload: str, fill: int) -> tuple[int, int]:
    """(value, number of bits) of a checked six-bit payload, fill bits dropped."""
    n = len(payload)
    if n == 0:
        return 0, 0
    rem = n & 3
    data = payload.encode().translate(_TO_B64)
    if rem:
        value = int.from_bytes(a2b_base64(data + _PAD[rem]), "big") >> (6 * (4 - rem) + fill)
    else:
        value = int.from_bytes(a2b_base64(data), "big") >> fill
    return value, 6 * n - fill


# ---------------------------------------------------------------------------------------
# Position reports (types 1, 2, 3 and 18 of the standard 168 bits: most of the traffic),
# rendered straight from the payload integer. Equal to `devices.ais.gpsd.render` (tested).

_NAV_STATUS = NAV_STATUS
_TURN = TURN  # by the raw byte


def _deg6(raw: int) -> float:
    # float("%.6f" % (raw / 600000.0)): the nearest integer to raw * 5 / 3 (never a tie), over 1e6
    return ((10 * raw + 3) // 6) / 1e6


def position(v: int) -> dict[str, object] | None:
    """gpsd fields of a 168-bit type 1, 2, 3 or 18 payload ``v``; None for any other type."""
    mtype = v >> 162
    if mtype <= 3:
        if mtype == 0:
            return None
        t = (v >> 118) & 255
        speed = (v >> 108) & 1023
        lon = (v >> 79) & 0xFFFFFFF
        lat = (v >> 52) & 0x7FFFFFF
        status = (v >> 126) & 15
        return {
            "type": mtype, "repeat": (v >> 160) & 3, "mmsi": (v >> 130) & 0x3FFFFFFF, "scaled": True,
            "status": status, "status_text": _NAV_STATUS[status], "turn": _TURN[t],
            "speed": "nan" if speed == 1023 else "fast" if speed == 1022 else speed / 10.0,
            "accuracy": bool((v >> 107) & 1),
            "lon": _deg6(lon - 0x10000000 if lon & 0x8000000 else lon),
            "lat": _deg6(lat - 0x8000000 if lat & 0x4000000 else lat),
            "course": ((v >> 40) & 4095) / 10.0, "heading": (v >> 31) & 511, "second": (v >> 25) & 63,
            "maneuver": (v >> 23) & 3, "raim": bool((v >> 19) & 1), "radio": v & 0x7FFFF,
        }
    if mtype == 18:
        lon = (v >> 83) & 0xFFFFFFF
        lat = (v >> 56) & 0x7FFFFFF
        return {
            "type": 18, "repeat": (v >> 160) & 3, "mmsi": (v >> 130) & 0x3FFFFFFF, "scaled": True,
            "reserved": (v >> 122) & 255, "speed": ((v >> 112) & 1023) / 10.0, "accuracy": bool((v >> 111) & 1),
            "lon": _deg6(lon - 0x10000000 if lon & 0x8000000 else lon),
            "lat": _deg6(lat - 0x8000000 if lat & 0x4000000 else lat),
            "course": ((v >> 44) & 4095) / 10.0, "heading": (v >> 35) & 511, "second": (v >> 29) & 63,
            "regional": (v >> 27) & 3, "cs": bool((v >> 26) & 1), "display": bool((v >> 25) & 1),
            "dsc": bool((v >> 24) & 1), "band": bool((v >> 23) & 1), "msg22": bool((v >> 22) & 1),
            "raim": bool((v >> 20) & 1), "radio": v & 0xFFFFF,
        }
    return None


def single(line: str) -> dict[str, object] | None:
    """`position` of a plain single-sentence line (``!xxVDM,1,1,,A,<168 bits>,0*hh``), checksum verified.

    None for anything else (other types, lengths, forms, or a line that fails a check): the
    caller's general path decodes it, or raises the error. Equal to that path (tested).
    """
    if line[:1] != "!" or line[6:11] != ",1,1," or line[3:6] not in ("VDM", "VDO"):
        return None
    star = line.find("*", 11)
    if star < 0:
        return None
    given = line[star + 1 : star + 3]
    try:
        if int(given, 16) != xor(line[1:star]) or len(given) != 2:
            return None
    except ValueError:
        return None
    parts = line[11:star].split(",")
    if len(parts) != 4 or len(parts[2]) != 28 or parts[3] != "0" or parts[1][:1] not in _CHANNEL:
        return None
    payload = parts[2]
    if not payload.isascii() or line[1] not in _UPPER or line[2] not in _UPPER:
        return None
    return position(int.from_bytes(a2b_base64(payload.encode().translate(_TO_B64)), "big"))
