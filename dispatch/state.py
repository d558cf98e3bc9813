"""Current state, derived from the event log by appliers.

Each event kind has one applier, registered with `@applies("kind")`. Feature modules
(incidents, tasks, the field link...) register their own appliers and keep their own part of
the state in `State.ext[name]`, so this module never grows a branch per feature.
Appliers must not raise on any event that is in the store: the log is the truth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dispatch.changes import Changes
from dispatch.model import Unit, UnitKind, UnitStatus
from dispatch.store import GENESIS_HASH, Event

log = logging.getLogger(__name__)

Applier = Callable[["State", Event, Changes], None]
APPLIERS: dict[str, Applier] = {}


def applies(kind: str) -> Callable[[Applier], Applier]:
    def register(fn: Applier) -> Applier:
        if kind in APPLIERS:
            raise ValueError(f"two appliers for {kind}")
        APPLIERS[kind] = fn
        return fn

    return register


@dataclass
class State:
    units: dict[str, Unit] = field(default_factory=dict)
    last_seq: int = 0
    last_ts: float = 0.0
    last_hash: str = GENESIS_HASH  # the chain's head as applied: the next append links to it
    ext: dict[str, Any] = field(default_factory=dict)  # per-feature state, keyed by feature

    def apply(self, ev: Event, changes: Changes) -> None:
        if ev.seq <= self.last_seq:
            return  # already applied (catch-up overlaps are harmless)
        fn = APPLIERS.get(ev.kind)
        if fn is not None:
            try:
                fn(self, ev, changes)
            except Exception:  # one bad applier must not stop the log from loading
                log.exception("applying event %s (%s) failed", ev.seq, ev.kind)
        self.last_seq = ev.seq
        self.last_ts = ev.ts
        if ev.hash:
            self.last_hash = ev.hash
        changes.events.append(ev)


@applies("unit.registered")
def _unit_registered(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    state.units[p["id"]] = Unit(
        id=p["id"],
        name=p.get("name", p["id"]),
        kind=UnitKind(p["kind"]),
        callsign=p.get("callsign"),
        mmsi=p.get("mmsi"),
        home=p.get("home"),
        attributes=dict(p.get("attributes", {})),
    )
    ch.units = True
    ch.entities.add(f"unit:{p['id']}")


@applies("unit.status_set")
def _unit_status(state: State, ev: Event, ch: Changes) -> None:
    u = state.units.get(ev.payload["id"])
    if u is not None:
        u.status = UnitStatus(ev.payload["status"])
        ch.units = True
        ch.entities.add(f"unit:{u.id}")
