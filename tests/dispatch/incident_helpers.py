"""Shared set-up for the incident, task and recommendation tests: a real SQLite store and an injected clock."""

from __future__ import annotations

from typing import Any

from dispatch.city.data import load_city
from dispatch.core import Dispatch
from dispatch.store import EventStore


class Clock:
    def __init__(self, t: float = 1_760_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def make_core(tmp_path: Any, clock: Clock | None = None, name: str = "t.db") -> Dispatch:
    return Dispatch(EventStore(f"sqlite:///{tmp_path / name}"), clock=clock or Clock())


def river_point(fraction: float) -> tuple[float, float]:
    lat, lon, _ = load_city().point_along_river(fraction)
    return lat, lon


def add_unit(core: Dispatch, uid: str, kind: str, lat: float, lon: float, **extra: Any) -> None:
    core.register_units("system:test", [{"id": uid, "name": uid, "kind": kind, **extra}])
    core.ingest([(uid, core.clock(), lat, lon, 0.0, 0.0, "test")])
