"""Who may use the device bench: the permission table (docs/permissions.md) for the seat's operator, checked by
the core (dispatch/accounts/guard.py through console.operations.authorize) before a feed edit or a device
binding runs; a viewer's attempt is refused, said on the bench and recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console.device_bench.words import refusal_text
from dispatch.errors import Refused


def guarded(panel: Any, fn: Callable[..., Any], operation: str = "feed.edit") -> Callable[..., Any]:
    """`fn` run only once the seat's operator may do `operation` (checked on the worker, just before it)."""
    def run(*args: Any) -> Any:
        from console.operations import authorize

        authorize(panel.manager.core, operation)
        return fn(*args)

    return run


def may(panel: Any, operation: str = "feed.edit") -> bool:
    """Asked before a dialog opens: False, and the bench says why, when the operator may not."""
    from console.operations import authorize

    try:
        authorize(panel.manager.core, operation)
    except Refused as exc:
        panel.show_notice(refusal_text(exc), error=True)
        return False
    return True
