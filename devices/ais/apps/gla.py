"""DAC 235 (UK) and 250 (Ireland), FID 10: AtoN monitoring data of the General Lighthouse Authorities."""

from __future__ import annotations

from devices.ais.apps.fields import App, F, b, legend, u
from devices.ais.bits import Bits

RACON = ("No RACON installed", "RACON not monitored", "RACON operational", "RACON ERROR")
LIGHT = ("No light or no monitoring", "Light ON", "Light OFF", "Light ERROR")


def _volts(p: Bits, off: int, width: int) -> float | int:
    """Steps of 0.05 V, printed as gpsd's ``%g`` (a whole number without decimals)."""
    v = float(f"{p.u(off, width) * 0.05:g}")
    return int(v) if v.is_integer() else v


_ATON = App("AtoN monitoring data", (
    F("off_pos", 131, 1, b), F("alarm", 122, 1, b), F("stat_ext", 123, 8, u),
    F("ana_int", 88, 10, _volts), F("ana_ext1", 98, 10, _volts), F("ana_ext2", 108, 10, _volts),
    F("racon", 118, 2, u), F("racon_text", 118, 2, legend(RACON)),
    F("light", 120, 2, u), F("light_text", 120, 2, legend(LIGHT)),
), frozenset({136}))

APPS: dict[tuple[int, int, int], App] = {(6, 235, 10): _ATON, (6, 250, 10): _ATON}
