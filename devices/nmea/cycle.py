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

from devices.checksum import xor
from devices.errors import REFUSED, ChecksumError, MalformedSentenceError, count
from devices.nmea.geodesy import speed_between
from devices.nmea.geoid import geoid_separation
from devices.nmea.receiver import (
    ALT,
    LATLON,
    MODE,
    MODE_2D,
    MODE_3D,
    NO_FIX,
    NO_TIME,
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
        self._early: list[TpvReport] = []  # positions the cycle moved or voided before its ender was known
        self._after_ender: tuple[Fix, int] | None = None  # (fix, status) as a sentence without time after the ender left them

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
            self._report(out)
        else:
            self._revision(out)
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
        except (ValueError, IndexError, OverflowError) as exc:  # OverflowError: a 309-digit number
            raise MalformedSentenceError(f"{kind}: {exc}", s.tag) from None
        if (not rx.latched and not self._cycle_timed and kind in SPLIT_KINDS and kind in self._cycle_kinds
                and not (kind == "GSA" and self._prev_kind == "GSA")):
            # no time to tell cycles apart: a fix sentence seen again starts the next one
            if self._dirty and not self._reported:
                self._report(out, status)
            else:
                self._revision(out)
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
            self._report(out, status)
        if clear:
            if self._dirty and not self._reported:
                self._report(out, status)
            else:
                self._revision(out)
            rx.lastfix = fix
            fix = rx.fix = Fix(mode=fix.mode)  # gpsd keeps the mode until a sentence sets it
            self._reported = False
            self._cycle_kinds = {kind}
        if (not self._enders and self._dirty and not self._reported and fix.mode >= MODE_2D and fix.lat is not None
                and ((mask & MODE and newdata.mode < MODE_2D)
                     or (mask & LATLON and (newdata.lat != fix.lat or newdata.lon != fix.lon)))):
            # gpsd reports every sentence until it knows the cycle: a position this sentence moves or voids
            # (a GGA before the first date, then RMC's coarser one) is kept, reported with the cycle if
            # the cycle's own report does not show it
            self._early.append(self._snapshot(status))
        if mask & NO_TIME:
            self._revision(out)  # what changed after the ender, with its time, before the time goes
        self._merge(fix, newdata, mask)
        if mask & NO_TIME:
            fix.time = None  # a void RMC without time or date: gpsd forgets the date
        if mask & _FIX_BITS and (self._enders or mask & (LATLON | MODE)):
            # until it knows where cycles end, gpsd reports a sentence that gives a position or a mode only:
            # course and speed alone (VTG without a fix sentence) are not a report
            self._dirty = True
            if self._reported and not rx.latched and self._lasttag in self._enders:
                # gpsd (since 3.23) reports each sentence without time that follows the cycle's ender
                self._after_ender = (fix.copy(), rx.status)
        if report:
            self._report(out)
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

    def _snapshot(self, status: int | None = None, f: Fix | None = None) -> TpvReport:
        """The cycle's fix (or ``f``) as a TPV."""
        rx = self.rx
        if f is None:
            f = rx.fix
        speed = f.speed
        if speed is None:
            speed = speed_between(rx.lastfix, f)  # gpsd's speed from the last cycle's position
        return TpvReport(self.source, f.mode, f.time, f.lat, f.lon, f.alt_hae, f.alt_msl, f.geoid_sep, speed,
                         f.track, rx.status if status is None else status)

    def _report(self, out: list[Record], status: int | None = None) -> None:
        """Report the cycle: its TPV, after the positions it lost on the way that it does not show."""
        tpv = self._snapshot(status)
        if self._early:
            shown = (tpv.lat, tpv.lon) if tpv.mode >= MODE_2D else None
            for early in self._early:
                if (early.lat, early.lon) != shown:
                    out.append(early)
                    self.counters.tpv += 1
                    shown = (early.lat, early.lon)
            self._early = []
        self.rx.oldfix = self.rx.fix.copy()
        self._dirty = False
        self._after_ender = None
        self.counters.tpv += 1
        out.append(tpv)

    def _revision(self, out: list[Record]) -> None:
        """The cycle as the last sentence without time after its ender left it, if that bettered its report.

        gpsd (since 3.23) reports those sentences too: a receiver whose GGA counts no satellites (mode 1)
        and whose GSA after it gives the 3D fix is reported with the fix, not as mode 1; a cycle reported
        before its RMC gave the date is reported again with its time. A fix lost after the ender (a void
        RMC) shows in the next cycle's report, as gpsd 3.22 shows it.
        """
        late, self._after_ender = self._after_ender, None
        if late is None or not self._reported:
            return
        f, status = late
        o = self.rx.oldfix
        if f.mode > o.mode or (f.mode >= MODE_2D and (
                f.lat != o.lat or f.lon != o.lon or (f.time is not None and o.time is None))):
            self.rx.oldfix = f.copy()
            self.counters.tpv += 1
            out.append(self._snapshot(status, f))
