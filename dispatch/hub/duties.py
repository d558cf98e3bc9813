"""What a headless hub does by itself, on a clock: record the incidents' and the cases' deadlines that passed and
move the cleaning tasks on (`incidents.check_deadlines`, `cases.check_deadlines`, `tasks.tick`), as "system:hub".

A console that keeps its own store does the same on its panels' timers ("system:console"). A seat attached to a
hub does none of it: the hub does it once, for every seat, with or without a seat attached, and the log names the
system, not the operator of whichever seat's timer came first (the hub records a seat's operations as its
operator).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from dispatch import ops
from dispatch.runtime import Background
from dispatch.storetx import store_lost

log = logging.getLogger(__name__)

ACTOR = "system:hub"
# operation -> every seconds; a console's panels ask as often (console/incidents, console/tasks, console/cases)
DUTIES: dict[str, float] = {"incidents.check_deadlines": 5.0, "tasks.tick": 3.0,
                            "cases.check_deadlines": 60.0}  # cases: within a minute (countdowns move every second)


class Duties(Background):
    NAME = "hub-duties"

    def __init__(self, core: Any, clock: Any = time.monotonic) -> None:
        self.core = core
        self.clock = clock
        self._next = dict.fromkeys(DUTIES, 0.0)
        self._warned = 0.0
        ops.load_features()  # the duties' operations
        super().__init__()

    def run_due(self) -> dict[str, Any]:
        """Run each duty whose time has come; returns what each one recorded (by operation)."""
        done: dict[str, Any] = {}
        for name, every in DUTIES.items():
            now = self.clock()
            if now < self._next[name] or name not in ops.OPERATIONS:
                continue
            self._next[name] = now + every
            try:
                done[name] = ops.call(self.core, name, {}, actor=ACTOR)
            except Exception as exc:  # the store away, a bad record: said, and tried again at its next time
                if not store_lost(exc):
                    log.exception("hub: %s failed", name)
                elif now - self._warned > 60.0:
                    self._warned = now
                    log.warning("hub: %s waits for the store: %s", name, str(exc).splitlines()[0])
        return done

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self.run_due()
