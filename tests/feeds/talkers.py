"""A small UDP sender for feed tests: two NMEA talkers and one AIS vessel, each at its own spot."""

from __future__ import annotations

import socket
import threading
import time

from devices.ais import encode as ais
from devices.nmea import encode

# where each source puts its fixes: a unit bound to it shows up there
SPOTS = {"GP": (24.301, 109.401), "GN": (24.402, 109.402), "mmsi": (24.503, 109.403)}
MMSI = 412000111


class UdpTalkers:
    """Sends GP and GN fixes (RMC+GGA) and an AIS position report to 127.0.0.1:`port` every `every` s.

    From one socket, so every datagram has the same peer address; stops by itself after `limit` s.
    """

    def __init__(self, port: int, every: float = 0.05, limit: float = 60.0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.peer = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.port = port
        self.every = every
        self.limit = limit
        self.stop_event = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=self._run, name="udp-talkers", daemon=True)

    def start(self) -> UdpTalkers:
        self.thread.start()
        return self

    def _run(self) -> None:
        end = time.monotonic() + self.limit
        while not self.stop_event.is_set() and time.monotonic() < end:
            t = time.time()
            lines = []
            for talker in ("GP", "GN"):
                lat, lon = SPOTS[talker]
                lines += [encode.rmc(talker, t, lat, lon, 1.0, 90.0), encode.gga(talker, t, lat, lon, hdop=0.9)]
            lat, lon = SPOTS["mmsi"]
            lines += ais.type1(MMSI, lat, lon, 4.0, 180.0, 180)
            try:
                self.sock.sendto(("\r\n".join(lines) + "\r\n").encode(), ("127.0.0.1", self.port))
                self.sent += 1
            except OSError:
                pass  # the listener is being restarted: the next round goes through
            self.stop_event.wait(self.every)

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(5)
        self.sock.close()


def at(position: object, spot: str) -> bool:
    """True if a unit's position is at a source's spot."""
    lat, lon = SPOTS[spot]
    return position is not None and abs(position.lat - lat) < 1e-4 and abs(position.lon - lon) < 1e-4  # type: ignore[attr-defined]
