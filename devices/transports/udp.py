"""UDP listener: AIS receivers and NMEA multiplexers that broadcast datagrams (often to port 10110)."""

from __future__ import annotations

import socket
from typing import Any

from devices.transports.base import Transport


class UdpListener(Transport):
    """Each datagram is framed on its own (a datagram never continues another), tagged with its sender."""

    kind = "udp"

    def __init__(self, name: str, host: str = "0.0.0.0", port: int = 10110, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.host = host
        self.port = int(port)
        self._sock: socket.socket | None = None

    def describe(self) -> str:
        return f"udp {self.host}:{self.port}"

    def _open(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        if self.port == 0:
            self.port = sock.getsockname()[1]
        self._sock = sock

    def _read(self, timeout: float) -> bytes | None:
        sock = self._sock
        assert sock is not None
        sock.settimeout(timeout)
        try:
            data, addr = sock.recvfrom(65535)
        except TimeoutError:
            return None
        peer = f"{addr[0]}:{addr[1]}"
        self._ingest(data if data.endswith((b"\n", b"\r")) else data + b"\n", peer)
        self._flush_framers(peer)
        return None

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
