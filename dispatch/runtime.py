"""Process tuning for the long-running commands (the console, the hub).

A console holds a large, long-lived heap (the city graph, the event state, Qt wrappers) and
allocates many short-lived objects per second on its feed path. CPython's collector would
re-walk the long-lived heap on every older-generation collection; freezing what exists once
start-up is done, and collecting the youngest generation less often, keeps that cost off the
feed path. Nothing is leaked: frozen objects are only exempt from cycle collection.
"""

from __future__ import annotations

import gc
import sys

GEN0_THRESHOLD = 50_000
# How long a thread holding the GIL may keep it while another waits for it. With CPython's 5 ms default
# the hub's loop thread, woken by an assignment or an acknowledgement, can wait up to 5 ms for a thread
# busy in Python: in the console the feed pump ingesting a batch, the GUI thread, an operation composing
# its answer. 0.5 ms bounds that wait; a hand-over costs microseconds, about 1% of a busy thread's time.
SWITCH_INTERVAL_S = 0.0005


def tune_gc() -> None:
    """Call once start-up is done (stores opened, city loaded)."""
    gc.collect()
    gc.freeze()
    _, g1, g2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, g1, g2)


def tune_runtime() -> None:
    """What the long-running commands (console, hub, the bench that stands for them) set once start-up is
    done: the collector tuned (`tune_gc`) and the GIL handed over promptly to the thread that waits."""
    tune_gc()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
