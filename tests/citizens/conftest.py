"""A real core on a real SQLite file with the Open311 endpoint on 127.0.0.1 (an ephemeral port)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from dispatch import ops
from dispatch.core import Dispatch
from dispatch.store import EventStore


@pytest.fixture
def core(tmp_path) -> Iterator[Dispatch]:  # type: ignore[no-untyped-def]
    c = Dispatch(EventStore(f"sqlite:///{tmp_path / 'store.db'}"))
    yield c
    c.store.close()


@pytest.fixture
def server(core) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    from dispatch.citizens import start_open311

    srv = start_open311(core, "127.0.0.1:0", post_per_minute=6000, post_burst=1000)
    yield srv
    srv.stop()


@pytest.fixture
def api_key(core) -> str:  # type: ignore[no-untyped-def]
    return str(ops.call(core, "citizens.apikey_new", {"name": "city-app", "source": "app"}, actor="ctl:test")["api_key"])


@pytest.fixture
def http(server) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    import httpx

    with httpx.Client(base_url=server.url + "v2/", timeout=10) as c:
        yield c


def jpeg_with_gps() -> bytes:
    """A small JPEG whose EXIF carries a GPS position (as a phone writes it)."""
    from PIL import Image

    img = Image.new("RGB", (64, 48), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    exif[0x8825] = {1: "N", 2: (24.0, 19.0, 12.0), 3: "E", 4: (109.0, 24.0, 30.0)}
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()
