"""File replay: a recorded log played back at its original pace, or as fast as it can be read.

A log line is either a bare sentence or ``<ISO-8601 receive time><TAB or space><sentence>`` as
`python main.py record` writes it (`devices.recording`). With receive times and ``pace="original"`` the gaps between
lines are kept; lines are stamped with the time they are replayed at (``stamp="now"``) or with
their recorded time (``stamp="recorded"``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, BinaryIO

from devices.recording import STARTS, split_record
from devices.transports.base import RawLine, Transport


class FileReplay(Transport):
    kind = "file"
    reconnect = False

    def __init__(self, name: str, path: str | Path, *, pace: str = "original", stamp: str = "now",
                 loop: bool = False, **kw: Any) -> None:
        super().__init__(name, **kw)
        if pace not in ("original", "fast"):
            raise ValueError("pace must be 'original' or 'fast'")
        self.path = Path(path)
        self.pace = pace
        self.stamp = stamp
        self.loop = loop
        self._fh: BinaryIO | None = None
        self._offset: float | None = None  # wall clock minus recorded clock

    def describe(self) -> str:
        return f"file {self.path} ({self.pace})"

    def _open(self) -> None:
        self._fh = self.path.open("rb")
        self._offset = None

    def _read(self, timeout: float) -> bytes | None:
        fh = self._fh
        assert fh is not None
        batch: list[RawLine] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(batch) < 5000:
            raw = fh.readline(self.max_line + 2)
            if not raw:
                if batch:
                    self._push(batch)
                if self.loop:
                    fh.seek(0)
                    self._offset = None
                    return None
                return b""
            if len(raw) > self.max_line and not raw.endswith(b"\n"):
                self.stats.too_long += 1
                while raw and not raw.endswith(b"\n"):
                    raw = fh.readline(65536)
                continue
            self.stats.bytes += len(raw)
            text = raw.decode("ascii", "replace").strip()
            if not text:
                continue
            recorded, sentence = split_record(text)
            if sentence[:1] not in STARTS:
                cut = min((i for i in (sentence.find(c) for c in STARTS) if i >= 0), default=-1)
                if cut < 0:
                    self.stats.garbage += 1
                    continue
                sentence = sentence[cut:]
            now = self.clock()
            if recorded is not None and self.pace == "original":
                if self._offset is None:
                    self._offset = now - recorded
                wait = recorded + self._offset - now
                if wait > 0:
                    if batch:
                        self._push(batch)
                        batch = []
                    if self._stop.wait(wait):
                        return b""
                    now = self.clock()
            ts = recorded if (self.stamp == "recorded" and recorded is not None) else now
            batch.append(RawLine(ts, sentence, str(self.path)))
        if batch:
            self._push(batch)
        return None

    def _close(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            fh.close()
