"""A seat's mute, recorded: who silenced the alarm sounds of which seat and until when, so a shift lead or an
inquiry can tell that a seat was deaf (and why nobody heard the P1 call at 19:40).

Event kinds (entity "alarms"): alarms.muted {until, seat}, alarms.unmuted {seat}. The seat itself keeps the
mute (dispatch/alarms/shift.py `Mute`); these events are the record of it.
"""

from __future__ import annotations

import math
from typing import Any

from dispatch.errors import Refused
from dispatch.ops import op
from dispatch.store import NewEvent

MAX_MUTE_S = 24 * 3600.0  # no shift is longer; a mute "until next week" is a mistake


@op("alarms.mute")
def mute(core: Any, actor: str, until: float | None = None, seat: str = "") -> dict[str, Any]:
    """Record that `seat`'s alarm sounds are muted until `until` (epoch seconds), or heard again (until=None)."""
    seat = str(seat or "")[:100]
    if until is None:
        core.record(actor, [NewEvent("alarms.unmuted", {"seat": seat}, "alarms")])
        return {"until": None, "seat": seat}
    try:
        t = float(until)
    except (TypeError, ValueError):
        raise Refused(f"until must be a time (epoch seconds), not {until!r}", "bad_arguments") from None
    now = core.clock()
    if not math.isfinite(t) or t <= now or t > now + MAX_MUTE_S:
        raise Refused("a mute ends after now and within 24 hours (at the end of the shift)", "bad_arguments")
    core.record(actor, [NewEvent("alarms.muted", {"until": t, "seat": seat}, "alarms")])
    return {"until": t, "seat": seat}
