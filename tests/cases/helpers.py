"""Shared set-up of the case tests: a real SQLite store, an injected clock, an incident and a roster."""

from __future__ import annotations

from typing import Any

from dispatch import ops
from dispatch.cases import law
from dispatch.core import Dispatch
from dispatch.store import EventStore

# Monday 2025-03-03 09:00 China time: working-day arithmetic starts on a known weekday
T0 = 1740963600.0
DAY = law.DAY


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def make_core(tmp_path: Any, clock: Clock | None = None, name: str = "cases.db") -> Dispatch:
    return Dispatch(EventStore(f"sqlite:///{tmp_path / name}"), clock=clock or Clock())


def call(core: Dispatch, op_name: str, actor: str = "ctl:li", **args: Any) -> Any:
    return ops.call(core, op_name, args, actor=actor)


def roster(core: Dispatch) -> None:
    """Three officers with valid certificates, one whose certificate has lapsed."""
    for oid, name, cert, until in (("wang", "王强", "45020019001", "2030-12-31"),
                                   ("liu", "刘敏", "45020019002", "2030-12-31"),
                                   ("chen", "陈华", "45020019003", "2030-12-31"),
                                   ("zhou", "周洁", "45020019004", "2024-12-31")):
        call(core, "officer.add", officer_id=oid, name=name, certificate=cert, valid_until=until,
             valid_from="2020-01-01", team="一中队")


def incident(core: Dispatch) -> int:
    inc = call(core, "incident.create", category="construction_waste_spill", priority="P2", lat=24.33, lon=109.41,
               text="一辆货车在柳江路口倾倒建筑垃圾约三立方米", address="柳州市城中区柳江路与文惠路交叉口")
    return int(inc["id"])
