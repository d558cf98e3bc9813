"""Bytes to lines to records, for any feed that mixes NMEA, AIS and gpsd JSON.

`LineFramer` cuts a byte stream into text lines: CR, LF or CRLF end a line, a partial
line waits for the next chunk, a line longer than ``max_line`` is discarded without ever
being buffered whole, and binary noise before a sentence start is dropped.

`Decoder` sends each line to the right protocol decoder (``$`` NMEA, ``!AIVDM``/``!AIVDO``
AIS, ``{`` gpsd JSON) and applies pynmea2's error policy: ``errors='raise'`` lets the
DeviceError out (tests, replay), ``'yield'`` returns it among the records, ``'ignore'``
drops it; every error is counted either way. `DecodeStream` joins the two.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from devices.ais.decoder import AisDecoder
from devices.errors import (
    ChecksumError,
    DeviceError,
    LineTooLongError,
    MalformedSentenceError,
    UnknownSentenceError,
)
from devices.gpsd import GpsdDecoder
from devices.nmea.decoder import NmeaDecoder
from devices.nmea.fast import fast_position
from devices.records import Record

Errors = Literal["raise", "yield", "ignore"]
_STARTS = frozenset(b"$!{\\")


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
        parts = data.split(b"\n")
        tail = parts.pop()
        if len(tail) > self.max_line:
            self.too_long += 1
            self.lines += 1
            self._skipping = True
            tail = b""
        self._buf = tail
        out = []
        limit = self.max_line
        for raw in parts:
            if not raw:
                continue
            self.lines += 1
            if len(raw) > limit:
                self.too_long += 1
                continue
            if raw[0] not in _STARTS:
                salvaged = _salvage(raw)
                if salvaged is None:
                    self.garbage += 1
                    continue
                raw = salvaged
            out.append(raw.decode("ascii") if raw.isascii() else raw.decode("ascii", "replace"))
        return out

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


@dataclass
class StreamCounters:
    """Per-kind counters of a decode stream."""

    sentences: int = 0  # lines decoded without error
    checksum_errors: int = 0
    unknown: int = 0
    malformed: int = 0
    too_long: int = 0
    ais_incomplete: int = 0
    garbage: int = 0
    records: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)  # "nmea", "ais", "gpsd" lines

    @property
    def bad(self) -> int:
        return self.checksum_errors + self.unknown + self.malformed + self.too_long + self.garbage

    def as_dict(self) -> dict[str, object]:
        return {
            "sentences": self.sentences,
            "checksum_errors": self.checksum_errors,
            "unknown": self.unknown,
            "malformed": self.malformed,
            "too_long": self.too_long,
            "ais_incomplete": self.ais_incomplete,
            "garbage": self.garbage,
            "records": self.records,
        }


class Decoder:
    """Decode lines of any supported protocol from one source.

    ``fast=True`` sends RMC and GGA through `devices.nmea.fast` (same records, several
    times quicker); the pynmea2 decoder still handles every other sentence and shares its
    date state with the fast path.
    """

    def __init__(
        self,
        source: str,
        *,
        errors: Errors = "raise",
        require_checksum: bool = True,
        fast: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if errors not in ("raise", "yield", "ignore"):
            raise ValueError(f"errors must be 'raise', 'yield' or 'ignore', not {errors!r}")
        self.source = source
        self.errors = errors
        self.fast = fast
        self.nmea = NmeaDecoder(source, require_checksum=require_checksum, clock=clock)
        self.ais = AisDecoder(source, require_checksum=require_checksum, clock=clock)
        self.gpsd = GpsdDecoder(source, clock=clock)
        self.counters = StreamCounters()

    def decode_line(self, line: str) -> list[Record | DeviceError]:
        """Decode one line (no line ending needed).

        :returns: records; with ``errors='yield'`` also the DeviceError of a bad line.
        :raises DeviceError: with ``errors='raise'``: ChecksumError,
            UnknownSentenceError or MalformedSentenceError, the raw line attached.
        """
        c = self.counters
        try:
            first = line[:1]
            if first == "$":
                c.by_kind["nmea"] += 1
                kind = line[3:6]
                if self.fast and (kind == "RMC" or kind == "GGA") and line[1] != "P":
                    self.nmea.counters.sentences += 1
                    fix = fast_position(line, self.source, self.nmea.state)
                    self.nmea.counters.by_type[kind] += 1
                    records: list[Record] = [fix] if fix is not None else []
                else:
                    records = self.nmea.decode(line)
            elif first == "!" or first == "\\":
                c.by_kind["ais"] += 1
                before = self.ais.incomplete
                records = list(self.ais.decode(line))
                c.ais_incomplete += self.ais.incomplete - before
            elif first == "{":
                c.by_kind["gpsd"] += 1
                records = self.gpsd.decode(line)
            else:
                raise MalformedSentenceError("not a sentence", line)
        except DeviceError as exc:
            self._count(exc)
            if self.errors == "raise":
                raise
            return [exc] if self.errors == "yield" else []
        c.sentences += 1
        c.records += len(records)
        return records  # type: ignore[return-value]

    def _count(self, exc: DeviceError) -> None:
        c = self.counters
        if isinstance(exc, ChecksumError):
            c.checksum_errors += 1
        elif isinstance(exc, UnknownSentenceError):
            c.unknown += 1
        elif isinstance(exc, LineTooLongError):
            c.too_long += 1
        else:
            c.malformed += 1


class DecodeStream:
    """A LineFramer feeding a Decoder: push chunks, get records.

    >>> s = DecodeStream("gps0", errors="ignore")
    >>> s.feed(b"$GPHDT,274.07,T*03\\r\\n")
    [HeadingReport(source='gps0', heading=274.07, time=None, talker='GP')]
    """

    def __init__(
        self,
        source: str,
        *,
        errors: Errors = "ignore",
        max_line: int = 4096,
        require_checksum: bool = True,
        fast: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.framer = LineFramer(max_line)
        self.decoder = Decoder(source, errors=errors, require_checksum=require_checksum, fast=fast, clock=clock)

    @property
    def counters(self) -> StreamCounters:
        c = self.decoder.counters
        c.too_long = self.framer.too_long
        c.garbage = self.framer.garbage
        return c

    def feed(self, chunk: bytes) -> list[Record | DeviceError]:
        """Push bytes; return the records of every line they complete.

        :raises DeviceError: only with ``errors='raise'``; the rest of the chunk is lost.
        """
        decode = self.decoder.decode_line
        out: list[Record | DeviceError] = []
        too_long = self.framer.too_long
        for line in self.framer.feed(chunk):
            out.extend(decode(line))
        if self.framer.too_long != too_long and self.decoder.errors != "ignore":
            exc = LineTooLongError(f"line longer than {self.framer.max_line} bytes discarded")
            if self.decoder.errors == "raise":
                raise exc
            out.append(exc)
        return out

    def close(self) -> list[Record | DeviceError]:
        """End of input: decode a final line that had no line ending."""
        out: list[Record | DeviceError] = []
        for line in self.framer.flush():
            out.extend(self.decoder.decode_line(line))
        return out

    def read(self, stream: BinaryIO, chunk_size: int = 1 << 16) -> Iterator[Record | DeviceError]:
        """Decode a whole binary stream (file, pipe), chunk by chunk."""
        while True:
            chunk = stream.read(chunk_size)
            if not chunk:
                break
            yield from self.feed(chunk)
        yield from self.close()
