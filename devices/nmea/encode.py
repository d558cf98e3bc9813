"""Render valid NMEA sentences from values, for simulators and tests.

Every function returns one sentence (GSV: a list) with ``$``, the checksum and no line
ending. Times are UTC epoch seconds, speeds metres per second, angles degrees.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from devices.checksum import append
from devices.records import Satellite

KNOT = 1852.0 / 3600.0


def _hhmmss(t: float, decimals: int = 2) -> str:
    scale = 10**decimals
    ticks = round(t * scale)
    secs, frac = divmod(ticks, scale)
    tm = time.gmtime(secs)
    s = f"{tm.tm_hour:02d}{tm.tm_min:02d}{tm.tm_sec:02d}"
    return f"{s}.{frac:0{decimals}d}" if decimals else s


def _ddmmyy(t: float) -> str:
    tm = time.gmtime(int(t))
    return f"{tm.tm_mday:02d}{tm.tm_mon:02d}{tm.tm_year % 100:02d}"


def _dm(value: float, width: int, decimals: int) -> str:
    """Degrees to ``d..dmm.mmmmm`` with ``width`` degree digits."""
    value = abs(value)
    deg = int(value)
    minutes = round((value - deg) * 60, decimals)
    if minutes >= 60:
        deg, minutes = deg + 1, 0.0
    return f"{deg:0{width}d}{minutes:0{decimals + 3}.{decimals}f}"


def _lat(lat: float, decimals: int) -> str:
    return f"{_dm(lat, 2, decimals)},{'N' if lat >= 0 else 'S'}"


def _lon(lon: float, decimals: int) -> str:
    return f"{_dm(lon, 3, decimals)},{'E' if lon >= 0 else 'W'}"


def _num(v: float | None, fmt: str) -> str:
    return "" if v is None else format(v, fmt)


def rmc(
    talker: str,
    t_epoch: float,
    lat: float,
    lon: float,
    speed_mps: float | None,
    course: float | None,
    *,
    valid: bool = True,
    decimals: int = 5,
) -> str:
    """``$xxRMC`` (NMEA 2.3 with mode indicator)."""
    body = (
        f"{talker}RMC,{_hhmmss(t_epoch)},{'A' if valid else 'V'},{_lat(lat, decimals)},{_lon(lon, decimals)},"
        f"{_num(None if speed_mps is None else speed_mps / KNOT, '.3f')},{_num(course, '.2f')},"
        f"{_ddmmyy(t_epoch)},,,{'A' if valid else 'N'}"
    )
    return append(body)


def gga(
    talker: str,
    t_epoch: float,
    lat: float,
    lon: float,
    alt: float | None = None,
    *,
    quality: int = 1,
    sats: int | None = 8,
    hdop: float | None = 1.0,
    geoid_sep: float | None = None,
    decimals: int = 5,
) -> str:
    """``$xxGGA``; ``quality`` 0 renders an empty position as receivers do."""
    pos = f"{_lat(lat, decimals)},{_lon(lon, decimals)}" if quality else ",,,"
    body = (
        f"{talker}GGA,{_hhmmss(t_epoch)},{pos},{quality},{'' if sats is None else f'{sats:02d}'},"
        f"{_num(hdop, '.2f')},{_num(alt, '.1f')},M,{_num(geoid_sep, '.1f')},M,,"
    )
    return append(body)


def vtg(talker: str, course: float | None, speed_mps: float | None) -> str:
    """``$xxVTG`` with true course, knots and km/h."""
    kn = None if speed_mps is None else speed_mps / KNOT
    kmh = None if speed_mps is None else speed_mps * 3.6
    body = f"{talker}VTG,{_num(course, '.2f')},T,,M,{_num(kn, '.3f')},N,{_num(kmh, '.3f')},K,A"
    return append(body)


def gsa(
    talker: str,
    prns: Sequence[int],
    pdop: float | None,
    hdop: float | None,
    vdop: float | None,
    *,
    mode: int = 3,
    auto: bool = True,
) -> str:
    """``$xxGSA``: up to 12 PRNs used in the solution."""
    ids = [f"{p:02d}" for p in list(prns)[:12]]
    ids += [""] * (12 - len(ids))
    body = f"{talker}GSA,{'A' if auto else 'M'},{mode},{','.join(ids)},{_num(pdop, '.2f')},{_num(hdop, '.2f')},{_num(vdop, '.2f')}"
    return append(body)


def gsv(talker: str, satellites: Iterable[Satellite]) -> list[str]:
    """A complete ``$xxGSV`` group, four satellites a sentence."""
    sats = list(satellites)
    total = max(1, (len(sats) + 3) // 4)
    out = []
    for n in range(total):
        chunk = sats[n * 4 : n * 4 + 4]
        fields = []
        for s in chunk:
            fields.append(
                f"{s.prn:02d},{_num(None if s.elevation is None else round(s.elevation), '02d')},"
                f"{_num(None if s.azimuth is None else round(s.azimuth), '03d')},"
                f"{_num(None if s.snr is None else round(s.snr), '02d')}"
            )
        tail = "," + ",".join(fields) if fields else ""
        out.append(append(f"{talker}GSV,{total},{n + 1},{len(sats):02d}{tail}"))
    return out


def hdt(talker: str, heading: float) -> str:
    """``$xxHDT``: true heading."""
    return append(f"{talker}HDT,{heading:.2f},T")


def zda(talker: str, t_epoch: float) -> str:
    """``$xxZDA`` with zone 00:00."""
    tm = time.gmtime(int(round(t_epoch, 2)))
    return append(f"{talker}ZDA,{_hhmmss(t_epoch)},{tm.tm_mday:02d},{tm.tm_mon:02d},{tm.tm_year:04d},00,00")
