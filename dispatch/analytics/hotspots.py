"""Recurring hotspots: the same category at the same place in the same time band, on several days.

A place is a cell of about 250 m (a fixed grid in degrees, so a cell never moves between runs); a time band
is three hours of the bureau's day. A hotspot is a (category, cell, band) seen on at least `min_days`
distinct days with at least `min_count` incidents; its evidence is the list of those incidents.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

from dispatch.analytics.facts import Facts
from dispatch.analytics.indicators import DENSITY_CELL, local_hours

CELL_LAT, CELL_LON = DENSITY_CELL  # ~250 m at Liuzhou's latitude (24.3 N): the density layer's grid
BAND_H = 3


def band_label(band: int) -> str:
    return f"{band * BAND_H:02d}:00-{(band + 1) * BAND_H:02d}:00"


def hotspots(facts: Facts, t1: float, t2: float, *, min_count: int = 3, min_days: int = 2,
             category: str | None = None) -> list[dict[str, Any]]:
    cols = facts.columns
    if not cols:
        return []
    m = (cols["created"] >= t1) & (cols["created"] < t2)
    if category:
        m &= cols["category"] == facts.code("category", category)
    idx = np.nonzero(m)[0]
    hour, _ = local_hours(cols["created"][idx])
    day = ((cols["created"][idx] + 8 * 3600) // 86400).astype(np.int64)
    groups: dict[tuple[str, int, int, int], list[int]] = defaultdict(list)
    for k, i in enumerate(idx):
        key = (facts.vocab["category"][cols["category"][i]], int(cols["lat"][i] // CELL_LAT), int(cols["lon"][i] // CELL_LON), int(hour[k] // BAND_H))
        groups[key].append(k)
    out = []
    for (cat, _cy, _cx, band), ks in groups.items():
        days = {int(day[k]) for k in ks}
        if len(ks) < min_count or len(days) < min_days:
            continue
        rows = idx[ks]
        place = Counter(facts.vocab[col][c] for col in ("segment", "road", "district") for c in cols[col][rows] if c)\
            .most_common(1)
        out.append({
            "category": cat, "band": band_label(band), "band_start": f"{band * BAND_H:02d}:00",
            "lat": round(float(cols["lat"][rows].mean()), 6), "lon": round(float(cols["lon"][rows].mean()), 6),
            "count": len(ks), "days": len(days), "place": place[0][0] if place else None,
            "incident_ids": sorted(int(cols["id"][i]) for i in rows),
        })
    out.sort(key=lambda h: (-h["count"], -h["days"], h["category"]))
    return out
