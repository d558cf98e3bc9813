"""The compiled parts, all optional: without a C compiler the install still works and the pure Python paths run.

pyproject.toml holds the project; this file only declares the C extensions (setuptools reads both).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # AIS sentences to gpsd JSON (devices/ais/native.py loads it; CONSOLE_PURE_PYTHON=1 keeps Python)
        Extension("devices.ais._cais", ["devices/ais/_cais.c", "devices/ais/_cais_stream.c", "devices/ais/_cais_render.c"],
                  depends=["devices/ais/_cais.h"], optional=True, extra_compile_args=["-O2"]),
    ],
)
