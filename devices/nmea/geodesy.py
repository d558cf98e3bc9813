"""Distances on the WGS84 ellipsoid, and the speed gpsd derives from two fixes when no sentence gave one."""

from __future__ import annotations

import math

from devices.nmea.receiver import MODE_2D, Fix

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


def speed_between(old: Fix, new: Fix) -> float | None:
    """Speed over ground from two fixes (when no sentence of the cycle gave one), as gpsd derives it."""
    if (new.mode < MODE_2D or old.lat is None or old.lon is None or old.time is None or new.lat is None
            or new.lon is None or new.time is None):
        return None
    dt = new.time - old.time
    if dt <= 0:
        return None
    return geodesic_distance(old.lat, old.lon, new.lat, new.lon) / dt
