"""A capture's bytes in, gpsd's reports out: what ``main.py decode`` prints.

NMEA sentences (``$``) go through `devices.nmea.cycle.EpochAssembler`: one `TpvReport` per
reporting cycle and a `SkyView` per satellite group, as gpsd reports them. AIS (``!``, ``\\``)
lines go through `devices.ais.decoder.AisDecoder` and gpsd JSON (``{``) lines through
`devices.gpsd.GpsdDecoder`, as the feeds decode them, and come out as they decode (`AisReport`,
`Fix`...). Bad lines are counted, never raised. The AIS and gpsd decoders are made (and imported)
at the first line that needs them: a receiver's NMEA log loads neither.

`ReportLines` is the same as text: the gpsd JSON lines ``main.py decode`` prints. Its NMEA lines go
through the compiled decoder (`devices.nmea.native`) when there is one, the rest through `ReportStream`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from devices.errors import DeviceError, MalformedSentenceError, count
from devices.gpsd_json import report_line
from devices.lines import LineFramer
from devices.nmea.cycle import EpochAssembler
from devices.nmea.native import cnmea
from devices.records import AisReport, Fix, HeadingReport, Record, SkyReport, SkyView, TpvReport

if TYPE_CHECKING:
    from devices.ais.decoder import AisDecoder
    from devices.gpsd import GpsdDecoder


@dataclass
class ReportCounters:
    """What a stream has seen, for the summary line."""

    lines: int = 0
    sentences: int = 0
    checksum_errors: int = 0
    unknown: int = 0
    malformed: int = 0
    too_long: int = 0
    garbage: int = 0
    ais_incomplete: int = 0


@dataclass
class _OtherCounters:
    """AIS, gpsd JSON and unrecognised lines (NMEA ones are the assembler's)."""

    sentences: int = 0
    checksum_errors: int = 0
    unknown: int = 0
    malformed: int = 0


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
        self.nmea = EpochAssembler(source, rollover=rollover)
        self.ais: AisDecoder | None = None  # made at the first AIS line
        self.gpsd: GpsdDecoder | None = None  # made at the first gpsd JSON line
        self._other = _OtherCounters()

    def feed(self, chunk: bytes) -> list[Record]:
        """Bytes in: the reports of every line they complete."""
        return self._lines(self.framer.feed(chunk))

    def close(self) -> list[Record]:
        """End of input: a last line without line ending, then the last cycle's report."""
        out = self._lines(self.framer.flush())
        out.extend(self.nmea.flush())
        return out

    def _lines(self, lines: list[str]) -> list[Record]:
        out: list[Record] = []
        nmea = self.nmea.feed
        for line in lines:
            if line[:1] == "$":
                try:
                    out.extend(nmea(line))
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
            ais = self.ais
            if ais is None:
                from devices.ais.decoder import AisDecoder

                ais = self.ais = AisDecoder(self.source, require_checksum=self.require_checksum)
            return ais.decode(line)  # type: ignore[return-value]
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
        n = self.nmea.counters
        return ReportCounters(
            lines=self.framer.lines,
            sentences=d.sentences + n.sentences,
            checksum_errors=d.checksum_errors + n.checksum_errors,
            unknown=d.unknown + n.unknown,
            malformed=d.malformed + n.malformed,
            too_long=self.framer.too_long,
            garbage=self.framer.garbage,
            ais_incomplete=self.ais.incomplete if self.ais is not None else 0,
        )


_PRINTED = (TpvReport, SkyView, AisReport, HeadingReport, Fix, SkyReport)


def is_printed(rec: Record) -> bool:
    """Whether ``main.py decode`` prints the record (gpsd prints a type 24 only whole, without -s)."""
    if isinstance(rec, AisReport):
        return "part" not in rec.fields
    return isinstance(rec, _PRINTED)


class ReportLines:
    """Push chunks of a capture, get the gpsd JSON lines ``main.py decode`` prints (each with its newline).

    The same text whichever path decodes the NMEA lines: the compiled one (`devices.nmea.native`, used
    when it is built and ``native`` is not False) or `ReportStream` in Python.

    :param device: the ``device`` member of every report (None: no member).
    """

    def __init__(self, source: str, device: str | None, *, require_checksum: bool = True, rollover: bool = False,
                 max_line: int = 4096, native: bool = True) -> None:
        self.stream = ReportStream(source, require_checksum=require_checksum, rollover=rollover, max_line=max_line)
        self.device = device
        self._printed = 0  # lines written by Python (all of them without the compiled decoder)
        mod = cnmea() if native else None
        member = None if device is None else '"device":' + json.dumps(device)
        self._c = mod.Decoder(member, rollover, max_line) if mod is not None else None

    @property
    def native(self) -> bool:
        """True when the compiled decoder takes the NMEA lines."""
        return self._c is not None

    def feed(self, chunk: bytes) -> str:
        """Bytes in: the lines of the reports of every line they complete ("" for none)."""
        if self._c is None:
            return self._text(self.stream.feed(chunk))
        return self._merge(self._c.feed(chunk))

    def close(self) -> str:
        """End of input: the last line without line ending, then the last cycle's report."""
        if self._c is None:
            return self._text(self.stream.close())
        return self._merge(self._c.close())

    def _text(self, records: list[Record]) -> str:
        device = self.device
        lines = [report_line(rec, device) for rec in records if is_printed(rec)]
        if not lines:
            return ""
        self._printed += len(lines)
        lines.append("")
        return "\n".join(lines)

    def _merge(self, items: list[str | bytes]) -> str:
        if len(items) == 1 and isinstance(items[0], str):
            return items[0]
        parts = []
        for item in items:
            if isinstance(item, str):
                parts.append(item)
            else:
                records: list[Record] = []
                self.stream.other(item.decode("ascii", "replace"), records)
                parts.append(self._text(records))
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
        d = s.counters  # the Python side saw only the lines that are not NMEA
        return ReportCounters(
            lines=c["lines"],
            sentences=d.sentences + c["sentences"],
            checksum_errors=d.checksum_errors + c["checksum_errors"],
            unknown=d.unknown + c["unknown"],
            malformed=d.malformed + c["malformed"],
            too_long=c["too_long"],
            garbage=c["garbage"],
            ais_incomplete=d.ais_incomplete,
        )

    @property
    def app_fallbacks(self) -> int:
        return self.stream.app_fallbacks
