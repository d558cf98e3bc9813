"""Small spherical-earth helpers.

Every function here takes and returns **(lat, lon)** in degrees (WGS84, north/east
positive) — the order the rest of the Python API uses. GeoJSON and shapely geometries
are the other way round, ``(lon, lat)`` / ``x, y``; convert at the boundary.

Distances are great-circle distances on a sphere of the mean earth radius: good to ~0.5 %
anywhere, far better than that over a city.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean earth radius
M_PER_DEG_LAT = math.pi * EARTH_RADIUS_M / 180.0  # ~111 195 m


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between (lat1, lon1) and (lat2, lon2), degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2.0) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees true in [0, 360).

    0 is north, 90 east. Returns 0.0 for coincident points.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    if x == 0.0 and y == 0.0:
        return 0.0
    return math.degrees(math.atan2(y, x)) % 360.0


def destination(lat: float, lon: float, bearing: float, distance_m: float) -> tuple[float, float]:
    """The (lat, lon) reached going ``distance_m`` metres from (lat, lon) on ``bearing``."""
    d = distance_m / EARTH_RADIUS_M
    b = math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


class LocalFrame:
    """Equirectangular metric frame around an origin: x east, y north, metres.

    Accurate to well under a metre per kilometre over a city; use it to run planar
    geometry (projection onto a line, lengths, nearest points) in metres.
    """

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0 = lat0
        self.lon0 = lon0
        self.m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(lat0))

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        """(lat, lon) degrees -> (x, y) metres."""
        return (lon - self.lon0) * self.m_per_deg_lon, (lat - self.lat0) * M_PER_DEG_LAT

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        """(x, y) metres -> (lat, lon) degrees."""
        return self.lat0 + y / M_PER_DEG_LAT, self.lon0 + x / self.m_per_deg_lon


def path_length_m(points: list[tuple[float, float]]) -> float:
    """Length in metres of a polyline given as (lat, lon) points."""
    return sum(haversine_m(a[0], a[1], b[0], b[1]) for a, b in zip(points, points[1:], strict=False))
