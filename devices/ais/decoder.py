"""AIS sentences to `AisReport`s carrying gpsd's scaled AIS JSON (``gpsdecode``'s output).

pyais parses the sentences and joins the fragments of multi-sentence messages into one
payload; `devices.ais.gpsd` renders the payload bits as gpsd does (names, units, "not
available" values, legends). Single-sentence messages, nearly all the traffic of a
receiver, skip pyais's sentence objects: `devices.ais.fast` reads the sentence and the
payload directly and gives the same payload bits (the tests hold both paths equal). When the
compiled decoder is built (`devices.ais.native`, `devices/ais/_cais.c`), it does all of that for the
common types and hands the rest to the same Python tables; ``CONSOLE_PURE_PYTHON=1`` switches it off.

What real receivers and feeds send, handled here: an NMEA 4 tag block before the
sentence (``\\s:station,c:time*hh\\!AIVDM...``), any talker (``!AIVDM``, ``!BSVDM``,
``!ABVDM`` ...), ``!AIVDO`` (own ship), an empty channel or ``1``/``2`` for ``A``/``B``,
a lower-case checksum, anything after the checksum (``*hh,1732620000`` time stamps, USCG
``,s...,d...`` fields), fill bits. Fragments of a multi-sentence message are joined per
(channel, sequence id), so messages interleaved on both channels or with different
sequence ids on one channel are all kept; a fragment out of order, or a message whose
fragments stop coming, is dropped and counted (`incomplete`).

The ``fields`` of a report are gpsd's members after ``class``/``device``. The typed
attributes (lat, lon, speed, course, heading) are None when the value is "not
available" or out of range, so a consumer never plots a ship at 91N.

Type 24 comes in two parts. Each part A (name) is reported as it arrives, with
``"part": "A"``, and kept per channel (8 ships, as gpsd); a part B that finds its ship's
part A on the same channel is reported as the whole message (name and static data, no
``part``), otherwise with ``"part": "B"``. That is ``gpsdecode -s``; plain ``gpsdecode``
prints only the whole messages (`AisReport` with a ``part`` field: skip it to match).
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devices.ais import fast, native
from devices.ais.assembler import AisAssembler
from devices.ais.bits import Bits
from devices.ais.gpsd import RenderError, merge24, render
from devices.errors import REFUSED, MalformedSentenceError, UnknownSentenceError, count
from devices.records import AisReport

_TYPE24_SLOTS = 8  # part A names kept per channel, as gpsd does


@dataclass
class AisCounters:
    sentences: int = 0  # lines offered
    messages: int = 0  # complete messages decoded
    checksum_errors: int = 0
    unknown: int = 0
    malformed: int = 0
    app_fallbacks: int = 0  # type 6/8 payloads of a known application left raw because its table failed
    by_type: Counter[int] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "sentences": self.sentences,
            "messages": self.messages,
            "checksum_errors": self.checksum_errors,
            "unknown": self.unknown,
            "malformed": self.malformed,
            "app_fallbacks": self.app_fallbacks,
            "by_type": dict(self.by_type),
        }


def gpsd_fields(value: int, nbits: int) -> dict[str, object]:
    """A whole payload (as one integer of ``nbits`` bits) in gpsd's scaled AIS JSON vocabulary."""
    return render(value, nbits)


class AisDecoder:
    """Decode the AIS sentences of one receiver into AisReports.

    ``fast=False`` sends single-sentence messages through pyais's sentence parser too (the
    reference the fast path is tested against).

    The compiled decoder (`devices.ais.native`) does the work when it is built, unless ``native=False``,
    ``CONSOLE_PURE_PYTHON=1`` or ``fast=False``, or an own ``assembler`` is given (a test's clock):
    then all of it runs in Python. ``native=True`` insists on the compiled one; ``compiled`` is one
    already made (`devices.ais.native.new_decoder`) to share. Same reports either way.
    """

    def __init__(
        self,
        source: str,
        *,
        require_checksum: bool = True,
        clock: Callable[[], float] = time.time,
        assembler: AisAssembler | None = None,
        fast: bool = True,
        native: bool | None = None,
        compiled: Any = None,
    ) -> None:
        self.source = source
        self.require_checksum = require_checksum
        self.clock = clock
        self._counters = AisCounters()  # all of them in Python; in the compiled path, what Python renders
        self.fast = fast
        self._c = None
        if compiled is not None:  # a stream's compiled decoder, shared (devices.report_stream)
            self._c = compiled
        elif native is not False and fast and assembler is None:
            self._c = _native(require_checksum, native)
        self.assembler: AisAssembler | NativeAssembler = (
            assembler if assembler is not None else AisAssembler() if self._c is None else NativeAssembler(self._c))
        # per channel (A, B): [mmsi, part A fields] slots and the next slot to fill
        self._type24: tuple[list[tuple[int, dict[str, object]] | None], list[tuple[int, dict[str, object]] | None]] = (
            [None] * _TYPE24_SLOTS, [None] * _TYPE24_SLOTS)
        self._type24_next = [0, 0]

    @property
    def native(self) -> bool:
        """True when the compiled decoder does the work."""
        return self._c is not None

    @property
    def counters(self) -> AisCounters:
        """What the decoder has seen (in the compiled path, a copy made now)."""
        if self._c is None:
            return self._counters
        sentences, messages, checksum, unknown, malformed, _incomplete, by_type = self._c.counts()
        p = self._counters
        return AisCounters(sentences, messages + p.messages, checksum + p.checksum_errors, unknown + p.unknown,
                           malformed + p.malformed, p.app_fallbacks, Counter(by_type) + p.by_type)

    @property
    def incomplete(self) -> int:
        """Multipart messages dropped with fragments missing."""
        return self.assembler.incomplete

    def line_of_payload(self, value: int, nbits: int, channel: int,
                        line_of: Callable[[AisReport], str | None]) -> str | None:
        """A whole payload the compiled decoder leaves to Python, as `main.py decode` prints it (``line_of``),
        or None (a lone type 24 half, not printed). Refused payloads raise, for the compiled decoder to count."""
        [r] = self._report(value, nbits, channel, "")
        return None if "part" in r.fields else line_of(r)

    def decode(self, line: str) -> list[AisReport]:
        """Decode one sentence; a fragment of a multipart message returns [] until complete.

        :raises ChecksumError: bad or (while required) missing checksum.
        :raises UnknownSentenceError: not VDM/VDO, or an AIS message type gpsd does not report.
        :raises MalformedSentenceError: a sentence or payload that does not parse, or a payload
            of a length gpsd refuses for its type.
        """
        cdec = self._c
        if cdec is not None:
            f = cdec.decode(line)  # refused lines raise, counted
            if f is None:
                return []
            if type(f) is tuple:  # a payload it leaves to Python: (value, nbits, channel)
                try:
                    return self._report(f[0], f[1], f[2], line)
                except REFUSED as exc:
                    count(self._counters, exc)
                    raise
            return [report(f, self.clock(), self.source)]
        c = self._counters
        c.sentences += 1
        if self.fast:
            f = fast.single(line)
            if f is not None:  # a position report: the typed attributes as `report` sets them
                mtype: int = f["type"]  # type: ignore[assignment]
                c.messages += 1
                c.by_type[mtype] += 1
                lat: float | None = f["lat"]  # type: ignore[assignment]
                lon: float | None = f["lon"]  # type: ignore[assignment]
                if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # type: ignore[operator]
                    lat = lon = None
                speed = f["speed"]
                course: float = f["course"]  # type: ignore[assignment]
                heading: int = f["heading"]  # type: ignore[assignment]
                return [_new_report(mtype, f["mmsi"], self.clock(), lat, lon,
                                    speed if type(speed) is float and speed < 102.3 else None,
                                    course if course < 360.0 else None, float(heading) if heading < 360 else None,
                                    None, f, self.source)]
        try:
            s = fast.parse(line, self.require_checksum)
            if s.fragments == 1 and self.fast:
                value, nbits = fast.payload_bits(s.payload, s.fill)
                return self._report(value, nbits, s.channel, line)
            return self._decode_pyais(s, line)
        except REFUSED as exc:
            count(c, exc)
            raise

    def _decode_pyais(self, s: fast.Sentence, line: str) -> list[AisReport]:
        from pyais.exceptions import AISBaseException  # only this path needs pyais (slow to import)
        from pyais.messages import AISSentence

        try:
            sentence = AISSentence(s.normalized().encode("ascii"))
        except (AISBaseException, ValueError) as exc:
            raise MalformedSentenceError(f"AIS: {exc}", line) from None
        assert isinstance(self.assembler, AisAssembler)  # the Python path has its own
        whole = self.assembler.push(sentence, s.channel)
        if whole is None:
            return []
        bv = whole.bv
        nbits = bv._length  # len() refuses a negative one: more fill bits than the fragments' payload
        if nbits < 0:
            raise MalformedSentenceError("AIS: more fill bits than payload bits", line)
        return self._report(bv._value, nbits, s.channel, line)

    def _report(self, value: int, nbits: int, channel: int, line: str) -> list[AisReport]:
        try:
            fields = render(value, nbits)
        except RenderError as exc:
            if str(exc).startswith("AIS message type"):
                raise UnknownSentenceError(f"AIS: {exc}", line) from None
            raise MalformedSentenceError(f"AIS: {exc}", line) from None
        mtype: int = fields["type"]  # type: ignore[assignment]
        c = self._counters
        if mtype == 24:
            fields = self._type24_pair(fields, channel)
        elif (mtype == 6 or mtype == 8) and "data" in fields and _apps().find(
                mtype, fields["dac"], fields["fid"], Bits(value, nbits)) is not None:  # type: ignore[arg-type]
            c.app_fallbacks += 1
        c.messages += 1
        c.by_type[mtype] += 1
        return [report(fields, self.clock(), self.source,
                       tenth_minute_position(mtype, value, nbits) if mtype == 17 or mtype == 27 else None)]

    def _type24_pair(self, fields: dict[str, object], channel: int) -> dict[str, object]:
        slots = self._type24[channel]
        mmsi: int = fields["mmsi"]  # type: ignore[assignment]
        if fields["part"] == "A":
            k = self._type24_next[channel]
            slots[k] = (mmsi, fields)
            self._type24_next[channel] = (k + 1) % _TYPE24_SLOTS
            return fields
        for k, slot in enumerate(slots):
            if slot is not None and slot[0] == mmsi:
                slots[k] = None
                return merge24(slot[1], fields)
        return fields


def _apps() -> Any:
    from devices.ais import apps  # imported by the first type 6 or 8 (as devices.ais.gpsd does)

    return apps


class NativeAssembler:
    """The compiled decoder's fragment buffer, seen as an `AisAssembler` (its size, its losses, expiry)."""

    def __init__(self, cdec: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self._c = cdec
        self.clock = clock

    def __len__(self) -> int:
        return self._c.pending  # type: ignore[no-any-return]

    @property
    def incomplete(self) -> int:
        return self._c.incomplete  # type: ignore[no-any-return]

    def expire(self, now: float | None = None) -> int:
        """Drop partial messages older than the timeout; return how many."""
        return self._c.expire(now)  # type: ignore[no-any-return]


def _native(require_checksum: bool, insist: bool | None) -> Any:
    if insist:
        if not native.available():
            raise RuntimeError("the compiled AIS decoder (devices.ais._cais) is not built")
        enabled, native.ENABLED = native.ENABLED, True
        try:
            return native.new_decoder(require_checksum)
        finally:
            native.ENABLED = enabled
    return native.new_decoder(require_checksum)


def tenth_minute_position(mtype: int, value: int, nbits: int) -> tuple[float, float]:
    """(lat, lon) in degrees of a type 17 or 27 payload, to the 1/10 minute it is sent in.

    gpsd's JSON prints these two to 0.1 degree (``%.1f``, up to 6 km off), and so do the report's
    fields; the typed attributes, which the console plots, keep the resolution of the message.
    """
    p = Bits(value, nbits)
    at = 40 if mtype == 17 else 44
    return round(p.i(at + 18, 17) / 600.0, 6), round(p.i(at, 18) / 600.0, 6)


def report(fields: dict[str, object], now: float, source: str,
           position: tuple[float, float] | None = None) -> AisReport:
    """An AisReport of gpsd fields, with the typed attributes set when the values are available.

    ``position``: (lat, lon) finer than the fields' (`tenth_minute_position`) for the typed attributes.
    """
    g = fields.get
    mtype: int = fields["type"]  # type: ignore[assignment]
    lat, lon = position if position is not None else (g("lat"), g("lon"))
    if type(lat) is not float or type(lon) is not float or not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        lat = lon = None
    speed = g("speed")
    if type(speed) is int:  # types 9 and 27: whole knots, the top value "not available"
        speed = None if speed == (63 if mtype == 27 else 1023) else float(speed)
    elif type(speed) is not float or speed >= 102.3:  # or "nan"/"fast"
        speed = None
    course = g("course")
    if type(course) is int:  # type 27: whole degrees
        course = float(course) if course < 360 else None
    elif type(course) is not float or course >= 360.0:
        course = None
    heading = g("heading")
    heading = float(heading) if type(heading) is int and heading < 360 else None
    name = g("shipname") if mtype != 21 else g("name")
    return _new_report(mtype, fields["mmsi"], now, lat, lon, speed, course, heading, name or None, fields, source)


_REPORT_FIELDS = ("msg_type", "mmsi", "time", "lat", "lon", "speed", "course", "heading", "shipname", "fields", "source")
assert tuple(f.name for f in dataclasses.fields(AisReport)) == _REPORT_FIELDS, "update devices.ais.decoder.report"
(_s_type, _s_mmsi, _s_time, _s_lat, _s_lon, _s_speed, _s_course, _s_heading, _s_name, _s_fields,
 _s_source) = (getattr(AisReport, _name).__set__ for _name in _REPORT_FIELDS)
_object_new = object.__new__


def _new_report(mtype: int, mmsi: object, now: float, lat: float | None, lon: float | None, speed: float | None,
                course: float | None, heading: float | None, name: object, fields: dict[str, object],
                source: str) -> AisReport:
    """`AisReport(...)` without the frozen dataclass's per-field ``object.__setattr__`` (the same object)."""
    r = _object_new(AisReport)
    _s_type(r, mtype)
    _s_mmsi(r, mmsi)
    _s_time(r, now)
    _s_lat(r, lat)
    _s_lon(r, lon)
    _s_speed(r, speed)
    _s_course(r, course)
    _s_heading(r, heading)
    _s_name(r, name)
    _s_fields(r, fields)
    _s_source(r, source)
    return r


__all__ = ["AisCounters", "AisDecoder", "NativeAssembler", "gpsd_fields", "report", "tenth_minute_position"]
