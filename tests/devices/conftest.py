"""The AIS decoder's two paths: the AIS test modules run every test on both (`ais_path`)."""

from __future__ import annotations

import pytest

from devices.ais import native


@pytest.fixture(params=["compiled", "python"])
def ais_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Decoders made in the test use the compiled AIS decoder, or the pure Python one (the switch that
    ``CONSOLE_PURE_PYTHON=1`` sets). The compiled one must be built (`pip install -e .`) for its half to run."""
    if request.param == "compiled" and not native.available():
        pytest.skip("the compiled AIS decoder (devices/ais/_cais.c) is not built: pip install -e .")
    monkeypatch.setattr(native, "ENABLED", request.param == "compiled")
    return request.param  # type: ignore[no-any-return]
