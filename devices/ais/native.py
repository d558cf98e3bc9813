"""The compiled AIS decoder (`devices/ais/_cais.c`), when it was built, and the switch to the pure Python path.

`pip install -e .` builds the extension when a C compiler and Python's headers are there (it is optional:
without them the install still works and everything runs in Python). ``CONSOLE_PURE_PYTHON=1`` in the
environment, or ``ENABLED = False`` here before a decoder is made, keeps the pure Python path even when
the extension is built. Both paths give the same reports, counters and errors (the tests run both).

`new_decoder` gives the compiled decoder of one stream, or None when the Python path is to be used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

ENABLED = os.environ.get("CONSOLE_PURE_PYTHON", "") in ("", "0")

_module: Any = None
_tried = False


def _load() -> Any:
    global _module, _tried
    if not _tried:
        _tried = True
        try:
            from devices.ais import _cais  # type: ignore[attr-defined]
        except ImportError:
            return None
        from devices.ais.legends import AID_TYPE, EPFD, NAV_STATUS, SHIP_TYPE, TURN
        from devices.errors import ChecksumError, MalformedSentenceError, UnknownSentenceError

        _cais.configure(ChecksumError, UnknownSentenceError, MalformedSentenceError, _parse, NAV_STATUS, EPFD,
                        SHIP_TYPE, AID_TYPE, TURN)
        _module = _cais
    return _module


def _parse(line: str, require_checksum: bool) -> Any:
    """`devices.ais.fast.parse`, imported at the first line of another shape than the common one."""
    from devices.ais import fast

    return fast.parse(line, require_checksum)


def available() -> bool:
    """True when the compiled decoder is built (whether or not it is switched off)."""
    return _load() is not None


def new_decoder(require_checksum: bool, timeout: float = 10.0, max_pending: int = 256,
                clock: Callable[[], float] | None = None) -> Any:
    """A compiled decoder of one stream, or None (not built, or switched off)."""
    if not ENABLED:
        return None
    m = _load()
    if m is None:
        return None
    return m.Decoder(require_checksum, timeout, max_pending, clock)


def json_head(device: str | None) -> str:
    """How an AIS object starts in `devices.gpsd_json.report_line`: ``{"class":"AIS"`` and the device member."""
    return '{"class":"AIS"' + (f',"device":{json.dumps(device)}' if device is not None else "")
