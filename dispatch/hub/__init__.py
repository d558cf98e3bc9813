"""The hub: field units over ZeroMQ (CURVE + ZAP, persisted per-unit outbox, presence) and the
control endpoint `ctl --hub` talks to. docs/field-protocol.md is the wire specification.
"""

from __future__ import annotations

from typing import Any

DEFAULT_FIELD_BIND = "tcp://127.0.0.1:5570"
DEFAULT_CONTROL_BIND = "tcp://127.0.0.1:5571"


def start_hub(core: Any, field_bind: str = DEFAULT_FIELD_BIND, control_bind: str | None = DEFAULT_CONTROL_BIND,
              *, owner: bool = False) -> Any:
    """Start a hub on `core` and return it (a `dispatch.hub.server.Hub`); call `.stop()` when done.
    `owner`: write the owner credential file `ctl --hub` uses on this machine (dispatch/hub/owner.py)."""
    from dispatch.hub.server import Hub

    core.store.ensure_schema()  # the hub's tables (outbox, keys) beside the log
    return Hub(core, field_bind, control_bind, owner=owner).start()
