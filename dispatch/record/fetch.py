"""A replay for a seat that has no store (a console attached to a hub): the window's events and fixes fetched
from the hub page by page (`replay.page` over the seat's control connection, as its logged-in operator) into
a replay file of the usual format (dispatch/record/export.py), which the replay window then opens as any
other. The hash chain of what arrived is checked before anything is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dispatch.errors import Refused
from dispatch.record.export import TRAIL_LEAD_S, write_replay_file
from dispatch.record.replay import iso_z
from dispatch.store import GENESIS_HASH, event_hash

Call = Callable[[str, dict[str, Any]], Any]  # (operation, args) -> its result, run at the hub


def fetch_replay(call: Call, t1: float, t2: float, out: str | Path, *, source: str = "",
                 progress: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """Fetch [t1, t2] from the hub through `call` and write it as a replay file at `out`.

    :raises Refused: an empty or inverted window, a log whose chain does not hold, or the hub's refusal.
    """
    if t2 <= t1:
        raise Refused("the window ends before it starts", "bad_window")
    events: list[tuple[Any, ...]] = []
    after, upto = 0, None
    prev = GENESIS_HASH
    while True:
        page = call("replay.page", {"what": "events", "start": t1, "end": t2, "after": after, "upto": upto})
        upto = page["upto"]
        for seq, ts, actor, kind, entity, payload, prev_hash, h in page["rows"]:
            if seq != len(events) + 1 or prev_hash != prev or event_hash(prev, seq, ts, actor, kind, entity,
                                                                          payload) != h:
                raise Refused(f"the hub's log does not hold together at event {seq}: not replayed "
                              "(`main.py audit verify` on the hub's machine says more)", "broken_chain")
            events.append((seq, ts, actor, kind, entity, payload, prev_hash, h))
            prev = h
        if events:
            after = events[-1][0]
        if progress is not None:
            progress("events", len(events))
        if not page["more"]:
            break
    fixes: list[tuple[Any, ...]] = []
    snapshot: list[tuple[Any, ...]] = []
    units = 0
    cursor = None
    while True:
        page = call("replay.page", {"what": "fixes", "start": t1, "end": t2, "after": cursor})
        if cursor is None:
            snapshot = [tuple(r) for r in page.get("snapshot", [])]
            units = int(page.get("units", 0))
        fixes.extend(tuple(r) for r in page["rows"])
        cursor = page["after"]
        if progress is not None:
            progress("fixes", len(fixes))
        if not page["more"]:
            break
    if not fixes and not any(t1 <= e[1] <= t2 for e in events):
        raise Refused(f"no data between {iso_z(t1)} and {iso_z(t2)}: no fixes and no events were recorded "
                      "in that window", "empty_window")
    for e in events:
        json.loads(e[5])  # a payload that is not JSON would stop the replay later: say so now
    n_fixes = write_replay_file(out, t1, t2, events, fixes, snapshot, lead=TRAIL_LEAD_S, source=source, units=units)
    return {"file": str(out), "events": len(events), "fixes": n_fixes, "units": units}
