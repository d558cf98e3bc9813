"""Field access on an AIS payload held as one integer (first bit most significant), as gpsd reads it."""

from __future__ import annotations

from binascii import b2a_base64

_SIX = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?"
_B64_TO_SIX = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", _SIX.encode())


class Bits:
    """Field access on a payload integer: ``u(off, width)`` unsigned, ``i`` signed, ``b`` bool.

    Bits past the end of the payload read as zeros, as in gpsd's bit buffer.
    """

    __slots__ = ("n", "v")

    def __init__(self, value: int, nbits: int) -> None:
        self.v = value
        self.n = nbits

    def u(self, off: int, width: int) -> int:
        n = self.n
        end = off + width
        if end <= n:
            return (self.v >> (n - end)) & ((1 << width) - 1)
        if off >= n:
            return 0
        return (self.v & ((1 << (n - off)) - 1)) << (end - n)  # zeros past the end, as gpsd's buffer

    def i(self, off: int, width: int) -> int:
        x = self.u(off, width)
        return x - (1 << width) if x >> (width - 1) else x

    def tail(self, off: int, width: int) -> int:
        """The bits there are of a field that may run past the end, right aligned (gpsd's type 1-3 radio)."""
        n = self.n
        if off >= n:
            return 0
        width = min(width, n - off)
        return (self.v >> (n - off - width)) & ((1 << width) - 1)

    def b(self, off: int) -> bool:
        return bool(self.u(off, 1))

    def text(self, off: int, chars: int) -> str:
        """Six-bit text as gpsd reads it: up to the first '@', trailing blanks dropped."""
        return self.raw_text(off, chars).rstrip(" ")

    def raw_text(self, off: int, chars: int) -> str:
        if chars <= 0:
            return ""
        # base64 does the six-bit split in C: pad to whole groups of four characters (three bytes)
        padded = -(-chars // 4) * 4
        x = self.u(off, 6 * chars) << (6 * (padded - chars))
        text = b2a_base64(x.to_bytes(padded * 3 // 4, "big"), newline=False).translate(_B64_TO_SIX)[:chars]
        at = text.find(b"@")
        return (text if at < 0 else text[:at]).decode("ascii")

    def data(self, off: int, nbits: int | None = None, whole_bytes: bool = False) -> str:
        """``"bits:hex"``: ``nbits`` (default: all up to the end) from ``off``, left aligned in whole bytes.

        ``whole_bytes``: the last byte carries the bits that follow the data (gpsd's type 26)
        instead of zeros, up to the payload's next byte boundary (counted from its first bit: gpsd
        copies the payload bytes the data lies in, then shifts them), zeros after it.
        """
        count = max(0, self.n - off) if nbits is None else max(0, nbits)
        if count == 0:
            return "0:"
        nbytes = (count + 7) // 8
        if whole_bytes:
            kept = min(nbytes * 8, -(-(off + count) // 8) * 8 - off)  # up to the boundary after the data
            x = self.u(off, kept) << (nbytes * 8 - kept)
        else:
            x = self.u(off, count) << (nbytes * 8 - count)
        return f"{count}:{x.to_bytes(nbytes, 'big').hex()}"
