"""The indicators of digital urban management, per period and per unit, team, district or category.

Definitions (docs/analytics.md says why, following GB/T 30428.4's structure): the cohort of a period is
every incident *reported* in it; `filed` (立案数) those of them accepted as cases (verified, or dispatched) and not rejected as invalid or
duplicate;
`closed` (结案数) the filed ones closed (or evaluated) by the period's end; `closed_on_time` (按期结案数)
the closed ones no deadline of which passed before they were closed; `reworked` (返工数) the filed ones
reopened after being resolved or closed at least once; `extended` (延期数) the filed ones whose deadline
was extended; `satisfaction_mean` the mean of the citizens' or evaluators' 1-5 ratings. The rates divide
by `filed`, but the rework rate, which divides by `closed`. The combined score weighs the rates with
weights the bureau sets (recorded as an event); a rate with no data leaves the weighting.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from dispatch.analytics.facts import Facts
from dispatch.bureautime import bureau_tz

GROUPS = ("unit", "team", "district", "category", "source", "priority", "segment", "road")
RESPONSE_BINS_MIN = (0, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440, 2880, 10080, 1e9)
DEFAULT_WEIGHTS = {"closure_rate": 0.3, "on_time_rate": 0.3, "rework_free_rate": 0.2, "satisfaction": 0.2}


def _q(values: np.ndarray, q: float) -> float | None:
    v = values[~np.isnan(values)]
    if v.size == 0:
        return None
    return round(float(np.percentile(v, q, method="inverted_cdf")), 1)


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def score(fig: dict[str, Any], weights: dict[str, float]) -> float | None:
    """0-100: the weighted mean of the rates that have data (satisfaction counted as mean / 5)."""
    parts = {
        "closure_rate": fig.get("closure_rate"),
        "on_time_rate": fig.get("on_time_rate"),
        "rework_free_rate": None if fig.get("rework_rate") is None else 1.0 - fig["rework_rate"],
        "satisfaction": None if fig.get("satisfaction_mean") is None else fig["satisfaction_mean"] / 5.0,
    }
    num = den = 0.0
    for k, v in parts.items():
        w = float(weights.get(k, 0.0))
        if v is not None and w > 0:
            num += w * v
            den += w
    return round(100.0 * num / den, 1) if den else None


def figures(cols: dict[str, np.ndarray], mask: np.ndarray, t2: float, weights: dict[str, float]) -> dict[str, Any]:
    """The indicators of the incidents selected by `mask` (the period's cohort), as of `t2`."""
    filed_m = cols["verified"][mask] & ~cols["rejected"][mask]
    created = cols["created"][mask][filed_m]
    closed_t = cols["closed"][mask][filed_m]
    closed_m = ~np.isnan(closed_t) & (closed_t < t2)
    overdue = cols["overdue"][mask][filed_m]
    sat = cols["satisfaction"][mask][filed_m]
    sat = sat[~np.isnan(sat)]
    filed = int(filed_m.sum())
    closed = int(closed_m.sum())
    out: dict[str, Any] = {
        "reported": int(mask.sum()),
        "filed": filed,
        "closed": closed,
        "closed_on_time": int((closed_m & ~overdue).sum()),
        "reworked": int((cols["reworked"][mask][filed_m] > 0).sum()),
        "extended": int((cols["extended"][mask][filed_m] > 0).sum()),
        "overdue": int(overdue.sum()),
        "satisfaction_mean": round(float(sat.mean()), 2) if sat.size else None,
        "satisfaction_count": int(sat.size),
    }
    out["closure_rate"] = _rate(closed, filed)
    out["on_time_rate"] = _rate(out["closed_on_time"], filed)
    out["rework_rate"] = _rate(out["reworked"], closed)
    out["extension_rate"] = _rate(out["extended"], filed)
    for stage, col in (("dispatch", "dispatched"), ("arrive", "on_scene"), ("close", "closed")):
        t = cols[col][mask][filed_m]
        t = np.where(t < t2, t, np.nan)
        d = t - created
        out[f"{stage}_s_median"] = _q(d, 50)
        out[f"{stage}_s_p90"] = _q(d, 90)
    out["score"] = score(out, weights)
    return out


def stats(facts: Facts, t1: float, t2: float, *, by: str | None = None, weights: dict[str, float] | None = None,
          team_of: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The period's figures in all (`total`) and, with `by`, per group (`rows`, best score first)."""
    w = dict(DEFAULT_WEIGHTS, **(weights or {}))
    cols = facts.columns
    if not cols:
        return {"from": t1, "to": t2, "by": by, "total": figures(_empty(), np.zeros(0, bool), t2, w), "rows": []}
    cohort = (cols["created"] >= t1) & (cols["created"] < t2)
    out: dict[str, Any] = {"from": t1, "to": t2, "by": by, "weights": w, "total": figures(cols, cohort, t2, w)}
    rows = []
    if by:
        inverse = cols["unit" if by == "team" else by]
        names = facts.vocab["unit" if by == "team" else by]
        if by == "team":  # unit -> its kind, then the same grouping over kinds
            kinds = np.array([(team_of or (lambda u: u))(u) if u else "" for u in names], dtype=str)
            names, back = np.unique(kinds, return_inverse=True)
            inverse = back[inverse]
        for k in np.unique(inverse[cohort]):
            m = cohort & (inverse == k)
            rows.append({by: str(names[k]) or None, **figures(cols, m, t2, w)})
        rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0.0), str(r[by])))
    out["rows"] = rows
    return out


def _empty() -> dict[str, np.ndarray]:
    z = np.zeros(0)
    return {"rejected": z.astype(bool), "verified": z.astype(bool), "created": z, "closed": z, "overdue": z.astype(bool), "satisfaction": z,
            "reworked": z.astype(np.int64), "extended": z.astype(np.int64), "dispatched": z, "on_scene": z}


def local_hours(ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hour of day 0-23, day of week 0=Monday) of epoch seconds, in the bureau's time zone."""
    if ts.size == 0:
        return ts.astype(np.int64), ts.astype(np.int64)
    off = datetime.now(bureau_tz()).utcoffset()
    shift = off.total_seconds() if off is not None else 8 * 3600.0  # China keeps no DST: one offset all year
    local = ts + shift
    hour = ((local // 3600) % 24).astype(np.int64)
    dow = (((local // 86400) + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday (3)
    return hour, dow


def counts(facts: Facts, column: str, mask: np.ndarray, *, blank: bool = True) -> list[dict[str, Any]]:
    """[{key, count}] of a text column over `mask`, most first (without the blank key unless `blank`)."""
    n = np.bincount(facts.columns[column][mask], minlength=len(facts.vocab[column]))
    rows = [{"key": facts.vocab[column][k] or None, "count": int(c)} for k, c in enumerate(n)
            if c and (blank or k != 0)]
    return sorted(rows, key=lambda r: -r["count"])


def dashboard(facts: Facts, t1: float, t2: float, *, weights: dict[str, float] | None = None) -> dict[str, Any]:
    """Everything the dashboard draws for one period: hotspots in time and place, response times, satisfaction."""
    cols = facts.columns
    if not cols:
        return {"from": t1, "to": t2, "count": 0}
    m = (cols["created"] >= t1) & (cols["created"] < t2)
    hour, dow = local_hours(cols["created"][m])
    grid = np.zeros((7, 24), dtype=np.int64)
    np.add.at(grid, (dow, hour), 1)
    created = cols["created"][m]
    resp = {}
    for stage, col in (("dispatch", "dispatched"), ("arrive", "on_scene"), ("close", "closed")):
        t = cols[col][m]
        d = (t - created)[~np.isnan(t) & (t < t2)] / 60.0
        hist, _ = np.histogram(d, bins=RESPONSE_BINS_MIN)
        resp[stage] = {"bins_min": list(RESPONSE_BINS_MIN), "counts": hist.tolist(), "n": int(d.size),
                       "median_min": _q(d, 50), "p90_min": _q(d, 90)}
    sat = cols["satisfaction"][m]
    sat = sat[~np.isnan(sat)].astype(int)
    total = figures(cols, m, t2, dict(DEFAULT_WEIGHTS, **(weights or {})))
    return {
        "from": t1, "to": t2, "count": int(m.sum()),
        "by_hour": np.bincount(hour, minlength=24).tolist(), "by_weekday": np.bincount(dow, minlength=7).tolist(),
        "hour_weekday": grid.tolist(),
        "by_category": counts(facts, "category", m), "by_source": counts(facts, "source", m),
        "by_district": counts(facts, "district", m), "by_segment": counts(facts, "segment", m, blank=False),
        "by_road": counts(facts, "road", m, blank=False),
        "response": resp, "density": density(cols, m), "satisfaction": np.bincount(sat, minlength=6)[1:].tolist() if sat.size else [0] * 5,
        "total": total,
    }


DENSITY_CELL = (0.00225, 0.0026)  # ~250 m at Liuzhou's latitude, the hotspots' grid


def density(cols: dict[str, np.ndarray], mask: np.ndarray) -> list[list[float]]:
    """[[south, west, north, east, count]] of the grid cells with incidents under `mask`."""
    lat, lon = cols["lat"][mask], cols["lon"][mask]
    if lat.size == 0:
        return []
    cy, cx = np.floor(lat / DENSITY_CELL[0]).astype(np.int64), np.floor(lon / DENSITY_CELL[1]).astype(np.int64)
    keys, n = np.unique(np.stack([cy, cx], axis=1), axis=0, return_counts=True)
    return [[round(float(y * DENSITY_CELL[0]), 6), round(float(x * DENSITY_CELL[1]), 6),
             round(float((y + 1) * DENSITY_CELL[0]), 6), round(float((x + 1) * DENSITY_CELL[1]), 6), int(c)]
            for (y, x), c in zip(keys, n, strict=True)]


def select(facts: Facts, t1: float, t2: float, **where: Any) -> list[int]:
    """Ids of the period's incidents matching `where` (e.g. category=..., hour=..., weekday=..., district=...):
    what a click on a bar or a cell of the dashboard filters the queue and the map to."""
    cols = facts.columns
    if not cols:
        return []
    m = (cols["created"] >= t1) & (cols["created"] < t2)
    hour, dow = local_hours(cols["created"])
    for k, v in where.items():
        if v is None:
            continue
        if k == "hour":
            m &= hour == int(v)
        elif k == "weekday":
            m &= dow == int(v)
        elif k in facts.vocab:
            m &= cols[k] == facts.code(k, v)
        elif k in cols:
            m &= cols[k] == v
        else:
            raise KeyError(k)
    return [int(i) for i in cols["id"][m]]


def isnan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)
