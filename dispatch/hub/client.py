"""The field client's protocol engine, without any UI: login with the last processed seq,
once-only processing, acknowledgements, heartbeats, retries and reconnection.

`FieldClient` is driven by a loop: `run(stop)` for one client on its own thread (the field
window, the headless client), or `Swarm` for many clients on one poller (tests, load, bench).
Actions (`accept`, `status`...) may be called from any thread: they are queued for the loop.
What the hub sends arrives at `on_message(msg)` on the loop thread, once per message.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq

from dispatch.hub import protocol as P

log = logging.getLogger(__name__)

CLIENT_VERSION = "liuzhou-field/0.1"
MESSAGE_HISTORY = 200  # messages kept in the state file for a restarted window


class FieldClient:
    def __init__(self, unit_id: str, endpoint: str, keys: dict[str, str], *, ctx: zmq.Context | None = None,
                 state_path: str | Path | None = None, on_message: Callable[[dict[str, Any]], None] | None = None,
                 auto_accept: bool = False, heartbeat: float = P.HEARTBEAT_S, silence: float = P.HUB_SILENCE_S,
                 durable: bool = True, on_where: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.unit_id = unit_id
        self.endpoint = endpoint
        self.keys = keys
        self.ctx = ctx or zmq.Context.instance()
        self.state_path = Path(state_path) if state_path else None
        self.on_message = on_message or (lambda m: None)
        self.on_where = on_where  # given: ask the hub where it sees this unit ("where" messages)
        self.where: dict[str, Any] | None = None  # the last of them
        self.auto_accept = auto_accept
        self.heartbeat = heartbeat
        self.silence = silence
        self.durable = durable
        self.hub = keys["hub_public_key"]
        self.last_seq = 0
        self.next_cseq = 1
        self.pending: list[dict[str, Any]] = []  # unit->hub messages not yet acknowledged, in cseq order
        self.assignments: dict[str, dict[str, Any]] = {}  # ref -> the assignment, while current
        # the conversation as the crew saw it (texts and broadcasts received, texts sent), newest last: a
        # restarted client shows it again (the hub resends only what was not acknowledged)
        self.messages: list[dict[str, Any]] = []
        self.logged_in = False
        self.revoked = False
        self.replaced = False  # another connection logged in with this unit's key: this client stops
        self.received = 0
        self.duplicates = 0
        self.sock: zmq.Socket | None = None
        self._actions: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._last_heard = 0.0
        self.last_contact: float | None = None  # wall-clock time of the hub's last message (for a UI)
        self._last_sent = 0.0
        self._login_sent = 0.0
        self._pending_sent = 0.0
        self._resume_sent = 0.0
        self._load()
        if auto_accept:
            self._accept_stored()

    # ----------------------------------------------------------- persistence

    @property
    def ended(self) -> bool:
        """The hub ended this client for good: its key was revoked, or another connection took the session."""
        return self.revoked or self.replaced

    def _load(self) -> None:
        if self.state_path is None or not self.state_path.exists():
            return
        try:
            s = json.loads(self.state_path.read_text(encoding="utf-8"))
            if not isinstance(s, dict):
                raise ValueError("not a JSON object")
            if s.get("hub") != self.hub:
                return  # another hub (another store): its sequence numbers mean nothing here
            last_seq, next_cseq = int(s.get("last_seq", 0)), int(s.get("next_cseq", 1))
            pending, assignments = s.get("pending", []), s.get("assignments", {})
            if not isinstance(pending, list) or not all(isinstance(m, dict) for m in pending) or \
                    not isinstance(assignments, dict):
                raise ValueError("\"pending\" must be a list of messages and \"assignments\" an object")
        except (OSError, ValueError, TypeError) as exc:
            log.warning("field client: unreadable state %s (%s); starting from seq 0", self.state_path, exc)
            return
        self.last_seq, self.next_cseq, self.pending, self.assignments = last_seq, next_cseq, pending, assignments
        messages = s.get("messages", [])  # a state file from before the history was kept has none
        if isinstance(messages, list):
            self.messages = [m for m in messages if isinstance(m, dict) and isinstance(m.get("text"), str)]
        else:
            log.warning("field client: \"messages\" in %s is not a list; the history starts empty", self.state_path)

    def _accept_stored(self) -> None:
        """With auto_accept: the assignments this unit holds from an earlier run and never answered (no accept,
        decline or status of its own) are accepted now, as a new one would be on arrival."""
        for ref, a in self.assignments.items():
            if not a.get("progress"):
                self._accept_held(ref)

    def _accept_held(self, ref: str) -> None:
        """auto_accept's answer to a held assignment: marked accepted and the accept queued for the hub."""
        self.assignments[ref]["progress"] = "accepted"
        self._queue({"type": "accept", "ref": ref})

    def _save(self) -> None:
        if self.state_path is None:
            return
        doc = {"hub": self.hub, "unit_id": self.unit_id, "last_seq": self.last_seq, "next_cseq": self.next_cseq,
               "pending": self.pending, "assignments": self.assignments, "messages": self.messages}
        tmp = self.state_path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
            if self.durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, self.state_path)

    # --------------------------------------------------------------- socket
    def connect(self) -> zmq.Socket:
        if self.sock is not None:
            self.sock.close(0)
        s = self.ctx.socket(zmq.DEALER)
        s.linger = 0
        s.immediate = 1  # never queue for a connection that is not up: login is retried instead
        s.curve_serverkey = self.hub.encode("ascii")
        s.curve_publickey = self.keys["public_key"].encode("ascii")
        s.curve_secretkey = self.keys["secret_key"].encode("ascii")
        s.rcvhwm = s.sndhwm = 10_000
        s.reconnect_ivl = 200
        s.reconnect_ivl_max = 2000
        s.connect(self.endpoint)
        self.sock = s
        self.logged_in = False
        self._last_heard = time.monotonic()
        self._login_sent = 0.0
        return s

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close(0)
            self.sock = None

    def _send(self, msg: dict[str, Any]) -> bool:
        if self.sock is None:
            return False
        try:
            self.sock.send(P.encode(msg), zmq.NOBLOCK)
        except zmq.Again:
            return False  # no connection yet: retried by tick()
        self._last_sent = time.monotonic()
        return True

    def _login(self) -> None:
        login: dict[str, Any] = {"type": "login", "unit_id": self.unit_id, "version": CLIENT_VERSION,
                                 "last_seq": self.last_seq}
        if self.on_where is not None:
            login["where"] = True
        sent = self._send(login)
        # not connected yet (IMMEDIATE): try again at the next tick, not a second later
        self._login_sent = time.monotonic() if sent else 0.0

    # --------------------------------------------------------------- inbound
    def handle_ready(self) -> None:
        """Read everything waiting on the socket."""
        assert self.sock is not None
        while True:
            try:
                frame = self.sock.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._last_heard = time.monotonic()
            self.last_contact = time.time()
            try:
                msg = P.decode(frame)
            except P.ProtocolError as exc:
                log.warning("field client %s: bad message from the hub: %s", self.unit_id, exc)
                continue
            self.handle(msg)
            if self.sock is None:
                return

    def handle(self, msg: dict[str, Any]) -> None:
        t = msg["type"]
        if t == "welcome":
            self._welcome(msg)
        elif t == "ack":
            self._acked(msg)
        elif t == "hb":
            pass
        elif t == "where":
            if all(isinstance(msg.get(k), int | float) and not isinstance(msg.get(k), bool) for k in ("lat", "lon")):
                self.where = msg
                if self.on_where is not None:
                    self.on_where(msg)
        elif t == "error":
            code = msg.get("code")
            if code == "login_required":
                if time.monotonic() - self._login_sent > 0.5:
                    self.logged_in = False
                    self._login()
            elif code in ("revoked", "replaced"):
                if code == "revoked":
                    self.revoked = True
                else:
                    self.replaced = True
                    log.warning("field client %s: another connection logged in as this unit; stopping", self.unit_id)
                self.logged_in = False
                self.on_message(msg)
                self.close()
            else:
                log.warning("field client %s: hub error %s: %s", self.unit_id, code, msg.get("message"))
                self.on_message(msg)
        elif t in P.SEQUENCED:
            self._sequenced(msg)
        else:
            log.warning("field client %s: unknown message type %r ignored", self.unit_id, t)

    def _welcome(self, msg: dict[str, Any]) -> None:
        if msg.get("last_seq", 0) < self.last_seq:
            # the hub never sent what we claim to have processed: our state belongs elsewhere
            log.warning("field client %s: hub's last seq %s < ours %s; starting over", self.unit_id,
                        msg.get("last_seq"), self.last_seq)
            self.last_seq = 0
        self.logged_in = True
        done = int(msg.get("last_cseq", 0))
        self.pending = [p for p in self.pending if p["cseq"] > done]
        self.next_cseq = max(self.next_cseq, done + 1)
        self._save()
        self.on_message(msg)
        self._flush_pending(force=True)

    def _acked(self, msg: dict[str, Any]) -> None:
        cseq = msg.get("cseq")
        before = len(self.pending)
        self.pending = [p for p in self.pending if p["cseq"] != cseq]
        if len(self.pending) != before:
            self._save()
            if not msg.get("ok", True):
                self.on_message({"type": "error", "code": msg.get("code"), "message": msg.get("message"),
                                 "cseq": cseq})

    def _sequenced(self, msg: dict[str, Any]) -> None:
        seq = msg.get("seq")
        if not isinstance(seq, int):
            log.warning("field client %s: %s without seq ignored", self.unit_id, msg["type"])
            return
        if seq <= self.last_seq:
            self.duplicates += 1
            self._send({"type": "ack", "seq": self.last_seq})
            return
        if seq != self.last_seq + 1:  # a gap: something before it was lost; ask for the rest again
            if time.monotonic() - self._resume_sent > 1.0:
                self._resume_sent = time.monotonic()
                self._login()
            return
        self.received += 1
        ref = msg.get("ref")
        if msg["type"] == "assignment" and ref:
            self.assignments[ref] = dict(msg)
            if self.auto_accept:
                self._accept_held(ref)
        elif msg["type"] == "cancel" and ref:
            self.assignments.pop(ref, None)
        elif msg["type"] in ("text", "broadcast"):
            self._remember({k: msg[k] for k in ("type", "text", "ts", "by", "kind") if k in msg})
        self.last_seq = seq
        self.on_message(msg)
        self._save()
        self._send({"type": "ack", "seq": seq})
        self._flush_pending()

    def _remember(self, entry: dict[str, Any]) -> None:
        self.messages.append(entry)
        del self.messages[:-MESSAGE_HISTORY]

    # -------------------------------------------------------------- outbound
    def _queue(self, msg: dict[str, Any]) -> None:
        msg = {**msg, "cseq": self.next_cseq}
        self.next_cseq += 1
        self.pending.append(msg)
        self._save()

    def _flush_pending(self, force: bool = False) -> None:
        if not self.logged_in or not self.pending:
            return
        if force or len(self.pending) == 1 or time.monotonic() - self._pending_sent > 3.0:
            self._pending_sent = time.monotonic()
            for p in self.pending:
                if not self._send(p):
                    break
        else:
            self._send(self.pending[-1])

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the loop thread (used by the actions below)."""
        self._actions.put(fn)

    def _act(self, msg: dict[str, Any]) -> None:
        def do() -> None:
            P.validate_from_unit({**msg, "cseq": self.next_cseq})  # raises ProtocolError on bad input
            if msg["type"] == "status" and msg["status"] == "resolved" or msg["type"] == "decline":
                self.assignments.pop(msg["ref"], None)
            elif msg["type"] in ("accept", "status") and msg["ref"] in self.assignments:
                # the unit's own progress, kept with the assignment so a restarted window shows it
                self.assignments[msg["ref"]]["progress"] = "accepted" if msg["type"] == "accept" else msg["status"]
            if msg["type"] == "text":
                self._remember({"type": "text", "text": msg["text"], "ts": time.time(), "sent": True})
            self._queue(msg)
            self._flush_pending()

        self.call_soon(do)

    def accept(self, ref: str) -> None:
        self._act({"type": "accept", "ref": ref})

    def decline(self, ref: str, reason: str) -> None:
        self._act({"type": "decline", "ref": ref, "reason": reason})

    def status(self, ref: str, status: str, note: str | None = None,
               attachment: dict[str, str] | None = None) -> None:
        msg: dict[str, Any] = {"type": "status", "ref": ref, "status": status}
        if note:
            msg["note"] = note
        if attachment:
            msg["attachment"] = attachment
        self._act(msg)

    def text(self, text: str) -> None:
        self._act({"type": "text", "text": text})

    def position(self, lat: float, lon: float, *, ts: float | None = None, speed: float | None = None,
                 course: float | None = None) -> None:
        msg: dict[str, Any] = {"type": "pos", "lat": lat, "lon": lon, "ts": ts or time.time()}
        if speed is not None:
            msg["speed"] = speed
        if course is not None:
            msg["course"] = course % 360.0
        self.call_soon(lambda: self.logged_in and self._send(msg))

    # ------------------------------------------------------------------ tick
    def tick(self, now: float) -> None:
        """Timers: queued actions, login retry, heartbeats, retries, silence -> reconnect."""
        while True:
            try:
                fn = self._actions.get_nowait()
            except queue.Empty:
                break
            try:
                fn()
            except P.ProtocolError as exc:
                self.on_message({"type": "error", "code": exc.code, "message": str(exc)})
        if self.ended:
            return
        if self.sock is None or now - self._last_heard > self.silence:
            if self.sock is not None:
                log.info("field client %s: nothing from the hub for %.0f s; reconnecting", self.unit_id, self.silence)
            self.connect()
            self._login()
            return
        if not self.logged_in:
            if now - self._login_sent > 1.0:
                self._login()
            return
        if now - self._last_sent >= self.heartbeat:
            self._send({"type": "hb"})
        if self.pending and now - self._pending_sent > 3.0:
            self._flush_pending(force=True)

    def run(self, stop: threading.Event) -> None:
        """Run this client until `stop` is set (own thread)."""
        self.connect()
        self._login()
        while not stop.is_set() and not self.ended:
            sock = self.sock
            if sock is not None and sock.poll(100):
                self.handle_ready()
            self.tick(time.monotonic())
        self.close()


class Swarm:
    """Many field clients on one thread and one poller (1,000 units in one process)."""

    def __init__(self, clients: list[FieldClient]) -> None:
        self.clients = clients
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> Swarm:
        self.thread = threading.Thread(target=self.run, name="field-swarm", daemon=True)
        self.thread.start()
        return self

    def run(self) -> None:
        by_sock: dict[Any, FieldClient] = {}
        poller = zmq.Poller()

        def sync() -> None:
            for c in self.clients:
                if c.sock is not None and c.sock not in by_sock:
                    by_sock[c.sock] = c
                    poller.register(c.sock, zmq.POLLIN)
            for s in [s for s, c in by_sock.items() if c.sock is not s]:
                poller.unregister(s)
                del by_sock[s]

        for c in self.clients:
            c.connect()
            c._login()
        sync()
        next_tick = 0.0
        while not self.stop_event.is_set():
            ready = poller.poll(50)
            for sock, _ in ready:
                c = by_sock.get(sock)
                if c is not None and c.sock is sock:
                    c.handle_ready()
            if ready:
                sync()
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + 0.1
                for c in self.clients:
                    c.tick(now)
                sync()
        for c in self.clients:
            c.close()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(10)
