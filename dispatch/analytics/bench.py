"""Analytics figures: a year of a busy bureau (100,000 incidents with their full histories).

- `analytics_refresh_ms`: the dashboard's recompute after one new incident and one change (the facts
  refreshed incrementally, then every figure of the dashboard for the year) — what the dashboard pays on a
  live update; the console's bench (console/bench/dashboard.py) adds the redraw: `dashboard_refresh_ms`.
- peer `analytics_full_rebuild_ms`: the same figures with the facts rebuilt from every incident's history.
- `analytics_stats_by_unit_ms`: `ctl stats --by unit` over the year.
"""

from __future__ import annotations

import random
import time
from typing import Any

from dispatch.bench import percentile

YEAR = 365 * 86400.0
T0 = 1_735_660_800.0  # 2025-01-01 Beijing midnight, about
CATEGORIES = ("floating_garbage", "street_vending", "illegal_dumping", "construction_waste_spill", "water_pollution",
              "damaged_facility", "illegal_construction", "other")
SOURCES = ("hotline", "app", "patrol", "video", "alert")


def synthetic_year(n: int, seed: int = 16) -> dict[int, Any]:
    """`n` incidents over a year, each with the history the appliers would have written."""
    from dispatch.incidents.book import Incident
    from dispatch.incidents.workflow import State as S

    rnd = random.Random(seed)
    units = [f"officer-{i:02d}" for i in range(1, 31)] + [f"boat-{i:02d}" for i in range(1, 9)]
    out: dict[int, Any] = {}
    for i in range(1, n + 1):
        t = T0 + rnd.random() * YEAR
        inc = Incident(id=i, category=rnd.choice(CATEGORIES), priority=rnd.choice(("P1", "P2", "P3", "P4")),
                       lat=24.30 + rnd.random() * 0.08, lon=109.38 + rnd.random() * 0.08, created_at=t,
                       created_by="dispatcher:wang", source=rnd.choice(SOURCES))
        h = [{"kind": "incident.created", "time": t, "to": "reported"}]
        unit = rnd.choice(units)
        steps = [("incident.transitioned", "verified"), ("incident.assigned", "dispatched"),
                 ("incident.transitioned", "accepted"), ("incident.transitioned", "en_route"),
                 ("incident.transitioned", "on_scene"), ("incident.transitioned", "resolved"),
                 ("incident.transitioned", "closed")]
        state = S.REPORTED
        for kind, to in steps:
            t += rnd.expovariate(1 / 600.0)
            h.append({"kind": kind, "time": t, "to": to, "from": state.value, "unit_id": unit})
            state = S(to)
            if rnd.random() < 0.02:
                h.append({"kind": "incident.overdue", "time": t, "stage": "resolve"})
        if rnd.random() < 0.5:
            t += 3600
            h.append({"kind": "incident.transitioned", "time": t, "to": "evaluated", "from": "closed",
                      "satisfaction": rnd.randint(1, 5)})
            state = S.EVALUATED
        inc.history, inc.state, inc.units, inc.updated_at = h, state, [unit], t
        out[i] = inc
    return out


def run(quick: bool) -> dict[str, float | int]:
    from dispatch.analytics.facts import Facts
    from dispatch.analytics.indicators import dashboard, stats
    from dispatch.city.data import load_city

    n = 100_000
    items = synthetic_year(n)
    city = load_city()
    facts = Facts(city)
    started = time.perf_counter()
    facts.refresh(items)
    first_ms = (time.perf_counter() - started) * 1000
    t1, t2 = T0, T0 + YEAR + 86400
    live, full, by_unit = [], [], []
    rounds = 5 if quick else 20
    for k in range(rounds):
        extra = synthetic_year(1, seed=1000 + k)[1]
        extra.id = n + 1 + k
        items[extra.id] = extra
        items[1 + k].updated_at += 1.0  # one incident changed
        started = time.perf_counter()
        facts.refresh(items)
        dashboard(facts, t1, t2)
        live.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        stats(facts, t1, t2, by="unit")
        by_unit.append((time.perf_counter() - started) * 1000)
    for _ in range(1 if quick else 3):
        rebuilt = Facts(city)
        started = time.perf_counter()
        rebuilt.refresh(items)
        dashboard(rebuilt, t1, t2)
        full.append((time.perf_counter() - started) * 1000)
    return {
        "analytics_incidents": len(items),
        "analytics_refresh_ms": round(percentile(live, 50), 1),
        "analytics_full_rebuild_ms": round(min(full), 1),
        "analytics_first_load_ms": round(first_ms, 1),
        "analytics_stats_by_unit_ms": round(percentile(by_unit, 50), 1),
    }
