"""The shift report's content for a period, Qt-free: the figures, the dashboard's series, the cases open and
late at the period's end, the alerts and handover notes of the period, the incidents to map, and the enforcement
cases (dispatch/cases/shift.py).

console/report/ lays it out as HTML (charts drawn with pyqtgraph) or PDF; `python main.py report` writes it.
"""

from __future__ import annotations

from typing import Any

from dispatch.analytics.indicators import dashboard, stats
from dispatch.analytics.ops import astate, facts_of, named_units
from dispatch.cases.book import book as case_book
from dispatch.cases.shift import shift_cases
from dispatch.incidents.book import book, deadline
from dispatch.ops import op
from dispatch.record.replay import ALERT_PREFIXES, iso_z
from dispatch.store import NewEvent

NOTE_KIND = "shift.note"
MAX_ROWS = 500  # cases and alerts listed in full; beyond, the report says how many more


@op("shift.note")
def shift_note(core: Any, actor: str, text: str) -> dict[str, Any]:
    """A handover note from the operator of a shift (kept in the log; the shift report lists them)."""
    from dispatch.errors import Refused

    text = str(text or "").strip()
    if not text:
        raise Refused("a handover note needs its text", "bad_arguments")
    ch = core.record(actor, [NewEvent(NOTE_KIND, {"text": text[:4000]}, "shift")])
    ev = ch.events[-1]
    return {"seq": ev.seq, "time": iso_z(ev.ts), "actor": actor, "text": text[:4000]}


@op("analytics.report")
def report_op(core: Any, actor: str, start: Any = None, end: Any = None) -> dict[str, Any]:
    """The shift report's content for [start, end) (default: the last 12 hours), for a seat to lay out."""
    from dispatch.analytics.ops import window

    t2 = core.clock() if end is None else window(None, end, core.clock())[1]
    t1 = t2 - 12 * 3600 if start is None else window(start, t2, core.clock())[0]
    return report_data(core, t1, t2)


def report_data(core: Any, t1: float, t2: float) -> dict[str, Any]:
    core.refresh()
    core.flush()
    f = facts_of(core)
    with core.lock:
        weights = dict(astate(core.state).weights)
        cfg = book(core.state).config
        items = list(book(core.state).items.values())
        units = {u.id: u.name for u in core.state.units.values()}
    data: dict[str, Any] = {
        "from": t1, "to": t2, "from_iso": iso_z(t1), "to_iso": iso_z(t2),
        "stats": stats(f, t1, t2, weights=weights),
        "by_category": stats(f, t1, t2, by="category", weights=weights)["rows"],
        "by_district": stats(f, t1, t2, by="district", weights=weights)["rows"],
        "by_unit": stats(f, t1, t2, by="unit", weights=weights)["rows"],  # named below
        "dashboard": dashboard(f, t1, t2, weights=weights),
    }
    with core.lock:
        named_units(core, data["by_unit"])
    open_rows, late_rows = [], []
    for inc in sorted(items, key=lambda i: i.id):
        if inc.created_at >= t2:
            continue
        if inc.is_open:
            d = deadline(inc, cfg, t2)
            row = {"id": inc.id, "category": inc.category, "priority": inc.priority, "state": inc.state.value,
                   "unit": units.get(inc.unit_id or "", inc.unit_id), "address": inc.address, "near": inc.near,
                   "created": iso_z(inc.created_at),
                   "overdue": bool(inc.overdue), "deadline": d}
            open_rows.append(row)
            if inc.overdue:
                late_rows.append(row)
    data["open"], data["open_total"] = open_rows[:MAX_ROWS], len(open_rows)
    data["overdue"], data["overdue_total"] = late_rows[:MAX_ROWS], len(late_rows)
    alerts, notes = [], []
    for ev in core.store.events(from_ts=t1, until_ts=t2):
        if ev.kind.startswith(ALERT_PREFIXES):
            alerts.append({"time": iso_z(ev.ts), "kind": ev.kind, "entity": ev.entity, "actor": ev.actor,
                           "stage": ev.payload.get("stage"), "id": ev.payload.get("id")})
        elif ev.kind == NOTE_KIND:
            notes.append({"time": iso_z(ev.ts), "actor": ev.actor, "text": ev.payload.get("text", "")})
    data["alerts"], data["alerts_total"] = alerts[-MAX_ROWS:], len(alerts)
    data["notes"] = notes
    with core.lock:  # the enforcement cases: what the shift did on them, what the next must not miss
        data["enforcement"] = shift_cases(case_book(core.state), t1, t2)
    data["points"] = [{"id": i.id, "lat": i.lat, "lon": i.lon, "category": i.category, "open": i.is_open}
                      for i in items if t1 <= i.created_at < t2]
    return data
