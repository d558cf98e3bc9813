"""The compiled decoders are optional at install (no compiler: the pure-Python paths), so their tests skip
where they are not built. CI sets CONSOLE_NATIVE_REQUIRED=1: there, an extension that failed to build is a
failure, not a quiet skip of every test of the compiled paths."""

from __future__ import annotations

import os

import pytest

from devices.ais import native as ais_native
from devices.nmea import native as nmea_native

required = pytest.mark.skipif(os.environ.get("CONSOLE_NATIVE_REQUIRED") != "1",
                              reason="only where the compiled parts must be built (CONSOLE_NATIVE_REQUIRED=1, CI)")


@required
def test_both_compiled_decoders_are_built_and_loadable() -> None:
    assert ais_native.available(), "devices/ais/_cais.c is not built: pip install -e . (is a C compiler there?)"
    assert nmea_native.cnmea() is not None, "devices/nmea/_cnmea.c is not built: pip install -e ."
