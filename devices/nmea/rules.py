"""gpsd's rules for each NMEA sentence type: what RMC, GGA, GLL, GNS, VTG, ZDA... set in the fix.

Each rule reads one `Sentence`, writes what it gives into ``new`` (a `Fix` merged into the
cycle's by `devices.nmea.cycle`) and into the `ReceiverState`, and returns the mask of what it
set. The satellite rules (GSA, GSV) are in `devices.nmea.sky`.

* **Time.** GGA/GLL/GNS carry a time of day only: their time counts once an RMC or ZDA gave
  the date (before that a TPV has no time). Two-digit years are 2000-2079, 80-99 are 19xx.
  RMC, GGA, GLL, GNS, GBS and PSRFEPE register their time of day for end-of-cycle detection;
  ZDA does not.
* **Mode.** From GGA (2D with a position, 3D with an altitude and at least 4 satellites, no
  fix below 3), RMC/GLL (at least 2D, 3D when the previous cycle had an altitude or GSA uses
  more than 3), GSA's fix type, GNS, Garmin PGRMZ, Magellan PMGNST. A void RMC/GLL or a GGA with
  quality 0 is mode 1.
* **Status.** GGA's quality, or the FAA mode letter of RMC, GLL and GNS.
"""

from __future__ import annotations

from collections.abc import Callable

from devices.errors import UnknownSentenceError
from devices.nmea.geoid import geoid_separation
from devices.nmea.receiver import (
    ALT,
    KNOT,
    LATLON,
    MODE,
    MODE_2D,
    MODE_3D,
    NO_FIX,
    NO_TIME,
    SPEED,
    STATUS,
    TIME,
    TRACK,
    Fix,
    ReceiverState,
    Sentence,
    atoi,
    latlon,
    num,
)
from devices.nmea.sky import gsa, gsv

Rule = Callable[[ReceiverState, Sentence, Fix], int]

_FEET = 3.2808399  # feet per metre, as gpsd converts PGRMZ

# Talker ids gpsd's packet reader accepts in front of a sentence type ($GQ..., $GI... are dropped).
TALKERS = frozenset({"GP", "GN", "GL", "GA", "GB", "BD", "QZ", "IN", "II", "EC", "HC", "TI", "SD", "WI", "YX", "PQ"})

# gpsd's FAA mode letter to its status (RMC field 12, GLL field 7, GNS field 6)
_FAA_STATUS = {"": 0, "A": 1, "D": 2, "E": 5, "F": 4, "N": 0, "P": 2, "R": 3, "S": 0}
# GGA quality to gpsd status (3 is PPS: 9)
_GGA_STATUS = {0: 0, 1: 1, 2: 2, 3: 9, 4: 3, 5: 4, 6: 5, 7: 7, 8: 8}


def _rmc(a: ReceiverState, s: Sentence, new: Fix) -> int:
    # time, status, lat, N/S, lon, E/W, knots, track, ddmmyy, magvar, E/W, FAA mode, nav status
    status = s[2][:1]
    if status not in ("A", "D"):
        a.status = 0
        new.mode = NO_FIX
        if not s[1] or not s[9]:
            a.ordinal = None  # no time or no date: gpsd forgets the date it had
            return STATUS | MODE | NO_TIME
        return STATUS | MODE
    mask = 0
    if s[1] and s.count > 9 and s[9]:
        # a time or date that does not parse leaves the sentence without time, its fix still counts (gpsd)
        if a.merge_hhmmss(s[1]) and a.merge_ddmmyy(s[9]):
            mask |= TIME
            a.register(s[1])
    new_status = 0
    if latlon(s, 3, new):
        new_status = 1
        mask |= LATLON
        if a.fix.mode <= MODE_2D:
            new.mode = MODE_2D
            mask |= MODE
    else:
        new.mode = NO_FIX
        mask |= MODE
    if s[7]:
        new.speed = num(s[7]) * KNOT
        mask |= SPEED
    if s[8]:
        new.track = num(s[8])
        mask |= TRACK
    if s.count >= 12:
        new_status = _FAA_STATUS.get(s[12][:1], 1)
    if a.sats_used > 3 or a.fix.has_alt():
        new.mode = MODE_3D
        mask |= MODE
    a.status = new_status
    return mask | STATUS


def _gll(a: ReceiverState, s: Sentence, new: Fix) -> int:
    # lat, N/S, lon, E/W, time, status, FAA mode
    mask = 0
    if s[5] and a.merge_hhmmss(s[5]):
        a.register(s[5])
        if a.ordinal is not None:
            mask = TIME
    valid = s[6][:1]
    if valid == "A" and (s.count < 8 or s[7][:1] != "N") and latlon(s, 1, new):
        mask |= LATLON
        if a.fix.has_alt() or a.sats_used > 3:
            new.mode = MODE_3D
            mask |= MODE
        elif a.fix.mode < MODE_2D or not a.oldfix.has_alt():
            new.mode = MODE_2D
            mask |= MODE
        a.status = _FAA_STATUS.get(s[7][:1], 1) if s.count >= 8 else 1
        return mask
    a.status = 0
    new.mode = NO_FIX
    return mask | STATUS | MODE


def _gga(a: ReceiverState, s: Sentence, new: Fix) -> int:
    # time, lat, N/S, lon, E/W, quality, satellites, HDOP, altitude, M, separation, M, age, station
    mask = 0
    quality = atoi(s[6]) if s[6] else -1
    status = _GGA_STATUS.get(quality)
    if status is not None:
        a.status = status
        mask = STATUS
    talker = s.tag[1:2]
    last_talker, a.last_gga_talker = a.last_gga_talker, talker
    if last_talker and last_talker != talker:
        a.latch_mode = False  # SiRFstarV: GPGGA and GLGGA of one cycle
    else:
        a.latch_mode = s[1] == a.last_gga_time
    if a.latch_mode:
        # the same time as the last GGA: a receiver that lost lock and repeats itself
        a.status = 0
        new.mode = NO_FIX
    else:
        a.last_gga_time = s[1]
    sats = atoi(s[7])
    if a.merge_hhmmss(s[1]):
        a.register(s[1])
        if a.ordinal is not None:
            mask |= TIME
    if latlon(s, 2, new):
        new.mode = MODE_2D
        mask |= LATLON
        new.geoid_sep = num(s[11]) if s[11] else geoid_separation(new.lat, new.lon)  # type: ignore[arg-type]
        if s[9]:
            new.alt_msl = num(s[9])
            mask |= ALT
            if sats >= 4:
                new.mode = MODE_3D
        if sats < 3:
            new.mode = NO_FIX
    else:
        new.mode = NO_FIX
    if s[8]:
        a.sky.hdop = num(s[8])
    return mask | MODE


def _gns(a: ReceiverState, s: Sentence, new: Fix) -> int:
    # time, lat, N/S, lon, E/W, mode letters, satellites, HDOP, altitude, separation, age, station, nav status
    mask = 0
    if s[1] and a.merge_hhmmss(s[1]):
        a.register(s[1])
        if a.ordinal is not None:
            mask = TIME
    if s[6][:1] in ("", "N"):
        new.mode = NO_FIX
        return mask | MODE
    if s[13][:1] in ("U", "V"):
        return mask
    sats = atoi(s[7])
    if latlon(s, 2, new):
        mask |= LATLON
        new.mode = MODE_2D
        if s[9]:
            new.alt_msl = num(s[9])
            mask |= ALT
            if sats > 3:
                new.mode = MODE_3D
            if s[10]:
                new.geoid_sep = num(s[10])
    else:
        new.mode = NO_FIX
    if s[8]:
        a.sky.hdop = num(s[8])
    a.status = _FAA_STATUS.get(s[6][:1], 1)
    return mask | MODE | STATUS


def _vtg(a: ReceiverState, s: Sentence, new: Fix) -> int:
    # track true, T, track magnetic, M, knots, N, km/h, K, FAA mode
    if not s[1] or not s[5]:
        return 0
    if s.count > 9 and s[9][:1] in ("E", "N"):
        return 0
    new.track = num(s[1])
    new.speed = num(s[5]) * KNOT
    return TRACK | SPEED


def _zda(a: ReceiverState, s: Sentence, new: Fix) -> int:
    # time, day, month, year, zone hours, zone minutes (ZDA is not used to find cycles)
    if not (s[1] and s[2] and s[3] and s[4]):
        return 0
    if not a.merge_hhmmss(s[1]):
        return 0
    year, month, day = atoi(s[4]), atoi(s[3]), atoi(s[2])
    if not 1900 <= year <= 2200 or not a.set_date(year, month, day):
        return 0  # a bad date: the time of day is taken, no date (gpsd)
    a.century = year - year % 100 if year - year % 100 > a.century else a.century
    return TIME


def _pgrmz(a: ReceiverState, s: Sentence, new: Fix) -> int:
    # Garmin altitude: feet, 'f', fix dimension
    mask = 0
    if s[2][:1] == "f" and s[1]:
        new.alt_msl = atoi(s[1]) / _FEET
        mask |= ALT
    dim = s[3][:1]
    if dim in ("1", "2", "3"):
        new.mode = int(dim)
        mask |= MODE
    return mask


def _pmgnst(a: ReceiverState, s: Sentence, new: Fix) -> int:
    # Magellan status: version, fix dimension, T when fixed, ...
    dim = atoi(s[2])
    new.mode = dim if s[3][:1] == "T" and dim in (2, 3) else NO_FIX
    return MODE


def _psrfepe(a: ReceiverState, s: Sentence, new: Fix) -> int:
    # SiRF error estimates: time, status, HDOP, ...; its time counts for cycle detection
    mask = 0
    if s[1] and a.merge_hhmmss(s[1]):
        a.register(s[1])
        if a.ordinal is not None:
            mask |= TIME
    if s[2][:1] == "A" and s[3]:
        a.sky.hdop = num(s[3])
    return mask


def _gbs(a: ReceiverState, s: Sentence, new: Fix) -> int:
    a.register(s[1])  # error estimates only; its time counts for cycle detection
    return 0


def _hdt(a: ReceiverState, s: Sentence, new: Fix) -> int:
    if s[1]:
        num(s[1])
    return 0


def _ignored(a: ReceiverState, s: Sentence, new: Fix) -> int:
    return 0


# sentence types gpsd takes (any accepted talker), with their handler; the rest of gpsd's table
# changes nothing a TPV or SKY shows
STANDARD: dict[str, Rule] = {
    "RMC": _rmc, "GGA": _gga, "GLL": _gll, "GNS": _gns, "VTG": _vtg, "GSA": gsa, "GSV": gsv, "ZDA": _zda,
    "HDT": _hdt, "GBS": _gbs,
}
for _kind in ("AAM", "APB", "BOD", "BWC", "DBT", "DPT", "DTM", "GLC", "GRS", "GST", "HDG", "MSS", "MTW", "MWD",
              "MWV", "RMB", "RTE", "TXT", "VHW", "VLW", "XDR", "XTE"):
    STANDARD[_kind] = _ignored
PROPRIETARY: dict[str, Rule] = {"PGRMZ": _pgrmz, "PMGNST": _pmgnst, "PSRFEPE": _psrfepe}
for _kind in ("PGRMC", "PGRME", "PGRMF", "PGRMH", "PGRMI", "PGRMM", "PGRMO", "PGRMT", "PGRMV", "PMTK",
              "PMTK001", "PMTK424", "PMTK705", "PMTKCHN", "PRWIZCH", "PTFTTXT", "PUBX", "PSTI", "STI", "PSTM",
              "PASHR"):
    PROPRIETARY[_kind] = _ignored
# sentences that, without a time, tell a new cycle when they come again
SPLIT_KINDS = frozenset({"RMC", "GGA", "GLL", "GNS", "VTG", "GSA", "ZDA"})
# gpsd's minimum field counts (the tag included); a shorter sentence is skipped
MIN_FIELDS = {"RMC": 8, "GGA": 13, "GLL": 7, "GNS": 13, "GSA": 18, "GSV": 0, "VTG": 5, "ZDA": 4, "HDT": 1,
               "GBS": 7, "GST": 8, "TXT": 5, "DBT": 7, "DTM": 2, "PGRMZ": 4, "PMGNST": 8, "PSRFEPE": 7,
               "PGRME": 7, "PGRMM": 2, "PMTK": 3}


def rule_for(tag: str) -> tuple[Rule, str]:
    """The rule of a tag and the sentence kind ("GGA", "PGRMZ"): gpsd's table, any accepted talker.

    :raises UnknownSentenceError: a talker or sentence type gpsd does not take.
    """
    entry = PROPRIETARY.get(tag)
    if entry is not None:
        return entry, tag
    if len(tag) == 5 and (tag[:2] in TALKERS or tag[0] == "P"):
        entry = STANDARD.get(tag[2:])
        if entry is not None:
            return entry, tag[2:]
    raise UnknownSentenceError(f"sentence {tag or '?'} not decoded", tag)
