"""NMEA 0183 to gpsd's reports: one TPV per reporting cycle, one SKY per satellite group.

A receiver sends a burst of sentences every cycle (epoch): RMC, GGA, GSA, GSV, VTG, GLL...
each with a part of the fix. gpsd (3.22) merges them into one fix and reports it once per
cycle; `EpochAssembler` does the same, with gpsd's rules, so that ``main.py decode`` prints
what gpsd prints for the same log:

* **Cycles.** A sentence whose time of day differs from the previous timestamped one starts a
  new cycle and clears the fix. The timestamped sentence type seen last before such a change
  is learned as a cycle ender; when an ender arrives the cycle is reported (TPV). Before an
  ender is learned, or when a cycle's ender never comes (a receiver that stops sending it
  without a fix), the cycle is reported when the next one starts; the last one at `flush`.
  A stream with no time at all is cut where a sentence type repeats.
* **Time.** GGA/GLL/GNS carry a time of day only: their time counts once an RMC or ZDA gave
  the date (before that a TPV has no time). Two-digit years are 2000-2079, 80-99 are 19xx.
  Dates are kept as sent. gpsd 3.22 takes a date before 2017-01-01 (the last leap second it
  knows) for a GPS week rollover and moves it 1024 weeks on, so a receiver's log of 2014 comes
  out in 2034; ``rollover=True`` does the same, for a receiver known to have lost a week count.
* **Mode.** From GGA (2D with a position, 3D with an altitude and at least 4 satellites, no
  fix below 3), RMC/GLL (at least 2D, 3D when the previous cycle had an altitude or GSA uses
  more than 3), GSA's fix type, GNS, Garmin PGRMZ, Magellan PMGNST; a 3D fix is not
  downgraded while the receiver keeps reporting altitudes. A void RMC/GLL or a GGA with
  quality 0 is mode 1.
* **Satellites.** GSV groups of every talker accumulate into one view (GP, GL, GA, GB/BD, QZ,
  NMEA 4.10 signal ids); PRNs are numbered as gpsd numbers them (GLONASS 65-96, Galileo
  301-336, BeiDou 401-437, SBAS, QZSS); a satellite is used if the cycle's GSA lists it and its
  signal strength is not 0. A SKY follows each complete group, except a GPS group once other
  constellations have been seen (they follow it). A group whose azimuths are all 0 is
  dropped (a SiRF quirk). DOPs come from GSA (and GGA's HDOP).
* **Checksums.** A wrong checksum drops the sentence (counted). As in gpsd, a sentence without
  one is taken but its last field is not read, and a checksum that is not two upper-case hex
  digits is not checked.

Where no sentence gives them, the geoid separation comes from gpsd's own geoid model
(`devices.nmea.geoid`) and the speed from the last cycle's position, as gpsd derives them;
gpsd's error estimates (ept, eph, epx...), climb and magnetic variation are left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from devices.errors import REFUSED, ChecksumError, MalformedSentenceError, UnknownSentenceError, count
from devices.nmea.checksum import xor
from devices.nmea.fast import KNOT
from devices.nmea.geoid import geoid_separation
from devices.records import HeadingReport, Record, SkySatellite, SkyView, TpvReport

# what a sentence handler reports it set (gpsd's mask bits, our own numbering)
_TIME, _LATLON, _MODE, _ALT, _SPEED, _TRACK, _STATUS, _SAT, _DOP = (1 << i for i in range(9))
# what makes a cycle worth a TPV (a new time alone does not, as in gpsd: ZDA-only cycles print nothing)
_FIX_BITS = _LATLON | _MODE | _ALT | _SPEED | _TRACK | _STATUS

_NO_FIX, _MODE_2D, _MODE_3D = 1, 2, 3
_HEX_DIGITS = frozenset("0123456789ABCDEF")
_FEET = 3.2808399  # feet per metre, as gpsd converts PGRMZ
_LEAP_2017 = 1483228800  # 2017-01-01T00:00:00Z: the last leap second gpsd 3.22 was built with
_WEEKS_1024 = 619315200  # 1024 GPS weeks in seconds
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# Talker ids gpsd's packet reader accepts in front of a sentence type ($GQ..., $GI... are dropped).
TALKERS = frozenset({"GP", "GN", "GL", "GA", "GB", "BD", "QZ", "IN", "II", "EC", "HC", "TI", "SD", "WI", "YX", "PQ"})

# gpsd's FAA mode letter to its status (RMC field 12, GLL field 7, GNS field 6)
_FAA_STATUS = {"": 0, "A": 1, "D": 2, "E": 5, "F": 4, "N": 0, "P": 2, "R": 3, "S": 0}
# GGA quality to gpsd status (3 is PPS: 9)
_GGA_STATUS = {0: 0, 1: 1, 2: 2, 3: 9, 4: 3, 5: 4, 6: 5, 7: 7, 8: 8}


def _atoi(s: str) -> int:
    """C ``atoi``: the leading integer of ``s`` (sign, digits), 0 if none."""
    if s.isdigit():
        return int(s)
    i = 1 if s[:1] in ("-", "+") else 0
    j = i
    while j < len(s) and s[j].isdigit():
        j += 1
    return int(s[:j]) if j > i else 0


def _num(s: str) -> float:
    """A numeric field. :raises ValueError: not a number (the sentence is malformed)."""
    v = float(s)
    if not math.isfinite(v):
        raise ValueError(f"not a finite number: {s!r}")
    return v


def nmea_prn(talker: str, n: int) -> tuple[int, int, int]:
    """gpsd's numbering of NMEA satellite id ``n`` from ``talker``: (PRN, gnssid, svid); PRN 0 if unknown.

    Ids 1-32 depend on the talker (GA Galileo 301+, GB/BD/PQ BeiDou 401+, GL GLONASS 65+,
    QZ QZSS 193+, else GPS); larger ids have fixed ranges (SBAS 33-64 and 120-158, GLONASS
    65-96, IMES 173-182, QZSS 193-197, BeiDou 201-237 moved to 401-437, Galileo 301-356,
    BeiDou 401-437).
    """
    if n < 1:
        return 0, 0, 0
    if n <= 32:
        t = talker[1:2]
        if talker[:1] == "G":
            if t == "A":
                return 300 + n, 2, n
            if t == "B":
                return 400 + n, 3, n
            if t == "L":
                return 64 + n, 6, n
        elif talker in ("BD", "PQ"):
            return 400 + n, 3, n
        elif talker == "QZ":
            return 192 + n, 5, n
        return n, 0, n
    for low, high, prn_shift, gnssid, svid_shift in _RANGES:
        if low <= n <= high:
            return n + prn_shift, gnssid, n + svid_shift
    return 0, 0, 0


# (first id, last id, PRN = id + this, gnssid, svid = id + this); ids outside these are unknown (PRN 0)
_RANGES = ((33, 64, 0, 1, 87), (65, 96, 0, 6, -64), (120, 158, 0, 1, 0), (173, 182, 0, 4, -172),
           (193, 197, 0, 5, -192), (201, 237, 200, 3, -200), (301, 356, 0, 2, -300), (401, 437, 0, 3, -400))


@dataclass(slots=True)
class _Fix:
    """The fix being merged (gpsd's gps_fix_t, the parts a TPV shows)."""

    time: float | None = None
    lat: float | None = None
    lon: float | None = None
    mode: int = 0
    alt_hae: float | None = None
    alt_msl: float | None = None
    geoid_sep: float | None = None
    speed: float | None = None
    track: float | None = None

    def has_alt(self) -> bool:
        return self.alt_hae is not None or self.alt_msl is not None

    def copy(self) -> _Fix:
        return _Fix(self.time, self.lat, self.lon, self.mode, self.alt_hae, self.alt_msl, self.geoid_sep,
                    self.speed, self.track)


@dataclass
class EpochCounters:
    """What an assembler has seen, for the summary line."""

    sentences: int = 0  # good sentences (a type gpsd knows, enough fields)
    checksum_errors: int = 0
    unknown: int = 0  # types or talkers gpsd does not take
    malformed: int = 0
    tpv: int = 0
    sky: int = 0


class _Sentence:
    """One sentence split the way gpsd splits it (field 0 is the tag, missing fields read as '')."""

    __slots__ = ("tag", "fields", "count")

    def __init__(self, tag: str, fields: list[str], count: int) -> None:
        self.tag = tag
        self.fields = fields
        self.count = count  # gpsd's field count (the tag included)

    def __getitem__(self, i: int) -> str:
        f = self.fields
        return f[i] if i < len(f) else ""


Handler = Callable[["EpochAssembler", _Sentence, _Fix], int]


@dataclass
class _Sky:
    """Satellite bookkeeping across cycles (gpsd's skyview and used list)."""

    sats: list[SkySatellite] = field(default_factory=list)
    used: list[int] = field(default_factory=list)  # PRNs the last GSA run used
    part: int = 0
    await_: int = 0
    last_gsv_talker: str = ""
    last_gsa_talker: str = ""
    seen: set[str] = field(default_factory=set)  # "glgsv", "bdgsv", "gagsv", "qzgsv", "glgsa", "bdgsa", "gagsa"
    hdop: float | None = None
    vdop: float | None = None
    pdop: float | None = None


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
        self.century = century
        self.counters = EpochCounters()
        # date and time of day (gpsd's nmea.date); the date is unknown until RMC/ZDA
        self._ordinal: int | None = None  # proleptic ordinal of the date (days may run past a month)
        self._hour = 0
        self._minute = 0
        self._second = 0
        self._nsec = 0
        # end-of-cycle detection
        self._this_frac = 0.0
        self._last_frac = 0.0
        self._latched = False  # this sentence registered a time of day
        self._lasttag = ""
        self._enders: set[str] = set()
        # the fix: merged this cycle, the previous cycle's, the last reported one
        self.fix = _Fix()
        self._lastfix = _Fix()
        self._oldfix = _Fix()
        self._status = 0
        self._sats_used = 0  # gpsd's satellites_used (from GSA)
        self._last_gga_talker = ""
        self._last_gga_time = "\x00"  # never equal to a field
        self._latch_mode = False
        self._sky = _Sky()
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
            handler, kind = self._handler(s.tag)
            out: list[Record] = []
            self._sentence(s, kind, handler, out)
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
    def _split(line: str) -> _Sentence:
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
        return _Sentence(fields[0], fields, len(fields))

    @staticmethod
    def _handler(tag: str) -> tuple[Handler, str]:
        """The handler of a tag and the sentence kind ("GGA", "PGRMZ"): gpsd's table, any accepted talker."""
        entry = _PROPRIETARY.get(tag)
        if entry is not None:
            return entry, tag
        if len(tag) == 5 and (tag[:2] in TALKERS or tag[0] == "P"):
            entry = _STANDARD.get(tag[2:])
            if entry is not None:
                return entry, tag[2:]
        raise UnknownSentenceError(f"sentence {tag or '?'} not decoded", tag)

    # ------------------------------------------------------------------ the cycle
    def _sentence(self, s: _Sentence, kind: str, handler: Handler, out: list[Record]) -> None:
        newdata = _Fix()
        self._latched = False
        status = self._status  # the status of the cycle so far (a report of it must not show this sentence's)
        minimum = _MIN_FIELDS.get(kind, 0)
        if s.count < minimum:
            raise MalformedSentenceError(f"{kind}: {s.count} fields, at least {minimum} needed", s.tag)
        try:
            mask = handler(self, s, newdata)
        except (ValueError, IndexError) as exc:
            raise MalformedSentenceError(f"{kind}: {exc}", s.tag) from None
        if (not self._latched and not self._cycle_timed and kind in _SPLIT_KINDS and kind in self._cycle_kinds
                and not (kind == "GSA" and self._prev_kind == "GSA")):
            # no time to tell cycles apart: a fix sentence seen again starts the next one
            if self._dirty and not self._reported:
                out.append(self._tpv(status))
            self._cycle_kinds.clear()
            self._reported = False
        self._cycle_kinds.add(kind)
        self._prev_kind = kind
        sky = self._sky
        if kind != "GSV":
            sky.last_gsv_talker = ""
        if kind != "GSA":
            sky.last_gsa_talker = ""
        if mask & _TIME:
            newdata.time = self._utc()
        report = clear = False
        if self._latched:
            self._cycle_timed = True
            if abs(self._this_frac - self._last_frac) > 0.01:
                clear = True
                if self._lasttag:
                    self._enders.add(self._lasttag)
            report = kind in self._enders
            self._lasttag = kind
        fix = self.fix
        if (mask & _MODE and fix.mode == _MODE_3D and newdata.mode != _NO_FIX
                and (self._lastfix.has_alt() or self._oldfix.has_alt())):
            newdata.mode = _MODE_3D  # don't downgrade while altitudes keep coming
        if (mask & _TIME and not self._latched and self._cycle_timed and fix.time is not None
                and newdata.time != fix.time and self._dirty and not self._reported):
            # a time that is not used to find cycles (ZDA) already belongs to the next one
            out.append(self._tpv(status))
        if clear:
            if self._dirty and not self._reported:
                out.append(self._tpv(status))
            self._lastfix = fix
            fix = self.fix = _Fix(mode=fix.mode)  # gpsd keeps the mode until a sentence sets it
            self._reported = False
            self._cycle_kinds = {kind}
        self._merge(fix, newdata, mask)
        if mask & _FIX_BITS:
            self._dirty = True
        if report:
            out.append(self._tpv())
            self._reported = True
        elif not self._enders and mask & _FIX_BITS:
            self._oldfix = fix.copy()  # gpsd reports every sentence until it knows the cycle
        if mask & _SAT:
            out.append(SkyView(self.source, sky.hdop, sky.vdop, sky.pdop, tuple(sky.sats)))
            self.counters.sky += 1
        if kind == "HDT" and s[1]:
            out.append(HeadingReport(self.source, _num(s[1]), None, s.tag[:2]))

    @staticmethod
    def _merge(fix: _Fix, new: _Fix, mask: int) -> None:
        if mask & _TIME:
            fix.time = new.time
        if mask & _LATLON:
            fix.lat = new.lat
            fix.lon = new.lon
        if mask & _MODE:
            fix.mode = new.mode
        if mask & _ALT:
            if new.alt_hae is not None:
                fix.alt_hae = new.alt_hae
            if new.alt_msl is not None:
                fix.alt_msl = new.alt_msl
        if new.geoid_sep is not None:
            fix.geoid_sep = new.geoid_sep
        if mask & _SPEED:
            fix.speed = new.speed
        if mask & _TRACK:
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
        f = self.fix
        speed = f.speed
        if speed is None:
            speed = _speed_between(self._lastfix, f)  # gpsd's speed from the last cycle's position
        self._oldfix = f.copy()
        self._dirty = False
        self.counters.tpv += 1
        return TpvReport(self.source, f.mode, f.time, f.lat, f.lon, f.alt_hae, f.alt_msl, f.geoid_sep, speed,
                         f.track, self._status if status is None else status)

    # ------------------------------------------------------------------ time
    def _register(self, hhmmss: str) -> None:
        """A time of day for end-of-cycle detection (gpsd compares the field as a number)."""
        if hhmmss:
            self._last_frac = self._this_frac
            try:
                self._this_frac = float(hhmmss)
            except ValueError:
                self._this_frac = float(_atoi(hhmmss))
            self._latched = True

    def _merge_hhmmss(self, s: str) -> bool:
        if len(s) < 6 or not s[:6].isdigit():
            if s:
                raise ValueError(f"bad time of day {s!r}")
            return False
        hour = int(s[0:2])
        if hour < self._hour and self._ordinal is not None:
            self._ordinal += 1  # midnight passed since the date was given
        self._hour = hour
        self._minute = int(s[2:4])
        self._second = int(s[4:6])
        frac = s[7:] if s[6:7] == "." else ""
        digits = frac if frac.isdigit() else ""
        self._nsec = int(digits) * 10 ** (9 - len(digits)) if digits and len(digits) <= 9 else 0
        return True

    def _set_date(self, year: int, month: int, day: int) -> None:
        if not 1 <= month <= 12 or not 1 <= day <= 31:
            raise ValueError(f"bad date {year}-{month}-{day}")
        self._ordinal = date(year, month, 1).toordinal() + day - 1

    def _merge_ddmmyy(self, s: str) -> None:
        if len(s) != 6 or not s.isdigit():
            raise ValueError(f"bad date {s!r}")
        year = self.century + int(s[4:6])
        if year >= 2080:
            year -= 100
        self._set_date(year, int(s[2:4]), int(s[0:2]))

    def _utc(self) -> float:
        assert self._ordinal is not None
        secs = ((self._ordinal - _EPOCH_ORDINAL) * 86400 + self._hour * 3600 + self._minute * 60
                + self._second)
        if self.rollover and secs < _LEAP_2017:
            # gpsd: a date before the last leap second it knows is a GPS week rollover
            secs += _WEEKS_1024
            days, sod = divmod(secs, 86400)
            self._ordinal = _EPOCH_ORDINAL + days
            self._hour = sod // 3600
        return secs + self._nsec / 1e9

    # ------------------------------------------------------------------ helpers for handlers
    @staticmethod
    def _latlon(s: _Sentence, i: int, new: _Fix) -> bool:
        """gpsd's do_lat_lon over fields i..i+3 (ddmm.mmm, N/S, dddmm.mmm, E/W)."""
        lat_s, ns, lon_s, ew = s[i], s[i + 1], s[i + 2], s[i + 3]
        if not (lat_s and ns and lon_s and ew):
            return False
        lat = _num(lat_s)
        lon = _num(lon_s)
        d, m = math.floor(lat / 100), lat - 100 * math.floor(lat / 100)
        lat = d + m / 60.0
        d, m = math.floor(lon / 100), lon - 100 * math.floor(lon / 100)
        lon = d + m / 60.0
        if abs(lat) > 90 or abs(lon) > 180:
            raise ValueError("coordinate out of range")
        new.lat = -lat if ns == "S" else lat
        new.lon = -lon if ew == "W" else lon
        return True


_WGS84_A = 6378137.0
_WGS84_F = 1 / 298.257223563
_WGS84_B = _WGS84_A * (1 - _WGS84_F)


def geodesic_distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Metres between two points on the WGS84 ellipsoid (Vincenty's inverse formula).

    Points nearly antipodal, where the iteration does not settle, get the spherical distance.
    """
    if lat1 == lat2 and lon1 == lon2:
        return 0.0
    f = _WGS84_F
    u1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    big_l = math.radians(lon2 - lon1)
    sin_u1, cos_u1, sin_u2, cos_u2 = math.sin(u1), math.cos(u1), math.sin(u2), math.cos(u2)
    lam = big_l
    for _ in range(100):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        if sin_sigma == 0:
            return 0.0
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cos_u1 * cos_u2 * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha * sin_alpha
        cos_2sm = cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha if cos2_alpha else 0.0
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        lam_prev = lam
        lam = big_l + (1 - c) * f * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm * cos_2sm)))
        if abs(lam - lam_prev) < 1e-12:
            break
    else:
        return _WGS84_A * math.acos(max(-1.0, min(1.0, math.sin(math.radians(lat1)) * math.sin(math.radians(lat2))
                                                  + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2))
                                                  * math.cos(big_l))))
    u_sq = cos2_alpha * (_WGS84_A ** 2 - _WGS84_B ** 2) / _WGS84_B ** 2
    a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta = b * sin_sigma * (cos_2sm + b / 4 * (cos_sigma * (-1 + 2 * cos_2sm * cos_2sm)
                                               - b / 6 * cos_2sm * (-3 + 4 * sin_sigma * sin_sigma)
                                               * (-3 + 4 * cos_2sm * cos_2sm)))
    return _WGS84_B * a * (sigma - delta)


def _speed_between(old: _Fix, new: _Fix) -> float | None:
    """Speed over ground from two fixes (when no sentence of the cycle gave one), as gpsd derives it."""
    if (new.mode < _MODE_2D or old.lat is None or old.lon is None or old.time is None or new.lat is None
            or new.lon is None or new.time is None):
        return None
    dt = new.time - old.time
    if dt <= 0:
        return None
    return geodesic_distance(old.lat, old.lon, new.lat, new.lon) / dt


# ---------------------------------------------------------------------- sentence handlers
def _rmc(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    # time, status, lat, N/S, lon, E/W, knots, track, ddmmyy, magvar, E/W, FAA mode, nav status
    status = s[2][:1]
    if status not in ("A", "D"):
        a._status = 0
        new.mode = _NO_FIX
        return _STATUS | _MODE
    mask = 0
    if s[1] and s.count > 9 and s[9]:
        if a._merge_hhmmss(s[1]):
            a._merge_ddmmyy(s[9])
            mask |= _TIME
            a._register(s[1])
    new_status = 0
    if a._latlon(s, 3, new):
        new_status = 1
        mask |= _LATLON
        if a.fix.mode <= _MODE_2D:
            new.mode = _MODE_2D
            mask |= _MODE
    else:
        new.mode = _NO_FIX
        mask |= _MODE
    if s[7]:
        new.speed = _num(s[7]) * KNOT
        mask |= _SPEED
    if s[8]:
        new.track = _num(s[8])
        mask |= _TRACK
    if s.count >= 12:
        new_status = _FAA_STATUS.get(s[12][:1], 1)
    if a._sats_used > 3 or a.fix.has_alt():
        new.mode = _MODE_3D
        mask |= _MODE
    a._status = new_status
    return mask | _STATUS


def _gll(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    # lat, N/S, lon, E/W, time, status, FAA mode
    mask = 0
    if s[5] and a._merge_hhmmss(s[5]):
        a._register(s[5])
        if a._ordinal is not None:
            mask = _TIME
    valid = s[6][:1]
    if valid == "A" and (s.count < 8 or s[7][:1] != "N") and a._latlon(s, 1, new):
        mask |= _LATLON
        if a.fix.has_alt() or a._sats_used > 3:
            new.mode = _MODE_3D
            mask |= _MODE
        elif a.fix.mode < _MODE_2D or not a._oldfix.has_alt():
            new.mode = _MODE_2D
            mask |= _MODE
        a._status = _FAA_STATUS.get(s[7][:1], 1) if s.count >= 8 else 1
        return mask
    a._status = 0
    new.mode = _NO_FIX
    return mask | _STATUS | _MODE


def _gga(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    # time, lat, N/S, lon, E/W, quality, satellites, HDOP, altitude, M, separation, M, age, station
    mask = 0
    quality = _atoi(s[6]) if s[6] else -1
    status = _GGA_STATUS.get(quality)
    if status is not None:
        a._status = status
        mask = _STATUS
    talker = s.tag[1:2]
    last_talker, a._last_gga_talker = a._last_gga_talker, talker
    if last_talker and last_talker != talker:
        a._latch_mode = False  # SiRFstarV: GPGGA and GLGGA of one cycle
    else:
        a._latch_mode = s[1] == a._last_gga_time
    if a._latch_mode:
        # the same time as the last GGA: a receiver that lost lock and repeats itself
        a._status = 0
        new.mode = _NO_FIX
    else:
        a._last_gga_time = s[1]
    sats = _atoi(s[7])
    if a._merge_hhmmss(s[1]):
        a._register(s[1])
        if a._ordinal is not None:
            mask |= _TIME
    if a._latlon(s, 2, new):
        new.mode = _MODE_2D
        mask |= _LATLON
        new.geoid_sep = _num(s[11]) if s[11] else geoid_separation(new.lat, new.lon)  # type: ignore[arg-type]
        if s[9]:
            new.alt_msl = _num(s[9])
            mask |= _ALT
            if sats >= 4:
                new.mode = _MODE_3D
        if sats < 3:
            new.mode = _NO_FIX
    else:
        new.mode = _NO_FIX
    if s[8]:
        a._sky.hdop = _num(s[8])
    return mask | _MODE


def _gns(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    # time, lat, N/S, lon, E/W, mode letters, satellites, HDOP, altitude, separation, age, station, nav status
    mask = 0
    if s[1] and a._merge_hhmmss(s[1]):
        a._register(s[1])
        if a._ordinal is not None:
            mask = _TIME
    if s[6][:1] in ("", "N"):
        new.mode = _NO_FIX
        return mask | _MODE
    if s[13][:1] in ("U", "V"):
        return mask
    sats = _atoi(s[7])
    if a._latlon(s, 2, new):
        mask |= _LATLON
        new.mode = _MODE_2D
        if s[9]:
            new.alt_msl = _num(s[9])
            mask |= _ALT
            if sats > 3:
                new.mode = _MODE_3D
            if s[10]:
                new.geoid_sep = _num(s[10])
    else:
        new.mode = _NO_FIX
    if s[8]:
        a._sky.hdop = _num(s[8])
    a._status = _FAA_STATUS.get(s[6][:1], 1)
    return mask | _MODE | _STATUS


def _vtg(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    # track true, T, track magnetic, M, knots, N, km/h, K, FAA mode
    if not s[1] or not s[5]:
        return 0
    if s.count > 9 and s[9][:1] in ("E", "N"):
        return 0
    new.track = _num(s[1])
    new.speed = _num(s[5]) * KNOT
    return _TRACK | _SPEED


def _gsa(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    # A/M, fix type, 12 (or more) PRNs, PDOP, HDOP, VDOP [, NMEA 4.10 system id]
    sky = a._sky
    talker = s.tag[1:2]
    last_talker = sky.last_gsa_talker
    mask = 0
    if a._latch_mode:
        return 0  # the last GGA repeated its time: don't trust this GSA either
    new.mode = _atoi(s[2])
    if s[2][:1] != "E":  # Antaris dead reckoning
        mask = _MODE
    if s.count <= 19:
        if s[15]:
            sky.pdop = _num(s[15])
        if s[16]:
            sky.hdop = _num(s[16])
        if s[17]:
            sky.vdop = _num(s[17])
    if not last_talker or (talker == last_talker and talker != "N"):
        sky.used = []
        a._sats_used = 0
    sky.last_gsa_talker = talker
    if talker in ("B", "D", "Q"):
        sky.seen.add("bdgsa")
    elif talker == "L":
        sky.seen.add("glgsa")
    elif talker == "A":
        sky.seen.add("gagsa")
    # gpsd reads count-6 PRN fields: with an NMEA 4.10 system id that includes the PDOP
    for i in range(3, s.count - 3):
        n = _atoi(s[i])
        if n < 1:
            continue
        prn = nmea_prn(s.tag[:2], n)[0]
        if prn > 0:
            sky.used.append(prn)
            a._sats_used += 1
    mask |= _DOP
    if sky.seen & {"glgsa", "bdgsa", "gagsa"} and talker == "P":
        return 0  # a GPGSA before the other constellations' GSA: theirs carries the mode
    if last_talker != "N" and talker == "N":
        return _MODE  # the first GNGSA of a run
    return mask


def _gsv(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    # total, part, in view, then (id, elevation, azimuth, SNR) x 1-4 [, NMEA 4.10 signal id]
    sky = a._sky
    count = s.count
    if count <= 3 or count % 4 > 1:
        sky.sats = []
        return 0
    sigid = _atoi(s[count - 1]) if count % 4 == 1 else 0
    sky.await_ = _atoi(s[1])
    sky.part = _atoi(s[2])
    if sky.part < 1:
        sky.sats = []
        return 0
    talker = s.tag[1:2]
    if sky.part == 1:
        # a GPS group starts the view again, unless it is an NMEA 4.10 second signal (L2, L5)
        if not sky.last_gsv_talker or (talker == "P" and sigid not in (2, 3, 5, 6)):
            sky.sats = []
        sky.last_gsv_talker = talker
        seen = {"A": "gagsv", "B": "bdgsv", "D": "bdgsv", "Q": "bdgsv", "L": "glgsv", "Z": "qzgsv"}.get(talker)
        if seen:
            sky.seen.add(seen)
    sats = sky.sats
    end = count // 4 * 4
    f = s.fields
    if len(f) < end + 3:
        f = f + [""] * (end + 3 - len(f))
    talker2 = s.tag[:2]
    used_prns = sky.used
    cache = _SAT_CACHE
    i = 4
    while i < end:
        v = f[i]
        n = int(v) if v.isdigit() else _atoi(v)
        i += 1
        if n == 0:
            continue  # gpsd steps one field on and reads on from there
        prn, gnssid, svid = nmea_prn(talker2, n)
        el_s, az_s, ss_s = f[i], f[i + 1], f[i + 2]
        i += 3
        ss = int(ss_s) if ss_s.isdigit() else _atoi(ss_s)
        key = (prn, el_s, az_s, ss, prn > 0 and ss > 0 and prn in used_prns, gnssid, svid)
        sat = cache.get(key)
        if sat is None:
            # receivers repeat a satellite's numbers for many cycles: one record for each
            if len(cache) > 4096:
                cache.clear()
            el = int(el_s) if el_s.isdigit() else _atoi(el_s)
            az = int(az_s) if az_s.isdigit() else _atoi(az_s)
            sat = cache[key] = SkySatellite(prn, float(el), float(az), float(ss), key[4], gnssid, svid)
        sats.append(sat)
    if sky.part < sky.await_:
        return 0
    if not any(sat.az != 0 for sat in sats):
        sky.sats = []  # all azimuths 0: no real satellite data (SiRF)
        return 0
    if talker == "P" and sky.seen & {"glgsv", "bdgsv", "gagsv", "qzgsv"}:
        return 0  # the other constellations' groups follow and complete the view
    return _SAT


_SAT_CACHE: dict[tuple[int, str, str, int, bool, int, int], SkySatellite] = {}


def _zda(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    # time, day, month, year, zone hours, zone minutes (ZDA is not used to find cycles)
    if not (s[1] and s[2] and s[3] and s[4]):
        return 0
    if not a._merge_hhmmss(s[1]):
        return 0
    year, month, day = _atoi(s[4]), _atoi(s[3]), _atoi(s[2])
    if not 1900 <= year <= 2200:
        raise ValueError(f"bad year {s[4]!r}")
    a._set_date(year, month, day)
    a.century = year - year % 100 if year - year % 100 > a.century else a.century
    return _TIME


def _pgrmz(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    # Garmin altitude: feet, 'f', fix dimension
    mask = 0
    if s[2][:1] == "f" and s[1]:
        new.alt_msl = _atoi(s[1]) / _FEET
        mask |= _ALT
    dim = s[3][:1]
    if dim in ("1", "2", "3"):
        new.mode = int(dim)
        mask |= _MODE
    return mask


def _pmgnst(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    # Magellan status: version, fix dimension, T when fixed, ...
    dim = _atoi(s[2])
    new.mode = dim if s[3][:1] == "T" and dim in (2, 3) else _NO_FIX
    return _MODE


def _psrfepe(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    # SiRF error estimates: time, status, HDOP, ...; its time counts for cycle detection
    mask = 0
    if s[1] and a._merge_hhmmss(s[1]):
        a._register(s[1])
        if a._ordinal is not None:
            mask |= _TIME
    if s[2][:1] == "A" and s[3]:
        a._sky.hdop = _num(s[3])
    return mask


def _gbs(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    a._register(s[1])  # error estimates only; its time counts for cycle detection
    return 0


def _hdt(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    if s[1]:
        _num(s[1])
    return 0


def _ignored(a: EpochAssembler, s: _Sentence, new: _Fix) -> int:
    return 0


# sentence types gpsd takes (any accepted talker), with their handler; the rest of gpsd's table
# changes nothing a TPV or SKY shows
_STANDARD: dict[str, Handler] = {
    "RMC": _rmc, "GGA": _gga, "GLL": _gll, "GNS": _gns, "VTG": _vtg, "GSA": _gsa, "GSV": _gsv, "ZDA": _zda,
    "HDT": _hdt, "GBS": _gbs,
}
for _kind in ("AAM", "APB", "BOD", "BWC", "DBT", "DPT", "DTM", "GLC", "GRS", "GST", "HDG", "MSS", "MTW", "MWD",
              "MWV", "RMB", "RTE", "TXT", "VHW", "VLW", "XDR", "XTE"):
    _STANDARD[_kind] = _ignored
_PROPRIETARY: dict[str, Handler] = {"PGRMZ": _pgrmz, "PMGNST": _pmgnst, "PSRFEPE": _psrfepe}
for _kind in ("PGRMC", "PGRME", "PGRMF", "PGRMH", "PGRMI", "PGRMM", "PGRMO", "PGRMT", "PGRMV", "PMTK",
              "PMTK001", "PMTK424", "PMTK705", "PMTKCHN", "PRWIZCH", "PTFTTXT", "PUBX", "PSTI", "STI", "PSTM",
              "PASHR"):
    _PROPRIETARY[_kind] = _ignored
# sentences that, without a time, tell a new cycle when they come again
_SPLIT_KINDS = frozenset({"RMC", "GGA", "GLL", "GNS", "VTG", "GSA", "ZDA"})
# gpsd's minimum field counts (the tag included); a shorter sentence is skipped
_MIN_FIELDS = {"RMC": 8, "GGA": 13, "GLL": 7, "GNS": 13, "GSA": 18, "GSV": 0, "VTG": 5, "ZDA": 4, "HDT": 1,
               "GBS": 7, "GST": 8, "TXT": 5, "DBT": 7, "DTM": 2, "PGRMZ": 4, "PMGNST": 8, "PSRFEPE": 7,
               "PGRME": 7, "PGRMM": 2, "PMTK": 3}

