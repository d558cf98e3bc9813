"""JT/T 808 text: GBK (read as GB 18030, its superset, so nothing a terminal sends is lost), and
fixed-size BYTE[n] fields padded with NULs (some terminals pad with spaces or pad in front). `text` and `field` never
fail; `strict_text` refuses bytes that are not GBK, for the messages that must carry text."""

from __future__ import annotations


def text(raw: bytes) -> str:
    """GBK bytes as text; undecodable bytes become U+FFFD, trailing NULs go."""
    return bytes(raw).split(b"\x00", 1)[0].decode("gb18030", "replace") if raw else ""


def field(raw: bytes) -> str:
    """A fixed-size field: NUL or space padding on either side removed."""
    return bytes(raw).strip(b"\x00 ").decode("gb18030", "replace")


def ident(raw: bytes) -> str:
    """A terminal ID (BYTE[n], letters and digits by the standard) as `field` reads it; one that is not printable
    ASCII once its padding is removed (some terminals put their number's BCD there: ``09 40 27 84 94 70``) as
    its bytes in hex, upper case, so it reads as what it is, not as stray characters."""
    core = bytes(raw).strip(b"\x00 ")
    if all(0x21 <= b < 0x7F for b in core):
        return core.decode("ascii")
    return core.hex().upper()


def gbk(value: str) -> bytes:
    """Text as GBK; a character GBK lacks becomes '?'."""
    return value.encode("gbk", "replace")


def pad(value: str, size: int) -> bytes:
    """A fixed-size BYTE[size] field: GBK, NUL-padded at the end. :raises ValueError: too long."""
    raw = gbk(value)
    if len(raw) > size:
        raise ValueError(f"{value!r} is {len(raw)} bytes in GBK: the field holds {size}")
    return raw.ljust(size, b"\x00")


def strict_text(raw: bytes) -> str:
    """GBK bytes as text, trailing NULs dropped, for a field whose bytes must be text (`text` makes do with
    U+FFFD). :raises UnicodeDecodeError: bytes that are not GBK (nor GB 18030)."""
    return bytes(raw).rstrip(b"\x00").decode("gb18030")
