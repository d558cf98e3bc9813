"""A capture's bytes in, gpsd's reports out: what ``main.py decode`` prints.

NMEA sentences (``$``) go through `devices.nmea.cycle.EpochAssembler`: one `TpvReport` per
reporting cycle and a `SkyView` per satellite group, as gpsd reports them. AIS (``!``, ``\\``)
lines go through `devices.ais.decoder.AisDecoder` and gpsd JSON (``{``) lines through
`devices.gpsd.GpsdDecoder`, as the feeds decode them, and come out as they decode (`AisReport`,
`Fix`...). Bad lines are counted, never raised. The NMEA assembler and the AIS and gpsd decoders are
made (and imported) at the first line that needs them: a receiver's NMEA log loads neither decoder, an
AIS feed not the NMEA side. `feed_text` gives the JSON lines themselves: there the compiled AIS decoder
(`devices.ais.native`), when built, writes its lines without making records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from devices.errors import DeviceError, MalformedSentenceError, count
from devices.lines import LineFramer

if TYPE_CHECKING:
    from devices.ais.decoder import AisDecoder
    from devices.gpsd import GpsdDecoder
    from devices.nmea.cycle import EpochAssembler
    from devices.records import Record


_UNSET = object()


class ReportCounters:
    """What a stream has seen, for the summary line. (A plain class: `decode` starts without dataclasses.)"""

    __slots__ = ("ais_incomplete", "checksum_errors", "garbage", "lines", "malformed", "sentences", "too_long",
                 "unknown")

    def __init__(self, lines: int = 0, sentences: int = 0, checksum_errors: int = 0, unknown: int = 0,
                 malformed: int = 0, too_long: int = 0, garbage: int = 0, ais_incomplete: int = 0) -> None:
        self.lines = lines
        self.sentences = sentences
        self.checksum_errors = checksum_errors
        self.unknown = unknown
        self.malformed = malformed
        self.too_long = too_long
        self.garbage = garbage
        self.ais_incomplete = ais_incomplete

    def __repr__(self) -> str:
        return "ReportCounters(" + ", ".join(f"{k}={getattr(self, k)}" for k in self.__slots__) + ")"


class _OtherCounters:
    """AIS, gpsd JSON and unrecognised lines (NMEA ones are the assembler's)."""

    __slots__ = ("checksum_errors", "malformed", "sentences", "unknown")

    def __init__(self) -> None:
        self.sentences = 0
        self.checksum_errors = 0
        self.unknown = 0
        self.malformed = 0


class ReportStream:
    """Push chunks of a capture, get gpsd's reports.

    >>> s = ReportStream("gps0")
    >>> s.feed(b"$GPRMC,120000.00,A,2419.58460,N,10925.68360,E,4.187,16.52,261124,,,A*50\\r\\n")
    []
    >>> [type(r).__name__ for r in s.close()]
    ['TpvReport']

    :param require_checksum: AIS sentences without a checksum are errors (NMEA sentences
        without one are taken, as gpsd takes them).
    :param rollover: move dates before 2017 on by 1024 weeks, as gpsd 3.22 does (off: dates as sent).
    """

    def __init__(self, source: str, *, require_checksum: bool = True, rollover: bool = False,
                 max_line: int = 4096) -> None:
        self.source = source
        self.require_checksum = require_checksum
        self.framer = LineFramer(max_line)
        self.rollover = rollover
        self._nmea: EpochAssembler | None = None  # made at the first NMEA line: an AIS feed never loads it
        self.ais: AisDecoder | None = None  # made at the first AIS line that needs Python
        self._cais: Any = _UNSET  # the compiled AIS decoder (None: not built or switched off), at the first AIS line
        self.gpsd: GpsdDecoder | None = None  # made at the first gpsd JSON line
        self._other = _OtherCounters()

    @property
    def nmea(self) -> EpochAssembler:
        """The NMEA cycle assembler (made, and imported, when first needed)."""
        if self._nmea is None:
            from devices.nmea.cycle import EpochAssembler

            self._nmea = EpochAssembler(self.source, rollover=self.rollover)
        return self._nmea

    def _flush_nmea(self) -> list[Record]:
        return self._nmea.flush() if self._nmea is not None else []

    def feed(self, chunk: bytes) -> list[Record]:
        """Bytes in: the reports of every line they complete."""
        return self._lines(self.framer.feed(chunk))

    def close(self) -> list[Record]:
        """End of input: a last line without line ending, then the last cycle's report."""
        out = self._lines(self.framer.flush())
        out.extend(self._flush_nmea())
        return out

    def feed_text(self, chunk: bytes, line_of: Callable[[Record], str | None], head: str) -> tuple[list[str], int]:
        """Bytes in: the JSON lines of every report they complete, each ending in a newline, and how many.

        ``line_of`` writes one report (None: not printed); ``head`` opens an AIS object (``{"class":"AIS"``
        and the device member) for the AIS lines the compiled decoder writes itself (`AisDecoder.run`).
        The same text as `feed` and ``line_of`` of each report, and the same counters.
        """
        return self._text(self.framer.feed(chunk), line_of, head)

    def close_text(self, line_of: Callable[[Record], str | None], head: str) -> tuple[list[str], int]:
        """`close` as text (see `feed_text`)."""
        out, n = self._text(self.framer.flush(), line_of, head)
        more = [t for t in map(line_of, self._flush_nmea()) if t is not None]
        out.extend(t + "\n" for t in more)
        return out, n + len(more)

    def _text(self, lines: list[str], line_of: Callable[[Record], str | None], head: str) -> tuple[list[str], int]:
        out: list[str] = []
        printed = 0
        i, n = 0, len(lines)
        while i < n:
            j = i
            while j < n and lines[j][:1] not in ("!", "\\"):
                j += 1
            if j > i:  # NMEA, gpsd JSON, unrecognised: records, written one by one
                texts = [t for t in map(line_of, self._lines(lines[i:j])) if t is not None]
                out.extend(t + "\n" for t in texts)
                printed += len(texts)
            if j == n:
                break
            cdec = self._compiled()
            if cdec is not None:  # the compiled decoder takes the AIS lines from j on and writes them itself
                c = self._other
                s0, k0, u0, m0 = cdec.errors()
                i, text, count = cdec.run(lines, j, head, self._deferred(line_of))
                s1, k1, u1, m1 = cdec.errors()
                c.checksum_errors += k1 - k0
                c.unknown += u1 - u0
                c.malformed += m1 - m0
                c.sentences += (s1 - s0) - (k1 - k0) - (u1 - u0) - (m1 - m0)
                if count:
                    out.append(text)
                    printed += count
                continue
            i = j + 1
            while i < n and lines[i][:1] in ("!", "\\"):
                i += 1
            texts = [t for t in map(line_of, self._lines(lines[j:i])) if t is not None]
            out.extend(t + "\n" for t in texts)
            printed += len(texts)
        return out, printed

    def _compiled(self) -> Any:
        cdec = self._cais
        if cdec is _UNSET:
            from devices.ais import native

            cdec = self._cais = native.new_decoder(self.require_checksum)
        return cdec

    def _ais(self) -> AisDecoder:
        ais = self.ais
        if ais is None:
            from devices.ais.decoder import AisDecoder

            cdec = self._compiled()  # one stream, one state: the same compiled decoder as `feed_text` uses
            ais = self.ais = AisDecoder(self.source, require_checksum=self.require_checksum,
                                        native=cdec is not None, compiled=cdec)
        return ais

    def _deferred(self, line_of: Callable[[Record], str | None]) -> Callable[[int, int, int], str | None]:
        """What the compiled decoder calls for a payload it leaves to Python (`AisDecoder.line_of_payload`)."""
        def deferred(value: int, nbits: int, channel: int) -> str | None:
            return self._ais().line_of_payload(value, nbits, channel, line_of)

        return deferred

    def _lines(self, lines: list[str]) -> list[Record]:
        out: list[Record] = []
        nmea = self._nmea.feed if self._nmea is not None else None
        for line in lines:
            if line[:1] == "$":
                if nmea is None:
                    nmea = self.nmea.feed
                try:
                    out.extend(nmea(line))  # type: ignore[misc]
                except DeviceError:
                    continue  # counted by the assembler
            else:
                try:
                    records = self._other_line(line)
                except DeviceError as exc:
                    count(self._other, exc)
                    continue
                self._other.sentences += 1
                out.extend(records)
        return out

    def _other_line(self, line: str) -> list[Record]:
        first = line[:1]
        if first == "!" or first == "\\":
            return self._ais().decode(line)  # type: ignore[return-value]
        if first == "{":
            gpsd = self.gpsd
            if gpsd is None:
                from devices.gpsd import GpsdDecoder

                gpsd = self.gpsd = GpsdDecoder(self.source)
            return gpsd.decode(line)
        raise MalformedSentenceError("not a sentence", line)

    @property
    def app_fallbacks(self) -> int:
        """AIS application payloads (types 6 and 8) left raw because their table failed."""
        return self.ais.counters.app_fallbacks if self.ais is not None else 0

    @property
    def counters(self) -> ReportCounters:
        d = self._other
        n = self._nmea.counters if self._nmea is not None else _OtherCounters()
        return ReportCounters(
            lines=self.framer.lines,
            sentences=d.sentences + n.sentences,
            checksum_errors=d.checksum_errors + n.checksum_errors,
            unknown=d.unknown + n.unknown,
            malformed=d.malformed + n.malformed,
            too_long=self.framer.too_long,
            garbage=self.framer.garbage,
            ais_incomplete=(self._cais.incomplete if self._cais not in (None, _UNSET)
                            else self.ais.incomplete if self.ais is not None else 0),
        )
