"""What gpsd knows of an NMEA receiver between two sentences: the pieces the sentence rules read and set.

`ReceiverState` holds the date and time of day (a date only after RMC or ZDA gave one), the
time of day registered for end-of-cycle detection, the status and the satellites used, the GGA
latch (a receiver that lost lock repeats its last time), the satellite view, and the fixes:
the one being merged this cycle, the previous cycle's and the last one reported.
`devices.nmea.rules` and `devices.nmea.sky` change it, sentence by sentence;
`devices.nmea.cycle.EpochAssembler` decides from it where cycles end.
(The feed path's per-stream state, for single sentences, is `devices.nmea.state`.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from devices.records import SkySatellite

_LEAP_2017 = 1483228800  # 2017-01-01T00:00:00Z: the last leap second gpsd 3.22 was built with
WEEKS_1024 = 619315200  # 1024 GPS weeks in seconds
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

KNOT = 1852.0 / 3600.0  # metres per second in one knot
NO_FIX, MODE_2D, MODE_3D = 1, 2, 3
# what a sentence rule reports it set (gpsd's mask bits, our own numbering)
TIME, LATLON, MODE, ALT, SPEED, TRACK, STATUS, SAT, DOP, NO_TIME = (1 << i for i in range(10))


def atoi(s: str) -> int:
    """C ``atoi``: the leading integer of ``s`` (sign, digits), 0 if none."""
    if s.isdigit():
        return int(s)
    i = 1 if s[:1] in ("-", "+") else 0
    j = i
    while j < len(s) and s[j].isdigit():
        j += 1
    return int(s[:j]) if j > i else 0


def num(s: str) -> float:
    """A numeric field. :raises ValueError: not a number (the sentence is malformed)."""
    v = float(s)
    if not math.isfinite(v):
        raise ValueError(f"not a finite number: {s!r}")
    return v


@dataclass(slots=True)
class Fix:
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

    def copy(self) -> Fix:
        return Fix(self.time, self.lat, self.lon, self.mode, self.alt_hae, self.alt_msl, self.geoid_sep,
                   self.speed, self.track)


class Sentence:
    """One sentence split the way gpsd splits it (field 0 is the tag, missing fields read as '')."""

    __slots__ = ("tag", "fields", "count")

    def __init__(self, tag: str, fields: list[str], count: int) -> None:
        self.tag = tag
        self.fields = fields
        self.count = count  # gpsd's field count (the tag included)

    def __getitem__(self, i: int) -> str:
        f = self.fields
        return f[i] if i < len(f) else ""


@dataclass
class Sky:
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


class ReceiverState:
    """gpsd's per-device NMEA state (its ``nmea`` struct and the fixes), set by the sentence rules."""

    def __init__(self, *, century: int = 2000) -> None:
        self.century = century
        # date and time of day (gpsd's nmea.date); the date is unknown until RMC/ZDA
        self.ordinal: int | None = None  # proleptic ordinal of the date (days may run past a month)
        self.hour = 0
        self.minute = 0
        self.second = 0
        self.nsec = 0
        # the time of day registered by this sentence, for end-of-cycle detection
        self.this_frac = 0.0
        self.last_frac = 0.0
        self.latched = False
        # the fix: merged this cycle, the previous cycle's, the last reported one
        self.fix = Fix()
        self.lastfix = Fix()
        self.oldfix = Fix()
        self.status = 0
        self.sats_used = 0  # gpsd's satellites_used (from GSA)
        self.last_gga_talker = ""
        self.last_gga_time = "\x00"  # never equal to a field
        self.latch_mode = False
        self.sky = Sky()

    def register(self, hhmmss: str) -> None:
        """A time of day for end-of-cycle detection (gpsd compares the field as a number)."""
        if hhmmss:
            self.last_frac = self.this_frac
            try:
                self.this_frac = float(hhmmss)
            except ValueError:
                self.this_frac = float(atoi(hhmmss))
            self.latched = True

    def merge_hhmmss(self, s: str) -> bool:
        """Take a time of day (``hhmmss[.ss]``); False if the field is empty or not a time (as gpsd, the
        sentence's other fields still count)."""
        if len(s) < 6 or not s[:6].isdigit():
            return False
        hour = int(s[0:2])
        if hour < self.hour - 12 and self.ordinal is not None:
            # midnight passed since the date was given (gpsd 3.22 takes any earlier hour for it: a log
            # that goes back an hour would move on a day)
            self.ordinal += 1
        self.hour = hour
        self.minute = int(s[2:4])
        self.second = int(s[4:6])
        frac = s[7:] if s[6:7] == "." else ""
        digits = frac if frac.isdigit() else ""
        self.nsec = int(digits) * 10 ** (9 - len(digits)) if digits and len(digits) <= 9 else 0
        return True

    def set_date(self, year: int, month: int, day: int) -> bool:
        """Take a date; False (and the date unchanged) if the month or day is out of range."""
        if not 1 <= month <= 12 or not 1 <= day <= 31:
            return False
        self.ordinal = date(year, month, 1).toordinal() + day - 1
        return True

    def merge_ddmmyy(self, s: str) -> bool:
        """Take a two-digit-year date (RMC): 2000-2079, 80-99 are 19xx; False if it is not a date."""
        if len(s) != 6 or not s.isdigit():
            return False
        year = self.century + int(s[4:6])
        if year >= 2080:
            year -= 100
        return self.set_date(year, int(s[2:4]), int(s[0:2]))

    def utc(self, rollover: bool) -> float:
        """The date and time of day as epoch seconds; ``rollover``: gpsd's GPS week rollover guess."""
        assert self.ordinal is not None
        secs = ((self.ordinal - _EPOCH_ORDINAL) * 86400 + self.hour * 3600 + self.minute * 60
                + self.second)
        if rollover and secs < _LEAP_2017:
            # gpsd: a date before the last leap second it knows is a GPS week rollover
            secs += WEEKS_1024
            days, sod = divmod(secs, 86400)
            self.ordinal = _EPOCH_ORDINAL + days
            self.hour = sod // 3600
        return secs + self.nsec / 1e9


def latlon(s: Sentence, i: int, new: Fix) -> bool:
    """gpsd's do_lat_lon over fields i..i+3 (ddmm.mmm, N/S, dddmm.mmm, E/W); False if one is empty."""
    lat_s, ns, lon_s, ew = s[i], s[i + 1], s[i + 2], s[i + 3]
    if not (lat_s and ns and lon_s and ew):
        return False
    lat = num(lat_s)
    lon = num(lon_s)
    d, m = math.floor(lat / 100), lat - 100 * math.floor(lat / 100)
    lat = d + m / 60.0
    d, m = math.floor(lon / 100), lon - 100 * math.floor(lon / 100)
    lon = d + m / 60.0
    if abs(lat) > 90 or abs(lon) > 180:
        raise ValueError("coordinate out of range")
    new.lat = -lat if ns == "S" else lat
    new.lon = -lon if ew == "W" else lon
    return True
