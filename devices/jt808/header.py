"""The JT/T 808 message header (2011/2013 and 2019), BCD numbers and Beijing-time stamps.

2011/2013 header (12 bytes, 16 with sub-packages)::

    WORD id | WORD attributes | BCD[6] phone | WORD serial | [WORD packages | WORD package]

2019 header (17 bytes, 21 with sub-packages): bit 14 of the attributes is the version flag, and a
protocol version BYTE and a BCD[10] phone follow::

    WORD id | WORD attributes | BYTE version | BCD[10] phone | WORD serial | [WORD packages | WORD package]

Attributes: bits 0-9 body length, 10-12 encryption (bit 10 = RSA), 13 sub-packages, 14 version flag.
The header's body length is trusted only when the frame agrees with it: a frame whose bytes after
the header are not exactly that long is refused (`BodyLengthError`). Some 2013 terminals set bit
14 (reserved in 2013); when the frame's length fits a 2013 header and not a 2019 one, it is read
as 2013.

The terminal number is its SIM's phone number in BCD. Some terminals send an identifier there that is
not BCD (hex digits a-f among the nibbles, e.g. ``4EB6FB4AFD9E``): the number is then its bytes in hex,
lower case (``4eb6fb4afd9e``), the terminal is known by it and answered with the same bytes.

Times in JT/T 808 are BCD[6] ``YYMMDDhhmmss`` in Beijing time (UTC+8, no daylight saving).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from devices.errors import BodyError, BodyLengthError, TruncatedFrameError
from devices.jt808.make import maker

BEIJING = timedelta(hours=8)
_BODY_LENGTH = 0x03FF
_ENCRYPTION = 0x1C00
_SPLIT = 0x2000
_VERSION_FLAG = 0x4000

_H2013 = struct.Struct(">HH6sH")
_H2019 = struct.Struct(">HHB10sH")
_SUB = struct.Struct(">HH")


@dataclass(frozen=True, slots=True)
class Header:
    """A frame's header. ``phone`` is the BCD digits as sent: 12 before 2019, 20 in 2019 (hex digits for a
    terminal whose number is not BCD: see the module's docstring)."""

    msg_id: int
    phone: str
    serial: int
    body_length: int = 0
    edition: int = 2013  # 2013 (the 2011 and 2013 headers are the same) or 2019 (version flag set)
    protocol_version: int = 0  # the 2019 header's protocol version (1 = the first 2019 revision); 0 before
    encryption: int = 0  # attribute bits 10-12: 0 none, 1 RSA
    packages: int = 0  # total sub-packages of the message (0: not split)
    package: int = 0  # this sub-package's number, from 1

    @property
    def split(self) -> bool:
        return self.packages > 0


new_header = maker(Header)


def parse(data: bytes) -> tuple[Header, bytes]:
    """The header and body of unescaped, checked ``header + body`` bytes.

    :raises TruncatedFrameError: shorter than its header.
    :raises BodyLengthError: the body is not as long as the header says.
    :raises BodyError: a sub-package numbered outside its count.
    """
    n = len(data)
    if n < 12:
        raise TruncatedFrameError(f"{n} bytes: shorter than a message header", raw=bytes(data))
    msg_id, attrs = struct.unpack_from(">HH", data)
    length = attrs & _BODY_LENGTH
    split = 4 if attrs & _SPLIT else 0
    if attrs & _VERSION_FLAG and (n == 17 + split + length or n != 12 + split + length):
        if n < 17 + split:
            raise TruncatedFrameError(f"{n} bytes: shorter than a 2019 message header", raw=bytes(data))
        _id, _attrs, version, bcd, serial = _H2019.unpack_from(data)
        size = 17
        edition = 2019
    else:
        if n < 12 + split:
            raise TruncatedFrameError(f"{n} bytes: shorter than a split message's header", raw=bytes(data))
        _id, _attrs, bcd, serial = _H2013.unpack_from(data)
        version = 0
        size = 12
        edition = 2013
    phone = bcd.hex()
    packages = package = 0
    if split:
        packages, package = _SUB.unpack_from(data, size)
        size += 4
    header = new_header(msg_id, phone, serial, length, edition, version, (attrs & _ENCRYPTION) >> 10, packages, package)
    if n - size != length:
        raise BodyLengthError(f"0x{msg_id:04X}: header says a body of {length} bytes, the frame carries {n - size}",
                              raw=bytes(data), header=header)
    if split and not 1 <= package <= packages:
        raise BodyError(f"0x{msg_id:04X}: sub-package {package} of {packages}", raw=bytes(data), header=header)
    return header, data[size:]


def pack(msg_id: int, phone: str, serial: int, body_length: int, *, edition: int = 2013,
         protocol_version: int = 1, packages: int = 0, package: int = 0, encryption: int = 0) -> bytes:
    """The header bytes. ``phone`` is left-padded with zeros to 12 (20 for 2019) digits (hex digits: a
    terminal number that is not BCD, sent back as it came).

    :raises ValueError: a body over 1023 bytes, a phone that is not digits (or hex digits) or too long.
    """
    if not 0 <= body_length <= _BODY_LENGTH:
        raise ValueError(f"body of {body_length} bytes: one message carries at most 1023 (split it)")
    attrs = body_length | (encryption << 10) | (_SPLIT if packages else 0)
    if edition == 2019:
        head = _H2019.pack(msg_id, attrs | _VERSION_FLAG, protocol_version, phone_bytes(phone, 10), serial & 0xFFFF)
    else:
        head = _H2013.pack(msg_id, attrs, phone_bytes(phone, 6), serial & 0xFFFF)
    if packages:
        head += _SUB.pack(packages, package)
    return head


def phone_bytes(phone: str, size: int) -> bytes:
    """A terminal number for a header: BCD[size], or for a number that is not BCD the bytes its hex digits say.
    :raises ValueError: not (hex) digits, or too many."""
    if not phone.isascii() or len(phone) > 2 * size or phone.strip("0123456789abcdefABCDEF"):
        raise ValueError(f"terminal number {phone!r} does not fit BCD[{size}]")
    return bytes.fromhex(phone.rjust(2 * size, "0"))


def phone_key(phone: str) -> str:
    """The terminal number without its leading zeros: the same terminal in a 2013 header
    (``013912345678``), a 2019 header (``00000000013912345678``) and a roster (``13912345678``)."""
    return phone.lstrip("0") or "0"


@lru_cache(maxsize=8192)
def beijing_time(raw: bytes) -> datetime | None:
    """BCD[6] ``YYMMDDhhmmss`` Beijing time as an aware UTC datetime; None if it is not a date
    (terminals send zeros before their first fix)."""
    digits = raw.hex()
    if not digits.isdigit():
        return None
    try:
        local = datetime(2000 + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6:8]),
                         int(digits[8:10]), int(digits[10:12]), tzinfo=UTC)
    except ValueError:
        return None
    return local - BEIJING


def pack_time(when: datetime) -> bytes:
    """An aware datetime (any zone) as BCD[6] Beijing time. :raises ValueError: naive, or outside 2000-2099."""
    if when.tzinfo is None:
        raise ValueError("a naive datetime: give its zone")
    local = when.astimezone(UTC) + BEIJING
    if not 2000 <= local.year <= 2099:
        raise ValueError(f"{when} does not fit a two-digit year")
    return bytes.fromhex(local.strftime("%y%m%d%H%M%S"))


def utc(epoch: float) -> datetime:
    """UTC epoch seconds as an aware datetime (whole seconds, as JT/T 808 carries them)."""
    return datetime.fromtimestamp(int(epoch), UTC)
