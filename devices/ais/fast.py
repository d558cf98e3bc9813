"""Reading an AIS sentence without pyais's sentence objects: checks, fields, payload bits.

`parse` checks a line the way gpsd's AIVDM reader does (any upper-case talker, VDM or VDO,
channel empty/A/1 or B/2, fill bits, anything after the checksum ignored) and returns its
parts; `payload_bits` turns the six-bit armoured payload into one integer, the same value
pyais's bit vector holds (first bit most significant, fill bits dropped). The decoder uses
both directly for single-sentence messages and hands multi-sentence ones, rebuilt by
`Sentence.normalized`, to pyais. The tests hold the two paths equal.
"""

from __future__ import annotations

from base64 import b64decode
from typing import NamedTuple

from devices.errors import ChecksumError, MalformedSentenceError, UnknownSentenceError
from devices.nmea.checksum import xor

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
        given = raw[star + 1 : star + 3]
        try:
            ok = len(given) == 2 and int(given, 16) == xor(body)
        except ValueError:
            ok = False
        if not ok:
            raise ChecksumError("checksum mismatch", line)
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
        value = int.from_bytes(b64decode(data + _PAD[rem]), "big") >> (6 * (4 - rem) + fill)
    else:
        value = int.from_bytes(b64decode(data), "big") >> fill
    return value, 6 * n - fill
