"""Free ports for servers a test starts in another process (a hub, the JT/T 808 gateway, gpsd).

A port taken from bind(("127.0.0.1", 0)) and released comes from the kernel's ephemeral range, which is
also where every outgoing connection takes its local port: between the test closing it and the server
binding it, a client connection of the same run can take it, and the server fails to start (seen under
CI's load). These ports are drawn from below that range, where only an explicit bind takes a port.
"""

from __future__ import annotations

import random
import socket

LOW, HIGH = 20000, 32000  # below Linux's ip_local_port_range (32768-60999)
_rng = random.Random()


def _free(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port() -> int:
    """A port free for TCP and UDP on 127.0.0.1, outside the ephemeral range."""
    for _ in range(200):
        port = _rng.randrange(LOW, HIGH)
        if _free(port):
            return port
    raise RuntimeError("no free port")


def free_port_pair() -> int:
    """A port P with P + 1 free too (a hub's control endpoint and the stream beside it)."""
    for _ in range(200):
        port = _rng.randrange(LOW, HIGH - 1)
        if _free(port) and _free(port + 1):
            return port
    raise RuntimeError("no two free ports side by side")
