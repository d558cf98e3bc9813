"""The compiled NMEA decoder (``devices/nmea/_cnmea.c``), when it was built and is not switched off.

`main.py decode` spends its time on NMEA lines: framing them, gpsd's cycle rules, writing TPV and
SKY. ``_cnmea.Decoder`` does all of that in C, the same as the Python path (`devices.lines`,
`devices.nmea.cycle`, `devices.gpsd_json`) byte for byte; `devices.report_stream.ReportLines` uses
it for ``$`` lines and hands every other line (AIS, gpsd JSON) to the Python decoders.

The extension is built by ``pip install`` (setup.py) when a C compiler is there; without one the
install still succeeds and everything runs in Python. ``CONSOLE_PURE_PYTHON=1`` in the environment
forces the Python path (the tests run both).
"""

from __future__ import annotations

import os
from types import ModuleType

PURE_ENV = "CONSOLE_PURE_PYTHON"


def pure_forced() -> bool:
    """True when the environment asks for the pure-Python path."""
    return os.environ.get(PURE_ENV, "") not in ("", "0")


def cnmea() -> ModuleType | None:
    """The compiled module, or None (not built, or switched off by CONSOLE_PURE_PYTHON)."""
    if pure_forced():
        return None
    try:
        from devices.nmea import _cnmea  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _cnmea
