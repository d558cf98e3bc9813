from __future__ import annotations

import os
import termios
import tty

import pytest

from dispatch.core import Dispatch
from dispatch.store import EventStore


@pytest.fixture
def core(db_url):  # type: ignore[no-untyped-def]
    c = Dispatch(EventStore(db_url))
    c.register_units("test", [
        {"id": "boat-01", "name": "Boat 1", "kind": "patrol_boat"},
        {"id": "boat-02", "name": "Boat 2", "kind": "patrol_boat", "mmsi": 413801002},
        {"id": "truck-01", "name": "Truck 1", "kind": "truck"},
    ])
    yield c
    c.close()


class Pty:
    """A pty pair at a set speed: the test writes into the master like a receiver on a wire."""

    def __init__(self, baud: int = 4800) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        a = termios.tcgetattr(self.slave)
        a[4] = a[5] = getattr(termios, f"B{baud}")
        termios.tcsetattr(self.slave, termios.TCSANOW, a)
        self.name = os.ttyname(self.slave)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
