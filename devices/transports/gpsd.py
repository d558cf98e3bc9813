"""A gpsd client: connect to host:2947, ask for JSON reports with ``?WATCH``, read them as lines.

The lines are gpsd JSON objects (``{"class":"TPV",...}``); `devices.framing.Decoder` hands them
to `devices.gpsd.GpsdDecoder`. gpsd restarting is just a dropped TCP connection: we redial and
send ``?WATCH`` again.
"""

from __future__ import annotations

from typing import Any

from devices.gpsd import watch_command
from devices.transports.tcp import TcpClient

GPSD_PORT = 2947


class GpsdClient(TcpClient):
    kind = "gpsd"

    def __init__(self, name: str, host: str = "127.0.0.1", port: int = GPSD_PORT, *, device: str | None = None,
                 **kw: Any) -> None:
        kw.setdefault("max_line", 65536)  # SKY reports with many satellites are long
        super().__init__(name, host, port, hello=(watch_command(True, device) + "\n").encode(), **kw)

    def describe(self) -> str:
        return f"gpsd {self.host}:{self.port}"
