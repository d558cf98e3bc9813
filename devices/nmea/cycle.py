"""NMEA 0183 to gpsd's reports: one TPV per reporting cycle, one SKY per satellite group.

A receiver sends a burst of sentences every cycle (epoch): RMC, GGA, GSA, GSV, VTG, GLL...
each with a part of the fix. gpsd (3.22) merges them into one fix and reports it once per
cycle; `EpochAssembler` does the same, so that ``main.py decode`` prints what gpsd prints for
the same log. This module is the cycle state machine; what each sentence sets is gpsd's rules
in `devices.nmea.rules` (fix sentences) and `devices.nmea.sky` (satellites), applied to a
`devices.nmea.receiver.ReceiverState`.

* **Cycles.** A sentence whose time of day differs from the previous timestamped one starts a
  new cycle and clears the fix. The timestamped sentence type seen last before such a change
  is learned as a cycle ender; when an ender arrives the cycle is reported (TPV). Before an
  ender is learned, or when a cycle's ender never comes (a receiver that stops sending it
  without a fix), the cycle is reported when the next one starts; the last one at `flush`.
  A stream with no time at all is cut where a sentence type repeats.
* **Dates** are kept as sent. gpsd 3.22 takes a date before 2017-01-01 (the last leap second it
  knows) for a GPS week rollover and moves it 1024 weeks on, so a receiver's log of 2014 comes
  out in 2034; ``rollover=True`` does the same, for a receiver known to have lost a week count.
* **Mode.** A 3D fix is not downgraded while the receiver keeps reporting altitudes; the mode
  is kept over a cycle start until a sentence sets it.
* **Checksums.** A wrong checksum drops the sentence (counted). As in gpsd, a sentence without
  one is taken but its last field is not read, and a checksum that is not two upper-case hex
  digits is not checked.

Where no sentence gives them, the geoid separation comes from gpsd's own geoid model
(`devices.nmea.geoid`) and the speed from the last cycle's position, as gpsd derives them
(`devices.nmea.geodesy`); gpsd's error estimates (ept, eph, epx...), climb and magnetic
variation are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.errors import REFUSED, ChecksumError, MalformedSentenceError, count
from devices.nmea.checksum import xor
from devices.nmea.geodesy import speed_between
from devices.nmea.geoid import geoid_separation
from devices.nmea.receiver import (
    ALT,
    LATLON,
    MODE,
    MODE_3D,
    NO_FIX,
    SAT,
    SPEED,
    STATUS,
    TIME,
    TRACK,
    Fix,
    ReceiverState,
    Sentence,
    num,
)
from devices.nmea.rules import MIN_FIELDS, SPLIT_KINDS, Rule, rule_for
from devices.records import HeadingReport, Record, SkyView, TpvReport

# what makes a cycle worth a TPV (a new time alone does not, as in gpsd: ZDA-only cycles print nothing)
_FIX_BITS = LATLON | MODE | ALT | SPEED | TRACK | STATUS
_HEX_DIGITS = frozenset("0123456789ABCDEF")


@dataclass
class EpochCounters:
    """What an assembler has seen, for the summary line."""

    sentences: int = 0  # good sentences (a type gpsd knows, enough fields)
    checksum_errors: int = 0
    unknown: int = 0  # types or talkers gpsd does not take
    malformed: int = 0
    tpv: int = 0
    sky: int = 0


class EpochAssembler:
    """NMEA lines in (one receiver), gpsd's reports out: `TpvReport`, `SkyView`, `HeadingReport`.

    >>> a = EpochAssembler("gps0")
    >>> a.feed("$GPRMC,120000.00,A,2419.58460,N,10925.68360,E,4.187,16.52,261124,,,A*50")
    []
    >>> [r.mode for r in a.flush()]
    [2]

    :param rollover: move dates before 2017 on by 1024 weeks, as gpsd 3.22 does (off: dates as sent).
    """

    def __init__(self, source: str, *, rollover: bool = False, century: int = 2000) -> None:
        self.source = source
        self.rollover = rollover
        self.counters = EpochCounters()
        self.rx = ReceiverState(century=century)  # what the sentence rules read and set
        # end-of-cycle detection
        self._lasttag = ""
        self._enders: set[str] = set()
        # our reporting: one TPV per cycle
        self._dirty = False  # the fix changed since the last TPV
        self._reported = False  # this cycle was reported at its ender
        self._cycle_timed = False  # this cycle registered a time of day
        self._cycle_kinds: set[str] = set()  # sentence kinds seen this cycle
        self._prev_kind = ""

    # ------------------------------------------------------------------ input
    def feed(self, line: str) -> list[Record]:
        """One line (``$...``, no line ending needed): the reports it completes.

        :raises ChecksumError: a checksum that does not match.
        :raises UnknownSentenceError: a talker or sentence type gpsd does not take.
        :raises MalformedSentenceError: too few fields, or a time, date or number that does not parse.
        """
        c = self.counters
        try:
            s = self._split(line)
            rule, kind = rule_for(s.tag)
            out: list[Record] = []
            self._sentence(s, kind, rule, out)
        except REFUSED as exc:
            count(c, exc)
            raise
        c.sentences += 1
        return out

    def flush(self) -> list[Record]:
        """End of input: the last cycle's TPV if it was not reported yet."""
        out: list[Record] = []
        if self._dirty and not self._reported:
            out.append(self._tpv())
        return out

    @staticmethod
    def _split(line: str) -> Sentence:
        line = line.strip()
        if line[:1] != "$" or len(line) < 4:
            raise MalformedSentenceError("not an NMEA sentence", line)
        body, star, given = line[1:].partition("*")
        if star:
            given = given[:2]
            if len(given) < 2:
                raise ChecksumError("checksum cut short", line)
            # gpsd checks only a checksum of two upper-case hex digits; any other is not checked
            if all(c in _HEX_DIGITS for c in given) and int(given, 16) != xor(body):
                raise ChecksumError("checksum mismatch", line)
        fields = body.split(",")
        if not star:
            # gpsd reads a sentence without checksum one field short: the last is lost
            fields.pop()
            if not fields:
                raise MalformedSentenceError("no fields", line)
        return Sentence(fields[0], fields, len(fields))

    # ------------------------------------------------------------------ the cycle
    def _sentence(self, s: Sentence, kind: str, rule: Rule, out: list[Record]) -> None:
        rx = self.rx
        newdata = Fix()
        rx.latched = False
        status = rx.status  # the status of the cycle so far (a report of it must not show this sentence's)
        minimum = MIN_FIELDS.get(kind, 0)
        if s.count < minimum:
            raise MalformedSentenceError(f"{kind}: {s.count} fields, at least {minimum} needed", s.tag)
        try:
            mask = rule(rx, s, newdata)
        except (ValueError, IndexError) as exc:
            raise MalformedSentenceError(f"{kind}: {exc}", s.tag) from None
        if (not rx.latched and not self._cycle_timed and kind in SPLIT_KINDS and kind in self._cycle_kinds
                and not (kind == "GSA" and self._prev_kind == "GSA")):
            # no time to tell cycles apart: a fix sentence seen again starts the next one
            if self._dirty and not self._reported:
                out.append(self._tpv(status))
            self._cycle_kinds.clear()
            self._reported = False
        self._cycle_kinds.add(kind)
        self._prev_kind = kind
        sky = rx.sky
        if kind != "GSV":
            sky.last_gsv_talker = ""
        if kind != "GSA":
            sky.last_gsa_talker = ""
        if mask & TIME:
            newdata.time = rx.utc(self.rollover)
        report = clear = False
        if rx.latched:
            self._cycle_timed = True
            if abs(rx.this_frac - rx.last_frac) > 0.01:
                clear = True
                if self._lasttag:
                    self._enders.add(self._lasttag)
            report = kind in self._enders
            self._lasttag = kind
        fix = rx.fix
        if (mask & MODE and fix.mode == MODE_3D and newdata.mode != NO_FIX
                and (rx.lastfix.has_alt() or rx.oldfix.has_alt())):
            newdata.mode = MODE_3D  # don't downgrade while altitudes keep coming
        if (mask & TIME and not rx.latched and self._cycle_timed and fix.time is not None
                and newdata.time != fix.time and self._dirty and not self._reported):
            # a time that is not used to find cycles (ZDA) already belongs to the next one
            out.append(self._tpv(status))
        if clear:
            if self._dirty and not self._reported:
                out.append(self._tpv(status))
            rx.lastfix = fix
            fix = rx.fix = Fix(mode=fix.mode)  # gpsd keeps the mode until a sentence sets it
            self._reported = False
            self._cycle_kinds = {kind}
        self._merge(fix, newdata, mask)
        if mask & _FIX_BITS:
            self._dirty = True
        if report:
            out.append(self._tpv())
            self._reported = True
        elif not self._enders and mask & _FIX_BITS:
            rx.oldfix = fix.copy()  # gpsd reports every sentence until it knows the cycle
        if mask & SAT:
            out.append(SkyView(self.source, sky.hdop, sky.vdop, sky.pdop, tuple(sky.sats)))
            self.counters.sky += 1
        if kind == "HDT" and s[1]:
            out.append(HeadingReport(self.source, num(s[1]), None, s.tag[:2]))

    @staticmethod
    def _merge(fix: Fix, new: Fix, mask: int) -> None:
        if mask & TIME:
            fix.time = new.time
        if mask & LATLON:
            fix.lat = new.lat
            fix.lon = new.lon
        if mask & MODE:
            fix.mode = new.mode
        if mask & ALT:
            if new.alt_hae is not None:
                fix.alt_hae = new.alt_hae
            if new.alt_msl is not None:
                fix.alt_msl = new.alt_msl
        if new.geoid_sep is not None:
            fix.geoid_sep = new.geoid_sep
        if mask & SPEED:
            fix.speed = new.speed
        if mask & TRACK:
            fix.track = new.track
        sep = fix.geoid_sep
        if sep is None and fix.lat is not None and fix.lon is not None:
            sep = fix.geoid_sep = geoid_separation(fix.lat, fix.lon)  # gpsd's model when no sentence gave it
        if sep is not None:
            if fix.alt_hae is None and fix.alt_msl is not None:
                fix.alt_hae = fix.alt_msl + sep
            elif fix.alt_msl is None and fix.alt_hae is not None:
                fix.alt_msl = fix.alt_hae - sep

    def _tpv(self, status: int | None = None) -> TpvReport:
        rx = self.rx
        f = rx.fix
        speed = f.speed
        if speed is None:
            speed = speed_between(rx.lastfix, f)  # gpsd's speed from the last cycle's position
        rx.oldfix = f.copy()
        self._dirty = False
        self.counters.tpv += 1
        return TpvReport(self.source, f.mode, f.time, f.lat, f.lon, f.alt_hae, f.alt_msl, f.geoid_sep, speed,
                         f.track, rx.status if status is None else status)
