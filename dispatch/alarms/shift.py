"""Shift boundaries and the seat's mute that runs out at the end of the shift.

A control room works in shifts that change at fixed local times (08:00 and 20:00 unless the console is
told otherwise, `--shift-changes`). A dispatcher may silence the alarms of this seat; the silence ends by
itself when the shift does, so the next dispatcher never starts a shift deaf.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta, tzinfo

DEFAULT_SHIFT_CHANGES = (time(8, 0), time(20, 0))


def parse_shift_changes(text: str) -> tuple[time, ...]:
    """'08:00,20:00' -> the times the shifts change, sorted. Raises ValueError saying what is wrong."""
    out = []
    for part in str(text).replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            hh, mm = part.split(":")
            out.append(time(int(hh), int(mm)))
        except ValueError:
            raise ValueError(f"a shift change is HH:MM (e.g. 08:00,20:00), not {part!r}") from None
    if not out:
        raise ValueError("give at least one shift change, e.g. 08:00,20:00")
    return tuple(sorted(set(out)))


def shift_end(now: float, changes: Sequence[time] = DEFAULT_SHIFT_CHANGES, tz: tzinfo | None = None) -> float:
    """The first shift change strictly after `now` (epoch seconds), in the local time of `tz` (default: the
    machine's), as epoch seconds."""
    here = datetime.fromtimestamp(now, tz) if tz is not None else datetime.fromtimestamp(now).astimezone()
    for days in (0, 1):
        day = here.date() + timedelta(days=days)
        for c in sorted(changes):
            at = datetime.combine(day, c, tzinfo=here.tzinfo)
            if tz is None:  # the machine's offset on that day (daylight saving), not today's
                at = datetime.combine(day, c).astimezone()
            if at.timestamp() > now:
                return at.timestamp()
    raise ValueError("no shift change given")  # unreachable with at least one change


class Mute:
    """This seat's silence: on until the end of the current shift (or `unmute`), read against `clock`."""

    def __init__(self, clock: Callable[[], float], changes: Sequence[time] = DEFAULT_SHIFT_CHANGES,
                 tz: tzinfo | None = None) -> None:
        self.clock = clock
        self.changes = tuple(changes)
        self.tz = tz
        self._until: float | None = None

    def end_of_shift(self) -> float:
        return shift_end(self.clock(), self.changes, self.tz)

    def mute(self, until: float | None = None) -> float:
        """Silence until `until` (default: the end of the shift); returns when that is (epoch seconds)."""
        self._until = self.end_of_shift() if until is None else float(until)
        return self._until

    def unmute(self) -> None:
        self._until = None

    @property
    def until(self) -> float | None:
        """When the silence ends, or None when the seat is heard (an expired mute reads as None)."""
        if self._until is not None and self.clock() >= self._until:
            self._until = None
        return self._until

    @property
    def muted(self) -> bool:
        return self.until is not None
