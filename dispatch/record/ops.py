"""The record's operations: positions at an instant, the events of a window, and the export of a window.

The replay engine (dispatch/record/replay.py) answers; the export (dispatch/record/export.py) writes files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dispatch.errors import Refused
from dispatch.ops import op
from dispatch.record import export
from dispatch.record.replay import MICROSECOND_SLACK, Recording, event_dict, parse_time


@op("replay.positions")
def positions_op(core: Any, actor: str, at: Any, units: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every unit's position at `at` as the replay draws it (ISO 8601 or epoch seconds)."""
    t = parse_time(at)
    rec = Recording.of_store(core.store)
    return [f.as_dict() for f in rec.positions_at(t, units, slack=MICROSECOND_SLACK)]


@op("replay.events")
def events_op(core: Any, actor: str, start: Any = None, end: Any = None, entity: str | None = None,
              kind: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    t1 = None if start is None else parse_time(start)
    t2 = None if end is None else parse_time(end)
    if t1 is not None and t2 is not None and t2 < t1:
        raise Refused("the window ends before it starts: give --from earlier than --to", "bad_window")
    rec = Recording.of_store(core.store)
    return [event_dict(e) for e in rec.events(t1, None if t2 is None else t2 + MICROSECOND_SLACK,
                                              entity=entity, kind=kind, limit=limit)]


@op("replay.export")
def export_op(core: Any, actor: str, start: Any, end: Any, out: str, html: bool = False) -> dict[str, Any]:
    t1, t2 = parse_time(start), parse_time(end)
    core.store.flush()
    if html:
        return export.export_html(core.store.engine, t1, t2, out)
    return export.export_replay(core.store.engine, t1, t2, out)
