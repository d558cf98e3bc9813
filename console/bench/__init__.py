"""The benchmark: one module per capability, each `run(quick: bool) -> dict[str, float | int | str]`.

Every module reports its figures beside the peer it is compared to, measured in the same run.
`python main.py bench` runs each module in its own process (a crash or a leak in one cannot
spoil the others) and prints/writes the figures.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path


def modules() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100.0 * (len(s) - 1)))))
    return s[k]
