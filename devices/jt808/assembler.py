"""Joining the sub-packages of a split JT/T 808 message.

Packages are grouped by (terminal, message id, package count) and the serial number of their
package 1 (a message's packages carry consecutive serials, so two messages of one kind in flight
never mix). A message whose packages stop coming is dropped after ``timeout`` seconds, and so is
the oldest when more than ``max_pending`` wait or a message would exceed ``max_bytes``: each is
counted (`incomplete`). Packages may come in any order; a repeated package replaces the first.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from devices.jt808.header import Header

_Key = tuple[str, int, int, int]


class Assembler:
    def __init__(self, timeout: float = 60.0, max_pending: int = 8, max_bytes: int = 256 * 1024,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.max_pending = max_pending
        self.max_bytes = max_bytes
        self.clock = clock
        self.incomplete = 0
        self._pending: dict[_Key, tuple[float, dict[int, bytes]]] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, header: Header, data: bytes) -> tuple[Header, bytes] | None:
        """Add one package; return (the header of package 1, the joined body) once all are in."""
        now = self.clock()
        self.expire(now)
        first_serial = (header.serial - (header.package - 1)) & 0xFFFF
        key = (header.phone, header.msg_id, header.packages, first_serial)
        entry = self._pending.get(key)
        if entry is None:
            if header.packages * 1023 > self.max_bytes:
                self.incomplete += 1
                return None
            if len(self._pending) >= self.max_pending:
                oldest = min(self._pending, key=lambda k: self._pending[k][0])
                del self._pending[oldest]
                self.incomplete += 1
            entry = (now, {})
            self._pending[key] = entry
        parts = entry[1]
        parts[header.package] = data
        if len(parts) < header.packages:
            return None
        self._pending.pop(key, None)
        body = b"".join(parts[i] for i in range(1, header.packages + 1))
        first = Header(header.msg_id, header.phone, first_serial, len(body), header.edition, header.protocol_version,
                       header.encryption, header.packages, 1)
        return first, body

    def expire(self, now: float | None = None) -> int:
        if not self._pending:
            return 0
        now = self.clock() if now is None else now
        stale = [k for k, (t0, _p) in self._pending.items() if now - t0 > self.timeout]
        for k in stale:
            del self._pending[k]
        self.incomplete += len(stale)
        return len(stale)
