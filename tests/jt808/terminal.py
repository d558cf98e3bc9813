"""A JT/T 808 terminal for the tests, written from the standard: hand-made frames over a raw socket,
and the platform's answers read back."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from devices.errors import DeviceError
from devices.jt808 import Jt808Stream
from tests.conftest import wait_for
from tests.devices.jt808_frames import frame


class RawTerminal:
    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=5)
        self.stream = Jt808Stream()
        self.received: list[Any] = []
        self.raw = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_frame(self, *parts: str, check: int | None = None) -> None:
        self.send(frame(*parts, check=check))

    def _read(self, timeout: float) -> bool:
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return True
        except OSError:
            return False
        if not chunk:
            return False
        self.raw += chunk
        for m in self.stream.feed(chunk):
            assert not isinstance(m, DeviceError), m  # the platform only sends good frames
            self.received.append(m)
        return True

    def expect(self, msg_id: int, count: int = 1, timeout: float = 5.0) -> list[Any]:
        """Wait until ``count`` messages of ``msg_id`` have come; return them (the oldest first)."""
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.received if m.header.msg_id == msg_id]
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"no 0x{msg_id:04X} within {timeout} s; got {self.received}")
            if not self._read(0.05):
                raise AssertionError(f"connection closed waiting for 0x{msg_id:04X}; got {self.received}")

    def closed(self, timeout: float = 10.0) -> bool:
        """Wait until the platform closes the connection."""
        alive = [True]

        def gone() -> bool:
            alive[0] = self._read(0.05)
            return not alive[0]

        wait_for(gone, timeout, what="the platform closing the connection")
        return True

    def close(self) -> None:
        self.sock.close()


@contextmanager
def ctl_running(db_url: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    """`main.py ctl --db URL ARGS` in a process of its own, for a test to answer what it sends; killed on the way out
    if it is still running (a test that failed before it ended)."""
    root = Path(__file__).resolve().parents[2]
    p = subprocess.Popen([sys.executable, str(root / "main.py"), "ctl", "--db", db_url, *args], cwd=root,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield p
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
