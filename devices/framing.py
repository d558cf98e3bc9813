"""Bytes to lines to records, for any feed that mixes NMEA, AIS and gpsd JSON.

`devices.lines.LineFramer` cuts a byte stream into text lines. `Decoder` sends each line to the right
protocol decoder (``$`` NMEA, ``!AIVDM``/``!AIVDO`` AIS, ``{`` gpsd JSON) and applies pynmea2's error policy: ``errors='raise'`` lets the
DeviceError out (tests, replay), ``'yield'`` returns it among the records, ``'ignore'``
drops it; every error is counted either way. `DecodeStream` joins the two.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

from devices.ais.decoder import AisDecoder
from devices.errors import (
    ChecksumError,
    DeviceError,
    LineTooLongError,
    MalformedSentenceError,
    UnknownSentenceError,
    count,
)
from devices.gpsd import GpsdDecoder
from devices.lines import LineFramer
from devices.nmea.decoder import DECODERS, NmeaDecoder
from devices.nmea.fast import (
    check_end,
    fast_position,
    gga_fix,
    gga_values,
    merged_fix,
    pair_fix,
    rmc_fix,
    rmc_values,
    scan_batch,
)
from devices.records import Record

Errors = Literal["raise", "yield", "ignore"]
# NMEA sentences decoded even on the hot path (decode_batch full=False): a position (GLL, GNS), the
# date GGA/GLL times need (ZDA), a heading (HDT).
_ALWAYS = frozenset({"GLL", "GNS", "ZDA", "HDT"})
_SKIPPABLE = frozenset(DECODERS) - _ALWAYS - {"RMC", "GGA"}  # VTG, GSA, GSV: counted, not parsed


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
        try:
            records = self._decode_one(line)
        except DeviceError as exc:
            self._count(exc)
            if self.errors == "raise":
                raise
            return [exc] if self.errors == "yield" else []
        c = self.counters
        c.sentences += 1
        c.records += len(records)
        return records  # type: ignore[return-value]

    def _decode_one(self, line: str) -> list[Record]:
        c = self.counters
        first = line[:1]
        if first == "$":
            c.by_kind["nmea"] += 1
            kind = line[3:6]
            if self.fast and (kind == "RMC" or kind == "GGA") and line[1] != "P":
                self.nmea.counters.sentences += 1
                fix = fast_position(line, self.source, self.nmea.state)
                self.nmea.counters.by_type[kind] += 1
                return [fix] if fix is not None else []
            return self.nmea.decode(line)
        if first == "!" or first == "\\":
            c.by_kind["ais"] += 1
            before = self.ais.incomplete
            records = list(self.ais.decode(line))
            c.ais_incomplete += self.ais.incomplete - before
            return records
        if first == "{":
            c.by_kind["gpsd"] += 1
            return self.gpsd.decode(line)
        raise MalformedSentenceError("not a sentence", line)

    def decode_batch(
        self, lines: Sequence[str], *, full: bool = True, merge: bool = False, ok: Sequence[bool] | None = None,
    ) -> tuple[list[Record], list[tuple[int, DeviceError]]]:
        """Decode many lines in one call: the records, and each bad line's index with its error.

        What the feed multiplexer calls on every batch it drains. With ``full=True`` and
        ``merge=False`` the records are exactly those of `decode_line` line by line, and the
        errors those it would raise; every error is counted either way (``errors`` does not
        apply: a batch never raises for a bad line).

        ``full=False`` is the hot path: every sentence's checksum is still verified and
        counted, RMC/GGA are parsed, GLL/ZDA/HDT, AIS and gpsd lines decoded, but the
        sentences no consumer of a feed uses (GSA, GSV, VTG, TXT, ...) are only counted
        (by type; an unknown type counts as unknown) and not parsed: no SkyReport comes out.
        The device bench asks for ``full=True`` while an engineer watches it.

        ``merge=True`` turns the RMC and the GGA of one epoch (same talker, same time of day, no
        other position sentence between them) into one Fix (`devices.nmea.fast.merged_fix`,
        ``sentence="RMC+GGA"``), placed where the second of the two was; an unpaired one stays
        as it is. Equal to `merge_fixes` applied to the unmerged records. When the two follow each
        other among the lines that need decoding, `devices.nmea.fast.pair_fix` parses them as one
        (shared time and coordinates parsed once); in any unusual case it declines and they go
        through the sentence-by-sentence path, which sets the errors and the state.

        ``ok``: `checksum_flags` of ``lines``, when the caller computed them over a larger batch.
        """
        if not self.fast:
            return self._decode_each(lines)
        rest: Iterable[int] | None = None
        skipped: dict[str, int] = {}
        if ok is None:
            ok, rest, skipped = scan_batch(lines, () if full else _SKIPPABLE)
        c = self.counters
        nc = self.nmea.counters
        state = self.nmea.state
        source = self.source
        records: list[Record] = []
        errors: list[tuple[int, DeviceError]] = []
        append = records.append
        n_skipped = sum(skipped.values())
        n_nmea = n_good = n_skipped
        n_rmc = n_gga = n_other_records = n_pairs = 0
        pend_kind = ""
        pend_vals: Any = None
        pend_time = pend_talker = ""
        pend_f: list[str] = []
        order: Sequence[int] = range(len(lines)) if rest is None else rest
        last = len(order) - 1
        paired = -1  # index of the second line of a pair already decoded with the first
        for k, i in enumerate(order):
            if i == paired:
                continue
            line = lines[i]
            if line[:1] == "$":
                kind = line[3:6]
                if (kind == "RMC" or kind == "GGA") and line[1] != "P":
                    if merge and pend_vals is None and k < last and ok[i] and line[6:7] == ",":
                        # this epoch's other position sentence next (no line to decode between them)?
                        j = order[k + 1]
                        nxt = lines[j]
                        if (nxt[1:3] == line[1:3] and nxt[3:6] == ("GGA" if kind == "RMC" else "RMC") and ok[j]
                                and nxt[:1] == "$" and nxt[6:7] == ","):
                            f = line[7:-3].split(",", 9)
                            f2 = nxt[7:-3].split(",", 9)
                            fix = (pair_fix(f2, f, state, source, line[1:3]) if kind == "RMC"
                                   else pair_fix(f, f2, state, source, line[1:3]))
                            if fix is not None:
                                append(fix)
                                n_pairs += 1
                                paired = j
                                continue
                    n_nmea += 1
                    try:
                        if ok[i]:
                            end = len(line) - 3
                        else:
                            line, end = check_end(line, state)
                        if line[6:7] != ",":
                            raise MalformedSentenceError("no field separator after the sentence type", line)
                        f = line[7:end].split(",", 9)
                        known = None
                        if pend_vals is not None and pend_kind != kind and pend_time == f[0]:
                            # the other sentence of this epoch already parsed the same coordinate text
                            pf = pend_f
                            if kind == "RMC":
                                if f[2] == pf[1] and f[3] == pf[2] and f[4] == pf[3] and f[5] == pf[4]:
                                    known = (pend_vals[1], pend_vals[2])
                            elif f[1] == pf[2] and f[2] == pf[3] and f[3] == pf[4] and f[4] == pf[5]:
                                known = (pend_vals[1], pend_vals[2])
                        try:
                            vals = (rmc_values(f, state, known) if kind == "RMC"
                                    else gga_values(f, state, known))
                        except (ValueError, IndexError) as exc:
                            raise MalformedSentenceError(f"{kind}: {exc}", line) from None
                    except DeviceError as exc:
                        self._count(exc)
                        errors.append((i, exc))
                        continue
                    n_good += 1
                    if kind == "RMC":
                        n_rmc += 1
                    else:
                        n_gga += 1
                    if vals is None:
                        continue
                    talker = line[1:3]
                    if not merge:
                        append(rmc_fix(vals, source, talker) if kind == "RMC" else gga_fix(vals, source, talker))
                        continue
                    if pend_vals is not None:
                        if pend_kind != kind and pend_talker == talker and (
                                pend_time == f[0] or round(pend_vals[0] % 86400, 6) == round(vals[0] % 86400, 6)):
                            # one epoch: the same time of day, however written ("000000" and "000000.00")
                            append(merged_fix(vals, pend_vals, source, talker) if kind == "RMC"
                                   else merged_fix(pend_vals, vals, source, talker))
                            pend_vals = None
                            continue
                        append(rmc_fix(pend_vals, source, pend_talker) if pend_kind == "RMC"
                               else gga_fix(pend_vals, source, pend_talker))
                    pend_kind, pend_vals, pend_time, pend_talker, pend_f = kind, vals, f[0], talker, f
                    continue
                if not full and kind not in _ALWAYS:
                    n_nmea += 1
                    try:
                        if not ok[i]:
                            line, _end = check_end(line, state)
                        if kind not in DECODERS or line[1] == "P" or line[6:7] != ",":
                            raise UnknownSentenceError(f"sentence type {kind or '?'} not decoded", line)
                    except DeviceError as exc:
                        self._count(exc)
                        if isinstance(exc, ChecksumError):
                            nc.checksum_errors += 1
                        else:
                            nc.unknown += 1
                        errors.append((i, exc))
                        continue
                    n_good += 1
                    skipped[kind] = skipped.get(kind, 0) + 1
                    continue
            # everything else, one line at a time through the complete decoders
            try:
                got = self._decode_one(line)
            except DeviceError as exc:
                self._count(exc)
                errors.append((i, exc))
                continue
            c.sentences += 1
            c.records += len(got)
            n_other_records += len(got)
            records.extend(got)
        if pend_vals is not None:
            append(rmc_fix(pend_vals, source, pend_talker) if pend_kind == "RMC"
                   else gga_fix(pend_vals, source, pend_talker))
        if n_pairs:
            n_nmea += 2 * n_pairs
            n_good += 2 * n_pairs
            n_rmc += n_pairs
            n_gga += n_pairs
        if n_nmea:
            c.by_kind["nmea"] += n_nmea
            nc.sentences += n_nmea
            c.sentences += n_good
            c.records += len(records) - n_other_records
            by_type = nc.by_type
            if n_rmc:
                by_type["RMC"] += n_rmc
            if n_gga:
                by_type["GGA"] += n_gga
            for kind, n in skipped.items():
                by_type[kind] += n
        return records, errors

    def _decode_each(self, lines: Sequence[str]) -> tuple[list[Record], list[tuple[int, DeviceError]]]:
        records: list[Record] = []
        errors: list[tuple[int, DeviceError]] = []
        c = self.counters
        for i, line in enumerate(lines):
            try:
                got = self._decode_one(line)
            except DeviceError as exc:
                self._count(exc)
                errors.append((i, exc))
                continue
            c.sentences += 1
            c.records += len(got)
            records.extend(got)
        return records, errors

    def _count(self, exc: DeviceError) -> None:
        count(self.counters, exc)


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
