"""A fleet simulator that moves tracks along polylines and speaks real NMEA 0183 and AIS.

Each track is one device: a phone or truck terminal (NMEA RMC + GGA), or a vessel's AIS
transponder (!AIVDM type 1 for class A, type 18 for class B, with static type 5/24 now and
then). The lines go through the same decoders as a live feed, so the demo city exercises
the whole chain. Geometry comes from the caller: devices/ knows nothing of the city.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyais.encode import encode_dict

from devices.checksum import append

EARTH_R = 6_371_000.0


@dataclass
class SimTrack:
    source: str  # feed source key, e.g. "demo:boat-01"
    path: Sequence[tuple[float, float]]  # (lat, lon) vertices
    speed: float  # metres per second
    protocol: str = "nmea"  # "nmea" or "ais"
    mmsi: int | None = None
    ais_class: str = "A"  # "A" (type 1/5) or "B" (type 18/24)
    shipname: str = ""
    talker: str = "GN"
    pingpong: bool = True  # out and back (True) or round a closed loop (False)
    start: float = 0.0  # where on the path it starts, as a fraction of one leg
    dwell_s: float = 0.0  # pause at each end of the path (loading, unloading)
    interval_s: float = 1.0  # reporting interval
    silent: tuple[float, float] | None = None  # (from, to) seconds after start: no reports (dead battery)
    jitter_m: float = 3.0  # GNSS noise
    _cum: list[float] = field(default_factory=list, repr=False)
    _next_report: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if len(self.path) < 2:
            raise ValueError(f"track {self.source} needs at least two points")
        cum = [0.0]
        for (a_lat, a_lon), (b_lat, b_lon) in zip(self.path, self.path[1:], strict=False):
            cum.append(cum[-1] + _dist(a_lat, a_lon, b_lat, b_lon))
        self._cum = cum

    @property
    def length(self) -> float:
        return self._cum[-1]

    def state_at(self, elapsed: float) -> tuple[float, float, float, float]:
        """(lat, lon, speed m/s, course deg) after `elapsed` seconds."""
        leg_time = self.length / self.speed if self.speed > 0 else math.inf
        cycle = (leg_time + self.dwell_s) * (2 if self.pingpong else 1)
        t = (self.start * leg_time + elapsed) % cycle if math.isfinite(cycle) else 0.0
        backwards = False
        if self.pingpong and t >= leg_time + self.dwell_s:
            t -= leg_time + self.dwell_s
            backwards = True
        moving = t < leg_time
        d = min(t, leg_time) * self.speed
        if backwards:
            d = self.length - d
        lat, lon, course = self._at(d)
        if backwards:
            course = (course + 180.0) % 360.0
        return lat, lon, (self.speed if moving else 0.0), course

    def _at(self, d: float) -> tuple[float, float, float]:
        cum = self._cum
        lo, hi = 0, len(cum) - 1
        d = max(0.0, min(d, cum[-1]))
        while lo < hi - 1:
            mid = (lo + hi) // 2
            if cum[mid] <= d:
                lo = mid
            else:
                hi = mid
        seg = cum[hi] - cum[lo]
        f = 0.0 if seg <= 0 else (d - cum[lo]) / seg
        (a_lat, a_lon), (b_lat, b_lon) = self.path[lo], self.path[hi]
        return a_lat + (b_lat - a_lat) * f, a_lon + (b_lon - a_lon) * f, _bearing(a_lat, a_lon, b_lat, b_lon)


class FleetSimulator:
    """Advances every track and renders the sentences due at a given wall-clock time."""

    def __init__(self, tracks: Sequence[SimTrack], *, t0: float | None = None, seed: int = 7) -> None:
        self.tracks = list(tracks)
        self.t0 = time.time() if t0 is None else t0
        self.rng = random.Random(seed)
        # Stagger reports so a thousand devices do not all speak in the same millisecond.
        for i, tr in enumerate(self.tracks):
            tr._next_report = self.t0 + (i * 0.618034 % 1.0) * tr.interval_s
        self._static_due: dict[str, float] = {}

    def due(self, now: float, between: Callable[[], None] | None = None) -> list[tuple[str, str]]:
        """Sentences (source, line) of every track whose report is due at `now`. `between` (if given) is
        called before each due track's report: a caller on a background thread hands the GIL over there."""
        out: list[tuple[str, str]] = []
        for tr in self.tracks:
            if now < tr._next_report:
                continue
            if between is not None:
                between()
            # Catch up without a burst: one report per call, the next one interval later.
            tr._next_report = max(tr._next_report + tr.interval_s, now)
            elapsed = now - self.t0
            if tr.silent and tr.silent[0] <= elapsed < tr.silent[1]:
                continue
            lat, lon, speed, course = tr.state_at(elapsed)
            if tr.jitter_m:
                lat += self.rng.gauss(0, tr.jitter_m) / 111_320.0
                lon += self.rng.gauss(0, tr.jitter_m) / (111_320.0 * math.cos(math.radians(lat)))
            if tr.protocol == "ais":
                out.extend((tr.source, s) for s in self._ais(tr, now, lat, lon, speed, course))
            else:
                out.extend((tr.source, s) for s in nmea_fix(tr.talker, now, lat, lon, speed, course))
        return out

    def _ais(self, tr: SimTrack, now: float, lat: float, lon: float, speed: float, course: float) -> list[str]:
        assert tr.mmsi is not None
        knots = round(speed * 1.943844, 1)
        second = int(now) % 60
        if tr.ais_class == "A":
            msg = {"type": 1, "mmsi": tr.mmsi, "status": 0 if speed > 0 else 5, "turn": 0, "speed": knots,
                   "accuracy": 1, "lon": lon, "lat": lat, "course": round(course, 1), "heading": round(course) % 360,
                   "second": second}
        else:
            msg = {"type": 18, "mmsi": tr.mmsi, "speed": knots, "accuracy": 1, "lon": lon, "lat": lat,
                   "course": round(course, 1), "heading": round(course) % 360, "second": second, "cs": 1}
        lines = encode_dict(msg, radio_channel="A", talker_id="AI", sentence_type="VDM")
        if now >= self._static_due.get(tr.source, 0.0) and tr.shipname:
            self._static_due[tr.source] = now + 60.0
            if tr.ais_class == "A":
                static = {"type": 5, "mmsi": tr.mmsi, "ais_version": 0, "shipname": tr.shipname, "shiptype": 55,
                          "to_bow": 10, "to_stern": 8, "to_port": 3, "to_starboard": 3, "epfd": 1,
                          "destination": "LIUZHOU", "draught": 1.2}
                lines += encode_dict(static, radio_channel="A", talker_id="AI", sentence_type="VDM", seq_id=tr.mmsi % 10)
            else:
                static = {"type": 24, "mmsi": tr.mmsi, "partno": 0, "shipname": tr.shipname}
                lines += encode_dict(static, radio_channel="B", talker_id="AI", sentence_type="VDM")
        return lines


def nmea_fix(talker: str, t: float, lat: float, lon: float, speed: float, course: float) -> list[str]:
    """An RMC and a GGA for one fix, as a receiver sends them each second."""
    d = datetime.fromtimestamp(t, UTC)
    hms = d.strftime("%H%M%S") + f".{d.microsecond // 10000:02d}"
    la = _dm(abs(lat), 2) + ("N" if lat >= 0 else "S")
    lo = _dm(abs(lon), 3) + ("E" if lon >= 0 else "W")
    la_v, la_h = la[:-1], la[-1]
    lo_v, lo_h = lo[:-1], lo[-1]
    knots = speed * 1.943844
    rmc = f"{talker}RMC,{hms},A,{la_v},{la_h},{lo_v},{lo_h},{knots:.2f},{course:.1f},{d:%d%m%y},,,A"
    gga = f"{talker}GGA,{hms},{la_v},{la_h},{lo_v},{lo_h},1,12,0.8,86.0,M,-19.6,M,,"
    return [append(rmc), append(gga)]


def _dm(deg: float, width: int) -> str:
    whole = int(deg)
    minutes = (deg - whole) * 60.0
    if minutes >= 59.999995:
        whole, minutes = whole + 1, 0.0
    return f"{whole:0{width}d}{minutes:08.5f}"


def _dist(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lon - a_lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_R * math.asin(min(1.0, math.sqrt(h)))


def _bearing(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dl = math.radians(b_lon - a_lon)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0
