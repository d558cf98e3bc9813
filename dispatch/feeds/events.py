"""Feed events and operations: feeds connecting and dropping, an AIS MMSI bound to one of our units,
a feed's bindings (which unit its sources move) changed on the device bench."""

from __future__ import annotations

from typing import Any

from dispatch.changes import Changes
from dispatch.errors import NotFound, Refused
from dispatch.feeds.config import check_bindings, check_unit, split_key
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


@applies("feed.bindings_changed")
def _feed_bindings_changed(state: State, ev: Event, ch: Changes) -> None:
    b = state.ext.setdefault("feed_bindings", {})
    if ev.payload.get("renamed_from"):
        b.pop(ev.payload["renamed_from"], None)
    b[ev.payload["feed"]] = {"unit": ev.payload.get("unit"), "bind": dict(ev.payload.get("bind") or {}),
                             "since": ev.ts, "by": ev.actor}
    ch.feeds = True
    ch.entities.add(f"feed:{ev.payload['feed']}")


def feed_binding_events(state: State, feed: str, unit: str | None, bind: dict[str, str], *,
                        previous_unit: str | None = None, previous_bind: dict[str, str] | None = None,
                        renamed_from: str | None = None) -> list[NewEvent]:
    """Decide a feed's new bindings (the whole-feed `unit` and the per-source `bind` table).

    Every unit named must exist, and an MMSI bound to a unit (`unit.mmsi_bound`) may not be given
    to another one. Nothing changed (and no rename): no event.

    :raises dispatch.feed_config.FeedRefused: an unknown unit, a bad key, an MMSI taken.
    """
    units = set(state.units)
    unit_mmsi = {u.mmsi: u.id for u in state.units.values() if u.mmsi}
    check_unit(unit, units)
    check_bindings([(*split_key(k), u) for k, u in bind.items()], units, unit_mmsi)
    previous_bind = dict(previous_bind or {})
    if (unit, bind) == (previous_unit, previous_bind) and not renamed_from:
        return []
    payload: dict[str, Any] = {
        "feed": feed, "unit": unit, "bind": dict(bind),
        "added": {k: v for k, v in bind.items() if k not in previous_bind},
        "changed": {k: [previous_bind[k], v] for k, v in bind.items() if k in previous_bind and previous_bind[k] != v},
        "removed": {k: v for k, v in previous_bind.items() if k not in bind},
    }
    if unit != previous_unit:
        payload["previous_unit"] = previous_unit
    if renamed_from:
        payload["renamed_from"] = renamed_from
    return [NewEvent("feed.bindings_changed", payload, f"feed:{feed}")]


@op("feeds")
def feed_states(core: Any, actor: str) -> dict[str, Any]:
    """Each feed's last recorded connect/disconnect and, if the bench changed them, its bindings
    (live figures are on the console's device bench)."""
    core.refresh()
    with core.lock:
        out = {k: dict(v) for k, v in core.state.ext.get("feeds", {}).items()}
        for k, b in core.state.ext.get("feed_bindings", {}).items():
            out.setdefault(k, {})["bindings"] = {"unit": b["unit"], "bind": dict(b["bind"])}
        return out
