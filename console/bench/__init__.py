"""The benchmark, gathered: each capability's ``bench.py`` beside what it measures, plus the Qt side here.

A bench module has `run(quick: bool) -> dict[str, float | int | str]` and reports its figures beside
the peer it is compared to, measured in the same run. The modules are every ``bench.py`` of a package
under devices/ and dispatch/ (e.g. dispatch/feeds/bench.py, section "feeds"; a name on both sides is
named by its package: "devices.jt808", "dispatch.jt808") and every module of this
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
            name = bench.parent.name
            if name in found:  # one name on both sides (devices/jt808 the protocol, dispatch/jt808 the gateway):
                first = found.pop(name)  # each section named by its package
                found[first.rsplit(".", 1)[0]] = first
                name = f"{top}.{name}"
            found[name] = f"{top}.{bench.parent.name}.bench"
    here = Path(__file__).parent
    for m in pkgutil.iter_modules([str(here)]):
        if not m.name.startswith("_"):
            found[m.name] = f"console.bench.{m.name}"
    return dict(sorted(found.items()))
