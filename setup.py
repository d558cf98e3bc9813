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
    ],
)
