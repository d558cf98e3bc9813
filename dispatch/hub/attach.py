"""A console attached to a hub: the core's surface, kept by the hub's stream instead of a store.

`RemoteCore` has what the console's widgets use of `dispatch.core.Dispatch` -- `state`, `lock`, `clock`,
`stale_after`, `subscribe`, `refresh`, `positions_since`, `is_stale`, `fixes_ingested` -- and
`remote_call`, which `dispatch.ops.call` uses instead of running an operation here: every operation
goes to the hub's control endpoint as the logged-in operator. It keeps no store: the state is the
hub's events replayed through the same appliers into memory. It follows the stream
(dispatch/hub/stream.py): a snapshot ("sync") first, then the live events; a missing event (a lost
message, a hub restart) is a gap, and a gap is a resynchronisation from the last event held. A hub
that goes silent is reported through `on_link`; when it answers again the console logs in again and
resynchronises by itself.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import zmq

from dispatch.changes import Changes
from dispatch.errors import NotFound, Refused
from dispatch.hub.control import ControlClient
from dispatch.model import Position, Unit
from dispatch.state import State
from dispatch.store import Event

log = logging.getLogger(__name__)

LOST_AFTER_S = 3.0  # no heartbeat for this long: the hub is gone (it sends one every 0.5 s)
RETRY_EVERY_S = 1.0
RESUBSCRIBE_AFTER_S = 1.2  # heartbeats missed for this long: ask for the stream again (before calling it lost)
CAUGHT_UP_WAIT_S = 3.0  # an operation's answer waits this long for its own events to arrive
CUT_CODES = frozenset({"seat_revoked", "account_disabled"})  # the hub ended this seat: no retrying
FINAL_LOGIN_CODES = CUT_CODES | {"login_failed", "account_locked"}  # a login again that no retry mends


class RemoteCore:
    def __init__(self, endpoint: str, keys: dict[str, Any], *, stale_after: float = 60.0,
                 clock: Callable[[], float] = time.time, timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.keys = keys
        self.seat = keys.get("seat") or "?"
        self.stale_after = stale_after
        self.clock = clock
        self.store = None  # no store of its own
        self.state = State()
        self.lock = threading.RLock()
        self.fixes_ingested = 0
        self.resyncs = 0  # how many times the stream had a gap and the state was read again
        self._syncing = False  # a resynchronisation is under way (see `settled`)
        self.hub_instance: str | None = None
        self.link = "connecting"  # connecting, up, lost, cut (the hub ended this seat: `cut_reason`)
        self.on_link: list[Callable[[str, str], None]] = []  # fn(status, detail) on the stream thread
        self.operator: dict[str, Any] | None = None
        self._client = ControlClient(endpoint, keys=keys, timeout=timeout)
        self._req_lock = threading.Lock()  # one request at a time on the control connection
        self._applied = threading.Condition(self.lock)
        self._subscribers: list[Callable[[Changes], None]] = []
        self._pos_version = 0
        self._unit_pos_version: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream_port: int | None = None
        self._need_sync = threading.Event()
        self._resubscribe = threading.Event()
        self._sync_after = 0.0  # no resynchronisation before this (monotonic): after a failed one
        self.cut_reason: str | None = None  # why the hub ended this seat's stream (link "cut"), in its words
        self.cut_code: str | None = None  # seat_revoked, account_disabled
        from dispatch.ops import load_features

        # Every feature's appliers before the first event is applied, as `Dispatch` loads them before its log:
        # without them a seat in a process of its own skipped the incidents, tasks, cases... of its first
        # snapshot (an applier missing is an event without effect). And here, on the thread that attaches: a
        # worker importing them later raced the window's start-up (see console/app.py, start_media_backend).
        load_features()

    # ------------------------------------------------------------ session
    def login(self, name: str, password: str) -> dict[str, Any]:
        """Log in at the hub (raises Refused with the hub's reason, or ConnectionError)."""
        with self._req_lock:
            self.operator = self._client.login(name, password)
        self._stream_port = self.operator.get("stream")
        self.hub_instance = self.operator.get("hub")
        return self.operator

    def logout(self) -> None:
        with self._req_lock:
            try:
                self._client.timeout = 2.0
                self._client.credentials = None  # nothing logs this seat in again by itself
                self._client.logout()
            except (ConnectionError, Refused) as exc:
                log.info("logout not recorded by the hub: %s", exc)

    def start(self) -> RemoteCore:
        """Read the snapshot, then follow the stream on a thread of its own. Call after `login`."""
        if self._stream_port is None:
            raise Refused("this hub publishes no stream for consoles (started without a control endpoint?)",
                          "no_stream")
        self._sync()
        self._set_link("up", "")
        self._thread = threading.Thread(target=self._follow, name="hub-attach", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._client.close()

    # ------------------------------------------------------------ the core's surface
    def subscribe(self, fn: Callable[[Changes], None]) -> None:
        self._subscribers.append(fn)

    def unsubscribe(self, fn: Callable[[Changes], None]) -> None:
        if fn in self._subscribers:
            self._subscribers.remove(fn)

    def refresh(self) -> Changes:
        return Changes()  # the stream keeps the state current

    def flush(self) -> int:
        return 0

    def unit(self, unit_id: str) -> Unit:
        u = self.state.units.get(unit_id)
        if u is None:
            raise NotFound(f"unknown unit {unit_id!r}")
        return u

    def is_stale(self, u: Unit, now: float | None = None) -> bool:
        now = self.clock() if now is None else now
        return u.position is None or now - u.position.ts > self.stale_after

    def positions_since(self, version: int) -> tuple[int, list[Unit]]:
        with self.lock:
            changed = [self.state.units[u] for u, v in self._unit_pos_version.items()
                       if v > version and u in self.state.units]
            return self._pos_version, changed

    def remote_call(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """Run operation `name` at the hub as this seat's operator; answer once this state has its events."""
        with self._req_lock:
            try:
                result = self._client.call(name, args)
            except Refused as exc:
                if exc.code in CUT_CODES:
                    self._cut(exc.code, str(exc))
                raise
            head = self._client.last_head
        if head is not None:
            with self._applied:
                if not self._applied.wait_for(lambda: self.state.last_seq >= head, CAUGHT_UP_WAIT_S):
                    log.warning("the stream did not bring event %d within %.0f s: resynchronising", head,
                                CAUGHT_UP_WAIT_S)
                    self._need_sync.set()
        return result

    # ------------------------------------------------------------ the stream
    def _publish(self, ch: Changes) -> None:
        if not ch:
            return
        for fn in list(self._subscribers):
            try:
                fn(ch)
            except Exception:
                log.exception("subscriber %r failed", fn)

    def _apply_rows(self, rows: list[list[Any]]) -> Changes:
        ch = Changes()
        with self._applied:
            for seq, ts, actor, kind, entity, payload, h in rows:
                self.state.apply(Event(seq, ts, actor, kind, entity, payload, h), ch)
            self._applied.notify_all()
        return ch

    def _apply_positions(self, rows: list[list[Any]]) -> None:
        with self.lock:
            units = self.state.units
            for uid, lat, lon, ts, speed, course, source in rows:
                u = units.get(uid)
                if u is None or (u.position is not None and u.position.ts > ts):
                    continue
                u.position = Position(lat, lon, ts, speed, course, source)
                self._pos_version += 1
                self._unit_pos_version[uid] = self._pos_version
            self.fixes_ingested += len(rows)

    def _sync(self) -> None:
        """Bring the state to the hub's head: the events after the last one held (all of them after a reset)."""
        while True:
            with self._req_lock:
                page = self._client.request({"type": "sync", "after": self.state.last_seq,
                                             "hash": self.state.last_hash})
            if page.get("reset"):
                log.warning("the hub's log is not the one this console followed: reading it from the start")
                with self._applied:
                    self.state = State()
                    self._unit_pos_version.clear()
            ch = self._apply_rows(page["events"])
            if page.get("reset"):
                ch.units = ch.incidents = ch.tasks = ch.assignments = ch.messages = ch.alerts = True
            self._stream_port = page.get("stream", self._stream_port)
            self.hub_instance = page.get("hub", self.hub_instance)
            if "positions" in page:
                self._apply_positions(page["positions"])
            self._publish(ch)
            if not page.get("more"):
                return

    def _subscribe_socket(self) -> zmq.Socket:
        sock = zmq.Context.instance().socket(zmq.DEALER)
        sock.linger = 0
        sock.rcvhwm = 10_000
        sock.sndhwm = 10
        sock.curve_serverkey = self.keys["hub_public_key"].encode("ascii")
        sock.curve_publickey = self.keys["public_key"].encode("ascii")
        sock.curve_secretkey = self.keys["secret_key"].encode("ascii")
        host = self.endpoint.rsplit(":", 1)[0]
        sock.connect(f"{host}:{self._stream_port}")
        self._subscribe(sock)
        return sock

    @staticmethod
    def _subscribe(sock: zmq.Socket) -> None:
        """Ask the hub for its stream (again: a restarted hub knows no subscriber); it answers a heartbeat,
        or why not."""
        try:
            sock.send(b'{"t":"sub"}', zmq.NOBLOCK)
        except zmq.Again:
            pass  # not connected yet and the queue full of earlier asks: one of those will do

    def _set_link(self, status: str, detail: str) -> None:
        if (status == self.link and status != "restarted") or self.link == "cut":
            return  # cut is final: the hub ended this seat
        self.link = status
        for fn in list(self.on_link):
            try:
                fn(status, detail)
            except Exception:
                log.exception("link listener failed")

    def _follow(self) -> None:
        port = self._stream_port
        sock = self._subscribe_socket()
        last_heard = time.monotonic()
        next_try = next_sub = 0.0
        try:
            # events published between the snapshot and the subscription are a gap: one more sync
            self._need_sync.set()
            while not self._stop.is_set() and self.link != "cut":
                if self._need_sync.is_set() and self.link != "lost" and time.monotonic() >= self._sync_after:
                    self._syncing = True  # before the ask is cleared: `settled` is never true in between
                    self._need_sync.clear()
                    self._resync()
                if port != self._stream_port:  # the restarted hub publishes elsewhere
                    sock.close(0)
                    port = self._stream_port
                    sock = self._subscribe_socket()
                if self._resubscribe.is_set():
                    self._resubscribe.clear()
                    self._subscribe(sock)
                if sock.poll(100):
                    last_heard = time.monotonic()
                    self._on_message(sock.recv())
                    continue
                now = time.monotonic()
                if RESUBSCRIBE_AFTER_S < now - last_heard <= LOST_AFTER_S and now >= next_sub:
                    # heartbeats missed: a connection that came back (a new one to the hub) is not subscribed
                    next_sub = now + RESUBSCRIBE_AFTER_S
                    self._subscribe(sock)
                if now - last_heard > LOST_AFTER_S and now >= next_try:
                    self._set_link("lost", "")
                    next_try = now + RETRY_EVERY_S
                    self._try_again()
                    self._subscribe(sock)
                    if self.link not in ("lost", "cut"):
                        last_heard = time.monotonic()
        finally:
            sock.close(0)

    def _try_again(self) -> None:
        """The hub is silent: ask it (briefly) whether it is back and where it publishes now; its first
        heartbeat then logs this seat in again and resynchronises (`_on_restart`)."""
        if not self._req_lock.acquire(timeout=0.1):
            return  # an operation is waiting for the hub: it will say
        self._client.timeout, saved = 1.0, self._client.timeout
        try:
            hello = self._client._request({"type": "hello"})
            self._stream_port = hello.get("stream", self._stream_port)
        except Refused as exc:
            if exc.code in CUT_CODES:
                self._cut(exc.code, str(exc))
            return
        except ConnectionError:
            return  # still gone: the next try in RETRY_EVERY_S
        finally:
            self._client.timeout = saved
            self._req_lock.release()
        if hello.get("hub") and hello.get("hub") != self.hub_instance:
            self._on_restart(hello["hub"])  # a new hub: log in again (it admits subscribers with an operator)
        self._resubscribe.set()

    def _resync(self) -> None:
        try:
            self._resync_now()
        finally:
            self._syncing = False

    @property
    def settled(self) -> bool:
        """No resynchronisation asked for or under way: the state moves only with the stream."""
        return not self._syncing and not self._need_sync.is_set()

    def _resync_now(self) -> None:
        if time.monotonic() < self._sync_after:
            self._need_sync.set()  # the last one failed a moment ago: the loop tries again after the pause
            return
        self.resyncs += 1
        self._syncing = True
        try:
            self._sync()
        except ConnectionError:
            self._set_link("lost", "")
        except Exception as exc:
            if isinstance(exc, Refused) and exc.code == "store_unavailable":  # the hub's database is away
                log.warning("resynchronising waits for the hub's store: %s", exc)
            else:
                log.exception("resynchronising failed")
            self._sync_after = time.monotonic() + RETRY_EVERY_S  # not a request per message meanwhile
            self._need_sync.set()

    def _on_message(self, body: bytes) -> None:
        try:
            msg = json.loads(body.decode("utf-8"))
            t = msg["t"]
        except (ValueError, KeyError, TypeError):
            log.warning("stream: a message that is not one")
            return
        if t == "ev":
            rows = msg["events"]
            if rows and rows[0][0] > self.state.last_seq + 1:
                log.info("stream: gap after event %d (next %d): resynchronising", self.state.last_seq, rows[0][0])
                self._resync()
                return
            self._publish(self._apply_rows(rows))
        elif t == "pos":
            self._apply_positions(msg["rows"])
        elif t == "cut":
            self._cut(str(msg.get("code") or "cut"), str(msg.get("reason") or "the hub ended this seat's stream"),
                      msg.get("hub"))
        elif t == "hb":
            if msg.get("hub") != self.hub_instance:
                self._on_restart(msg.get("hub"))
            elif msg.get("head", 0) > self.state.last_seq:
                log.info("stream: the hub is at %d, this console at %d: resynchronising", msg["head"],
                         self.state.last_seq)
                self._resync()
            elif self.link != "up":
                self._set_link("up", "")

    def _cut(self, code: str, reason: str, hub: str | None = None) -> None:
        """The hub ended this seat's stream (its key revoked, its operator's account disabled): say why and
        stop following; nothing here retries, an administrator has to act."""
        if code == "login_required":
            if self._client.credentials is not None and self.link != "cut":
                self._resubscribe_after_login(hub)
            return  # logged out here: the stream ends with the session
        log.warning("the hub cut this seat off: %s", reason)
        self.cut_reason, self.cut_code = reason, code
        self._set_link("cut", reason)

    def _resubscribe_after_login(self, hub: str | None) -> None:
        """Subscribed before the (new) hub had this seat's login: log in again (unless that is done already),
        then ask once more."""
        try:
            with self._req_lock:
                if self._client.credentials is None:
                    return  # logged out meanwhile
                if hub is None or (self._client.logged_in or {}).get("hub") != hub:
                    self.operator = self._client.login(*self._client.credentials)  # type: ignore[misc]
        except Refused as exc:
            if exc.code in FINAL_LOGIN_CODES:  # no use trying again: an administrator has to act
                self.cut_reason, self.cut_code = str(exc), exc.code
                self._set_link("cut", str(exc))
            else:  # the hub's store away, a delay: the next missed heartbeat asks again
                log.warning("logging in again at the hub failed: %s", exc)
            return
        except ConnectionError:
            return
        self._resubscribe.set()

    def _on_restart(self, instance: str | None) -> None:
        """A heartbeat from a new hub: its sessions are new; log in again (recorded), then resynchronise."""
        log.warning("the hub restarted (instance %s): logging in again and resynchronising", instance)
        try:
            with self._req_lock:
                if self._client.credentials is not None and (self._client.logged_in or {}).get("hub") != instance:
                    self.operator = self._client.login(*self._client.credentials)  # else an operation just did
            self._sync()
            self.hub_instance = instance
            self._set_link("restarted", instance or "")
            self._set_link("up", "")
        except ConnectionError:
            self._set_link("lost", "")
        except Exception:
            log.exception("logging in again failed")
