"""Joining the sub-packages of a split JT/T 808 message.

Packages are grouped by (terminal, message id, package count) and the serial number of their
package 1 (a message's packages carry consecutive serials, so two messages of one kind in flight
never mix). A message whose packages stop coming is dropped ``timeout`` seconds after its latest
package (a photo of a few hundred packages over a slow link takes longer than that in all), and so
is the one longest silent when more than ``max_pending`` wait; a message announced larger than
``max_bytes`` (1 MiB by default: a camera's photo is up to a few hundred KB) is not held at all.
Each is counted (`incomplete`). Packages may come in any order; a repeated package replaces the first.
`stalled` says which messages have waited long enough since their latest package (or since they were last asked
for) to ask the terminal again for what they lack.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from devices.jt808.header import Header

_Key = tuple[str, int, int, int]


def first_serial(header: Header) -> int:
    """The serial of package 1 of the split message a package belongs to (its packages' serials are consecutive)."""
    return (header.serial - (header.package - 1)) & 0xFFFF
MAX_BYTES = 1024 * 1024  # the largest message joined by default


class Assembler:
    def __init__(self, timeout: float = 60.0, max_pending: int = 8, max_bytes: int = MAX_BYTES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.max_pending = max_pending
        self.max_bytes = max_bytes
        self.clock = clock
        self.incomplete = 0
        self._pending: dict[_Key, tuple[float, dict[int, bytes]]] = {}
        self._asked: dict[_Key, tuple[int, float]] = {}  # times asked for again by `stalled`, and when last

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, header: Header, data: bytes) -> tuple[Header, bytes] | None:
        """Add one package; return (the header of package 1, the joined body) once all are in."""
        now = self.clock()
        self.expire(now)
        serial = first_serial(header)
        key = (header.phone, header.msg_id, header.packages, serial)
        entry = self._pending.get(key)
        if entry is None:
            if header.packages * 1023 > self.max_bytes:
                self.incomplete += 1
                return None
            if len(self._pending) >= self.max_pending:
                oldest = min(self._pending, key=lambda k: self._pending[k][0])
                del self._pending[oldest]
                self._asked.pop(oldest, None)
                self.incomplete += 1
            entry = (now, {})
        parts = entry[1]
        parts[header.package] = data
        self._pending[key] = (now, parts)  # its latest package: the timeout counts from here
        if len(parts) < header.packages:
            return None
        self._pending.pop(key, None)
        self._asked.pop(key, None)
        body = b"".join(parts[i] for i in range(1, header.packages + 1))
        first = Header(header.msg_id, header.phone, serial, len(body), header.edition, header.protocol_version,
                       header.encryption, header.packages, 1)
        return first, body

    def missing(self, header: Header) -> tuple[bytes | None, tuple[int, ...]]:
        """For the message `header` (one of its packages) is part of, while it is being joined: (package 1's data
        if it is in, the numbers of the packages not in yet). (None, ()) when nothing of it waits (joined or
        dropped). What a platform asks again for (a photo's 0x8800 names the packages to send again)."""
        entry = self._pending.get((header.phone, header.msg_id, header.packages, first_serial(header)))
        if entry is None:
            return None, ()
        parts = entry[1]
        return parts.get(1), tuple(i for i in range(1, header.packages + 1) if i not in parts)

    def expire(self, now: float | None = None) -> int:
        if not self._pending:
            return 0
        now = self.clock() if now is None else now
        stale = [k for k, (t0, _p) in self._pending.items() if now - t0 > self.timeout]
        for k in stale:
            del self._pending[k]
            self._asked.pop(k, None)
        self.incomplete += len(stale)
        return len(stale)

    def stalled(self, quiet_s: float, times: int, template: Header, now: float | None = None) -> list[Header]:
        """The messages still being joined whose latest package came more than `quiet_s` ago, and that were asked
        for again fewer than `times` times, none in the last `quiet_s`: for each, a header of its package 1 (the
        edition and version of `template`, the terminal's), counted as asked for now. A message whose last package
        never came is among them too (nothing else would ask for it)."""
        now = self.clock() if now is None else now
        self.expire(now)
        out = []
        for key, (latest, _parts) in self._pending.items():
            n, at = self._asked.get(key, (0, float("-inf")))
            if n >= times or now - max(latest, at) <= quiet_s:
                continue
            self._asked[key] = (n + 1, now)
            phone, msg_id, packages, serial = key
            out.append(Header(msg_id, phone, serial, 0, template.edition, template.protocol_version,
                              template.encryption, packages, 1))
        return out
