"""Compiled parts, each optional: without a C compiler `pip install` still succeeds and the pure-Python
paths are used (pyproject.toml holds everything else)."""

import sys

from setuptools import Extension, setup

_C_FLAGS = [] if sys.platform == "win32" else ["-O2", "-ffp-contract=off"]

setup(
    ext_modules=[
        # devices/nmea/native.py: `main.py decode`'s NMEA lines (framing, gpsd's cycle rules, TPV/SKY JSON)
        Extension("devices.nmea._cnmea", ["devices/nmea/_cnmea.c"], optional=True, extra_compile_args=_C_FLAGS,
                  depends=[f"devices/nmea/_cnmea_{part}.h" for part in ("text", "state", "rules", "cycle")]),
        # devices/nmea/pairs.py: scan_pairs, the whole-batch parse of the feeds' RMC+GGA pairs
        Extension("devices.nmea._cpairs", ["devices/nmea/_cpairs.c"], optional=True, extra_compile_args=_C_FLAGS),
        # devices/ais/native.py: AIS sentences to gpsd's members or JSON lines (the common types, fragments)
        Extension("devices.ais._cais", [f"devices/ais/_cais{part}.c" for part in ("", "_stream", "_render")],
                  optional=True, extra_compile_args=_C_FLAGS, depends=["devices/ais/_cais.h"]),
    ],
)
