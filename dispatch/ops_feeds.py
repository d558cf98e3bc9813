"""Feed events and operations: feeds connecting and dropping, an AIS MMSI bound to one of our units."""

from __future__ import annotations

from typing import Any

from dispatch.changes import Changes
from dispatch.errors import NotFound, Refused
from dispatch.ops import op
from dispatch.state import State, applies
from dispatch.store import Event, NewEvent


def _feeds(state: State) -> dict[str, dict[str, Any]]:
    return state.ext.setdefault("feeds", {})


@applies("feed.connected")
def _feed_connected(state: State, ev: Event, ch: Changes) -> None:
    _feeds(state)[ev.payload["feed"]] = {"connected": True, "since": ev.ts, "detail": ev.payload.get("detail", "")}


@applies("feed.disconnected")
def _feed_disconnected(state: State, ev: Event, ch: Changes) -> None:
    _feeds(state)[ev.payload["feed"]] = {"connected": False, "since": ev.ts, "detail": ev.payload.get("detail", "")}


@applies("unit.mmsi_bound")
def _mmsi_bound(state: State, ev: Event, ch: Changes) -> None:
    mmsi = ev.payload.get("mmsi")
    for u in state.units.values():  # an MMSI belongs to one unit at a time
        if mmsi is not None and u.mmsi == mmsi and u.id != ev.payload["id"]:
            u.mmsi = None
    u = state.units.get(ev.payload["id"])
    if u is not None:
        u.mmsi = mmsi
        ch.units = True
        ch.entities.add(f"unit:{u.id}")


def bind_mmsi_events(state: State, unit_id: str, mmsi: int | str | None) -> list[NewEvent]:
    """Decide binding `mmsi` (None/"" unbinds) to `unit_id`. :raises Refused: bad MMSI or unknown unit."""
    u = state.units.get(unit_id)
    if u is None:
        raise NotFound(f"unknown unit {unit_id!r}")
    value: int | None
    if mmsi in (None, ""):
        value = None
    else:
        try:
            value = int(str(mmsi).strip())
        except ValueError:
            raise Refused(f"an MMSI is 9 digits, not {mmsi!r}", "bad_mmsi") from None
        if not (100_000_000 <= value <= 999_999_999):
            raise Refused(f"an MMSI is 9 digits, not {mmsi!r}", "bad_mmsi")
    if u.mmsi == value:
        return []
    return [NewEvent("unit.mmsi_bound", {"id": unit_id, "mmsi": value}, f"unit:{unit_id}")]


@op("unit.bind_mmsi")
def bind_mmsi(core: Any, actor: str, unit_id: str, mmsi: int | str | None) -> dict[str, Any]:
    """Bind an AIS MMSI to one of our units: its AIS reports then move that unit (None unbinds)."""
    core.command(actor, lambda s: bind_mmsi_events(s, unit_id, mmsi))
    with core.lock:
        return core.unit(unit_id).as_dict(core.clock())


@op("feeds")
def feed_states(core: Any, actor: str) -> dict[str, Any]:
    """Each feed's last recorded connect/disconnect (live figures are on the console's device bench)."""
    core.refresh()
    with core.lock:
        return {k: dict(v) for k, v in core.state.ext.get("feeds", {}).items()}
