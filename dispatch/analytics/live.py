"""The live counters of the video wall (`analytics.live`): units by status, open incidents by priority, overdue
cases and open alerts, counted from the core's state at one instant under its lock (nothing stored).

The wall (console/wall.py) shows these figures and computes none of them: the same numbers come out of
`ctl --json ... analytics.live` or any seat.
"""

from __future__ import annotations

from typing import Any

from dispatch.incidents.book import book, deadline
from dispatch.model import UnitStatus
from dispatch.ops import op
from dispatch.rules.alerts import alert_book

PRIORITIES = ("P1", "P2", "P3", "P4")


def live_counts(core: Any, now: float | None = None) -> dict[str, Any]:
    """{units: {total, stale, <status>: n}, incidents: {open, P1..P4}, overdue, alerts: {open, high}, at}.

    A case is overdue once a deadline of it passed (recorded or not yet swept), until it is closed; an alert is
    open while nobody acknowledged it and it neither cleared nor became an incident."""
    now = core.clock() if now is None else now
    with core.lock:
        units = list(core.state.units.values())
        b = book(core.state)
        open_incidents = b.open_incidents()
        alerts = list(alert_book(core.state).alerts.values())
        cfg = b.config
        by_status = {s.value: 0 for s in UnitStatus}
        stale = 0
        for u in units:
            by_status[str(u.status)] = by_status.get(str(u.status), 0) + 1
            stale += bool(core.is_stale(u, now))
        by_priority = dict.fromkeys(PRIORITIES, 0)
        overdue = 0
        for inc in open_incidents:
            by_priority[inc.priority] = by_priority.get(inc.priority, 0) + 1
            d = deadline(inc, cfg, now)
            overdue += bool(inc.overdue or (d is not None and d["remaining_s"] < 0))
        live = [a for a in alerts if a["active"] and a.get("ack_ts") is None and a.get("incident_id") is None]
    return {"at": now, "units": {"total": len(units), "stale": stale, **by_status},
            "incidents": {"open": len(open_incidents), **by_priority}, "overdue": overdue,
            "alerts": {"open": len(live), "high": sum(1 for a in live if a.get("severity") == "high")}}


@op("analytics.live")
def live(core: Any, actor: str) -> dict[str, Any]:
    """The wall's counters now (see live_counts)."""
    return live_counts(core)
