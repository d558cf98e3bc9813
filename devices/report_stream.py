"""A capture's bytes in, gpsd's reports out: what ``main.py decode`` prints.

NMEA sentences (``$``) go through `devices.nmea.cycle.EpochAssembler`: one `TpvReport` per
reporting cycle and a `SkyView` per satellite group, as gpsd reports them. AIS (``!``, ``\\``)
lines go through `devices.ais.decoder.AisDecoder` and gpsd JSON (``{``) lines through
`devices.gpsd.GpsdDecoder`, as the feeds decode them, and come out as they decode (`AisReport`,
`Fix`...). Bad lines are counted, never raised. The NMEA assembler and the AIS and gpsd decoders are
made (and imported) at the first line that needs them: a receiver's NMEA log loads neither decoder, an
AIS feed not the NMEA side. `feed_text` gives the JSON lines themselves: there the compiled AIS decoder
(`devices.ais.native`), when built, writes its lines without making records.

`ReportLines` is the same as text: the gpsd JSON lines ``main.py decode`` prints. Its NMEA lines go
through the compiled NMEA decoder (`devices.nmea.native`) when there is one, the rest through
`ReportStream.lines_text` (where the AIS lines go through the compiled AIS decoder when there is one).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from devices.ais.native import json_head
from devices.errors import DeviceError, MalformedSentenceError, count
from devices.lines import LineFramer
from devices.nmea.native import cnmea

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

    def lines_text(self, lines: list[str], line_of: Callable[[Record], str | None], head: str) -> tuple[list[str], int]:
        """`feed_text` of lines already framed."""
        return self._text(lines, line_of, head)

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
                self.other(line, out)
        return out

    def other(self, line: str, out: list[Record]) -> None:
        """A line that is not NMEA (AIS, gpsd JSON, anything else): its records onto ``out``, or counted."""
        try:
            records = self._other_line(line)
        except DeviceError as exc:
            count(self._other, exc)
            return
        self._other.sentences += 1
        out.extend(records)

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


def is_printed(rec: Record) -> bool:
    """Whether ``main.py decode`` prints the record (gpsd prints a type 24 only whole, without -s)."""
    from devices.records import AisReport, Fix, HeadingReport, SkyReport, SkyView, TpvReport

    if isinstance(rec, AisReport):
        return "part" not in rec.fields
    return isinstance(rec, (TpvReport, SkyView, AisReport, HeadingReport, Fix, SkyReport))


class _Printer:
    """A record as the line ``main.py decode`` prints, or None. The records and their JSON are imported at
    the first one (an AIS feed the compiled decoder writes, or an NMEA log the compiled one does, needs none)."""

    def __init__(self, device: str | None) -> None:
        self.device = device
        self._line: Callable[[Record], str | None] | None = None

    def __call__(self, rec: Record) -> str | None:
        line = self._line
        if line is None:
            line = self._line = _line_function(self.device)
        return line(rec)


def _line_function(device: str | None) -> Callable[[Record], str | None]:
    from devices.gpsd_json import report_line
    from devices.records import AisReport, Fix, HeadingReport, SkyReport, SkyView, TpvReport

    printed = (TpvReport, SkyView, AisReport, HeadingReport, Fix, SkyReport)

    def line_of(rec: Record) -> str | None:
        if isinstance(rec, AisReport):
            if "part" in rec.fields:
                return None  # a lone half of a type 24: gpsd prints only whole ones (without -s)
        elif not isinstance(rec, printed):
            return None
        return report_line(rec, device)

    return line_of


class ReportLines:
    """Push chunks of a capture, get the gpsd JSON lines ``main.py decode`` prints (each with its newline).

    The same text whichever path decodes the NMEA lines: the compiled one (`devices.nmea.native`, used
    when it is built and ``native`` is not False) or `ReportStream` in Python. The compiled NMEA decoder
    (which loads the NMEA side's tables) is made at the first chunk holding a ``$``: before it no line can
    be NMEA, and an AIS feed never needs it. What `ReportStream`'s framer holds then (an unfinished line,
    or the rest of one too long) passes to it, and its counts are added to the compiled decoder's.

    :param device: the ``device`` member of every report (None: no member).
    """

    def __init__(self, source: str, device: str | None, *, require_checksum: bool = True, rollover: bool = False,
                 max_line: int = 4096, native: bool = True) -> None:
        self.stream = ReportStream(source, require_checksum=require_checksum, rollover=rollover, max_line=max_line)
        self.device = device
        self._printed = 0  # lines written by Python and the compiled AIS decoder (all without the NMEA one)
        self._line_of = _Printer(device)
        self._head = json_head(device)
        self._mod = cnmea() if native else None
        self._args = (None if device is None else '"device":' + json.dumps(device), rollover, max_line)
        self._c: Any = None  # the compiled NMEA decoder, from the first chunk holding a '$'

    @property
    def native(self) -> bool:
        """True when the compiled decoder takes the NMEA lines."""
        return self._mod is not None

    def feed(self, chunk: bytes) -> str:
        """Bytes in: the lines of the reports of every line they complete ("" for none)."""
        if self._c is None:
            rest = None if self._mod is None or b"$" not in chunk else self._hand_over(chunk)
            if rest is None:
                return self._joined(self.stream.feed_text(chunk, self._line_of, self._head))
            chunk = rest
        return self._merge(self._c.feed(chunk))

    def _hand_over(self, chunk: bytes) -> bytes | None:
        """Make the compiled NMEA decoder; what the Python framer holds goes before ``chunk``."""
        f = self.stream.framer
        if f._skipping:  # inside a line too long (counted): the rest of it is dropped, as the framer would
            cut = min((i for i in (chunk.find(b"\r"), chunk.find(b"\n")) if i >= 0), default=-1)
            if cut < 0:
                return None  # the whole chunk is that line's: the framer drops it (the decoder comes later)
            f._skipping = False
            chunk = chunk[cut:]
        chunk, f._buf = f._buf + chunk, b""
        self._c = self._mod.Decoder(*self._args)  # type: ignore[union-attr]
        return chunk

    def close(self) -> str:
        """End of input: the last line without line ending, then the last cycle's report."""
        if self._c is None:
            return self._joined(self.stream.close_text(self._line_of, self._head))
        return self._merge(self._c.close())

    def _joined(self, texts: tuple[list[str], int]) -> str:
        self._printed += texts[1]
        return "".join(texts[0])

    def _merge(self, items: list[str | bytes]) -> str:
        if len(items) == 1 and isinstance(items[0], str):
            return items[0]
        parts: list[str] = []
        others: list[str] = []  # the lines between two NMEA texts: AIS (a run of them at once), gpsd JSON...
        for item in items:
            if isinstance(item, str):
                if others:
                    parts.append(self._joined(self.stream.lines_text(others, self._line_of, self._head)))
                    others = []
                parts.append(item)
            else:
                others.append(item.decode("ascii", "replace"))
        if others:
            parts.append(self._joined(self.stream.lines_text(others, self._line_of, self._head)))
        return "".join(parts)

    @property
    def printed(self) -> int:
        """Reports written so far."""
        return self._printed + (self._c.counters()["reports"] if self._c is not None else 0)

    @property
    def counters(self) -> ReportCounters:
        if self._c is None:
            return self.stream.counters
        c = self._c.counters()
        s = self.stream
        d = s.counters  # the Python side saw only the lines that are not NMEA (and framed those before the first '$')
        return ReportCounters(
            lines=c["lines"] + d.lines,
            sentences=d.sentences + c["sentences"],
            checksum_errors=d.checksum_errors + c["checksum_errors"],
            unknown=d.unknown + c["unknown"],
            malformed=d.malformed + c["malformed"],
            too_long=c["too_long"] + d.too_long,
            garbage=c["garbage"] + d.garbage,
            ais_incomplete=d.ais_incomplete,
        )

    @property
    def app_fallbacks(self) -> int:
        return self.stream.app_fallbacks
