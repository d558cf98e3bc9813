"""Fast path for the hot position sentences (RMC, GGA), one line or a batch at a time.

A receiver sends some seven sentences a second and only two carry a position. This module
picks those two by prefix, checks their checksum and parses them with plain slicing and
``str.split``: no regex and no pynmea2. Everything else returns None after one slice
comparison, so the caller can hand it to the full decoder (`devices.nmea.decoder`).

The results are identical, field for field, to `NmeaDecoder` (a hypothesis test in
tests/devices/test_nmea_fast.py holds both to that): both share `StreamState` for dates
and use the same arithmetic for coordinates, speed and time.

For batches (`devices.framing.Decoder.decode_batch`, what the feed multiplexer calls),
`checksum_flags` verifies the checksums of a whole list of lines in a few numpy calls
(a prefix XOR over the joined bytes), so that every sentence of a feed is checked for about
a tenth of what one Python-level XOR fold costs; `rmc_values`/`gga_values` parse the fields
of a line that is known to be checksum-clean, and `merge_values` joins an RMC and a GGA of
the same epoch into one Fix.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from devices.errors import ChecksumError, MalformedSentenceError
from devices.nmea.state import StreamState
from devices.records import Fix, new_fix

KNOT = 1852.0 / 3600.0  # metres per second in one knot
_HALF_DAY_US = 43_200_000_000

POSITION_TYPES = ("RMC", "GGA")

_HEX2 = [f"{i:02X}" for i in range(256)]

RmcValues = tuple[float, float, float, float | None, float | None]  # time, lat, lon, speed m/s, course
GgaValues = tuple[float, float, float, float | None, int, float | None, int | None]  # time, lat, lon, alt, q, hdop, sats


def handles(line: str) -> bool:
    """True if `fast_position` parses this line (an RMC or GGA of any talker)."""
    return line[:1] == "$" and line[3:6] in POSITION_TYPES and line[1] != "P"


# ------------------------------------------------------------------ checksums
def _xor_fold(raw: bytes) -> int:
    if len(raw) > 128:
        x = 0
        for b in raw:
            x ^= b
        return x
    # XOR of the body folded as one integer (see devices.checksum.xor)
    x = int.from_bytes(raw, "little")
    x ^= x >> 512
    x ^= x >> 256
    x ^= x >> 128
    x ^= x >> 64
    x ^= x >> 32
    x ^= x >> 16
    x ^= x >> 8
    return x & 0xFF


# hex digit values of upper-case hex characters; anything else is far out of the 0-255 range
_HEXVAL = np.full(256, -4096, dtype=np.int32)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEXVAL[_c] = _i
_STAR, _DOLLAR, _P, _COMMA = ord("*"), ord("$"), ord("P"), ord(",")
NUMPY_MIN_BATCH = 24  # below this, a Python loop is quicker than the numpy calls' overhead


def checksum_flags(lines: Sequence[str]) -> list[bool]:
    """For each line: True if it ends in ``*hh`` (upper-case hex) matching the XOR of its body.

    The body is everything between the first character (``$``/``!``) and the ``*``. The test is
    sound, not complete: True always means a correct checksum, while False only means "not
    this simple form" (wrong, missing, lower-case hex, trailing blanks, non-ASCII...), which the
    caller settles with the exact per-line rules (`check_end`).
    """
    return scan_batch(lines, ())[0]


def line_xors(b: Any, lines: Sequence[str]) -> tuple[Any, Any, Any, Any]:
    """(lengths, starts, ends, body XOR) of each line of `lines` joined into the bytes `b`; the XOR is of
    b[start+1 : end-3], between a sentence's first character and its '*' (one numpy pass for the batch)."""
    n = len(lines)
    lens = np.fromiter(map(len, lines), dtype=np.int64, count=n)
    ends = np.cumsum(lens)
    starts = ends - lens
    idx = np.empty(2 * n, dtype=np.int64)
    idx[0::2] = starts + 1
    idx[1::2] = ends - 3
    np.clip(idx, 0, len(b) - 1, out=idx)
    return lens, starts, ends, np.bitwise_xor.reduceat(b, idx)[0::2]


def scan_batch(lines: Sequence[str], skip_kinds: Collection[str]) -> tuple[list[bool], list[int] | None, dict[str, int]]:
    """Checksum flags (as `checksum_flags`) and which lines need no decoding at all.

    A line needs none if it is a checksum-clean ``$`` sentence, not proprietary, of a type in
    ``skip_kinds`` with a ``,`` after the type. Returns (flags, the indices of the other lines in
    order, or None if that is every line, the count of skipped lines per type).

    Batches of `NUMPY_MIN_BATCH` lines or more are scanned by numpy in a few whole-batch calls
    (the XOR of every body by one ``bitwise_xor.reduceat`` over the joined bytes).
    """
    n = len(lines)
    joined = "".join(lines)
    if n < NUMPY_MIN_BATCH or len(joined) < 16 or not joined.isascii() or "\x00" in joined:
        ok = checksum_flags_ascii(lines)
        if not skip_kinds:
            return ok, None, {}
        rest: list[int] = []
        counts: dict[str, int] = {}
        for i, line in enumerate(lines):
            kind = line[3:6]
            if ok[i] and kind in skip_kinds and line[0] == "$" and line[1] != "P" and line[6:7] == ",":
                counts[kind] = counts.get(kind, 0) + 1
            else:
                rest.append(i)
        return ok, rest, counts
    b = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    last = len(b) - 1
    lens, starts, ends, body = line_xors(b, lines)
    e1 = np.clip(ends - 1, 0, last)
    given = _HEXVAL[b[e1 - 1]] * 16 + _HEXVAL[b[e1]]
    okv = (lens >= 6) & (b[np.clip(ends - 3, 0, last)] == _STAR) & (given == body)
    ok = okv.tolist()
    if not skip_kinds:
        return ok, None, {}
    s = np.clip(starts, 0, last - 6)
    code = (b[s + 3].astype(np.int32) << 16) | (b[s + 4].astype(np.int32) << 8) | b[s + 5]
    base = okv & (lens >= 10) & (b[s] == _DOLLAR) & (b[s + 1] != _P) & (b[s + 6] == _COMMA)
    skip = np.zeros(n, dtype=bool)
    counts = {}
    for k in sorted(set(skip_kinds)):  # a handful of types: one comparison each beats np.isin + np.unique
        if len(k) == 3 and k.isascii():
            mask = base & (code == ((ord(k[0]) << 16) | (ord(k[1]) << 8) | ord(k[2])))
            found = int(np.count_nonzero(mask))
            if found:
                counts[k] = found
                skip |= mask
    if not counts:
        return ok, None, {}
    return ok, np.flatnonzero(~skip).tolist(), counts


def checksum_flags_ascii(lines: Sequence[str]) -> list[bool]:
    """`checksum_flags` for lines that may hold non-ASCII characters (never a valid sentence)."""
    return [len(ln) >= 6 and ln[-3] == "*" and ln.isascii() and _HEX2[_xor_fold(ln[1:-3].encode())] == ln[-2:]
            for ln in lines]


def check_end(line: str, state: StreamState) -> tuple[str, int]:
    """The exact checksum rules for one sentence: (the line, where its fields end).

    Trailing whitespace is tolerated; a lower-case checksum is accepted; a missing one is
    accepted unless ``state.require_checksum``.

    :raises ChecksumError: wrong, malformed or (when required) missing checksum.
    """
    star = len(line) - 3
    if len(line) < 3 or line[-3] != "*":
        line = line.rstrip()  # tolerate trailing whitespace, then look again
        star = line.rfind("*")
        if star >= 0 and star != len(line) - 3:
            raise ChecksumError("malformed checksum field", line)
    if star >= 6:
        try:
            raw = line[1:star].encode()
        except UnicodeEncodeError:  # lone surrogates: cannot be a sentence
            raise ChecksumError("checksum mismatch", line) from None
        x = _xor_fold(raw)
        given = line[star + 1 :]
        if given != _HEX2[x]:
            try:
                ok = int(given, 16) == x
            except ValueError:
                ok = False
            if not ok:
                raise ChecksumError("checksum mismatch", line)
        return line, star
    if state.require_checksum:
        raise ChecksumError("checksum missing", line)
    return line, len(line)


# ------------------------------------------------------------------ fields
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


# "hhmm" (00:00-23:59) and "ss" (00-59) as microseconds: the common time of day is three
# dict look-ups; anything else (unicode digits, out of range, odd fractions) goes to `_tod`.
_HHMM_US = {f"{h:02d}{m:02d}": (h * 60 + m) * 60_000_000 for h in range(24) for m in range(60)}
_SS_US = {f"{s:02d}": s * 1_000_000 for s in range(60)}


def _time_of_day(hhmmss: str, state: StreamState) -> int:
    """Microseconds since midnight, cached per stream (the RMC and GGA of an epoch share it)."""
    if hhmmss == state.tod_key:
        return state.tod_val
    frac_us = _FRAC_US.get(hhmmss[6:])
    hm = _HHMM_US.get(hhmmss[:4])
    sec = _SS_US.get(hhmmss[4:6])
    if frac_us is None or hm is None or sec is None:
        tod = _tod(hhmmss)  # the general case, or raises
    else:
        tod = hm + sec + frac_us
    state.tod_val = tod
    state.tod_key = hhmmss
    return tod


def _latlon(dm_lat: str, ns: str, dm_lon: str, ew: str) -> tuple[float, float]:
    """Signed degrees of an NMEA latitude/longitude pair, exactly as pynmea2's dm_to_sd.

    (The RMC and GGA of one epoch carry the same text: the batch decoder parses it once and
    hands the result to the other sentence as ``known``.)
    """
    dm = dm_lat
    dot = dm.find(".")
    if dot < 3 or dot == len(dm) - 1 or not dm.replace(".", "", 1).isdigit():
        lat = _coord(dm, ns, "N", "S", 90.0)  # "0", or raises
    else:
        lat = float(dm[: dot - 2]) + float(dm[dot - 2 :]) / 60
        if lat > 90.0:
            raise ValueError(f"coordinate out of range {dm!r}")
        if ns == "S":
            lat = -lat
        elif ns != "N":
            raise ValueError(f"bad hemisphere {ns!r}")
    dm = dm_lon
    dot = dm.find(".")
    if dot < 3 or dot == len(dm) - 1 or not dm.replace(".", "", 1).isdigit():
        lon = _coord(dm, ew, "E", "W", 180.0)  # "0", or raises
    else:
        lon = float(dm[: dot - 2]) + float(dm[dot - 2 :]) / 60
        if lon > 180.0:
            raise ValueError(f"coordinate out of range {dm!r}")
        if ew == "W":
            lon = -lon
        elif ew != "E":
            raise ValueError(f"bad hemisphere {ew!r}")
    return lat, lon


def rmc_values(f: list[str], state: StreamState, known: tuple[float, float] | None = None) -> RmcValues | None:
    """(time, lat, lon, speed m/s, course) of an RMC's fields; None for a void ('V') position.

    ``f`` is the comma-split text after ``$ttRMC,`` and before ``*``. The date it carries
    becomes the stream's date even when the position is void.

    :raises ValueError, IndexError: fields that do not parse.
    """
    # time, status, lat, N/S, lon, E/W, knots, course, ddmmyy, magvar, E/W, mode, navstatus
    hhmmss = f[0]
    tod = _time_of_day(hhmmss, state) if hhmmss else None
    date = f[8]
    t = None
    if date:
        day = state.dates.get(date)
        if day is None:
            day = state.date_from_ddmmyy(date)
        if tod is not None:
            # StreamState.set_date inlined: this runs once a second per receiver
            state.day_s = day
            state.last_tod_us = tod
            t = state.last_time = (day * 1_000_000 + tod) / 1_000_000
    if f[1] != "A" or not f[2] or not f[4]:
        return None  # V: the receiver says this position is not to be trusted
    if tod is None:
        raise ValueError("valid RMC without a time")
    # `known`: the same coordinate text was just parsed from this epoch's GGA (identical result)
    lat, lon = known if known is not None else _latlon(f[2], f[3], f[4], f[5])
    v = f[6]
    speed = float(v) * KNOT if v else None
    v = f[7]
    course = float(v) if v else None
    if t is None:
        t = state.resolve(tod)
    return t, lat, lon, speed, course


def gga_values(f: list[str], state: StreamState, known: tuple[float, float] | None = None) -> GgaValues | None:
    """(time, lat, lon, alt, quality, hdop, sats) of a GGA's fields; None for no fix.

    :raises ValueError, IndexError: fields that do not parse.
    """
    # time, lat, N/S, lon, E/W, quality, sats, hdop, alt, M, separation, M, age, station
    v = f[5]
    quality = _SMALL.get(v)
    if quality is None:
        quality = int(v) if v else 0  # an empty quality claims no fix either (an all-empty GGA)
    if quality == 0:
        return None  # fix not available
    hhmmss = f[0]
    if not hhmmss:
        raise ValueError("bad time of day ''")
    tod = _time_of_day(hhmmss, state)
    if not f[1] or not f[3]:
        return None
    # `known`: the same coordinate text was just parsed from this epoch's RMC (identical result)
    lat, lon = known if known is not None else _latlon(f[1], f[2], f[3], f[4])
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
    return t, lat, lon, alt, quality, hdop, sats


def rmc_fix(v: RmcValues, source: str, talker: str) -> Fix:
    return new_fix(source, v[0], v[1], v[2], v[3], v[4], None, None, 2, None, None, None, talker, "RMC")


def gga_fix(v: GgaValues, source: str, talker: str) -> Fix:
    alt = v[3]
    return new_fix(source, v[0], v[1], v[2], None, None, None, alt, 3 if alt is not None else 2, v[4], v[5], v[6],
                   talker, "GGA")


MERGED = "RMC+GGA"


def merged_fix(r: RmcValues, g: GgaValues, source: str, talker: str) -> Fix:
    """One Fix for the RMC and the GGA of one epoch (same talker, same time of day).

    Both carry the same position; the RMC adds speed, course and the date (its time is the
    fix's time), the GGA quality, satellites, HDOP and altitude (its position is taken: it is
    the sentence the fix quality describes). ``sentence`` is ``"RMC+GGA"``.
    """
    alt = g[3]
    return new_fix(source, r[0], g[1], g[2], r[3], r[4], None, alt, 3 if alt is not None else 2, g[4], g[5], g[6],
                   talker, MERGED)


def pair_fix(g: list[str], r: list[str], state: StreamState, source: str, talker: str) -> Fix | None:
    """The merged Fix of a GGA and an RMC of one epoch (fields as `gga_values`/`rmc_values` take
    them), parsed as one: a single time of day and coordinate parse, no time resolution for the GGA.

    Only the common case is handled, where the result equals parsing both (in either order) and
    `merged_fix`: same time text, same coordinate text, a valid RMC ('A') whose date the stream has
    already seen, a GGA with a fix, every field parsing. Anything else returns None and changes no
    state (besides the time-of-day cache), so that the caller parses the two one by one, which gives
    the errors, the unmerged records and the state changes of the sentence-by-sentence path.
    """
    try:
        hhmmss = g[0]
        day = state.dates.get(r[8])
        a, ns, b, ew = g[1], g[2], g[3], g[4]
        if day is None or r[1] != "A" or hhmmss != r[0] or a != r[2] or ns != r[3] or b != r[4] or ew != r[5]:
            return None
        v = g[5]
        quality = _SMALL.get(v)
        if quality is None:
            quality = int(v)
        if quality == 0:
            return None
        hm = _HHMM_US.get(hhmmss[:4])  # `_time_of_day` inlined for the plain form
        sec = _SS_US.get(hhmmss[4:6])
        frac_us = _FRAC_US.get(hhmmss[6:])
        tod = _time_of_day(hhmmss, state) if hm is None or sec is None or frac_us is None else hm + sec + frac_us
        # `_latlon` for the plain form only (``d+mm.m+`` both), else the one-by-one path decides
        i = a.find(".")
        j = b.find(".")
        if i < 3 or j < 3 or a[-1] == "." or b[-1] == "." or not (a + b).replace(".", "", 2).isdigit():
            return None
        lat = float(a[: i - 2]) + float(a[i - 2 :]) / 60
        lon = float(b[: j - 2]) + float(b[j - 2 :]) / 60
        if lat > 90.0 or lon > 180.0:
            return None
        if ns == "S":
            lat = -lat
        elif ns != "N":
            return None
        if ew == "W":
            lon = -lon
        elif ew != "E":
            return None
        v = g[6]
        sats = _SMALL.get(v)
        if sats is None and v:
            sats = int(v)
        v = g[7]
        hdop = float(v) if v else None
        v = g[8]
        alt = float(v) if v else None
        v = r[6]
        speed = float(v) * KNOT if v else None
        v = r[7]
        course = float(v) if v else None
    except (ValueError, IndexError):
        return None
    # the RMC's date and time (StreamState.set_date inlined); the GGA's resolution would be overwritten
    state.day_s = day
    state.last_tod_us = tod
    t = state.last_time = (day * 1_000_000 + tod) / 1_000_000
    return new_fix(source, t, lat, lon, speed, course, None, alt, 3 if alt is not None else 2, quality, hdop, sats,
                   talker, MERGED)


def merge_fixes(rmc: Fix, gga: Fix) -> Fix:
    """`merged_fix` for two Fix records (the reference the batch path is tested against)."""
    return merged_fix((rmc.time, rmc.lat, rmc.lon, rmc.speed, rmc.course),
                      (gga.time, gga.lat, gga.lon, gga.alt, gga.quality or 0, gga.hdop, gga.sats),
                      rmc.source, rmc.talker or "")


# ------------------------------------------------------------------ one line
def fast_position(line: str, source: str, state: StreamState) -> Fix | None:
    """Parse an RMC or GGA line into a Fix; None for any other line or for no fix.

    ``line`` has no line ending (as `devices.lines.LineFramer` returns it); trailing
    whitespace is tolerated.

    :raises ChecksumError: an RMC/GGA whose checksum is wrong (or missing while
        ``state.require_checksum``).
    :raises MalformedSentenceError: an RMC/GGA whose fields do not parse.
    """
    kind = line[3:6]
    if kind != "RMC" and kind != "GGA" or line[:1] != "$" or line[1] == "P":
        return None  # ("$P..." is proprietary: $PxGGA is not a GGA)
    line, end = check_end(line, state)
    if line[6:7] != ",":
        raise MalformedSentenceError("no field separator after the sentence type", line)
    f = line[7:end].split(",", 9)  # fields 0-8 are all we read
    try:
        if kind == "RMC":
            r = rmc_values(f, state)
            return None if r is None else rmc_fix(r, source, line[1:3])
        g = gga_values(f, state)
        return None if g is None else gga_fix(g, source, line[1:3])
    except (ValueError, IndexError) as exc:
        raise MalformedSentenceError(f"{kind}: {exc}", line) from None
