"""Fast path for the hot position sentences (RMC, GGA).

A receiver sends some seven sentences a second and only two carry a position. This module
picks those two by prefix, checks their checksum and parses them with plain slicing and
``str.split``: no regex and no pynmea2. Everything else returns None after one slice
comparison, so the caller can hand it to the full decoder (`devices.nmea.decoder`).

The results are identical, field for field, to `NmeaDecoder` (a hypothesis test in
tests/devices/test_nmea_fast.py holds both to that): both share `StreamState` for dates
and use the same arithmetic for coordinates, speed and time. The code is deliberately
flat (few calls, locals only): in CPython each call costs as much as a field conversion.
"""

from __future__ import annotations

import dataclasses

from devices.errors import ChecksumError, MalformedSentenceError
from devices.nmea.state import StreamState
from devices.records import Fix

KNOT = 1852.0 / 3600.0  # metres per second in one knot
_HALF_DAY_US = 43_200_000_000

POSITION_TYPES = ("RMC", "GGA")

_HEX2 = [f"{i:02X}" for i in range(256)]

# Fix's generated __init__ goes through object.__setattr__ once per field because the
# class is frozen; setting the slots through their descriptors (inlined below) builds the
# same object in half the time. The names are checked here so that a change to Fix fails at import.
_FIX_FIELDS = ("source", "time", "lat", "lon", "speed", "course", "heading", "alt", "mode", "quality",
               "hdop", "sats", "talker", "sentence")
assert tuple(f.name for f in dataclasses.fields(Fix)) == _FIX_FIELDS, "update devices/nmea/fast.py"
(_s_source, _s_time, _s_lat, _s_lon, _s_speed, _s_course, _s_heading, _s_alt, _s_mode, _s_quality,
 _s_hdop, _s_sats, _s_talker, _s_sentence) = (getattr(Fix, name).__set__ for name in _FIX_FIELDS)
_new = object.__new__


def handles(line: str) -> bool:
    """True if `fast_position` parses this line (an RMC or GGA of any talker)."""
    return line[:1] == "$" and line[3:6] in POSITION_TYPES and line[1] != "P"


_FRAC_US: dict[str, int] = {"": 0}
_SMALL = {str(i): i for i in range(100)} | {f"{i:02d}": i for i in range(10)}  # quality, satellites


def _tod(s: str) -> int:
    """``hhmmss[.sss]`` to microseconds since midnight, as devices.nmea.state.tod_us."""
    hms = s[:6]
    if len(hms) != 6 or not hms.isdigit():
        raise ValueError(f"bad time of day {s!r}")
    frac = s[6:]
    us = _FRAC_US.get(frac)
    if us is None:
        # pynmea2 truncates float(frac) * 1e6; receivers use a handful of fractions
        us = int(float(frac) * 1000000)
        if not 0 <= us < 1_000_000:
            raise ValueError(f"bad time of day {s!r}")
        if len(_FRAC_US) < 1024:
            _FRAC_US[frac] = us
    v = int(hms)
    h = v // 10000
    m = v // 100 % 100
    sec = v % 100
    if h > 23 or m > 59 or sec > 59:
        raise ValueError(f"bad time of day {s!r}")
    return ((h * 60 + m) * 60 + sec) * 1_000_000 + us


def _coord(dm: str, hemi: str, pos: str, neg: str, limit: float) -> float:
    """``dddmm.mmmm`` + hemisphere to signed degrees, exactly as pynmea2's dm_to_sd."""
    if dm == "0":
        value = 0.0
    else:
        dot = dm.find(".")
        if dot < 3 or dot == len(dm) - 1 or not dm.replace(".", "", 1).isdigit():
            raise ValueError(f"bad coordinate {dm!r}")
        value = float(dm[: dot - 2]) + float(dm[dot - 2 :]) / 60
    if value > limit:
        raise ValueError(f"coordinate out of range {dm!r}")
    if hemi == pos:
        return value
    if hemi == neg:
        return -value
    raise ValueError(f"bad hemisphere {hemi!r}")


def fast_position(line: str, source: str, state: StreamState) -> Fix | None:
    """Parse an RMC or GGA line into a Fix; None for any other line or for no fix.

    ``line`` has no line ending (as `devices.framing.LineFramer` returns it); trailing
    whitespace is tolerated.

    :raises ChecksumError: an RMC/GGA whose checksum is wrong (or missing while
        ``state.require_checksum``).
    :raises MalformedSentenceError: an RMC/GGA whose fields do not parse.
    """
    kind = line[3:6]
    if kind != "RMC" and kind != "GGA" or line[:1] != "$" or line[1] == "P":
        return None  # ("$P..." is proprietary: $PxGGA is not a GGA)
    star = len(line) - 3
    if line[-3] != "*":  # (kind matched, so the line is at least 6 long)
        line = line.rstrip()  # tolerate trailing whitespace, then look again
        star = line.rfind("*")
        if star >= 0 and star != len(line) - 3:
            raise ChecksumError("malformed checksum field", line)
    if star >= 6:
        # XOR of the body, folded as one integer (see devices.nmea.checksum.xor)
        try:
            raw = line[1:star].encode()
        except UnicodeEncodeError:  # lone surrogates: cannot be a sentence
            raise ChecksumError("checksum mismatch", line) from None
        if len(raw) <= 128:
            x = int.from_bytes(raw, "little")
            x ^= x >> 512
            x ^= x >> 256
            x ^= x >> 128
            x ^= x >> 64
            x ^= x >> 32
            x ^= x >> 16
            x ^= x >> 8
            x &= 0xFF
        else:
            x = 0
            for b in raw:
                x ^= b
        given = line[star + 1 :]
        if given != _HEX2[x]:
            try:
                ok = int(given, 16) == x
            except ValueError:
                ok = False
            if not ok:
                raise ChecksumError("checksum mismatch", line)
        end = star
    elif state.require_checksum:
        raise ChecksumError("checksum missing", line)
    else:
        end = len(line)
    if line[6:7] != ",":
        raise MalformedSentenceError("no field separator after the sentence type", line)
    f = line[7:end].split(",", 9)  # fields 0-8 are all we read
    try:
        if kind == "RMC":
            # time, status, lat, N/S, lon, E/W, knots, course, ddmmyy, magvar, E/W, mode, navstatus
            hhmmss = f[0]
            if not hhmmss:
                tod = None
            elif hhmmss == state.tod_key:
                tod = state.tod_val
            else:
                frac_us = _FRAC_US.get(hhmmss[6:])
                hms = hhmmss[:6]
                if frac_us is None or len(hms) != 6 or not hms.isdigit():
                    tod = _tod(hhmmss)  # the general case, or raises
                else:
                    hv = int(hms)  # inline _tod for the common case
                    h, m, sec = hv // 10000, hv // 100 % 100, hv % 100
                    if h > 23 or m > 59 or sec > 59:
                        raise ValueError(f"bad time of day {hhmmss!r}")
                    tod = ((h * 60 + m) * 60 + sec) * 1_000_000 + frac_us
                state.tod_val = tod
                state.tod_key = hhmmss
            date = f[8]
            if date:
                day = state.dates.get(date)
                if day is None:
                    day = state.date_from_ddmmyy(date)
                if tod is not None:
                    # inline StreamState.set_date: this runs once a second per receiver
                    state.day_s = day
                    state.last_tod_us = tod
                    t = state.last_time = (day * 1_000_000 + tod) / 1_000_000
                else:
                    t = None
            else:
                t = None
            if f[1] != "A" or not f[2] or not f[4]:
                return None  # V: the receiver says this position is not to be trusted
            if tod is None:
                raise ValueError("valid RMC without a time")
            coords = state.coords
            if len(coords) > 64:
                coords.clear()
            key = f[2] + f[3]
            lat = coords.get(key)
            if lat is None:
                dm = f[2]
                dot = dm.find(".")
                if dot < 3 or dot == len(dm) - 1 or not dm.replace(".", "", 1).isdigit():
                    lat = _coord(dm, f[3], "N", "S", 90.0)  # "0", or raises
                else:
                    lat = float(dm[: dot - 2]) + float(dm[dot - 2 :]) / 60  # as pynmea2's dm_to_sd
                    if lat > 90.0:
                        raise ValueError(f"coordinate out of range {dm!r}")
                    hemi = f[3]
                    if hemi == "S":
                        lat = -lat
                    elif hemi != "N":
                        raise ValueError(f"bad hemisphere {hemi!r}")
                coords[key] = lat
            key = f[4] + f[5]
            lon = coords.get(key)
            if lon is None:
                dm = f[4]
                dot = dm.find(".")
                if dot < 3 or dot == len(dm) - 1 or not dm.replace(".", "", 1).isdigit():
                    lon = _coord(dm, f[5], "E", "W", 180.0)  # "0", or raises
                else:
                    lon = float(dm[: dot - 2]) + float(dm[dot - 2 :]) / 60  # as pynmea2's dm_to_sd
                    if lon > 180.0:
                        raise ValueError(f"coordinate out of range {dm!r}")
                    hemi = f[5]
                    if hemi == "W":
                        lon = -lon
                    elif hemi != "E":
                        raise ValueError(f"bad hemisphere {hemi!r}")
                coords[key] = lon
            v = f[6]
            speed = float(v) * KNOT if v else None
            v = f[7]
            course = float(v) if v else None
            if t is None:
                t = state.resolve(tod)
            fix = _new(Fix)
            _s_source(fix, source)
            _s_time(fix, t)
            _s_lat(fix, lat)
            _s_lon(fix, lon)
            _s_speed(fix, speed)
            _s_course(fix, course)
            _s_heading(fix, None)
            _s_alt(fix, None)
            _s_mode(fix, 2)
            _s_quality(fix, None)
            _s_hdop(fix, None)
            _s_sats(fix, None)
            _s_talker(fix, line[1:3])
            _s_sentence(fix, "RMC")
            return fix
        # time, lat, N/S, lon, E/W, quality, sats, hdop, alt, M, separation, M, age, station
        v = f[5]
        quality = _SMALL.get(v)
        if quality is None:
            quality = int(v)
        if quality == 0:
            return None  # fix not available
        hhmmss = f[0]
        if hhmmss == state.tod_key and hhmmss:
            tod = state.tod_val
        else:
            frac_us = _FRAC_US.get(hhmmss[6:])
            hms = hhmmss[:6]
            if frac_us is None or len(hms) != 6 or not hms.isdigit():
                tod = _tod(hhmmss)  # the general case, or raises
            else:
                hv = int(hms)  # inline _tod for the common case
                h, m, sec = hv // 10000, hv // 100 % 100, hv % 100
                if h > 23 or m > 59 or sec > 59:
                    raise ValueError(f"bad time of day {hhmmss!r}")
                tod = ((h * 60 + m) * 60 + sec) * 1_000_000 + frac_us
            state.tod_val = tod
            state.tod_key = hhmmss
        if not f[1] or not f[3]:
            return None
        coords = state.coords
        if len(coords) > 64:
            coords.clear()
        key = f[1] + f[2]
        lat = coords.get(key)
        if lat is None:
            dm = f[1]
            dot = dm.find(".")
            if dot < 3 or dot == len(dm) - 1 or not dm.replace(".", "", 1).isdigit():
                lat = _coord(dm, f[2], "N", "S", 90.0)  # "0", or raises
            else:
                lat = float(dm[: dot - 2]) + float(dm[dot - 2 :]) / 60  # as pynmea2's dm_to_sd
                if lat > 90.0:
                    raise ValueError(f"coordinate out of range {dm!r}")
                hemi = f[2]
                if hemi == "S":
                    lat = -lat
                elif hemi != "N":
                    raise ValueError(f"bad hemisphere {hemi!r}")
            coords[key] = lat
        key = f[3] + f[4]
        lon = coords.get(key)
        if lon is None:
            dm = f[3]
            dot = dm.find(".")
            if dot < 3 or dot == len(dm) - 1 or not dm.replace(".", "", 1).isdigit():
                lon = _coord(dm, f[4], "E", "W", 180.0)  # "0", or raises
            else:
                lon = float(dm[: dot - 2]) + float(dm[dot - 2 :]) / 60  # as pynmea2's dm_to_sd
                if lon > 180.0:
                    raise ValueError(f"coordinate out of range {dm!r}")
                hemi = f[4]
                if hemi == "W":
                    lon = -lon
                elif hemi != "E":
                    raise ValueError(f"bad hemisphere {hemi!r}")
            coords[key] = lon
        v = f[6]
        sats = _SMALL.get(v)
        if sats is None and v:
            sats = int(v)
        v = f[7]
        hdop = float(v) if v else None
        v = f[8]
        alt = float(v) if v else None
        last = state.last_tod_us
        if state.day_s is not None and last <= tod < last + _HALF_DAY_US:
            # the common case of StreamState.resolve, inlined: same day, later time
            state.last_tod_us = tod
            t = state.last_time = (state.day_s * 1_000_000 + tod) / 1_000_000
        else:
            t = state.resolve(tod)
        fix = _new(Fix)
        _s_source(fix, source)
        _s_time(fix, t)
        _s_lat(fix, lat)
        _s_lon(fix, lon)
        _s_speed(fix, None)
        _s_course(fix, None)
        _s_heading(fix, None)
        _s_alt(fix, alt)
        _s_mode(fix, 3 if alt is not None else 2)
        _s_quality(fix, quality)
        _s_hdop(fix, hdop)
        _s_sats(fix, sats)
        _s_talker(fix, line[1:3])
        _s_sentence(fix, "GGA")
        return fix
    except (ValueError, IndexError) as exc:
        raise MalformedSentenceError(f"{kind}: {exc}", line) from None
