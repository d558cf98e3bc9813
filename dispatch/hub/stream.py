"""The seats' stream: every appended event and the live positions, sent to each attached console.

A ROUTER with CURVE whose peers must hold an enrolled seat key (ZAP domain "control", the control
endpoint's). A seat follows the stream by sending {"t": "sub"} once it has an operator logged in on the
control endpoint (and again whenever it found the hub again); the hub sends each message to every
admitted subscriber. Every subscription is the hub's to end: when the seat's key is revoked (or replaced)
or its operator's account is disabled, the hub sends that seat {"t": "cut", "reason"} and nothing more.
One JSON object a message:

- {"t": "ev", "events": [[seq, ts, actor, kind, entity, payload, hash], ...]}: events in log order,
  contiguous across messages (seqs in the store have no holes). A subscriber whose next event is not
  its last seq + 1 lost a message (its queue overflowed, the hub restarted...) and resynchronises with
  the control endpoint's "sync" request.
- {"t": "pos", "rows": [[unit, lat, lon, ts, speed, course, source], ...]}: the units whose position
  changed since the previous message (every POS_EVERY_S at most); not sequenced: the next sync carries
  every unit's latest position.
- {"t": "hb", "head": seq, "hub": instance}: every HB_EVERY_S (and at once to a new subscriber), after the
  events up to `head`; a head beyond the subscriber's state is a gap at the tail; a new `hub` instance is a
  hub that restarted.
- {"t": "cut", "code", "reason": text, "hub"}: this seat's subscription ended or was refused (code
  seat_revoked, account_disabled: the seat stops; login_required: it logs in, then asks again).

The core publishes its Changes on whichever thread committed; those threads only hand the events over
and wake this one, which alone owns the socket. Events handed out of order (two committing threads)
or not handed at all (appended by another process) are read from the store instead.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
import uuid
from typing import Any

import zmq

from dispatch.store import store_lost

log = logging.getLogger(__name__)

HB_EVERY_S = 0.5
POS_EVERY_S = 0.1
PAGE = 2000  # events per message at most


def stream_bind_for(control_bind: str) -> str:
    """The stream's endpoint beside a control endpoint: the next port (a random one beside a random one)."""
    host, _, port = control_bind.rpartition(":")
    return f"{host}:{int(port) + 1}" if port.isdigit() and port != "0" else f"{host}:*"


def event_row(ev: Any) -> list[Any]:
    return [ev.seq, ev.ts, ev.actor, ev.kind, ev.entity, ev.payload, ev.hash]


def position_rows(units: Any) -> list[list[Any]]:
    rows = []
    for u in units:
        p = u.position
        if p is not None:
            rows.append([u.id, p.lat, p.lon, p.ts, p.speed, p.course, p.source])
    return rows


MAX_SUB_BYTES = 1024  # what a seat sends on the stream: {"t": "sub"}

# admit(seat, key) -> None (may follow) or (code, reason): the control endpoint's word on a seat
Admit = Any


class StreamPublisher:
    def __init__(self, core: Any, ctx: zmq.Context, bind: str, *, keys: tuple[str, str],
                 admit: Admit = None) -> None:
        self.core = core
        self.admit = admit
        self.subscribers: dict[bytes, tuple[str, str]] = {}  # routing id -> (seat, key); the stream thread's
        self._recheck = threading.Event()
        self.ctx = ctx
        self.bind = bind
        self.endpoint = bind
        self.instance = uuid.uuid4().hex[:12]  # a restarted hub is a new instance
        self.public_key, self._secret = keys
        self.drop_next = 0  # tests: this many event messages are lost on the way (a gap to detect)
        self.published = 0
        self.cut = 0  # subscriptions ended or refused by the hub
        self._handed: queue.SimpleQueue[list[Any]] = queue.SimpleQueue()
        self._held: dict[int, Any] = {}
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._thread = threading.Thread(target=self._run, name="hub-stream", daemon=True)

    @property
    def cursor(self) -> int:
        """The last event published."""
        return self._cursor

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    def start(self) -> str:
        with self.core.lock:
            self._cursor = self.core.state.last_seq
            self._pos_version, _ = self.core.positions_since(1 << 62)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        self.core.subscribe(self._on_changes)
        return self.endpoint

    def stop(self) -> None:
        self.core.unsubscribe(self._on_changes)
        self._stop.set()
        self._wake()
        self._thread.join(5)
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass

    def _on_changes(self, changes: Any) -> None:
        if changes.events:
            self._handed.put(changes.events)
            self._wake()

    def _run(self) -> None:
        sock = None
        try:
            sock = self.ctx.socket(zmq.ROUTER)
            sock.linger = 0
            sock.sndhwm = 10_000
            sock.router_mandatory = 1  # a subscriber gone is an error to drop it on, not a silent loss
            sock.setsockopt(zmq.MAXMSGSIZE, MAX_SUB_BYTES)
            sock.curve_server = True
            sock.curve_secretkey = self._secret.encode("ascii")
            sock.curve_publickey = self.public_key.encode("ascii")
            sock.zap_domain = b"control"
            if self.bind.endswith(":0") or self.bind.endswith(":*"):
                sock.bind(self.bind.rsplit(":", 1)[0] + ":*")
                self.endpoint = sock.last_endpoint.decode()
            else:
                sock.bind(self.bind)
        except BaseException as exc:
            if sock is not None:
                sock.close(linger=0)  # a port taken: nothing may stay open (the context could not end)
            self._error = exc
            self._ready.set()
            return
        self._sock = sock
        self._ready.set()
        poller = zmq.Poller()
        poller.register(self._wake_r, zmq.POLLIN)
        poller.register(sock, zmq.POLLIN)
        next_hb = next_pos = 0.0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                wait = max(0.0, min(next_hb, next_pos) - now)
                ready = dict(poller.poll(wait * 1000))
                if self._wake_r in ready:
                    os.read(self._wake_r, 4096)
                if sock in ready:
                    self._step(self._requests)
                if self._recheck.is_set():
                    self._recheck.clear()
                    self._step(self._check_subscribers)
                self._step(self._events)
                now = time.monotonic()
                if now >= next_pos:
                    next_pos = now + POS_EVERY_S
                    self._step(self._positions)
                if now >= next_hb:
                    next_hb = now + HB_EVERY_S
                    self._send({"t": "hb", "head": self._cursor, "hub": self.instance})
        finally:
            sock.close(0)

    def _step(self, fn: Any) -> None:
        try:
            fn()
        except Exception as exc:  # the store busy or gone: the events are read again on the next wake
            if store_lost(exc):
                log.warning("stream: %s: the store is unavailable; retrying", fn.__name__)
            else:
                log.exception("stream: %s failed", fn.__name__)

    def _send(self, msg: dict[str, Any]) -> None:
        """One message to every subscriber (encoded once)."""
        body = json.dumps(msg, ensure_ascii=False, default=str).encode("utf-8")
        for rid in list(self.subscribers):
            self._send_to(rid, body)

    def _send_to(self, rid: bytes, body: bytes) -> None:
        try:
            self._sock.send_multipart([rid, body], zmq.NOBLOCK)
        except zmq.Again:
            log.debug("stream: a subscriber's queue is full; it sees the gap and resynchronises")
        except zmq.ZMQError as exc:  # gone (EHOSTUNREACH): it subscribes again when it comes back
            seat = self.subscribers.pop(rid, ("?", ""))[0]
            log.info("stream: %s is no longer subscribed (%s)", seat, exc)

    # ------------------------------------------------------------ subscriptions
    def recheck(self) -> None:
        """Ask the control endpoint again about every subscriber (a key revoked, an account disabled):
        those it no longer admits are told why and get nothing more. Any thread."""
        self._recheck.set()
        self._wake()

    def _requests(self) -> None:
        for _ in range(1000):
            try:
                frames = self._sock.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            rid, body = frames[0].bytes, frames[-1]
            try:
                seat, key = body.get("User-Id"), body.get("X-Key")
                msg = json.loads(body.bytes.decode("utf-8"))
                wants = msg.get("t") if isinstance(msg, dict) else None
            except (zmq.ZMQError, ValueError, UnicodeDecodeError):
                wants, seat, key = None, "?", ""
            if wants == "unsub":
                self.subscribers.pop(rid, None)
                continue
            if wants != "sub":
                log.warning("stream: %s sent something other than a subscription; ignored", seat)
                continue
            refusal = self.admit(seat, key) if self.admit is not None else None
            if refusal is not None:
                self.subscribers.pop(rid, None)
                self._tell_cut(rid, seat, *refusal)
                continue
            if rid not in self.subscribers:
                log.info("stream: %s follows the stream", seat)
            self.subscribers[rid] = (seat, key)
            self._send_to(rid, json.dumps({"t": "hb", "head": self._cursor, "hub": self.instance}).encode())

    def _check_subscribers(self) -> None:
        if self.admit is None:
            return
        for rid, (seat, key) in list(self.subscribers.items()):
            refusal = self.admit(seat, key)
            if refusal is not None:
                del self.subscribers[rid]
                self._tell_cut(rid, seat, *refusal)

    def _tell_cut(self, rid: bytes, seat: str, code: str, reason: str) -> None:
        (log.info if code == "login_required" else log.warning)("stream: %s cut off: %s", seat, reason)
        self._send_to(rid, json.dumps({"t": "cut", "code": code, "reason": reason, "hub": self.instance},
                                         ensure_ascii=False).encode())
        self.cut += 1

    def _events(self) -> None:
        held = self._held
        while True:
            try:
                for ev in self._handed.get_nowait():
                    held[ev.seq] = ev
            except queue.Empty:
                break
        run, seq = [], self._cursor + 1
        while seq in held:
            run.append(held.pop(seq))
            seq += 1
        if any(s > self._cursor for s in held) or self.core.state.last_seq > seq - 1:
            held.clear()  # a gap (events handed out of order, or not handed yet): the store has them all
            run = list(self.core.store.events(self._cursor, limit=PAGE))
        else:
            held.clear()
        while run:
            page, run = run[:PAGE], run[PAGE:]
            self._cursor = page[-1].seq
            if self.drop_next > 0:
                self.drop_next -= 1
                continue
            self._send({"t": "ev", "events": [event_row(ev) for ev in page]})
            self.published += len(page)
        if self.core.state.last_seq > self._cursor:
            self._wake()  # more than a page behind: the next turn sends the rest

    def _positions(self) -> None:
        version, changed = self.core.positions_since(self._pos_version)
        self._pos_version = version
        rows = position_rows(changed)
        if rows:
            self._send({"t": "pos", "rows": rows})
