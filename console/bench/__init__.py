"""The benchmark, gathered: each capability's ``bench.py`` beside what it measures, plus the Qt side here.

A bench module has `run(quick: bool) -> dict[str, float | int | str]` and reports its figures beside
the peer it is compared to, measured in the same run. The modules are every ``bench.py`` of a package
under devices/ and dispatch/ (e.g. dispatch/feeds/bench.py, section "feeds"; a package's
``bench_NAME.py`` is section NAME, e.g. dispatch/hub/bench_multiseat.py) and every module of this
folder (the console's own figures: the map, the decode command as a whole process). `python main.py
bench` runs each in its own process (a crash or a leak in one cannot spoil the others).
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def modules() -> dict[str, str]:
    """Section name -> module path, sorted by section name."""
    found: dict[str, str] = {}
    for top in ("devices", "dispatch"):
        for bench in sorted((ROOT / top).glob("*/bench.py")):
            found[bench.parent.name] = f"{top}.{bench.parent.name}.bench"
        for extra in sorted((ROOT / top).glob("*/bench_*.py")):  # a second section of a package: bench_NAME.py
            found[extra.stem.removeprefix("bench_")] = f"{top}.{extra.parent.name}.{extra.stem}"
    here = Path(__file__).parent
    for m in pkgutil.iter_modules([str(here)]):
        if not m.name.startswith("_"):
            found[m.name] = f"console.bench.{m.name}"
    return dict(sorted(found.items()))
