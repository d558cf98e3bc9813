"""One terminal connection's session: who it is, what it said, what went wrong, its raw frames.

A session lives on the gateway's event-loop thread; other threads (the device bench, operations)
read it through `TerminalSession.as_dict` and `monitor`, which copy under the session's lock.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from devices.errors import DeviceError
from devices.jt808 import Jt808Stream, decode_frame
from devices.jt808.decoder import described
from devices.jt808.framing import FLAG

MONITOR_FRAMES = 64  # raw frames kept per terminal, in and out
RATE_WINDOW = 64  # message arrival times kept for the rate


@dataclass
class MonitorFrame:
    ts: float
    inbound: bool
    frame: bytes  # as on the wire, flags included (or a fragment of bytes that never made a frame)
    # a piece of a frame its terminal cut with a 0x7E it did not escape: (its number, how many, what they made)
    piece: tuple[int, int, str] | None = None

    def describe(self) -> str:
        """What the frame is: its message id and serial, or why it could not be read (for a piece, what the
        pieces made together)."""
        if self.piece is not None:
            return self.piece[2]
        try:
            m = decode_frame(self.frame)
            return f"0x{m.header.msg_id:04X} #{m.header.serial}"
        except DeviceError as exc:
            return described(exc)
        except Exception as exc:  # noqa: BLE001 - a description, never a failure
            return f"<{type(exc).__name__}>"


@dataclass
class TerminalSession:
    conn_id: int
    peer: str
    connected_at: float  # wall clock
    phone: str | None = None  # as its headers carry it
    unit: str | None = None
    edition: int | None = None  # 2011 / 2013 / 2019 (registration tells 2011 apart)
    header_edition: int = 2013  # the header it speaks: 2013 or 2019
    protocol_version: int = 0
    registered: dict[str, Any] | None = None  # what its last 0x0100 said
    authenticated: bool = False
    messages: int = 0
    positions: int = 0
    by_id: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    last_error: str = ""
    last_message: str = ""
    last_message_at: float | None = None
    last_position: tuple[float, float, float | None] | None = None  # lat, lon, fix time
    alarm: int = 0  # the alarm bits of its last report
    closed_at: float | None = None
    close_reason: str = ""
    bytes_in: int = 0
    bytes_out: int = 0
    stream: Jt808Stream = field(default_factory=Jt808Stream, repr=False)
    # monotonic times for the timeouts
    last_frame_mono: float = field(default_factory=time.monotonic)
    frame_started_mono: float | None = None
    bad_in_row: int = 0
    serial: int = 0  # the platform's serial towards this terminal
    pending: dict[int, tuple[str, Any]] = field(default_factory=dict)  # our serial -> what we wait an answer for
    last_command: dict[str, Any] | None = None  # the last command sent: {command, outcome, at, seq}
    attributes: dict[str, Any] | None = None  # what its last 0x0107 said (dispatch/jt808/uplink.py)
    passthrough: dict[str, dict[str, Any]] = field(default_factory=dict)  # 0x0900 type -> {count, at, size, head}
    can: dict[str, dict[str, Any]] = field(default_factory=dict)  # 0x0705: bus id -> {count, at, channel, data}
    rsa_key: dict[str, Any] | None = None  # 0x0A00: {e, sha256 of the modulus, at}
    info_demand: dict[str, bool] = field(default_factory=dict)  # 0x0303: information type -> asked for
    _times: deque[float] = field(default_factory=lambda: deque(maxlen=RATE_WINDOW), repr=False)
    _monitor: deque[MonitorFrame] = field(default_factory=lambda: deque(maxlen=MONITOR_FRAMES), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    transport: Any = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """How logs name the terminal: its number and unit when known, always its address."""
        who = self.phone or "?"
        if self.unit:
            who += f" ({self.unit})"
        return f"{who} from {self.peer}"

    @property
    def connected(self) -> bool:
        return self.closed_at is None

    def next_serial(self) -> int:
        self.serial = (self.serial + 1) & 0xFFFF
        return self.serial

    def saw(self, msg_id: int, now: float) -> None:
        name = f"0x{msg_id:04X}"
        self.messages += 1
        self.by_id[name] += 1
        self.last_message = name
        self.last_message_at = now
        self._times.append(now)

    def error(self, code: str, text: str) -> None:
        self.errors[code] += 1
        self.last_error = f"{code}: {text}"[:200]

    def tap(self, frame: bytes, inbound: bool, now: float) -> None:
        with self._lock:
            self._monitor.append(MonitorFrame(now, inbound, frame))

    def tap_joined(self, joined: bytes, what: str) -> None:
        """Pieces the stream read as one frame (`Jt808Stream.tap_joined`): each piece the monitor shows is marked
        with its number and what they made, not described as a bad frame of its own."""
        pieces = [wire(p) for p in joined.split(bytes((FLAG,)))]
        with self._lock:
            k = len(pieces)
            for f in reversed(self._monitor):
                if k and f.inbound and f.piece is None and f.frame == pieces[k - 1]:
                    f.piece = (k, len(pieces), what)
                    k -= 1

    def monitor(self) -> list[MonitorFrame]:
        with self._lock:
            return list(self._monitor)

    def rate(self, now: float) -> float:
        """Messages a second over the last ones (up to a minute back)."""
        with self._lock:
            times = [t for t in self._times if now - t <= 60.0]
        if len(times) < 2:
            return 0.0 if not times else round(1.0 / 60.0, 3)
        return round((len(times) - 1) / max(1.0, now - times[0]), 3)

    def as_dict(self, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        return {
            "conn": self.conn_id, "phone": self.phone, "unit": self.unit, "peer": self.peer,
            "edition": self.edition or (self.header_edition if self.phone else None),
            "protocol_version": self.protocol_version or None, "authenticated": self.authenticated,
            "connected": self.connected, "connected_at": self.connected_at, "closed_at": self.closed_at,
            "close_reason": self.close_reason, "messages": self.messages, "positions": self.positions,
            "rate_per_s": self.rate(now), "last_message": self.last_message,
            "last_message_age": None if self.last_message_at is None else round(now - self.last_message_at, 1),
            "errors": sum(self.errors.values()), "errors_by_kind": dict(self.errors), "last_error": self.last_error,
            "by_id": dict(self.by_id), "bytes_in": self.bytes_in, "bytes_out": self.bytes_out,
            "last_position": self.last_position,
            "plate": (self.registered or {}).get("plate"), "model": (self.registered or {}).get("model"),
            "last_command": dict(self.last_command) if self.last_command else None,
            "attributes": dict(self.attributes) if self.attributes else None,
            "passthrough": {k: dict(v) for k, v in self.passthrough.items()},
            "can": {k: dict(v) for k, v in self.can.items()},
            "rsa_key": dict(self.rsa_key) if self.rsa_key else None,
            "info_demand": dict(self.info_demand),
        }


def wire(frame: bytes) -> bytes:
    """A frame's content (escaped, flags removed) as on the wire, flags included."""
    return bytes((FLAG,)) + frame + bytes((FLAG,))
