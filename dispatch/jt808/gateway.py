"""The JT/T 808 gateway: terminals over TCP into the core, on two threads of its own.

- The **event-loop thread** (asyncio) accepts thousands of connections, cuts and decodes each
  terminal's bytes (`devices.jt808.Jt808Stream`), answers at once (`dispatch.jt808.handler`) and
  never waits on anything else: it takes no core lock and touches no store, so one slow or hostile
  terminal (or a busy core) never delays another terminal's answer. A sweep each second drops
  connections that say nothing (``first_frame_timeout`` before a first frame, ``idle_timeout``
  after), that take longer than ``frame_timeout`` to finish a frame (a byte a second), that send
  ``max_bad_frames`` bad frames in a row (a good frame with an id we do not decode, vendor data in packages
  say, is answered "unsupported" and is not a bad frame), or that stop reading what we send.
- The **ingest thread** (dispatch/jt808/ingest.py) takes positions and events from a queue: positions
  through the feeds' source selection into `Dispatch.ingest` (the same call every feed ends in),
  alarms, registrations and answers into `Dispatch.record`; a flush thread writes the fixes.
- Texts and commands to terminals wait for them and for their answers in `downlink.Downlink`.

A terminal is bound to a unit by the unit's ``terminal`` attribute (its number; leading zeros
do not matter, so a 2013 and a 2019 header name the same terminal). The authentication code is an
HMAC of the terminal number under the gateway's secret: a terminal registers once and
authenticates with the code at every connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import threading
import time
from collections import Counter, deque
from typing import Any

from devices.jt808 import encode
from devices.jt808.bits import ALARM_BITS
from devices.jt808.header import Header, phone_key
from devices.jt808.messages import Register
from dispatch.jt808 import registry
from dispatch.jt808.commands import ANSWER_TIMEOUT, COMMAND_TTL, alarm_mask
from dispatch.jt808.downlink import Downlink
from dispatch.jt808.handler import ask_again, handle
from dispatch.jt808.ingest import ACTOR, Ingest
from dispatch.jt808.media import MediaRequests
from dispatch.jt808.session import TerminalSession, wire
from dispatch.jt808.state import jt808_state
from dispatch.store import NewEvent

log = logging.getLogger(__name__)

DEFAULT_BIND = "tcp://0.0.0.0:6808"
ASK_AGAIN_AFTER_S = 10.0  # a split message's missing packages asked for again after this long without any
ASK_AGAIN_TIMES = 3  # ... at most this many times (then it is dropped 60 s after its latest package, and counted)
__all__ = ["ACTOR", "DEFAULT_BIND", "Gateway", "parse_bind"]


def parse_bind(bind: str) -> tuple[str, int]:
    """``tcp://ADDR:PORT`` (ADDR ``*`` for every interface) as (host, port). :raises ValueError: anything else."""
    if not bind.startswith("tcp://"):
        raise ValueError(f"a JT/T 808 endpoint is tcp://ADDR:PORT, not {bind!r}")
    host, _, port = bind[len("tcp://"):].rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"a JT/T 808 endpoint is tcp://ADDR:PORT, not {bind!r}")
    return ("0.0.0.0" if host == "*" else host), int(port)


class _Protocol(asyncio.Protocol):
    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.session: TerminalSession | None = None

    def connection_made(self, transport: Any) -> None:
        self.session = self.gw._open(transport)

    def data_received(self, data: bytes) -> None:
        if self.session is not None:
            self.gw._data(self.session, data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.session is not None:
            self.gw._lost(self.session, exc)


class Gateway:
    def __init__(self, core: Any, bind: str = DEFAULT_BIND, *, name: str = "jt808", idle_timeout: float = 180.0,
                 first_frame_timeout: float = 30.0, frame_timeout: float = 10.0, max_bad_frames: int = 20,
                 max_connections: int = 20000, max_unsent: int = 256 * 1024, secret: bytes | None = None,
                 keep_closed: float = 3600.0, command_ttl: float = COMMAND_TTL,
                 answer_timeout: float = ANSWER_TIMEOUT) -> None:
        self.core = core
        self.bind = bind
        self.host, self.port = parse_bind(bind)
        self.name = name
        self.idle_timeout = idle_timeout
        self.first_frame_timeout = first_frame_timeout
        self.frame_timeout = frame_timeout
        self.max_bad_frames = max_bad_frames
        self.max_connections = max_connections
        self.max_unsent = max_unsent
        self.keep_closed = keep_closed
        self.command_ttl = command_ttl
        self.answer_timeout = answer_timeout
        self._secret = secret or os.urandom(16)
        self.address: tuple[str, int] | None = None
        self.counters: Counter[str] = Counter()  # what went wrong (and a few things that went right), by kind
        self.sessions: dict[int, TerminalSession] = {}  # live connections (loop thread)
        self.by_phone: dict[str, TerminalSession] = {}  # each terminal's latest session, live or closed
        self.closed: deque[TerminalSession] = deque(maxlen=200)  # other closed connections (never authenticated)
        self.unknown: dict[str, dict[str, Any]] = {}  # refused registrations by terminal (no unit has the number)
        self.latencies_ms: deque[float] = deque(maxlen=200_000)  # frame arrival -> position in the core
        self.fixes = 0
        self.messages = 0  # messages decoded, every terminal's
        self.last_message_at = 0.0
        self._rate_mark = (time.time(), 0)
        self._rate = 0.0
        self.started_at: float | None = None
        self._conn_ids = 0
        self._units: dict[str, str] = {}  # terminal key -> unit (swapped whole by the ingest thread)
        self.alarms: dict[str, int] = {}  # unit -> the alarm bits its terminal has on (loop thread; across reconnections)
        self.media_requests = MediaRequests()  # (unit, media id) -> the photo command's seq (loop thread)
        self.ingest = Ingest(self)
        self.downlink = Downlink(self)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._loop_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._lock = threading.Lock()  # unknown and by_phone, read by other threads

    # ------------------------------------------------------------------ life
    def start(self) -> Gateway:
        """Listen and serve. :raises OSError: the address cannot be bound (taken, not ours)."""
        self.ingest.rebuild_units()
        self._load_alarms()
        self.downlink.load()
        self._loop_thread = threading.Thread(target=self._run_loop, name=f"{self.name}-loop", daemon=True)
        self._loop_thread.start()
        self._ready.wait(15.0)
        if self._start_error is not None:
            raise self._start_error
        self.ingest.start()
        self.core.subscribe(self._on_changes)
        registry.register(self.core, self)
        self.started_at = time.time()
        log.info("JT/T 808 gateway listening on %s", self.endpoint)
        return self

    @property
    def endpoint(self) -> str:
        host, port = self.address or (self.host, self.port)
        return f"tcp://{host}:{port}"

    @property
    def running(self) -> bool:
        return self._loop_thread is not None and self._loop_thread.is_alive() and not self._stopping.is_set()

    def stop(self, timeout: float = 10.0) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        registry.unregister(self.core, self)
        self.core.unsubscribe(self._on_changes)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(loop.stop)
            except RuntimeError:
                pass
        if self._loop_thread is not None:
            self._loop_thread.join(timeout)
        self.ingest.join(timeout)
        try:
            self.core.flush()
        except Exception:
            log.exception("final flush of the gateway's fixes failed")

    def _run_loop(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(loop.create_server(
                lambda: _Protocol(self), self.host, self.port, backlog=4096, reuse_address=True))
            sock = self._server.sockets[0].getsockname()
            self.address = (sock[0], sock[1])
        except BaseException as exc:  # noqa: BLE001 - handed to start()
            self._start_error = exc
            self._ready.set()
            loop.close()
            return
        sweeper = loop.create_task(self._sweep_forever())
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            sweeper.cancel()
            self._server.close()
            for s in list(self.sessions.values()):
                if s.transport is not None:
                    s.close_reason = s.close_reason or "gateway stopped"
                    s.transport.abort()
            loop.run_until_complete(asyncio.sleep(0))  # let connection_lost run
            loop.close()

    # ------------------------------------------------------ loop thread: connections
    def _open(self, transport: Any) -> TerminalSession | None:
        peer = transport.get_extra_info("peername")
        peer_s = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        if len(self.sessions) >= self.max_connections:
            self.counters["over_capacity"] += 1
            log.warning("jt808: connection from %s refused: %d terminals connected", peer_s, len(self.sessions))
            transport.abort()
            return None
        self._conn_ids += 1
        s = TerminalSession(self._conn_ids, peer_s, time.time(), transport=transport)
        s.stream.source = peer_s
        s.stream.tap = lambda frame: s.tap(wire(frame), True, time.time())
        s.stream.tap_joined = s.tap_joined
        self.sessions[s.conn_id] = s
        self.counters["connections"] += 1
        return s

    def _data(self, s: TerminalSession, data: bytes) -> None:
        arrived = time.perf_counter()
        s.bytes_in += len(data)
        before = s.messages
        items = s.stream.feed(data)
        mono = time.monotonic()
        if items:
            s.last_frame_mono = mono
        s.frame_started_mono = (s.frame_started_mono or mono) if s.stream.in_frame else None
        for item in items:
            try:
                handle(self, s, item, arrived)
            except Exception:  # a handler bug must not end the terminal's connection, nor anyone else's
                self.counters["handler_errors"] += 1
                log.exception("jt808 %s: handling %r failed", s.label, type(item).__name__)
            if s.closed_at is not None or s.transport is None:
                break
        if s.messages != before:
            self.messages += s.messages - before
            self.last_message_at = time.time()

    def _lost(self, s: TerminalSession, exc: Exception | None) -> None:
        s.closed_at = time.time()
        if s.stream.pending:  # the connection ended inside a frame
            s.error("truncated", f"connection ended {s.stream.pending} bytes into a frame")
            self.counters["truncated"] += 1
        if not s.close_reason:
            s.close_reason = f"lost: {exc}" if exc else "closed by the terminal"
        s.transport = None
        self.sessions.pop(s.conn_id, None)
        with self._lock:
            if self.by_phone.get(phone_key(s.phone or "")) is not s:
                self.closed.append(s)
        log.info("jt808 %s: disconnected (%s) after %d messages", s.label, s.close_reason, s.messages)

    def close(self, s: TerminalSession, reason: str, *, abort: bool = False) -> None:
        """Drop a terminal's connection (loop thread), saying why in the log and on the bench."""
        if s.transport is None or s.close_reason:
            return
        s.close_reason = reason
        self.counters["dropped"] += 1
        log.warning("jt808 %s: dropped: %s", s.label, reason)
        if abort:
            s.transport.abort()
        else:
            s.transport.close()

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                self._sweep()
            except Exception:
                log.exception("jt808 sweep failed")

    def _sweep(self) -> None:
        mono, now = time.monotonic(), time.time()
        for s in list(self.sessions.values()):
            if s.frame_started_mono is not None:  # inside a frame: it is slow, not idle
                if mono - s.frame_started_mono > self.frame_timeout:
                    self.counters["slow"] += 1
                    s.error("slow", f"a frame still incomplete after {self.frame_timeout:g} s")
                    self.close(s, f"slow: a frame still incomplete after {self.frame_timeout:g} s", abort=True)
            elif mono - s.last_frame_mono > (self.idle_timeout if s.messages else self.first_frame_timeout):
                self.counters["idle"] += 1
                what = "no message" if s.messages else "no frame since it connected"
                limit = self.idle_timeout if s.messages else self.first_frame_timeout
                s.error("idle", f"{what} for {limit:g} s")
                self.close(s, f"idle: {what} for {limit:g} s", abort=True)
        with self._lock:
            for key in [k for k, s in self.by_phone.items()
                        if s.closed_at is not None and now - s.closed_at > self.keep_closed]:
                del self.by_phone[key]
            for key in [k for k, u in self.unknown.items() if now - u["last"] > self.keep_closed]:
                del self.unknown[key]
            while self.closed and now - (self.closed[0].closed_at or now) > self.keep_closed:
                self.closed.popleft()
        self.downlink.sweep(now)
        self._ask_again(mono)

    def _ask_again(self, mono: float) -> None:
        """Split messages whose missing packages did not come after they were asked for (or whose last package
        never came, so nobody asked): asked for again, every ASK_AGAIN_AFTER_S, at most ASK_AGAIN_TIMES times."""
        for s in list(self.sessions.values()):
            asm = s.stream.assembler
            if not len(asm) or s.closed_at is not None or s.phone is None:
                continue
            template = Header(0, s.phone, 0, 0, s.header_edition, s.protocol_version)
            for h in asm.stalled(ASK_AGAIN_AFTER_S, ASK_AGAIN_TIMES, template, mono):
                ask_again(self, s, h)

    # ------------------------------------------------------ loop thread: the handler's calls
    def send(self, s: TerminalSession, msg_id: int, body: bytes, *, to: Header | None = None) -> int:
        """Frame and send a message to the terminal of ``s`` in its own header edition; our serial."""
        serial = s.next_serial()
        phone = to.phone if to is not None else s.phone or ""
        edition = to.edition if to is not None else s.header_edition
        version = (to.protocol_version if to is not None else s.protocol_version) or 1
        frame = encode.frame(msg_id, phone, serial, body, edition=edition, protocol_version=version)
        t = s.transport
        if t is None or t.is_closing():
            return serial
        t.write(frame)
        s.bytes_out += len(frame)
        s.tap(frame, False, time.time())
        if t.get_write_buffer_size() > self.max_unsent:
            self.counters["not_reading"] += 1
            self.close(s, f"not reading: over {self.max_unsent // 1024} KiB unsent", abort=True)
        return serial

    def count(self, kind: str) -> None:
        self.counters[kind] += 1

    def unit_for(self, phone: str) -> str | None:
        return self._units.get(phone_key(phone))

    def auth_code(self, phone: str) -> str:
        return hmac.new(self._secret, phone_key(phone).encode(), hashlib.sha256).hexdigest()[:16].upper()

    def note_unknown(self, s: TerminalSession, m: Register) -> None:
        key = phone_key(m.header.phone)
        now = time.time()
        with self._lock:
            u = self.unknown.get(key)
            if u is None:
                u = self.unknown[key] = {"terminal": m.header.phone, "first": now, "attempts": 0}
            u.update(last=now, peer=s.peer, plate=m.plate, manufacturer=m.manufacturer, model=m.model,
                     terminal_id=m.terminal_id, edition=m.edition)
            u["attempts"] += 1

    def forget_unknown(self, phone: str) -> None:
        with self._lock:
            self.unknown.pop(phone_key(phone), None)

    def queue_rows(self, rows: list[Any], arrived: float) -> None:
        self.ingest.put_rows(rows, arrived)

    def queue_event(self, event: NewEvent) -> None:
        self.ingest.put_event(event)

    def authenticated(self, s: TerminalSession) -> None:
        """A terminal authenticated: it replaces an older connection of the same terminal (before the
        answer goes: whoever sees the answer finds it connected)."""
        key = phone_key(s.phone or "")
        with self._lock:
            old = self.by_phone.get(key)
            self.by_phone[key] = s
        if old is not None and old is not s and old.transport is not None:
            self.close(old, f"replaced by a new connection from {s.peer}")
        log.info("jt808 %s: authenticated", s.label)

    def _load_alarms(self) -> None:
        """The alarms each unit's terminal had on when the log was last written: a terminal that comes back
        with a bit cleared closes its alarm, one that still has it raises nothing new."""
        with self.core.lock:
            active = {u: list(a) for u, a in jt808_state(self.core.state).active.items()}
        for unit, names in active.items():
            try:
                self.alarms[unit] = alarm_mask(names)
            except ValueError:  # a name this program does not know: the rest of the unit's alarms still count
                self.alarms[unit] = alarm_mask([n for n in names if n in ALARM_BITS])

    def _on_changes(self, ch: Any) -> None:
        """Core changes (any thread): units changed -> rebuild the table; a text or command -> to its terminal."""
        if ch.units:
            self.ingest.units_changed()
        self.downlink.on_changes(ch)

    # ------------------------------------------------------ views (any thread)
    def is_connected(self, terminal: str) -> bool:
        with self._lock:
            s = self.by_phone.get(phone_key(terminal))
        return s is not None and s.connected and s.authenticated

    def sessions_snapshot(self) -> list[TerminalSession]:
        """Live connections and each terminal's last session (closed ones for `keep_closed`), newest first."""
        with self._lock:
            known = list(self.by_phone.values()) + list(self.closed)
        live = list(self.sessions.values())
        seen = {id(s) for s in known}
        out = known + [s for s in live if id(s) not in seen]
        return sorted(out, key=lambda s: (not s.connected, -(s.last_message_at or s.connected_at)))

    def session_of(self, terminal: str) -> TerminalSession | None:
        with self._lock:
            return self.by_phone.get(phone_key(terminal))

    def unknown_terminals(self) -> list[dict[str, Any]]:
        now = time.time()
        with self._lock:
            rows = [dict(u) for u in self.unknown.values()]
        for r in rows:
            r["age"] = round(now - r["last"], 1)
        return sorted(rows, key=lambda r: r["terminal"])

    def stats(self) -> dict[str, Any]:
        """The gateway's figures as the device bench shows a feed's."""
        now = time.time()
        live = list(self.sessions.values())
        msgs = self.messages
        t0, m0 = self._rate_mark
        rate = (msgs - m0) / (now - t0) if now - t0 >= 1.0 else self._rate
        if now - t0 >= 5.0:  # the rate over the last 5 to 10 seconds, at the price of two numbers
            self._rate_mark, self._rate = (now, msgs), rate
        last = self.last_message_at
        return {
            "name": self.name, "endpoint": self.endpoint, "running": self.running,
            "connections": len(live), "authenticated": sum(s.authenticated for s in live),
            "messages": msgs, "messages_per_s": round(rate, 1), "fixes": self.fixes,
            "last_message_age": round(now - last, 1) if last else None, "unknown_terminals": len(self.unknown),
            "errors": {k: v for k, v in self.counters.items() if k not in ("connections",)},
            "connections_total": self.counters["connections"],
        }
