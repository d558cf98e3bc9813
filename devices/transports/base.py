"""The transport base: one thread per feed that owns connecting, line framing and reconnecting.

A subclass implements only `_open()`, `_read(timeout)` and `_close()` (pyais' template
method). The base class cuts the bytes into lines with `devices.lines.LineFramer`, stamps
each with its receive time, keeps them for a consumer (`drain()` or iteration), and turns every
failure into state: a cable pulled, a peer gone, a port that is not there yet. It reconnects
with exponential backoff and never lets an exception out of the thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from devices.lines import LineFramer

log = logging.getLogger(__name__)


class RawLine(NamedTuple):
    """One line as received: receive time (UTC epoch seconds), the text, and who sent it."""

    ts: float
    line: str
    peer: str = ""


@dataclass
class TransportStats:
    """What a transport has seen, for the device bench. Plain numbers, safe to read from any thread."""

    state: str = "idle"  # idle, connecting, connected, waiting (backing off), stopped
    connected: bool = False
    detail: str = ""  # port and baud, address, last error
    baud: int | None = None
    bytes: int = 0
    lines: int = 0
    dropped: int = 0  # lines the consumer did not take in time (queue full)
    too_long: int = 0
    garbage: int = 0
    connects: int = 0
    disconnects: int = 0
    errors: int = 0
    last_error: str = ""
    last_line_at: float | None = None
    peers: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in (
            "state", "connected", "detail", "baud", "bytes", "lines", "dropped", "too_long", "garbage",
            "connects", "disconnects", "errors", "last_error", "last_line_at", "peers")}


StateListener = Callable[["Transport", bool, str], None]
LineListener = Callable[[RawLine], None]


class Transport:
    """Base of every transport. Start it, take lines with `drain()`, stop it. Never raises from its thread.

    :param name: the feed's name (logs, source keys).
    :param max_line: longest line kept; longer ones are counted and discarded.
    :param backoff: (first, max) seconds between reconnect attempts, doubling on each failure.
    :param queue_size: lines held for a consumer that falls behind; the oldest are dropped (counted).
    """

    kind = "base"
    reconnect = True  # False: a source that ends (file replay) stops at its end

    def __init__(self, name: str, *, max_line: int = 4096, backoff: tuple[float, float] = (0.2, 5.0),
                 queue_size: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self.max_line = max_line
        self.backoff = backoff
        self.clock = clock
        self.stats = TransportStats()
        self._queue: deque[RawLine] = deque(maxlen=queue_size)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._framers: dict[str, LineFramer] = {}
        self.state_listeners: list[StateListener] = []
        self.line_listeners: list[LineListener] = []  # the raw monitor's tap (called on the transport thread)

    # ------------------------------------------------------------ subclass API
    def _open(self) -> None:
        """Connect / open. Raise OSError (or any Exception) if it cannot be done now."""
        raise NotImplementedError

    def _read(self, timeout: float) -> bytes | None:
        """Bytes received within `timeout`; None if nothing came. Raise (or return b'') when the link is lost."""
        raise NotImplementedError

    def _close(self) -> None:
        """Release the connection; must not raise."""

    def describe(self) -> str:
        return self.name

    # -------------------------------------------------------------- lifecycle
    def start(self) -> Transport:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"transport-{self.name}", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        t = self._thread
        if t is not None and t.is_alive() and t is not threading.current_thread():
            t.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Transport:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------- consumers
    def drain(self, limit: int | None = None) -> list[RawLine]:
        """Every line received so far (up to `limit`), oldest first. Never blocks."""
        with self._cond:
            q = self._queue
            if limit is None or limit >= len(q):
                out = list(q)
                q.clear()
            else:
                out = [q.popleft() for _ in range(limit)]
        return out

    def wait_lines(self, timeout: float) -> bool:
        """Block until a line is waiting (True) or `timeout` passes or the transport stops."""
        with self._cond:
            if self._queue:
                return True
            self._cond.wait(timeout)
            return bool(self._queue)

    def __iter__(self) -> Iterator[RawLine]:
        """Lines as they arrive, until the transport stops (and its queue is empty)."""
        while True:
            batch = self.drain()
            if batch:
                yield from batch
                continue
            if self._stop.is_set() or (self._thread is not None and not self._thread.is_alive()):
                yield from self.drain()
                return
            self.wait_lines(0.2)

    # ---------------------------------------------------------------- engine
    def _set_state(self, state: str, detail: str | None = None) -> None:
        self.stats.state = state
        if detail is not None:
            self.stats.detail = detail

    def _notify(self, connected: bool, detail: str) -> None:
        for fn in list(self.state_listeners):
            try:
                fn(self, connected, detail)
            except Exception:
                log.exception("state listener of %s failed", self.name)

    def _fail(self, where: str, exc: BaseException) -> None:
        self.stats.errors += 1
        self.stats.last_error = f"{where}: {type(exc).__name__}: {exc}"
        log.info("%s %s", self.name, self.stats.last_error)

    def _run(self) -> None:
        delay = self.backoff[0]
        while not self._stop.is_set():
            self._set_state("connecting")
            try:
                self._open()
            except Exception as exc:
                self._fail("open", exc)
                self._safe_close()
                if not self.reconnect:
                    break
                self._set_state("waiting")
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff[1])
                continue
            opened_at = time.monotonic()
            self.stats.connected = True
            self.stats.connects += 1
            self._set_state("connected", self.describe())
            self._notify(True, self.describe())
            ended = "stopped"
            try:
                while not self._stop.is_set():
                    chunk = self._read(0.2)
                    if chunk is None:
                        continue
                    if not chunk:
                        ended = "end of stream"
                        break
                    self._ingest(chunk)
            except Exception as exc:  # the cable pulled, the peer gone, garbage the driver chokes on
                self._fail("read", exc)
                ended = self.stats.last_error
            self._safe_close()
            self._flush_framers()
            self.stats.connected = False
            if ended != "stopped":  # a stop asked for (record's end, the bench's Disconnect) is no drop
                self.stats.disconnects += 1
            self._notify(False, ended)
            if not self.reconnect:
                break
            # A link that stayed up a while resets the backoff; one that drops at once (a peer that
            # accepts and hangs up) keeps doubling it, so a flapping peer cannot flood the log.
            delay = self.backoff[0] if time.monotonic() - opened_at > 5.0 else min(delay * 2, self.backoff[1])
            if not self._stop.is_set():
                self._set_state("waiting")
                self._stop.wait(delay)
        self._set_state("stopped")
        self.stats.connected = False
        with self._cond:
            self._cond.notify_all()

    def _safe_close(self) -> None:
        try:
            self._close()
        except Exception:
            log.debug("closing %s failed", self.name, exc_info=True)

    def _framer(self, peer: str) -> LineFramer:
        f = self._framers.get(peer)
        if f is None:
            f = self._framers[peer] = LineFramer(self.max_line)
        return f

    def _ingest(self, chunk: bytes, peer: str = "", ts: float | None = None) -> None:
        """Frame bytes from `peer` and queue the complete lines with their receive time."""
        f = self._framer(peer)
        too_long, garbage = f.too_long, f.garbage
        lines = f.feed(chunk)
        st = self.stats
        st.bytes += len(chunk)
        st.too_long += f.too_long - too_long
        st.garbage += f.garbage - garbage
        if lines:
            self._push([RawLine(self.clock() if ts is None else ts, ln, peer) for ln in lines])

    def _push(self, raws: list[RawLine]) -> None:
        st = self.stats
        with self._cond:
            q = self._queue
            over = len(q) + len(raws) - (q.maxlen or 0)
            if q.maxlen and over > 0:
                st.dropped += over
            q.extend(raws)
            self._cond.notify_all()
        st.lines += len(raws)
        st.last_line_at = raws[-1].ts
        for fn in self.line_listeners:
            try:
                for r in raws:
                    fn(r)
            except Exception:
                log.exception("line listener of %s failed", self.name)

    def _flush_framers(self, peer: str | None = None) -> None:
        """The link ended: a final line with no line ending is a cut sentence, drop it (counted as garbage)."""
        for key in [peer] if peer is not None else list(self._framers):
            f = self._framers.pop(key, None)
            if f is not None and f.pending:
                self.stats.garbage += 1
