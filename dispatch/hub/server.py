"""The hub: the field endpoint (ROUTER, CURVE, ZAP) and the control endpoint, on one core.

One loop thread serves the field socket, the ZAP handler and the outbox (what units send it:
dispatch/hub/inbound.py); a second thread serves the control endpoint (`ctl --hub`, later whole
consoles). New events turn into outbox rows after the outbox's persisted cursor: numbered and sent, then
written with the deferred delivery events at most DEFER_S later (dispatch/hub/outbox.py) by a third, the
hub's writer, so the loop is free meanwhile to read what units send (dispatch/hub/deferred.py).

Who turns them: the thread that committed them, at once, when the loop is waiting (`_on_changes`: an
assignment leaves on the thread that already holds the GIL, without waking another thread first and
waiting for the GIL to come to it; and before that thread lets go of the core's lock, so that reading the
incident's details never waits for another thread's store write), else the loop, woken. The field socket,
the routes and the outbox are the loop's: another thread touches them only holding `_lock`, which the loop
holds except while it waits (and while it writes a batch itself: `_flush_events`), and only with a try that never waits (the
loop may hold it while it waits for the core's lock); the writer takes it, waiting, only to give back a
batch whose write failed.
The loop waits on the field socket's file descriptor, not on the socket (zmq_poll would touch the socket
while another thread may hold it): that descriptor is edge-triggered, so the loop reads the socket's
events itself on every round, and a thread that sent reads them after its send and wakes the loop if a
message waits (its send may have taken the descriptor's signal).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from typing import Any

import zmq

from dispatch.hub import protocol as P
from dispatch.hub.deferred import DEFER_MS, RETRY_S, BatchWriter, Deferred
from dispatch.hub.inbound import Inbound, ms_now
from dispatch.hub.keys import hub_keypair
from dispatch.hub.outbox import Outbox
from dispatch.hub.relay import messages_for
from dispatch.hub.state import field_state
from dispatch.hub.where import WHERE_EVERY_S, where_messages
from dispatch.hub.zap import zap_reply
from dispatch.runtime import end_priority_thread, priority_thread
from dispatch.store import NewEvent, store_lost

log = logging.getLogger(__name__)

OWN_KINDS = frozenset({"unit.online", "unit.offline", "field.delivered", "field.queued", "field.reply",
                       "field.message_received"})
ZAP_ENDPOINT = "inproc://zeromq.zap.01"
INLINE_MAX = 32  # events a committing thread turns into messages itself (more, or a broadcast: the loop does)


class Hub(Deferred, Inbound):
    """Serves field units and control clients on one core. `start()` binds, `stop()` ends both threads."""

    def __init__(self, core: Any, field_bind: str, control_bind: str | None = None, *,
                 offline_after: float = P.OFFLINE_AFTER_S, resend_after: float = P.RESEND_AFTER_S,
                 stream_bind: str | None = None, owner: bool = False) -> None:
        self.core = core
        self.stream_bind = stream_bind  # attached consoles' stream (default: the control port + 1)
        self.stream_endpoint: str | None = None
        self.field_bind = field_bind
        self.control_bind = control_bind
        self.offline_after = offline_after
        self.resend_after = resend_after
        self.ctx = zmq.Context()
        self.ctx.max_sockets = 4096
        self.public_key, self._secret = hub_keypair(core.store)
        self.owner = None  # with owner=True: the owner credential file of `ctl --hub` (dispatch/hub/owner.py)
        if owner and control_bind:
            from dispatch.hub.owner import Owner

            self.owner = Owner(self.public_key)
        self.outbox = Outbox(core.store)
        self.routes: dict[str, bytes] = {}  # unit -> routing id of its logged-in connection
        self.route_unit: dict[bytes, str] = {}
        self.last_seen: dict[str, float] = {}  # unit -> monotonic time of its last message
        self.present: dict[str, bool] = {}  # unit -> presence as last recorded
        self.progress: dict[str, float] = {}  # unit -> when its outbox last moved (sent or acked)
        self.refused = 0  # bad messages refused (for tests and the status bar)
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._threads: list[threading.Thread] = []
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.field_endpoint = field_bind
        self.control_endpoint = control_bind
        self._pending_events: list[NewEvent] = []
        self.ack_listeners: list[Any] = []  # fn(acks: dict[unit, seq]) on the loop thread (bench, tests)
        self._actor_events: list[tuple[str, NewEvent]] = []
        self._pump_retry = False
        self._calls: queue.SimpleQueue[Any] = queue.SimpleQueue()  # call_soon()
        self._deferred: list[NewEvent] = []  # "field.queued"/"field.delivered" waiting to be recorded together
        self._deferred_due = 0.0
        self._writer = BatchWriter(self._write_batch, self.wake)  # the deferred records, off the loop (deferred.py)
        self._handed: queue.SimpleQueue[list[Any]] = queue.SimpleQueue()  # events the core just applied
        self._held: dict[int, Any] = {}  # seq -> handed event not yet turned into outbox rows (under _lock)
        self._lock = threading.Lock()  # the field socket, routes and outbox: the loop's but while it waits
        self.router: zmq.Socket | None = None  # the field socket, while the loop runs
        self._loop_ident = 0
        self._more = False  # the store has more new events than one pump takes
        self._read_store = False  # a committing thread found a gap in what was handed: the loop reads the store
        self.relayed_inline = 0  # batches of events a committing thread sent itself (tests, the bench)
        # when each unit's last sequenced message left, and when the loop began its last drain of the field
        # socket (time.perf_counter): where the bench splits a round trip into the hub's part and the rest
        self.sent_at: dict[str, float] = {}
        self.drain_at = 0.0
        self.wants_where: set[str] = set()  # units that logged in with "where": their position as we see it
        self._where_sent: dict[str, float] = {}  # unit -> fix time last sent
        self._where_at = 0.0
        self._store_warned = 0.0

    # ------------------------------------------------------------ lifecycle
    def start(self) -> Hub:
        with self.core.lock:
            for uid, u in self.core.state.units.items():
                if u.online:
                    self.present[uid] = True
                    self.last_seen[uid] = time.monotonic()  # grace: offline if it does not come back
        self._cursor = self.outbox.cursor(default=self.core.store.last_seq())
        t = threading.Thread(target=self._run, name="hub-field", daemon=True)
        self._threads.append(t)
        t.start()
        self._ready.wait(10)
        if self._error is not None:
            self._release()
            raise self._error
        try:
            self._start_control()
        except BaseException:
            self.stop()  # the field side is up: take it down again, the caller is told why
            raise
        self.core.subscribe(self._on_changes, first=True)  # it sends on the committing thread: before the others
        log.info("hub serving field units on %s, control on %s", self.field_endpoint, self.control_endpoint)
        return self

    def _release(self) -> None:
        """Join the field thread, then let go of the outbox, the context and the wake-up pipe."""
        for t in self._threads:
            t.join(5)
        self.outbox.close()
        self.ctx.term()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _start_control(self) -> None:
        if self.control_bind:
            from dispatch.hub.control import ControlServer
            from dispatch.hub.stream import StreamPublisher, stream_bind_for

            keys = (self.public_key, self._secret)
            self.stream = StreamPublisher(self.core, self.ctx, self.stream_bind or stream_bind_for(self.control_bind),
                                          keys=keys)
            self.stream_endpoint = self.stream.start()
            self.control = ControlServer(self.core, self.ctx, self.control_bind, keys=keys, stream=self.stream,
                                         owner=self.owner)
            self.control_endpoint = self.control.start()
            self._close_stale_sessions()

    def stop(self) -> None:
        self.core.unsubscribe(self._on_changes)
        self._stop.set()
        self.wake()
        if getattr(self, "control", None) is not None:
            self.control.stop()
        if getattr(self, "stream", None) is not None:
            self.stream.stop()
        self._release()

    def _close_stale_sessions(self) -> None:
        """Operators the log shows at a seat from before this hub started: their sessions died with the
        previous hub (killed, the machine restarted). Their logout is recorded now, so the log says who was
        at which seat when; the consoles log in again on their own."""
        from dispatch.accounts.model import accounts_state

        with self.core.lock:
            stale = [(a.name, a.seat) for a in accounts_state(self.core.state).by_name.values() if a.seat]
        if stale:
            self.core.record("system:hub", [NewEvent("account.logout", {"name": n, "seat": s, "reason": "hub restarted"},
                                                     f"account:{n}") for n, s in stale])

    def call_soon(self, fn: Any) -> None:
        """Run `fn()` on the hub's loop thread (which alone may touch the field socket and the outbox)."""
        self._calls.put(fn)
        self.wake()

    def wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass  # already awake, or closed

    def _on_changes(self, changes: Any) -> None:
        """On the committing thread, once the events are stored and applied: hand them over (nobody need
        read back from the store what was just given) and, if any is for the field, turn them into messages
        and send them now when the loop is waiting (see the module's docstring); else wake the loop, which
        turns them itself."""
        events = changes.events
        if not events:
            return
        self._handed.put(events)
        if all(getattr(ev, "kind", "") in OWN_KINDS for ev in events):
            return
        if len(events) <= INLINE_MAX and threading.get_ident() != self._loop_ident \
                and not any(_loop_only(ev) for ev in events) and self._lock.acquire(blocking=False):
            try:
                if self.router is not None and not self._stop.is_set():
                    if not self._step(self._relay_handed):
                        self._pump_retry = self._read_store = True  # what it took: the loop reads it again
                    elif not self._read_store and not (self.router.getsockopt(zmq.EVENTS) & zmq.POLLIN):
                        return  # sent, and nothing arrived that the loop would not hear of: no need to wake it
            finally:
                self._lock.release()
        self.wake()

    def _relay_handed(self) -> None:
        """A committing thread's turn (holding `_lock`): what was handed, without a gap, numbered and sent;
        the loop writes it (its wait is never longer than DEFER_S). With a gap (events of another thread or
        process not handed yet) the loop reads the store instead."""
        new = self._take_handed()
        if new is None:  # the gap's events are dropped from memory: the loop's next pump reads them all
            self._read_store = True
            return
        self._relay(new)
        self.relayed_inline += 1

    def _take_handed(self) -> list[Any] | None:
        """The handed events that follow the cursor without a gap, oldest first; None when the store must
        be read instead (nothing handed, or a gap: events of another process this core has not seen yet,
        or publications that arrive out of order between threads)."""
        held = self._held
        while True:
            try:
                evs = self._handed.get_nowait()
            except queue.Empty:
                break
            for ev in evs:
                held[ev.seq] = ev
        if not held:
            return None
        cursor = self._cursor
        for seq in [s for s in held if s <= cursor]:
            del held[seq]
        run = []
        seq = cursor + 1
        while seq in held:
            run.append(held.pop(seq))
            seq += 1
        if held or not run:  # a gap: the store has what is missing
            held.clear()
            return None
        return run

    # ----------------------------------------------------------------- loop
    def _run(self) -> None:
        zap = router = None
        try:
            zap = self.ctx.socket(zmq.REP)
            zap.linger = 0
            zap.bind(ZAP_ENDPOINT)
            router = self.ctx.socket(zmq.ROUTER)
            router.linger = 0
            router.router_mandatory = 1
            router.curve_server = True
            router.curve_secretkey = self._secret.encode("ascii")
            router.curve_publickey = self.public_key.encode("ascii")
            router.zap_domain = b"field"
            router.setsockopt(zmq.BACKLOG, 2048)
            router.setsockopt(zmq.MAXMSGSIZE, P.MAX_FRAME_BYTES)
            router.sndhwm = router.rcvhwm = 100_000
            if self.field_bind.endswith(":0") or self.field_bind.endswith(":*"):
                router.bind(self.field_bind.rsplit(":", 1)[0] + ":*")
                self.field_endpoint = router.last_endpoint.decode()
            else:
                router.bind(self.field_bind)
        except BaseException as exc:
            for sock in (zap, router):  # a port taken: nothing of this hub may stay bound or open
                if sock is not None:
                    sock.close(linger=0)
            self._error = exc
            self._ready.set()
            return
        lock = self._lock
        lock.acquire()
        self.router = router
        self._loop_ident = threading.get_ident()
        priority_thread()  # the feeds' and the rules' long stretches make way for this thread (dispatch/runtime.py)
        self._writer.start()
        self._ready.set()
        poller = zmq.Poller()
        poller.register(router.getsockopt(zmq.FD), zmq.POLLIN)  # edge-triggered: see the module's docstring
        poller.register(zap, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        next_tick = 0.0
        pump = True
        try:
            while not self._stop.is_set():
                # everything ready is handled per wakeup: new events first, then every ZAP request and
                # every message waiting
                if pump and not self._step(self._pump_events):
                    self._pump_retry = True  # the tick tries again
                deferred = self._deferring()
                # never longer than DEFER_S: a committing thread that sent something does not wake the loop to
                # have it written
                wait = DEFER_MS if not deferred else max(0, min(DEFER_MS, (self._deferred_due - time.monotonic()) * 1000))
                if router.getsockopt(zmq.EVENTS) & zmq.POLLIN:
                    wait = 0  # a message the descriptor will not signal again
                lock.release()  # other threads may send while the loop waits
                try:
                    events = dict(poller.poll(wait))
                finally:
                    lock.acquire()
                pump = False
                if self._wake_r in events:
                    os.read(self._wake_r, 4096)
                    # new events to turn (a committing thread that sent them wakes the loop only for the socket)
                    if (self._read_store or self._more or not self._handed.empty()) and not self._step(self._pump_events):
                        self._pump_retry = True
                    while not self._calls.empty():
                        self._step(self._calls.get_nowait())
                if zap in events:
                    self._step(self._zap, zap)
                if router.getsockopt(zmq.EVENTS) & zmq.POLLIN:
                    self._step(self._drain, router)
                now = time.monotonic()
                if now >= self._deferred_due and self._deferring() and not self._step(self._flush_events, deferred=True):
                    self._deferred_due = now + RETRY_S  # the store away: try again at the tick's pace, not at once
                if now >= next_tick:
                    next_tick = now + 0.25
                    self._step(self._tick, now)
                    pump = pump or self._pump_retry
                    self._pump_retry = False
        except Exception:
            log.exception("hub loop failed")
        finally:
            end_priority_thread()
            self.router = None  # no other thread sends from now on
            self._unlocked(self._writer.stop)  # its batch in hand written (or given back) first
            self._step(self._flush_events, deferred=True)  # the rows numbered and sent too, by the loop itself
            router.close(0)
            zap.close(0)
            lock.release()

    def _step(self, fn: Any, *args: Any, **kw: Any) -> bool:
        """Run one step of the loop; a failure (the store busy or gone) is logged and the hub keeps serving.

        Nothing is lost by a failed step: outbox rows not written stay in the outbox's memory with their
        event cursor and the next step writes them (dispatch/hub/outbox.py), an acknowledgement not
        saved stays there too for the next try (one lost with the process is acknowledged again by the
        unit's next login)."""
        try:
            fn(*args, **kw)
            return True
        except Exception as exc:
            if store_lost(exc):  # PostgreSQL restarting: one line now and then, not a traceback 4 times a second
                now = time.monotonic()
                if now - self._store_warned > 5.0:
                    self._store_warned = now
                    log.warning("hub: %s: the store is unavailable (%s); retrying",
                                getattr(fn, "__name__", fn), str(exc).splitlines()[0])
            else:
                log.exception("hub: %s failed", getattr(fn, "__name__", fn))
            return False

    # ------------------------------------------------------------------ ZAP
    def _zap(self, zap: zmq.Socket) -> None:
        """Answer every ZAP request waiting (1,000 units connecting at once ask 1,000 times)."""
        for _ in range(10_000):
            try:
                frames = zap.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._zap_one(zap, frames)

    def _zap_one(self, zap: zmq.Socket, frames: list[bytes]) -> None:
        zap.send_multipart(zap_reply(self.core, frames, self.owner))

    # ------------------------------------------------------ deferred writes
    def _send(self, rid: bytes, msg: dict[str, Any] | bytes) -> bool:
        try:
            self.router.send_multipart([rid, msg if isinstance(msg, bytes) else P.encode(msg)], zmq.NOBLOCK)
            return True
        except zmq.ZMQError as exc:  # peer gone (router_mandatory) or its queue full: resend later
            unit = self.route_unit.pop(rid, None)
            if unit is not None and self.routes.get(unit) == rid:
                del self.routes[unit]
            log.debug("field: send to %s failed: %s", unit, exc)
            return False

    # ---------------------------------------------------- events -> outbox
    def _pump_events(self) -> None:
        """Turn new events (after the outbox's cursor) into outbox messages: numbered and sent, and written
        with the deferred events at most DEFER_S later (dispatch/hub/outbox.py says why nothing is lost by
        that order). A write that fails leaves the rows numbered and sent in the outbox's memory; the next
        write stores them with what was numbered since."""
        new = None if self._read_store else self._take_handed()
        self._read_store = False
        new = new or self.outbox.events_after(self._cursor, 5000)
        if new:
            self._relay(new)
        self._more = len(new or ()) == 5000
        if self._more:
            self.wake()

    def _relay(self, new: list[Any]) -> None:
        if any(ev.kind == "field.key_revoked" for ev in new):
            self.core.refresh()
            self._cut_revoked()  # a revocation among the new events takes effect before anything is sent
        if new[-1].seq > self.core.state.last_seq:
            self.core.refresh()  # events another process appended: the details below come from the state
        rows: list[tuple[str, dict[str, Any], str | None, int | None]] = []
        for ev in new:
            if ev.kind in OWN_KINDS:
                continue
            rows.extend(messages_for(self.core, ev))
        out: list[tuple[str, dict[str, Any], bytes]] = []
        sent_at = ms_now()
        if rows:  # with nothing to queue the cursor moves in memory only: re-reading those is harmless
            self._defer_from_now()  # the rows' write, with the deferred events
            out = self.outbox.number(rows, sent_at, cursor=new[-1].seq)
        self._cursor = new[-1].seq
        queued = []
        mono = time.monotonic()
        acked = self.outbox.acked
        for unit, msg, body in out:
            rid = self.routes.get(unit)
            if rid is not None and self._send(rid, body):
                self.sent_at[unit] = time.perf_counter()
                if acked.get(unit, 0) >= msg["seq"] - 1:
                    self.progress[unit] = mono  # nothing was outstanding: the resend clock starts now
            if msg["type"] in ("assignment", "cancel"):
                queued.append(NewEvent("field.queued", {"unit_id": unit, "ref": msg["ref"], "seq": msg["seq"],
                                                        "type": msg["type"], "at": sent_at,
                                                        **({"reason": msg["reason"]} if "reason" in msg else {})},
                                       f"unit:{unit}"))
        self._defer(queued)

    # ------------------------------------------------------------------ tick
    def _tick(self, now: float) -> None:
        self.core.refresh(wait=False)  # events other processes appended (ctl --db, keys revoke); never waits
        self._cut_revoked()
        offline = [u for u, on in self.present.items() if on and now - self.last_seen.get(u, 0) > self.offline_after]
        for u in offline:
            self.present[u] = False
            rid = self.routes.pop(u, None)
            if rid is not None:
                self.route_unit.pop(rid, None)
        self._pending_events += [NewEvent("unit.offline", {"id": u}, f"unit:{u}") for u in offline]
        for unit in list(self.routes):
            if self.outbox.last_seq.get(unit, 0) > self.outbox.acked.get(unit, 0) and \
                    now - self.progress.get(unit, 0) > self.resend_after:
                self._resend(unit, 0)
        if now - self._where_at >= WHERE_EVERY_S and self.wants_where:
            self._where_at = now
            for unit, msg in where_messages(self.core, [u for u in self.routes if u in self.wants_where],
                                            self._where_sent):
                self._send(self.routes[unit], msg)
        self._flush_events()

    def _cut_revoked(self) -> None:
        fs = field_state(self.core.state)
        for unit, rid in list(self.routes.items()):
            if unit not in fs.keys:  # revoked while connected
                self._cut(rid, None)

    # ---------------------------------------------------------------- views
    def connected(self) -> list[str]:
        return sorted(self.routes)


def _loop_only(ev: Any) -> bool:
    """Events the loop turns into messages itself: a revocation (the store re-read, connections cut) and a
    broadcast (a message for every unit: not on the committing thread's time)."""
    kind = getattr(ev, "kind", "")
    return kind == "field.key_revoked" or (kind == "field.message_sent" and not ev.payload.get("unit_id"))
