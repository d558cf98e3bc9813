"""Per-stream state shared by the pynmea2 decoder and the fast path.

GGA and GLL carry only a time of day. Their date comes from the last RMC or ZDA seen on
the same stream or, before any, from the reception date. Both decoders resolve times
through one `StreamState` so that they agree to the microsecond.

Times are kept as integer microseconds until the final division: that is exactly how
``datetime.timestamp()`` computes its float, so both paths produce identical floats.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

DAY_US = 86_400_000_000
_HALF_DAY_US = DAY_US // 2
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def day_seconds(year: int, month: int, day: int) -> int:
    """Epoch seconds of 00:00 UTC on the given date. :raises ValueError: bad date."""
    return (date(year, month, day).toordinal() - _EPOCH_ORDINAL) * 86400


def tod_us(hhmmss: str) -> int:
    """Microseconds since midnight from ``hhmmss[.sss]``, rounded like pynmea2.

    :raises ValueError: not a time of day.
    """
    h = int(hhmmss[0:2])
    m = int(hhmmss[2:4])
    s = int(hhmmss[4:6])
    frac = hhmmss[6:]
    # pynmea2.nmea_utils.timestamp truncates float(frac) * 1e6; do the same, and reject
    # what datetime.time rejects there (so both paths fail on the same input).
    us = int(float(frac) * 1000000) if frac else 0
    if not (0 <= h <= 23 and 0 <= m <= 59 and 0 <= s <= 59 and 0 <= us < 1_000_000):
        raise ValueError(f"bad time of day {hhmmss!r}")
    return ((h * 60 + m) * 60 + s) * 1_000_000 + us


class StreamState:
    """Date and satellite bookkeeping for one NMEA stream (one receiver, one port)."""

    __slots__ = ("clock", "require_checksum", "day_s", "last_tod_us", "last_time", "dates", "tod_key", "tod_val")

    def __init__(self, clock: Callable[[], float] = time.time, require_checksum: bool = True) -> None:
        self.clock = clock
        self.require_checksum = require_checksum
        self.day_s: int | None = None  # 00:00 UTC of the current date, from RMC/ZDA
        self.last_tod_us = 0  # time of day of the last resolved time
        self.last_time: float | None = None  # last resolved epoch time on this stream
        self.dates: dict[str, int] = {}  # "ddmmyy" -> day_s, a receiver repeats one date all day
        # Fast-path cache: the RMC and GGA of one epoch repeat the same time of day.
        self.tod_key = ""
        self.tod_val = 0

    def date_from_ddmmyy(self, ddmmyy: str) -> int:
        """Day seconds for an RMC date, with pynmea2's (strptime %y) century pivot.

        :raises ValueError: not a date.
        """
        day = self.dates.get(ddmmyy)
        if day is None:
            if len(ddmmyy) != 6 or not ddmmyy.isdigit():
                raise ValueError(f"bad date {ddmmyy!r}")
            yy = int(ddmmyy[4:6])
            day = day_seconds(2000 + yy if yy < 69 else 1900 + yy, int(ddmmyy[2:4]), int(ddmmyy[0:2]))
            if len(self.dates) > 64:
                self.dates.clear()
            self.dates[ddmmyy] = day
        return day

    def set_date(self, day_s: int, tod: int) -> float:
        """Record a full date+time (RMC, ZDA) and return its epoch seconds."""
        self.day_s = day_s
        self.last_tod_us = tod
        t = (day_s * 1_000_000 + tod) / 1_000_000
        self.last_time = t
        return t

    def resolve(self, tod: int) -> float:
        """Epoch seconds for a time of day alone (GGA, GLL).

        A time of day more than 12 h before the reference is taken to be after midnight
        (the date rolled over since the last RMC), more than 12 h after it as before.
        """
        day = self.day_s
        if day is None:
            now_us = int(self.clock() * 1_000_000)
            day = now_us // DAY_US * 86400
            ref = now_us % DAY_US
        else:
            ref = self.last_tod_us
        if tod < ref - _HALF_DAY_US:
            day += 86400
        elif tod > ref + _HALF_DAY_US:
            day -= 86400
        if self.day_s is not None:
            self.day_s = day
            self.last_tod_us = tod
        t = (day * 1_000_000 + tod) / 1_000_000
        self.last_time = t
        return t
