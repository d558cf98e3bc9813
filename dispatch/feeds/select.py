"""Source selection: a unit with two sources takes the better one and fails over when that one goes quiet."""

from __future__ import annotations

import logging
import threading
from typing import Any

from devices.records import Fix

log = logging.getLogger(__name__)


QUIET_AFTER = 5.0  # seconds without a fix before a unit fails over to its other source


def fix_score(fix: Fix) -> float:
    """How good a source's fixes are: no fix 0, then better HDOP, DGPS/RTK above plain GPS."""
    if fix.quality == 0 or fix.mode < 2:
        return 0.0
    score = 10.0 - min(9.0, fix.hdop if fix.hdop is not None else 2.5)
    if fix.quality in (2, 4, 5):
        score += 1.0
    return score


class SourceSelector:
    """Per unit, which source's fixes count: the best one that is not quiet.

    A source's score comes from its fixes (`fix_score`; RMC carries no HDOP, so the GGA's score
    sticks) plus a small priority bonus. The current source keeps the unit until it has been
    quiet for `quiet_after` seconds or another source is clearly better (by `margin`).
    """

    def __init__(self, quiet_after: float = QUIET_AFTER, margin: float = 0.5) -> None:
        self.quiet_after = quiet_after
        self.margin = margin
        self.current: dict[str, str] = {}
        self.seen: dict[tuple[str, str], tuple[float, float]] = {}  # (unit, source) -> (last seen, score)
        self.switches = 0
        self._lock = threading.Lock()  # the feeds' pump and the JT/T 808 gateway's ingest thread share one

    def accept(self, unit: str, source: str, score: float | None, now: float) -> bool:
        with self._lock:
            return self._accept(unit, source, score, now)

    def accept_run(self, unit: str, source: str, last_score: float, now: float) -> bool:
        """`accept` for a run of fixes of one unit and source at ``now``, all or none: True (and the
        source keeps the last one's score) if ``source`` is the unit's current source or it has none,
        as `accept` on each in turn would; False changes nothing (the caller asks `accept` one by one)."""
        with self._lock:
            cur = self.current.get(unit)
            if cur is not None and cur != source:
                return False
            self.current[unit] = source
            self.seen[(unit, source)] = (now, last_score)
            return True

    def _accept(self, unit: str, source: str, score: float | None, now: float) -> bool:
        prev = self.seen.get((unit, source))
        if score is None:
            score = prev[1] if prev else 5.0
        self.seen[(unit, source)] = (now, score)
        cur = self.current.get(unit)
        if cur is None or cur == source:
            self.current[unit] = source
            return True
        cur_seen, cur_score = self.seen.get((unit, cur), (0.0, 0.0))
        if now - cur_seen > self.quiet_after or score > cur_score + self.margin:
            log.info("unit %s: source %s -> %s (%s)", unit, cur, source,
                     "quiet" if now - cur_seen > self.quiet_after else "better")
            self.current[unit] = source
            self.switches += 1
            return True
        return False


def shared_selector(core: Any, quiet_after: float | None = None) -> SourceSelector:
    """The one selector of a core's sources: every feed manager and the JT/T 808 gateway on ``core``
    choose through it, so a unit heard by two of them takes the better source, as within one manager.
    ``quiet_after`` (given) sets its failover time."""
    ext = getattr(core, "ext", None)
    if ext is None:  # a core without features' room (a stand-in): a selector of its own
        return SourceSelector(QUIET_AFTER if quiet_after is None else quiet_after)
    sel = ext.get("feeds.selector")
    if sel is None:
        sel = ext.setdefault("feeds.selector", SourceSelector())
    if quiet_after is not None:
        sel.quiet_after = quiet_after
    return sel  # type: ignore[no-any-return]
