"""JT/T 808 terminals (construction-waste trucks) as a feed: the gateway (`gateway.Gateway`), what it
answers (`handler`), its ingest thread (`ingest`), texts and commands to terminals (`downlink`, `commands`),
its sessions, the jt808.* events and operations (`state`, `ops`)."""

from __future__ import annotations

from typing import Any

from dispatch.jt808.gateway import DEFAULT_BIND, Gateway, parse_bind

__all__ = ["DEFAULT_BIND", "Gateway", "parse_bind", "start_gateway"]


def start_gateway(core: Any, bind: str = DEFAULT_BIND, **options: Any) -> Gateway:
    """Start a gateway on `core` listening on `bind` (tcp://ADDR:PORT); call `.stop()` when done.

    :raises ValueError: a bad endpoint. :raises OSError: the address cannot be bound.
    """
    return Gateway(core, bind, **options).start()
