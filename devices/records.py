"""Typed records that decoders produce.

Every decoder in devices/ turns bytes into these frozen dataclasses; nothing above this
layer ever sees a raw sentence except the engineer's raw monitor. Times are UTC epoch
seconds (float): cheap to store, compare and ship over the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True, slots=True)
class Fix:
    """A position fix from any source (NMEA RMC/GGA/GLL, gpsd TPV, a field unit, AIS)."""

    source: str  # feed-specific source key: talker+port, "mmsi:413000000", device id...
    time: float  # UTC epoch seconds of the fix itself (not of reception)
    lat: float  # degrees, WGS84, north positive
    lon: float  # degrees, WGS84, east positive
    speed: float | None = None  # metres per second over ground
    course: float | None = None  # degrees true, track over ground
    heading: float | None = None  # degrees true, from a compass/HDT, if any
    alt: float | None = None  # metres above mean sea level
    mode: int = 2  # gpsd mode: 0 unknown, 1 no fix, 2 = 2D, 3 = 3D
    quality: int | None = None  # GGA fix quality (0 invalid, 1 GPS, 2 DGPS, 4 RTK ...)
    hdop: float | None = None
    sats: int | None = None  # satellites used
    talker: str | None = None  # "GP", "GN", "BD" ...
    sentence: str | None = None  # "RMC", "GGA" ... or "AIS1", "TPV"


@dataclass(frozen=True, slots=True)
class Satellite:
    prn: int
    elevation: float | None
    azimuth: float | None
    snr: float | None
    used: bool = False


@dataclass(frozen=True, slots=True)
class SkyReport:
    """Satellite view and dilution of precision (GSA, GSV)."""

    source: str
    time: float | None
    hdop: float | None = None
    vdop: float | None = None
    pdop: float | None = None
    used: tuple[int, ...] = ()  # PRNs used in the solution (GSA)
    satellites: tuple[Satellite, ...] = ()  # from a complete GSV group
    mode: int | None = None  # GSA fix mode: 1 none, 2 2D, 3 3D
    talker: str | None = None


@dataclass(frozen=True, slots=True)
class TimeReport:
    """ZDA: date and time with no position."""

    source: str
    time: float
    talker: str | None = None


@dataclass(frozen=True, slots=True)
class HeadingReport:
    """HDT: true heading with no position."""

    source: str
    heading: float
    time: float | None = None
    talker: str | None = None


@dataclass(frozen=True, slots=True)
class AisReport:
    """One decoded AIS message (any type). Fields follow gpsd's AIS JSON vocabulary.

    `fields` holds every decoded field with gpsd names (lat/lon in degrees, speed in knots
    as AIS sends it, course/heading in degrees, shipname ...). Position-bearing types also
    fill lat/lon for quick access.
    """

    msg_type: int
    mmsi: int
    time: float  # reception time (AIS carries only a UTC second)
    lat: float | None = None
    lon: float | None = None
    speed: float | None = None  # knots
    course: float | None = None
    heading: float | None = None
    shipname: str | None = None
    fields: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    source: str = ""


@dataclass(frozen=True, slots=True)
class TpvReport:
    """One NMEA reporting cycle (epoch) merged as gpsd merges it: what gpsd prints as TPV.

    Made by `devices.nmea.cycle.EpochAssembler` from every sentence of the cycle (RMC, GGA,
    GLL, GNS, GSA, VTG, ZDA...). Unlike `Fix` any part may be unknown: ``time`` is None until a
    date is known (RMC/ZDA), ``lat``/``lon`` are None without a fix (mode 1).
    """

    source: str
    mode: int  # gpsd mode: 0 not seen, 1 no fix, 2 = 2D, 3 = 3D
    time: float | None = None  # UTC epoch seconds
    lat: float | None = None
    lon: float | None = None
    alt_hae: float | None = None  # metres above the WGS84 ellipsoid
    alt_msl: float | None = None  # metres above mean sea level
    geoid_sep: float | None = None  # geoid height above the ellipsoid, metres
    speed: float | None = None  # metres per second over ground
    track: float | None = None  # degrees true
    status: int | None = None  # gpsd status: 0 no fix, 1 fix, 2 DGPS, 3 RTK fixed, 4 RTK float, 5 DR ...


@dataclass(frozen=True, slots=True)
class SkySatellite:
    """One satellite of a `SkyView`, numbered as gpsd numbers it (``prn``: NMEA 2.x extended PRN)."""

    prn: int  # 1-32 GPS, 33-64/120-158 SBAS, 65-96 GLONASS, 193-197 QZSS, 301-336 Galileo, 401-437 BeiDou
    el: float
    az: float
    ss: float
    used: bool
    gnssid: int  # u-blox GNSS id: 0 GPS, 1 SBAS, 2 Galileo, 3 BeiDou, 5 QZSS, 6 GLONASS
    svid: int


@dataclass(frozen=True, slots=True)
class SkyView:
    """The satellite view gpsd prints as SKY after a GSV group (every talker's groups so far)."""

    source: str
    hdop: float | None
    vdop: float | None
    pdop: float | None
    satellites: tuple[SkySatellite, ...]


Record = Fix | SkyReport | TimeReport | HeadingReport | AisReport | TpvReport | SkyView


_FIX_FIELDS = ("source", "time", "lat", "lon", "speed", "course", "heading", "alt", "mode", "quality", "hdop", "sats",
               "talker", "sentence")
assert tuple(f.name for f in fields(Fix)) == _FIX_FIELDS, "update devices.records.new_fix"
(_s_source, _s_time, _s_lat, _s_lon, _s_speed, _s_course, _s_heading, _s_alt, _s_mode, _s_quality, _s_hdop,
 _s_sats, _s_talker, _s_sentence) = (getattr(Fix, _name).__set__ for _name in _FIX_FIELDS)
_new = object.__new__


def new_fix(source: str, time: float, lat: float, lon: float, speed: float | None, course: float | None,
            heading: float | None, alt: float | None, mode: int, quality: int | None, hdop: float | None,
            sats: int | None, talker: str | None, sentence: str | None) -> Fix:
    """`Fix(...)` with every field given positionally, about twice as fast.

    A frozen dataclass's generated ``__init__`` goes through ``object.__setattr__`` once per
    field; this sets the slots through their descriptors. The result is an ordinary Fix (equal,
    hashable, immutable through its attributes). For decoders' hot paths only: no checks.
    """
    fix = _new(Fix)
    _s_source(fix, source)
    _s_time(fix, time)
    _s_lat(fix, lat)
    _s_lon(fix, lon)
    _s_speed(fix, speed)
    _s_course(fix, course)
    _s_heading(fix, heading)
    _s_alt(fix, alt)
    _s_mode(fix, mode)
    _s_quality(fix, quality)
    _s_hdop(fix, hdop)
    _s_sats(fix, sats)
    _s_talker(fix, talker)
    _s_sentence(fix, sentence)
    return fix
