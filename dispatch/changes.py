"""What an operation changed: the flags every view checks to decide whether to refresh (Anki's OpChanges)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Changes:
    units: bool = False
    incidents: bool = False
    tasks: bool = False
    assignments: bool = False
    messages: bool = False
    alerts: bool = False
    feeds: bool = False
    entities: set[str] = field(default_factory=set)  # "incident:12", "unit:boat-01"
    events: list[Any] = field(default_factory=list)  # the stored Event objects
    initiator: object | None = None

    def merge(self, other: Changes) -> Changes:
        for name in ("units", "incidents", "tasks", "assignments", "messages", "alerts", "feeds"):
            if getattr(other, name):
                setattr(self, name, True)
        self.entities |= other.entities
        self.events.extend(other.events)
        return self

    def __bool__(self) -> bool:
        return bool(self.events) or any(
            (self.units, self.incidents, self.tasks, self.assignments, self.messages, self.alerts, self.feeds)
        )
