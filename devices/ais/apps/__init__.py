"""Application-specific payloads of AIS binary messages (types 6 and 8) as gpsd 3.22 decodes them.

The DAC/FID pairs gpsd names the members of, one table module per family:
`imo` (DAC 1, IMO 236 / IMO 289), `inland` (DAC 200, the inland ECE/Rhine messages),
`gla` (DAC 235/250, the lighthouse authorities' AtoN monitoring). Every other pair, and a
payload of a length gpsd does not decode for its pair, stays the raw ``"data"`` form.
"""

from __future__ import annotations

from devices.ais.apps import gla, imo, inland
from devices.ais.apps.fields import App, fill
from devices.ais.bits import Bits

APPS: dict[tuple[int, int, int], App] = {**imo.APPS, **inland.APPS, **gla.APPS}


def find(mtype: int, dac: int, fid: int, p: Bits) -> App | None:
    """The table for a message gpsd decodes (pair known, length and range checks passed), else None."""
    app = APPS.get((mtype, dac, fid))
    return app if app is not None and app.accepts(p) else None


def decode(app: App, p: Bits, d: dict[str, object]) -> bool:
    """Add the named members of ``app`` to ``d``; False (``d`` untouched) if the table fails.

    A table reading past the end reads zeros, so a failure here is a bug in a table, not
    bad input; the caller then keeps the raw form (and counts it).
    """
    out: dict[str, object] = {}
    try:
        fill(app.entries, p, out)
    except Exception:  # a broken table must not lose the report
        return False
    d.update(out)
    return True


__all__ = ["APPS", "App", "decode", "find"]
