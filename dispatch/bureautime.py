"""The bureau's time: Liuzhou keeps China Standard Time (Asia/Shanghai, UTC+8, no daylight saving since 1991).

The core reckons days, shifts, the hours of the charts, deadlines in days and document dates in it, whatever
zone the machine is set to (a hub on a server kept at UTC). The console shows its times in it too
(`use_bureau_time`, called before Qt starts): a dispatcher's "reported at 07:16" and the chart's 15 o'clock
were the same report on a machine set to UTC, and a case document said 15时16分.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta, timezone, tzinfo

log = logging.getLogger(__name__)

BUREAU_TZ_NAME = "Asia/Shanghai"
BUREAU_UTC_OFFSET_S = 8 * 3600


def bureau_tz() -> tzinfo:
    """The bureau's zone (the tz database's, else the fixed UTC+8 that it is exactly)."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(BUREAU_TZ_NAME)
    except Exception:  # no tz database: China has no DST, a fixed offset is exact
        return timezone(timedelta(seconds=BUREAU_UTC_OFFSET_S), "CST")


def use_bureau_time() -> bool:
    """Make this process's local time the bureau's (TZ, then tzset: Python's and Qt's local time follow) where
    the platform allows it (POSIX); True if the machine was set to another offset. Windows keeps its own
    setting: set the machine to China Standard Time there."""
    if not hasattr(time, "tzset"):
        return False
    now = time.time()
    before = time.localtime(now).tm_gmtoff
    os.environ["TZ"] = BUREAU_TZ_NAME if _has_zone() else "CST-8"
    time.tzset()
    differed = before != time.localtime(now).tm_gmtoff
    if differed:
        log.info("times are shown in the bureau's zone (%s, UTC+8); this machine is set to UTC%+.1f",
                 BUREAU_TZ_NAME, before / 3600)
    return differed


def _has_zone() -> bool:
    return any(os.path.exists(os.path.join(d, BUREAU_TZ_NAME)) for d in ("/usr/share/zoneinfo", "/usr/lib/zoneinfo",
                                                                           "/usr/share/lib/zoneinfo"))
