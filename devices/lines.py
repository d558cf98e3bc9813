"""Bytes to text lines, for any feed of NMEA, AIS or gpsd JSON (no protocol is decoded here).

`LineFramer` cuts a byte stream into text lines: CR, LF or CRLF end a line, a partial
line waits for the next chunk, a line longer than ``max_line`` is discarded without ever
being buffered whole, and binary noise before a sentence start is dropped, as is an NMEA 4 tag block
(``\\s:gps1,c:1732616100*hh\\``) in front of a ``$`` sentence (the AIS decoder reads those of ``!`` lines).
"""

from __future__ import annotations

_STARTS = frozenset(b"$!{\\")
_START_CHARS = frozenset("$!{\\")


class LineFramer:
    """Split a byte stream into text lines.

    >>> f = LineFramer()
    >>> f.feed(b"$GPHDT,1*00\\r\\n$GPH"), f.feed(b"DT,2*00\\n")
    (['$GPHDT,1*00'], ['$GPHDT,2*00'])
    """

    def __init__(self, max_line: int = 4096) -> None:
        self.max_line = max_line
        self.too_long = 0  # lines discarded for length
        self.garbage = 0  # lines with no sentence start at all
        self.comments = 0  # lines starting with '#' (log comments), skipped
        self.lines = 0  # non-empty lines seen, good or bad
        self._buf = b""
        self._skipping = False  # inside an over-long line: drop until its end

    def feed(self, chunk: bytes) -> list[str]:
        """Add bytes; return the complete lines they finish (no line endings, no empties)."""
        if self._skipping:
            cut = _first_eol(chunk)
            if cut < 0:
                return []
            self._skipping = False
            chunk = chunk[cut:]
        data = self._buf + chunk if self._buf else chunk
        if b"\r" in data:
            data = data.replace(b"\r", b"\n")
        if data.isascii() and b"$$" not in data and b"\\$" not in data:
            # the common chunk: text whose every line starts a sentence and fits. Split it as one string
            # (the lines are the same as the loop below gives, without a decode per line)
            text = data.decode("ascii").split("\n")
            last = text.pop()
            good = list(filter(None, text))
            if not good or (max(map(len, good)) <= self.max_line and _START_CHARS.issuperset({s[0] for s in good})):
                self.lines += len(good)
                self._tail(last.encode("ascii"))
                return good
        parts = data.split(b"\n")
        out = []
        self._tail(parts.pop())
        limit = self.max_line
        for raw in parts:
            if not raw:
                continue
            self.lines += 1
            if len(raw) > limit:
                self.too_long += 1
                continue
            if raw[0] == 92:  # '\\': an NMEA 4 tag block; before a '$' sentence it is skipped, as gpsd's lexer skips it
                end = raw.find(b"\\", 1)
                if end > 0 and raw[end + 1 : end + 2] == b"$":
                    raw = raw[end + 1 :]
            if raw[:2] == b"$$":
                raw = b"$" + raw.lstrip(b"$")  # a doubled start ($$GNGSA: ST Teseo), read as gpsd's lexer reads it
            elif raw[0] not in _STARTS:
                if raw[0] == 35:  # '#': a comment line of a log (gpsd's convention), not noise before a sentence
                    self.comments += 1
                    continue
                salvaged = _salvage(raw)
                if salvaged is None:
                    self.garbage += 1
                    continue
                raw = salvaged
            out.append(raw.decode("ascii") if raw.isascii() else raw.decode("ascii", "replace"))
        return out

    def _tail(self, tail: bytes) -> None:
        """Keep the unfinished last line for the next chunk (or skip it to its end when it is too long already)."""
        if len(tail) > self.max_line:
            self.too_long += 1
            self.lines += 1
            self._skipping = True
            tail = b""
        self._buf = tail

    def flush(self) -> list[str]:
        """Return the buffered partial line (end of file), if any."""
        tail, self._buf = self._buf, b""
        skipping, self._skipping = self._skipping, False
        if skipping or not tail:
            return []
        return self.feed(tail + b"\n")

    @property
    def pending(self) -> int:
        """Bytes held for an unfinished line (never more than max_line)."""
        return len(self._buf)


def _first_eol(chunk: bytes) -> int:
    cr, lf = chunk.find(b"\r"), chunk.find(b"\n")
    if cr < 0:
        return lf
    return cr if lf < 0 else min(cr, lf)


def _salvage(raw: bytes) -> bytes | None:
    """Noise before a sentence (a receiver booting, a half-received line): keep the sentence."""
    best = -1
    for start in (b"$", b"!", b"{"):
        i = raw.find(start)
        if i >= 0 and (best < 0 or i < best):
            best = i
    return raw[best:] if best >= 0 else None
