"""A capture's bytes in, gpsd's reports out: what ``main.py decode`` prints.

NMEA sentences (``$``) go through `devices.nmea.cycle.EpochAssembler`: one `TpvReport` per
reporting cycle and a `SkyView` per satellite group, as gpsd reports them. AIS (``!``, ``\\``)
and gpsd JSON (``{``) lines go through the feed decoders (`devices.framing.Decoder`) and come
out as they decode (`AisReport`, `Fix`...). Bad lines are counted, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.errors import DeviceError
from devices.framing import Decoder, LineFramer
from devices.nmea.cycle import EpochAssembler
from devices.records import Record


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
        self.framer = LineFramer(max_line)
        self.decoder = Decoder(source, errors="ignore", require_checksum=require_checksum)
        self.nmea = EpochAssembler(source, rollover=rollover)

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
        other = self.decoder.decode_line
        for line in lines:
            if line[:1] == "$":
                try:
                    out.extend(nmea(line))
                except DeviceError:
                    continue  # counted by the assembler
            else:
                out.extend(r for r in other(line) if not isinstance(r, DeviceError))
        return out

    @property
    def counters(self) -> ReportCounters:
        d = self.decoder.counters
        n = self.nmea.counters
        return ReportCounters(
            lines=self.framer.lines,
            sentences=d.sentences + n.sentences,
            checksum_errors=d.checksum_errors + n.checksum_errors,
            unknown=d.unknown + n.unknown,
            malformed=d.malformed + n.malformed,
            too_long=self.framer.too_long,
            garbage=self.framer.garbage,
            ais_incomplete=d.ais_incomplete,
        )
