"""Citizens: Open311 GeoReport v2 and the citizen page — report, follow and rate (docs/open311.md).

services.py the public catalogue and status texts; book.py the state and appliers; keys.py API keys;
ops.py filing, public notes, preview and rating; query.py GET requests' filters; public.py what a citizen
sees (never personal data); photos.py EXIF location removal; layers.py the convenience layer;
wire.py JSON/XML; server.py the HTTP endpoint (Starlette on uvicorn, its own thread); page.py the page's
filing entry; bench.py the figures.
"""

from __future__ import annotations

DEFAULT_BIND = "127.0.0.1:8311"


def start_open311(core, bind: str = DEFAULT_BIND, **kw):  # type: ignore[no-untyped-def]
    """Start the endpoint on `bind` (HOST:PORT) in its own thread; returns the running server."""
    from dispatch.citizens.server import Open311Server

    return Open311Server(core, bind, **kw).start()
