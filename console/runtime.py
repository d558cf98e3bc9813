"""Process tuning for the long-running commands (the console, the hub).

A console holds a large, long-lived heap (the city graph, the event state, Qt wrappers) and
allocates many short-lived objects per second on its feed path. CPython's collector would
re-walk the long-lived heap on every older-generation collection; freezing what exists once
start-up is done, and collecting the youngest generation less often, keeps that cost off the
feed path. Nothing is leaked: frozen objects are only exempt from cycle collection.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 50_000


def tune_gc() -> None:
    """Call once start-up is done (stores opened, city loaded)."""
    gc.collect()
    gc.freeze()
    _, g1, g2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, g1, g2)
