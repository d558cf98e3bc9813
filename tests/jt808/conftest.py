from __future__ import annotations

import pytest

from dispatch.core import Dispatch
from dispatch.jt808 import start_gateway
from dispatch.ops import call
from dispatch.store import EventStore


@pytest.fixture
def core(db_url):  # type: ignore[no-untyped-def]
    c = Dispatch(EventStore(db_url))
    call(c, "units.register", {"units": [
        {"id": "truck-41", "kind": "truck", "name": "桂B·A1234", "terminal": "013912345678"},
        {"id": "truck-42", "kind": "truck", "terminal": "13900000042"},
        {"id": "truck-43", "kind": "truck"},
    ]}, actor="test")
    yield c
    c.close()


@pytest.fixture
def gateway(core):  # type: ignore[no-untyped-def]
    gw = start_gateway(core, "tcp://127.0.0.1:0", first_frame_timeout=2.0, idle_timeout=3.0, frame_timeout=1.5)
    yield gw
    gw.stop()
