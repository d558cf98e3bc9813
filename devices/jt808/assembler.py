"""Joining the sub-packages of a split JT/T 808 message.

Packages are grouped by (terminal, message id, package count) and the serial number of their package 1, so two
messages of one kind in flight do not mix. A message's packages usually carry consecutive serials, and then each
names its package 1's serial; but the standard numbers every message a terminal sends from one counter, and
terminals in the field send other messages (a position, a heartbeat) between the packages of a long upload. So a
package whose serial names no message being joined goes to the message of its kind that lacks its number and whose
packages' serials it falls between, in package order (the nearest if several do; a package already in counts only
with its own serial, as when it is sent again). Two messages of one kind whose packages come interleaved, their
serials not consecutive, cannot be told apart that way. A message whose packages stop coming is dropped
``timeout`` seconds after its latest package (a photo of a few hundred packages over a slow link takes longer than
that in all), and so is the one longest silent when more than ``max_pending`` wait; a message announced larger than
``max_bytes`` (1 MiB by default: a camera's photo is up to a few hundred KB) is not held at all.
Each is counted (`incomplete`). Packages may come in any order; a repeated package replaces the first.
`stalled` says which messages have waited long enough since their latest package (or since they were last asked
for) to ask the terminal again for what they lack, by package 1's serial (its own once it came).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from devices.jt808.header import Header

_Key = tuple[str, int, int, int]
_HALF = 0x8000  # serials are WORDs that wrap round: b comes after a when (b - a) mod 65536 is below this


def first_serial(header: Header) -> int:
    """The serial of package 1 of the split message a package belongs to, when its packages' serials are consecutive
    (`Assembler` finds the message a package belongs to when they are not)."""
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
        # per message: its latest package's time, the packages' data and serials by number
        self._pending: dict[_Key, tuple[float, dict[int, bytes], dict[int, int]]] = {}
        self._asked: dict[_Key, tuple[int, float]] = {}  # times asked for again by `stalled`, and when last

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, header: Header, data: bytes) -> tuple[Header, bytes] | None:
        """Add one package; return (the header of package 1, the joined body) once all are in."""
        now = self.clock()
        self.expire(now)
        key = self._find(header)
        if key is not None:
            entry = self._pending[key]
        else:
            key = (header.phone, header.msg_id, header.packages, first_serial(header))
            if header.packages * 1023 > self.max_bytes:
                self.incomplete += 1
                return None
            if len(self._pending) >= self.max_pending:
                oldest = min(self._pending, key=lambda k: self._pending[k][0])
                del self._pending[oldest]
                self._asked.pop(oldest, None)
                self.incomplete += 1
            entry = (now, {}, {})
        _t0, parts, serials = entry
        parts[header.package] = data
        serials[header.package] = header.serial
        self._pending[key] = (now, parts, serials)  # its latest package: the timeout counts from here
        if len(parts) < header.packages:
            return None
        self._pending.pop(key, None)
        self._asked.pop(key, None)
        body = b"".join(parts[i] for i in range(1, header.packages + 1))
        first = Header(header.msg_id, header.phone, serials[1], len(body), header.edition, header.protocol_version,
                       header.encryption, header.packages, 1)
        return first, body

    def _find(self, header: Header) -> _Key | None:
        """The message being joined that ``header``'s package belongs to: the one its serial names as consecutive
        serials would (its package 1's serial), else the one of its kind that lacks its number (or has it with this
        very serial: sent again) and whose packages' serials it falls between in package order, the nearest."""
        key = (header.phone, header.msg_id, header.packages, first_serial(header))
        if key in self._pending:
            return key
        best, best_gap = None, _HALF
        for k, (_t, _parts, serials) in self._pending.items():
            if k[:3] == key[:3]:
                gap = _gap(serials, header.package, header.serial)
                if gap is not None and gap < best_gap:
                    best, best_gap = k, gap
        return best

    def missing(self, header: Header) -> tuple[bytes | None, tuple[int, ...]]:
        """For the message `header` (one of its packages) is part of, while it is being joined: (package 1's data
        if it is in, the numbers of the packages not in yet). (None, ()) when nothing of it waits (joined or
        dropped). What a platform asks again for (a photo's 0x8800 names the packages to send again)."""
        key = self._find(header)
        if key is None:
            return None, ()
        parts = self._pending[key][1]
        return parts.get(1), tuple(i for i in range(1, header.packages + 1) if i not in parts)

    def first_serial_of(self, header: Header) -> int:
        """The serial of package 1 of the message `header`'s package is part of: its own once it came, else what
        consecutive serials would give (what a 0x8003 names; a terminal whose package 1 was lost matches it by the
        packages it asks for)."""
        key = self._find(header)
        if key is None:
            return first_serial(header)
        return self._pending[key][2].get(1, key[3])

    def expire(self, now: float | None = None) -> int:
        if not self._pending:
            return 0
        now = self.clock() if now is None else now
        stale = [k for k, (t0, _p, _s) in self._pending.items() if now - t0 > self.timeout]
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
        for key, (latest, _parts, serials) in self._pending.items():
            n, at = self._asked.get(key, (0, float("-inf")))
            if n >= times or now - max(latest, at) <= quiet_s:
                continue
            self._asked[key] = (n + 1, now)
            phone, msg_id, packages, serial = key
            out.append(Header(msg_id, phone, serials.get(1, serial), 0, template.edition, template.protocol_version,
                              template.encryption, packages, 1))
        return out


def _gap(serials: dict[int, int], package: int, serial: int) -> int | None:
    """How far ``serial`` (of package number ``package``) is from the nearest serial of a message's packages in
    ``serials`` ({number: serial}), when it falls between them in package order (after those of lower numbers, at
    least one a package, before those of higher numbers); 0 for that very package with that very serial (sent
    again); None when it does not fit."""
    if package in serials:
        return 0 if serials[package] == serial else None
    nearest = _HALF
    for n, s in serials.items():
        d = (serial - s) & 0xFFFF if n < package else (s - serial) & 0xFFFF
        if not abs(n - package) <= d < _HALF:
            return None
        nearest = min(nearest, d)
    return nearest
