"""The dashboard over a year of data: `dashboard_refresh_ms` is what one live update costs the console —
the facts of 100,000 incidents refreshed (one new, one changed), every figure of the year recomputed and
every chart redrawn — beside `dashboard_redraw_ms`, the redraw alone, and the Qt-free recompute
(dispatch/analytics/bench.py has the full rebuild as the peer)."""

from __future__ import annotations

import time
from typing import Any

from dispatch.bench import percentile


def run(quick: bool) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    from console.analytics.dashboard import Dashboard
    from dispatch.analytics.bench import T0, YEAR, synthetic_year
    from dispatch.analytics.facts import Facts
    from dispatch.analytics.indicators import dashboard
    from dispatch.city.data import load_city

    app = QApplication.instance() or QApplication([])
    items = synthetic_year(100_000)
    facts = Facts(load_city())
    facts.refresh(items)
    t1, t2 = T0, T0 + YEAR + 86400
    w = Dashboard(lambda: t2, None, refresh_ms=3_600_000)
    w.timer.stop()
    w.resize(1600, 420)
    w.show()
    w.show_data(dashboard(facts, t1, t2))
    app.processEvents()
    total, redraw = [], []
    for k in range(5 if quick else 20):
        extra = synthetic_year(1, seed=500 + k)[1]
        extra.id = 200_000 + k
        items[extra.id] = extra
        items[10 + k].updated_at += 1.0
        started = time.perf_counter()
        facts.refresh(items)
        data = dashboard(facts, t1, t2)
        mid = time.perf_counter()
        w.show_data(data)
        w.repaint()
        app.processEvents()
        end = time.perf_counter()
        total.append((end - started) * 1000)
        redraw.append((end - mid) * 1000)
    w.close()
    return {"dashboard_incidents": len(items), "dashboard_refresh_ms": round(percentile(total, 50), 1),
            "dashboard_redraw_ms": round(percentile(redraw, 50), 1)}
