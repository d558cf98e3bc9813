"""Serial receivers (a GPS puck on USB, an AIS receiver on RS-422) through pyserial.

The port may come and go: a USB cable pulled and plugged back, a pty whose writer restarts.
A lost port is closed and reopened with backoff; with ``baud="auto"`` the rate is found again
(the last good rate is tried first). Open a stable name (``/dev/serial/by-id/...``) where
there is one: the kernel may give a replugged device a new ttyUSBn.
"""

from __future__ import annotations

from typing import Any

import serial

from devices.errors import TransportError
from devices.serial_ports import BAUD_RATES, detect_baud
from devices.transports.base import Transport


class SerialTransport(Transport):
    kind = "serial"

    def __init__(self, name: str, port: str, baud: int | str = "auto", *, detect_window: float = 1.5,
                 **kw: Any) -> None:
        super().__init__(name, **kw)
        self.port = port
        self.auto = baud == "auto" or baud in (0, None)
        self.baud: int | None = None if self.auto else int(baud)
        self.detect_window = detect_window
        self._ser: serial.Serial | None = None

    def describe(self) -> str:
        return f"{self.port} @ {self.baud or 'auto'}"

    def _open(self) -> None:
        baud = self.baud
        if self.auto:
            self._set_state("detecting", f"{self.port} @ auto")
            order = [baud] + [r for r in BAUD_RATES if r != baud] if baud else list(BAUD_RATES)
            found = detect_baud(self.port, order, window=self.detect_window, stop=self._stop)
            if found is None:
                raise TransportError(f"no checksum-valid sentences on {self.port} at any of "
                                     f"{', '.join(map(str, BAUD_RATES))} baud")
            baud = found.baud
        assert baud is not None
        self._ser = serial.Serial(self.port, baud, timeout=0.2, exclusive=False)
        self.baud = baud
        self.stats.baud = baud

    def _read(self, timeout: float) -> bytes | None:
        ser = self._ser
        assert ser is not None
        ser.timeout = timeout
        data = ser.read(max(1, ser.in_waiting))
        return data or None

    def _close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            ser.close()
