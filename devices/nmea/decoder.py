"""The complete NMEA 0183 decoder, built on pynmea2.

pynmea2 splits the sentence and converts fields; this module turns its sentence objects
into our records and keeps the per-stream state they need: the date for GGA/GLL, the
GSV group being assembled and the PRNs the last GSA cycle used.

One small ``decode_<type>`` function per sentence type, picked by an explicit registry
(`DECODERS`), for every talker (GP, GN, GL, GA, BD, GB and any other two letters).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time as dt_time

import pynmea2  # type: ignore[import-untyped]

from devices.checksum import check, split
from devices.errors import REFUSED, ChecksumError, MalformedSentenceError, UnknownSentenceError, count
from devices.nmea.fast import KNOT
from devices.nmea.state import StreamState
from devices.records import Fix, HeadingReport, Record, Satellite, SkyReport, TimeReport


@dataclass
class NmeaCounters:
    """What a decoder has seen, for the engineer's bench."""

    sentences: int = 0  # lines offered
    checksum_errors: int = 0
    unknown: int = 0
    malformed: int = 0
    by_type: Counter[str] = field(default_factory=Counter)  # "RMC" -> count of good ones

    def as_dict(self) -> dict[str, object]:
        return {
            "sentences": self.sentences,
            "checksum_errors": self.checksum_errors,
            "unknown": self.unknown,
            "malformed": self.malformed,
            "by_type": dict(self.by_type),
        }


@dataclass
class _GsvGroup:
    total: int
    next_num: int
    sats: list[tuple[int, float | None, float | None, float | None]]  # prn, elevation, azimuth, snr


class NmeaDecoder:
    """Decode NMEA 0183 lines from one stream into records.

    >>> NmeaDecoder("gps0").decode("$GPHDT,274.07,T*03")
    [HeadingReport(source='gps0', heading=274.07, time=None, talker='GP')]
    """

    def __init__(
        self,
        source: str,
        *,
        require_checksum: bool = True,
        clock: Callable[[], float] = time.time,
        state: StreamState | None = None,
    ) -> None:
        self.source = source
        self.state = state if state is not None else StreamState(clock, require_checksum)
        self.counters = NmeaCounters()
        self._gsv: dict[str, _GsvGroup] = {}
        self._used: set[int] = set()  # PRNs used by the current GSA cycle
        self._last_was_gsa = False
        self._dop: tuple[float | None, float | None, float | None, int | None] = (None, None, None, None)

    @property
    def require_checksum(self) -> bool:
        return self.state.require_checksum

    def decode(self, line: str) -> list[Record]:
        """Decode one sentence (``$`` ... ``*hh``, line ending optional).

        :returns: zero or more records (no record for an invalid fix, VTG, an
            incomplete GSV group).
        :raises ChecksumError: wrong checksum, or none while checksums are required.
        :raises UnknownSentenceError: a well-formed sentence of a type we do not decode.
        :raises MalformedSentenceError: not a sentence, or fields that do not parse.
        """
        c = self.counters
        c.sentences += 1
        try:
            records = self._decode(line)
        except REFUSED as exc:
            count(c, exc)
            raise
        return records

    def _decode(self, line: str) -> list[Record]:
        line = line.strip()
        if not line.startswith("$") or len(line) < 6:
            raise MalformedSentenceError("not an NMEA sentence", line)
        body, given = split(line)
        if given is None:
            if self.state.require_checksum:
                raise ChecksumError("checksum missing", line)
        else:
            check(body, given, line)
        try:
            # checksum verified above: hand pynmea2 the body only, so it does not XOR again
            msg = pynmea2.parse("$" + body)
        except pynmea2.SentenceTypeError as exc:
            raise UnknownSentenceError(str(exc), line) from None
        except pynmea2.ParseError as exc:
            raise MalformedSentenceError(str(exc), line) from None
        kind = getattr(msg, "sentence_type", None)
        handler = DECODERS.get(kind) if isinstance(kind, str) else None
        if handler is None or not isinstance(msg, pynmea2.TalkerSentence):
            name = kind or getattr(msg, "manufacturer", "?")
            raise UnknownSentenceError(f"sentence type {name} not decoded", line)
        try:
            records = handler(self, msg)
        except (ValueError, TypeError, IndexError, AttributeError, ArithmeticError) as exc:
            raise MalformedSentenceError(f"{kind}: {exc}", line) from None
        self.counters.by_type[str(kind)] += 1
        if kind != "GSA":
            self._last_was_gsa = False
        return records

    # -- helpers ------------------------------------------------------------------------

    @staticmethod
    def _tod(msg: pynmea2.TalkerSentence) -> int | None:
        if not msg.data or not msg.data[0 if msg.sentence_type != "GLL" else 4]:
            return None
        t = msg.timestamp
        if not isinstance(t, dt_time):
            raise ValueError(f"bad time {t!r}")
        return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond

    @staticmethod
    def _latlon(msg: pynmea2.TalkerSentence) -> tuple[float, float]:
        if msg.lat_dir not in ("N", "S") or msg.lon_dir not in ("E", "W"):
            raise ValueError("bad hemisphere")
        lat, lon = msg.latitude, msg.longitude
        if abs(lat) > 90.0 or abs(lon) > 180.0:
            raise ValueError("coordinate out of range")
        return lat, lon

    @staticmethod
    def _float(msg: pynmea2.TalkerSentence, name: str) -> float | None:
        v = getattr(msg, name)
        if v is None or v == "":
            return None
        return float(v)

    # -- one function per sentence type -------------------------------------------------

    def decode_rmc(self, msg: pynmea2.TalkerSentence) -> list[Record]:
        state = self.state
        tod = self._tod(msg)
        day = None
        if msg.data[8:9] and msg.data[8]:
            d = msg.datestamp
            if not hasattr(d, "toordinal"):
                raise ValueError(f"bad date {d!r}")
            day = (d.toordinal() - 719163) * 86400
        t = state.set_date(day, tod) if tod is not None and day is not None else None
        if msg.status != "A" or not msg.lat or not msg.lon:
            return []
        if tod is None:
            raise ValueError("valid RMC without a time")
        lat, lon = self._latlon(msg)
        speed = self._float(msg, "spd_over_grnd")
        course = self._float(msg, "true_course")
        if t is None:
            t = state.resolve(tod)
        return [Fix(self.source, t, lat, lon, speed * KNOT if speed is not None else None, course,
                    mode=2, talker=msg.talker, sentence="RMC")]

    def decode_gga(self, msg: pynmea2.TalkerSentence) -> list[Record]:
        if len(msg.data) > 5 and not msg.data[5]:
            return []  # no quality indicator: the fix is not claimed valid (an all-empty GGA before a fix)
        quality = msg.gps_qual
        if not isinstance(quality, int):
            raise ValueError(f"bad fix quality {quality!r}")
        if quality == 0:
            return []
        return self._quality_fix(msg, quality, lambda: (
            int(msg.num_sats) if msg.num_sats else None, self._float(msg, "horizontal_dil"),
            self._float(msg, "altitude")))

    def _quality_fix(self, msg: pynmea2.TalkerSentence, quality: int,
                     rest: Callable[[], tuple[int | None, float | None, float | None]]) -> list[Record]:
        """The fix of a GGA or GNS that claims one (``quality``): its time, position and ``rest()`` (satellites,
        HDOP, altitude), read once the position is there."""
        tod = self._tod(msg)
        if tod is None:
            raise ValueError(f"{msg.sentence_type} without a time")
        if not msg.lat or not msg.lon:
            return []
        lat, lon = self._latlon(msg)
        sats, hdop, alt = rest()
        t = self.state.resolve(tod)
        return [Fix(self.source, t, lat, lon, alt=alt, mode=3 if alt is not None else 2, quality=quality,
                    hdop=hdop, sats=sats, talker=msg.talker, sentence=msg.sentence_type)]

    def decode_gns(self, msg: pynmea2.TalkerSentence) -> list[Record]:
        """GNS (NMEA 2.3 and 4.x multi-constellation receivers, often in GGA's place): a mode letter per
        constellation (the first one decides, as gpsd reads it: N no fix), satellites, HDOP, altitude; an NMEA
        4.10 navigational status of U (unsafe) or V (not valid) claims no fix."""
        d = msg.data
        letter = d[5][:1] if len(d) > 5 else ""
        if letter in ("", "N") or (len(d) > 12 and d[12][:1] in ("U", "V")):
            return []
        quality = _GNS_QUALITY.get(letter)
        if quality is None:
            raise ValueError(f"bad mode indicator {d[5]!r}")
        return self._quality_fix(msg, quality, lambda: (
            int(d[6]) if d[6] else None, float(d[7]) if d[7] else None, float(d[8]) if len(d) > 8 and d[8] else None))

    def decode_gll(self, msg: pynmea2.TalkerSentence) -> list[Record]:
        if msg.status != "A" or not msg.lat or not msg.lon:
            return []
        tod = self._tod(msg)
        if tod is None:
            raise ValueError("GLL without a time")
        lat, lon = self._latlon(msg)
        return [Fix(self.source, self.state.resolve(tod), lat, lon, mode=2, talker=msg.talker, sentence="GLL")]

    def decode_vtg(self, msg: pynmea2.TalkerSentence) -> list[Record]:
        # Course and speed with no position: nothing to report on its own. Parse it
        # anyway so that a broken VTG counts as malformed.
        self._float(msg, "true_track")
        self._float(msg, "spd_over_grnd_kts")
        return []

    def decode_gsa(self, msg: pynmea2.TalkerSentence) -> list[Record]:
        # A multi-constellation receiver sends one GSA per constellation in a row; the
        # cycle's used PRNs are the union of that run.
        if not self._last_was_gsa:
            self._used = set()
        self._last_was_gsa = True
        prns = tuple(int(p) for p in msg.data[2:14] if p)
        self._used.update(prns)
        mode = int(msg.mode_fix_type) if msg.mode_fix_type else None
        pdop = self._float(msg, "pdop")
        hdop = self._float(msg, "hdop")
        vdop = self._float(msg, "vdop")
        self._dop = (hdop, vdop, pdop, mode)
        return [SkyReport(self.source, self.state.last_time, hdop, vdop, pdop, prns, (), mode, msg.talker)]

    def decode_gsv(self, msg: pynmea2.TalkerSentence) -> list[Record]:
        d = msg.data
        # NMEA 4.10 appends a signal id: GPS L1 and L5 groups are separate groups.
        signal = d[-1] if (len(d) - 3) % 4 == 1 else ""
        key = msg.talker + signal
        group = self._gsv.get(key)
        num = int(msg.msg_num)
        if msg.num_messages == "" and num > 1 and group is not None:
            # some receivers give the count of messages (and of satellites) in the group's first one only;
            # the rest of the group continues it, as gpsd reads it
            total = group.total
        else:
            total = int(msg.num_messages)
        if not 1 <= num <= total:
            raise ValueError(f"GSV message {num} of {total}")
        end = len(d) - 1 if signal else len(d)
        sats = []
        for i in range(3, end, 4):
            if d[i]:
                el, az, snr = (d[i + 1 : i + 4] + ["", "", ""])[:3]
                sats.append((int(d[i]), _opt(el), _opt(az), _opt(snr)))
        if num == 1:
            group = self._gsv[key] = _GsvGroup(total, 1, [])
        elif group is None or group.next_num != num or group.total != total:
            self._gsv.pop(key, None)  # a fragment went missing: drop the group
            return []
        group.sats.extend(sats)
        group.next_num = num + 1
        if num < total:
            return []
        del self._gsv[key]
        used = self._used
        satellites = tuple(Satellite(prn, el, az, snr, prn in used) for prn, el, az, snr in group.sats)
        hdop, vdop, pdop, mode = self._dop
        return [SkyReport(self.source, self.state.last_time, hdop, vdop, pdop, tuple(sorted(used)), satellites,
                          mode, msg.talker)]

    def decode_hdt(self, msg: pynmea2.TalkerSentence) -> list[Record]:
        heading = self._float(msg, "heading")
        if heading is None:
            return []
        return [HeadingReport(self.source, heading, None, msg.talker)]

    def decode_zda(self, msg: pynmea2.TalkerSentence) -> list[Record]:
        tod = self._tod(msg)
        if tod is None or not (msg.day and msg.month and msg.year):
            return []
        day = (msg.datestamp.toordinal() - 719163) * 86400
        return [TimeReport(self.source, self.state.set_date(day, tod), msg.talker)]


# GNS's mode letters as GGA's fix quality: autonomous, differential, precise, RTK fixed and float, estimated (dead
# reckoning), manual, simulator
_GNS_QUALITY = {"A": 1, "D": 2, "P": 3, "R": 4, "F": 5, "E": 6, "M": 7, "S": 8}


def _opt(s: str) -> float | None:
    return float(s) if s else None


DECODERS: dict[str, Callable[[NmeaDecoder, pynmea2.TalkerSentence], list[Record]]] = {
    "RMC": NmeaDecoder.decode_rmc,
    "GGA": NmeaDecoder.decode_gga,
    "GLL": NmeaDecoder.decode_gll,
    "GNS": NmeaDecoder.decode_gns,
    "VTG": NmeaDecoder.decode_vtg,
    "GSA": NmeaDecoder.decode_gsa,
    "GSV": NmeaDecoder.decode_gsv,
    "HDT": NmeaDecoder.decode_hdt,
    "ZDA": NmeaDecoder.decode_zda,
}
