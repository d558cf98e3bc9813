"""The record's operations: positions at an instant, the events of a window, and the export of a window.

The replay engine (dispatch/record/replay.py) answers; the export (dispatch/record/export.py) writes files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dispatch import fixes as stored_fixes
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
def export_op(core: Any, actor: str, start: Any, end: Any, out: str | None = None, html: bool = False) -> dict[str, Any]:
    """The window as a replay file (or, `html`, a track map) written to `out`; without `out` (a seat attached to a
    hub), made for that seat to read back with ``download.piece`` (dispatch/uploads.py)."""
    t1, t2 = parse_time(start), parse_time(end)
    core.store.flush()
    make = export.export_html if html else export.export_replay
    if out is not None:
        return make(core.store.engine, t1, t2, out)
    from dispatch.uploads import offer, offer_path

    path = offer_path(core, "tracks.html" if html else "shift.replay")
    return {**make(core.store.engine, t1, t2, path), "file": None, **offer(core, actor, path)}


PAGE_ROWS = 5000  # rows of one replay.page answer at most


@op("replay.page")
def page_op(core: Any, actor: str, what: str, start: Any, end: Any, after: Any = None, upto: int | None = None,
            limit: int = PAGE_ROWS) -> dict[str, Any]:
    """One page of what a replay of [start, end] needs, for a seat that has no store (dispatch/record/fetch.py):
    `what` "events": the log's prefix up to the last event stamped by `end`, as stored (payload text and
    hashes: the seat checks the chain), after seq `after`, up to seq `upto` (fixed by the first page);
    "fixes": the fixes of the window and its lead-in after the cursor `after` (a page's `after`); the first page also carries
    each unit's last fix before the lead-in ("snapshot"). `more` says whether to ask again."""
    from sqlalchemy import text

    t1, t2 = parse_time(start), parse_time(end)
    if t2 <= t1:
        raise Refused("the window ends before it starts: give --from earlier than --to", "bad_window")
    limit = max(1, min(int(limit), PAGE_ROWS))
    core.store.flush()
    out: dict[str, Any] = {}
    with core.store.read() as conn:
        if what == "events":
            if upto is None:
                upto = int(conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM events WHERE ts <= :t2"),
                                        {"t2": t2}).scalar_one())
            rows = conn.execute(text(
                "SELECT seq, ts, actor, kind, entity, payload, prev_hash, hash FROM events "
                "WHERE seq > :a AND seq <= :b ORDER BY seq LIMIT :n"), {"a": int(after or 0), "b": upto, "n": limit}).all()
            out = {"rows": [list(r) for r in rows], "upto": upto,
                   "more": len(rows) == limit and rows[-1][0] < upto}
        elif what == "fixes":
            rows, cursor = stored_fixes.fixes_page(conn, t1 - export.TRAIL_LEAD_S, t2,
                                                 None if not after else (after[0], after[1]), limit)
            out = {"rows": [list(r) for r in rows], "more": len(rows) == limit, "after": cursor or after}
        else:
            raise Refused(f"what: \"events\" or \"fixes\", not {what!r}", "malformed")
    if what == "fixes" and not after:
        rec = Recording.of_store(core.store)
        units = rec.units(refresh=True)
        out["snapshot"] = [[f.unit_id, f.ts, f.lat, f.lon, f.speed, f.course, f.source]
                           for f in rec.positions_at(t1 - export.TRAIL_LEAD_S, units)]
        out["units"] = len(units)
    return out


SEAT_KINDS = ("account.login", "account.logout", "operator.login", "operator.logout", "owner.login", "owner.logout")


@op("replay.seats")
def seats_op(core: Any, actor: str, at: Any = None, history: int = 20) -> dict[str, Any]:
    """Shift handover: who was logged in at which seat at `at` (default now), with the `history` logins and
    logouts before it. Seats of the hub are the operators' sessions (account.login/logout, the seat's key
    name, and the store's owner on the hub's machine at "owner@HOST", owner.login/logout); a console on its own
    store records its OS login at "console@HOST" (operator.login/logout)."""
    t = core.clock() if at is None else parse_time(at)
    on: dict[str, dict[str, Any]] = {}  # seat -> who is there
    changes: list[dict[str, Any]] = []
    for e in core.store.events(kinds=SEAT_KINDS, until_ts=t + MICROSECOND_SLACK):
        if e.kind.startswith(("account.", "owner.")):
            seat, name, role = e.payload.get("seat") or "?", e.payload.get("name"), e.actor.split(":", 1)[0]
        else:
            seat, name, role = f"console@{e.payload.get('host', '?')}", e.actor.split(":", 1)[-1], "single seat"
        login = e.kind.endswith(".login")
        if login:
            on[seat] = {"seat": seat, "name": name, "role": role, "since": e.ts}
        elif on.get(seat, {}).get("name") == name:
            del on[seat]
        changes.append({"ts": e.ts, "seat": seat, "name": name, "what": "login" if login else "logout",
                        "reason": e.payload.get("reason", "")})
    return {"at": t, "seats": sorted(on.values(), key=lambda r: r["seat"]),
            "changes": changes[-history:] if history > 0 else []}
