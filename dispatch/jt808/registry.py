"""The gateways running in this process, by core: how operations reach the one serving their core."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_gateways: dict[int, Any] = {}


def register(core: Any, gateway: Any) -> None:
    with _lock:
        _gateways[id(core)] = gateway


def unregister(core: Any, gateway: Any) -> None:
    with _lock:
        if _gateways.get(id(core)) is gateway:
            del _gateways[id(core)]


def gateway_of(core: Any) -> Any | None:
    with _lock:
        return _gateways.get(id(core))
