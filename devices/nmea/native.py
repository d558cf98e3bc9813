"""The compiled NMEA parts, when they were built and are not switched off: the decoder (``devices/nmea/_cnmea.c``)
and the feeds' batch pair scan (``devices/nmea/_cpairs.c``, used by `devices.nmea.pairs.scan_pairs`).

`main.py decode` spends its time on NMEA lines: framing them, gpsd's cycle rules, writing TPV and
SKY. ``_cnmea.Decoder`` does all of that in C, the same as the Python path (`devices.lines`,
`devices.nmea.cycle`, `devices.gpsd_json`) byte for byte; `devices.report_stream.ReportLines` uses
it for ``$`` lines and hands every other line (AIS, gpsd JSON) to the Python decoders.

The extensions are built by ``pip install`` (setup.py) when a C compiler is there; without one the
install still succeeds and everything runs in Python. ``CONSOLE_PURE_PYTHON=1`` in the environment
forces the Python path (the tests run both).
"""

from __future__ import annotations

import functools
import importlib
import os
from types import ModuleType

PURE_ENV = "CONSOLE_PURE_PYTHON"


def pure_forced() -> bool:
    """True when the environment asks for the pure-Python path."""
    return os.environ.get(PURE_ENV, "") not in ("", "0")


@functools.cache
def built(name: str) -> ModuleType | None:
    """The compiled module ``devices.nmea.<name>`` (``_cnmea``, ``_cpairs``), or None where it was not built
    (the import is tried once)."""
    try:
        return importlib.import_module(f"devices.nmea.{name}")
    except ImportError:
        return None


def cnmea() -> ModuleType | None:
    """The compiled decoder, or None (not built, or switched off by CONSOLE_PURE_PYTHON)."""
    return None if pure_forced() else built("_cnmea")


def cpairs() -> ModuleType | None:
    """The compiled batch pair scan (devices/nmea/pairs.py), or None (not built, or switched off by CONSOLE_PURE_PYTHON)."""
    return None if pure_forced() else built("_cpairs")
