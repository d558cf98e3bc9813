"""A JT/T 808 capture in either form: raw bytes as a terminal sends them, or hex frames one a line.

The form is told by the first byte that is not white space: a hex digit starts hex lines (``7e0200...``,
spaces between bytes allowed, ``#`` comments skipped), anything else is raw bytes. Both go through
one `Jt808Stream`, so counts and sub-package joining are the same either way.
"""

from __future__ import annotations

from devices.errors import DeviceError, FrameError
from devices.jt808.decoder import Jt808Stream, Message

_HEX = frozenset(b"0123456789abcdefABCDEF")
_SPACE = frozenset(b" \t\r\n")
MAX_LINE = 8192  # a hex line: the longest frame, escaped, twice over, and some spaces


class CaptureStream:
    def __init__(self, source: str = "capture") -> None:
        self.stream = Jt808Stream(source)
        self.mode: str | None = None  # "hex" or "raw", once told
        self.lines = 0
        self._buf = b""

    @property
    def counters(self):  # type: ignore[no-untyped-def]
        return self.stream.counters

    def feed(self, chunk: bytes) -> list[Message | DeviceError]:
        if self.mode is None:
            data = self._buf + chunk
            first = next((b for b in data if b not in _SPACE), None)
            if first is None:
                self._buf = data[-MAX_LINE:]
                return []
            self.mode = "hex" if first in _HEX else "raw"
            self._buf = b""
            chunk = data
        if self.mode == "raw":
            return self.stream.feed(chunk)
        data = self._buf + chunk
        lines = data.split(b"\n")
        self._buf = lines.pop()
        out: list[Message | DeviceError] = []
        if len(self._buf) > MAX_LINE:
            self._buf = b""
            out.append(self._line_error("a line over 8192 characters"))
        for line in lines:
            self._line(line, out)
        return out

    def close(self) -> list[Message | DeviceError]:
        out: list[Message | DeviceError] = []
        if self.mode == "hex":
            rest, self._buf = self._buf, b""
            self._line(rest, out)
        out.extend(self.stream.close())
        return out

    def _line(self, line: bytes, out: list[Message | DeviceError]) -> None:
        line = line.split(b"#", 1)[0].strip()
        if not line:
            return
        self.lines += 1
        try:
            frame = bytes.fromhex(line.decode("ascii", "replace"))
        except ValueError:
            out.append(self._line_error(f"line {self.lines} is not hex", line))
            return
        for part in frame.split(b"\x7e"):  # 0x7E never occurs inside an escaped frame: a line may hold several
            if part:
                out.extend(self.stream.frame(part))

    def _line_error(self, message: str, line: bytes = b"") -> FrameError:
        self.stream.counters.frames += 1
        self.stream.counters.malformed += 1
        return FrameError(message, raw=line.decode("ascii", "replace") if line else None)
