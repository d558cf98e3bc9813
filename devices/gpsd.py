"""gpsd's JSON protocol: decode TPV, SKY and AIS report lines into records.

Connect to gpsd (port 2947), send `WATCH` and read one JSON object per line. VERSION,
DEVICES, WATCH and the other housekeeping classes decode to nothing.
https://gpsd.gitlab.io/gpsd/gpsd_json.html
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime

from devices.errors import MalformedSentenceError, UnknownSentenceError
from devices.records import AisReport, Fix, Record, Satellite, SkyReport

WATCH = '?WATCH={"enable":true,"json":true}'
"""The command that makes gpsd stream JSON reports (send it with a trailing newline)."""

_HOUSEKEEPING = frozenset({"VERSION", "DEVICES", "DEVICE", "WATCH", "POLL", "ERROR", "TOFF", "PPS", "GST", "ATT",
                           "IMU", "OSC", "RAW", "RTCM2", "RTCM3", "SUBFRAME", "NOISE"})


def watch_command(enable: bool = True, device: str | None = None) -> str:
    """``?WATCH=...`` for JSON reports, optionally from one device only."""
    obj: dict[str, object] = {"enable": enable, "json": True}
    if device:
        obj["device"] = device
    return "?WATCH=" + json.dumps(obj, separators=(",", ":"))


def parse_time(value: object) -> float | None:
    """gpsd's ISO 8601 UTC time (``2024-11-26T11:20:00.250Z``) to epoch seconds."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _num(obj: dict[str, object], key: str) -> float | None:
    v = obj.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


# gpsd's TPV "status" (1 GPS, 2 DGPS, 3 RTK fixed, 4 RTK float, 5 dead reckoning, 6 GNSS + DR, 8 simulated)
# as the GGA fix quality the rest of the console speaks (1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, 6 DR,
# 8 simulation); absent (older gpsd) with a 2D/3D fix is a plain GPS fix
_GGA_QUALITY = {1: 1, 2: 2, 3: 4, 4: 5, 5: 6, 6: 6, 8: 8}


class GpsdDecoder:
    """Decode gpsd JSON lines from one gpsd connection."""

    UNTIMED_GRACE = 3  # time-less fixes of a device awaited before its fixes take the receive time

    def __init__(self, source: str, clock: Callable[[], float] = time.time) -> None:
        self.source = source
        self.clock = clock
        self._untimed: dict[str, int] = {}  # device source -> time-less fixes in a row (-1: it sends times)

    def decode(self, line: str) -> list[Record]:
        """One JSON object per line.

        :raises MalformedSentenceError: not a JSON object with a ``class``.
        :raises UnknownSentenceError: a class gpsd does not define.
        """
        try:
            obj = json.loads(line)
        except ValueError:
            raise MalformedSentenceError("not JSON", line) from None
        if not isinstance(obj, dict) or not isinstance(obj.get("class"), str):
            raise MalformedSentenceError("JSON without a class", line)
        cls = obj["class"]
        try:
            if cls == "TPV":
                return self._tpv(obj)
            if cls == "SKY":
                return [self._sky(obj)]
            if cls == "AIS":
                return [self._ais(obj)]
        except (TypeError, ValueError) as exc:
            raise MalformedSentenceError(f"{cls}: {exc}", line) from None
        if cls in _HOUSEKEEPING:
            return []
        raise UnknownSentenceError(f"gpsd class {cls!r}", line)

    def _source(self, obj: dict[str, object]) -> str:
        dev = obj.get("device")
        return f"{self.source}:{dev}" if isinstance(dev, str) and dev else self.source

    def _tpv(self, obj: dict[str, object]) -> list[Record]:
        mode = obj.get("mode", 0)
        lat, lon = _num(obj, "lat"), _num(obj, "lon")
        if not isinstance(mode, int) or mode < 2 or lat is None or lon is None:
            return []  # no fix
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError("coordinate out of range")
        src = self._source(obj)
        t = parse_time(obj.get("time"))
        if t is None:
            # gpsd leaves "time" out until it knows the date (its first cycle). Stamping such a fix with
            # the receive time would put it ahead of the receiver's own times when gpsd replays a log,
            # and the core would then ignore the log's fixes as older. So wait for the dated ones; a
            # device that never gives a date (GGA only) is stamped on reception after a few fixes.
            n = self._untimed.get(src, 0)
            if n < 0 or n < self.UNTIMED_GRACE:
                if n >= 0:
                    self._untimed[src] = n + 1
                return []
            t = self.clock()
        else:
            self._untimed[src] = -1
        alt = _num(obj, "altMSL")
        if alt is None:
            alt = _num(obj, "alt")
        status = obj.get("status", 1)
        quality = _GGA_QUALITY.get(status, 1) if isinstance(status, int) else 1
        return [Fix(src, t, lat, lon, speed=_num(obj, "speed"),
                    course=_num(obj, "track"), heading=_num(obj, "heading"), alt=alt, mode=mode,
                    quality=quality, sentence="TPV")]

    def _sky(self, obj: dict[str, object]) -> SkyReport:
        sats = []
        raw = obj.get("satellites") or []
        if not isinstance(raw, list):
            raise TypeError("satellites is not a list")
        for s in raw:
            if not isinstance(s, dict) or not isinstance(s.get("PRN"), int):
                continue
            sats.append(Satellite(s["PRN"], _num(s, "el"), _num(s, "az"), _num(s, "ss"), bool(s.get("used"))))
        return SkyReport(self._source(obj), parse_time(obj.get("time")), _num(obj, "hdop"), _num(obj, "vdop"),
                         _num(obj, "pdop"), tuple(s.prn for s in sats if s.used), tuple(sats))

    def _ais(self, obj: dict[str, object]) -> AisReport:
        fields = {k: v for k, v in obj.items() if k not in ("class", "device")}
        mmsi = obj.get("mmsi")
        mtype = obj.get("type")
        if not isinstance(mmsi, int) or not isinstance(mtype, int):
            raise TypeError("AIS without type or mmsi")
        lat, lon = _num(obj, "lat"), _num(obj, "lon")
        speed, course = _num(obj, "speed"), _num(obj, "course")
        heading = _num(obj, "heading")
        if obj.get("scaled") is False:
            # unscaled: 1/10000 minute, 1/10 knot, 1/10 degree
            lat = lat / 600000.0 if lat is not None else None
            lon = lon / 600000.0 if lon is not None else None
            speed = speed / 10.0 if speed is not None else None
            course = course / 10.0 if course is not None else None
        if lat is not None and abs(lat) > 90:
            lat = None  # 91 = not available
        if lon is not None and abs(lon) > 180:
            lon = None
        if speed is not None and speed >= 102.3:
            speed = None
        if course is not None and course >= 360:
            course = None
        if heading is not None and heading >= 360:
            heading = None  # 511
        name = obj.get("shipname")
        return AisReport(mtype, mmsi, self.clock(), lat, lon, speed, course, heading,
                         name if isinstance(name, str) and name else None, fields, self._source(obj))
