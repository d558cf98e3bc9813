"""What field units send the hub: the loop's drain of the field socket, logins, acknowledgements and the
reliable answers (accept, decline, status, text). Part of the hub (`Inbound` is mixed into
dispatch/hub/server.py's `Hub`): it runs on the hub's loop thread and uses its routes, outbox and
deferred events.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import zmq

from dispatch.errors import Refused
from dispatch.hub import protocol as P
from dispatch.hub.relay import apply_reply
from dispatch.hub.state import field_state
from dispatch.store import NewEvent

log = logging.getLogger("dispatch.hub.server")  # one logger for the hub, whichever part speaks

HB = P.encode({"type": "hb"})
REPLACED = P.encode({"type": "error", "code": "replaced",
                     "message": "another connection logged in as this unit; this one gets nothing more"})
LOGIN_REQUIRED = P.encode({"type": "error", "code": "login_required",
                           "message": "send login first (the hub may have restarted)"})


def ms_now() -> float:
    """Now to the millisecond, rounded down: a time carried in an event is never after the event's own
    (rounded to the nearest, an acknowledgement recorded within half a millisecond read as after its record)."""
    return int(time.time() * 1000) / 1000


class Inbound:
    """The hub's handling of what units send (see the module's docstring)."""

    # the hub's, on its loop thread
    core: Any
    outbox: Any
    routes: dict[str, bytes]
    route_unit: dict[bytes, str]
    last_seen: dict[str, float]
    present: dict[str, bool]
    progress: dict[str, float]
    wants_where: set[str]
    _where_sent: dict[str, float]
    _pending_events: list[NewEvent]
    ack_listeners: list[Any]
    drain_at: float
    public_key: str
    offline_after: float
    refused: int

    def _send(self, rid: bytes, msg: dict[str, Any] | bytes) -> bool:
        raise NotImplementedError

    def _flush_events(self, *, deferred: bool = False, wait: bool = False) -> None:
        raise NotImplementedError

    def _take_acks(self, acks: dict[str, int], at: float) -> list[NewEvent]:
        raise NotImplementedError

    def _defer(self, events: list[NewEvent]) -> None:
        raise NotImplementedError

    def _drain(self, router: zmq.Socket) -> None:
        self.drain_at = time.perf_counter()
        acks: dict[str, int] = {}
        fixes: list[tuple[Any, ...]] = []
        online: list[str] = []
        beats: list[bytes] = []  # heartbeats answered once the acknowledgements are taken: those wait for nothing
        now = time.monotonic()
        by_key = field_state(self.core.state).by_key
        for _ in range(5000):
            # asked first: a receive that finds nothing raises, costs more than asking, and lets go of the GIL
            # for nothing (another thread that takes it may keep it up to the switch interval)
            if not router.getsockopt(zmq.EVENTS) & zmq.POLLIN:
                break
            try:
                frames = router.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                break
            rid, frame = frames[0].bytes, frames[-1]
            key = frame.get("User-Id")
            unit = by_key.get(key)
            if unit is None:
                self._cut(rid, key)
                continue
            if len(frames) != 2:
                self._refuse(rid, unit, f"{len(frames) - 1} frames; a message is one frame", "malformed")
                continue
            body = frame.bytes
            if body == HB:  # the commonest message by far: 1,000 units, one a second each
                if self.routes.get(unit) != rid:
                    self._send(rid, LOGIN_REQUIRED)
                    continue
                beats.append(rid)
                self.last_seen[unit] = now
                if not self.present.get(unit):
                    self.present[unit] = True
                    online.append(unit)
                continue
            try:
                msg = P.validate_from_unit(P.decode(body))
            except P.ProtocolError as exc:
                self._refuse(rid, unit, str(exc), exc.code)
                continue
            if msg.get("unit_id") not in (None, unit):
                self._refuse(rid, unit, f"message claims unit {msg['unit_id']!r}; this key is {unit}'s", "not_you")
                continue
            t = msg["type"]
            if t == "login":
                self._login(rid, unit, msg)
            elif self.routes.get(unit) != rid:
                self._send(rid, LOGIN_REQUIRED)
                continue
            elif t == "hb":
                self._send(rid, HB)
            elif t == "ack":
                if msg["seq"] > self.outbox.last_seq.get(unit, 0):
                    self._refuse(rid, unit, f"ack for seq {msg['seq']}, never sent (last {self.outbox.last_seq.get(unit, 0)})",
                                 "bad_seq")
                    continue
                acks[unit] = max(acks.get(unit, 0), msg["seq"])
            elif t == "pos":
                ts = msg.get("ts") or time.time()
                fixes.append((unit, float(ts), float(msg["lat"]), float(msg["lon"]), msg.get("speed"),
                              msg.get("course"), "field"))
            else:
                if acks:  # a unit acks an assignment before it answers it: keep that order in the log
                    self._apply_acks(acks, now)
                    acks = {}
                self._flush_events(deferred=True, wait=True)  # the "queued" of what it answers comes first
                self._reliable(rid, unit, msg)
            self.last_seen[unit] = now
            if not self.present.get(unit):
                self.present[unit] = True
                online.append(unit)
        if acks:
            self._apply_acks(acks, now)
        for rid in beats:
            self._send(rid, HB)
        if fixes:
            self.core.ingest(fixes)
        self._pending_events += [NewEvent("unit.online", {"id": u}, f"unit:{u}") for u in online]
        # Acknowledgements handled and nothing else waiting: record the delivery events now, in the lull
        # (with traffic waiting they wait too, at most DEFER_S, and go in one write with later ones).
        idle = acks and not router.getsockopt(zmq.EVENTS) & zmq.POLLIN
        self._flush_events(deferred=bool(idle))

    def _apply_acks(self, acks: dict[str, int], now: float) -> None:
        at = ms_now()  # the acknowledgement's own time (the event is recorded up to DEFER_S later)
        delivered = self._take_acks(acks, at)
        for unit in acks:
            self.progress[unit] = now
        for fn in self.ack_listeners:
            fn(acks)
        self._defer(delivered)

    def _refuse(self, rid: bytes | None, unit: str | None, why: str, code: str = "bad_message") -> None:
        self.refused += 1
        log.warning("field: refused a message from %s: %s", unit or "an unknown sender", why)
        if rid is not None:
            self._send(rid, {"type": "error", "code": code, "message": why})

    def _cut(self, rid: bytes, key: str | None) -> None:
        """A message from a key no longer enrolled (revoked while connected): refuse it, forget the route."""
        unit = self.route_unit.pop(rid, None)
        if unit is not None:
            self.routes.pop(unit, None)
            log.warning("field: %s's key was revoked; connection cut off", unit)
            self._send(rid, {"type": "error", "code": "revoked", "message": "this unit's key was revoked"})
        self.refused += 1
        log.debug("field: dropped a message from revoked/unknown key %s", key)

    def _login(self, rid: bytes, unit: str, msg: dict[str, Any]) -> None:
        old = self.routes.get(unit)
        if old is not None and old != rid:
            # one session per unit: the newest login wins; the connection it replaces is told so and stops
            # (two devices with one key would otherwise take the session from each other in turn)
            self.route_unit.pop(old, None)
            log.warning("field: %s logged in on another connection; the previous one is told it was replaced", unit)
            self._send(old, REPLACED)
        self.routes[unit] = rid
        self.route_unit[rid] = unit
        if msg.get("where"):
            self.wants_where.add(unit)
            self._where_sent.pop(unit, None)  # a new session: tell it at once
        else:
            self.wants_where.discard(unit)
        last = min(msg["last_seq"], self.outbox.last_seq.get(unit, 0))
        known = self.core.state.units.get(unit)  # the name the control room calls it by, for the crew's screen
        self._send(rid, {"type": "welcome", "unit_id": unit, "hub": self.public_key, "version": P.PROTOCOL_VERSION,
                         "last_seq": self.outbox.last_seq.get(unit, 0), "last_cseq": self.outbox.last_cseq.get(unit, 0),
                         "heartbeat_s": P.HEARTBEAT_S, "offline_after_s": self.offline_after,
                         **({"name": known.name, "kind": str(known.kind)} if known is not None else {})})
        if last > self.outbox.acked.get(unit, 0):
            at = ms_now()
            self._defer(self._take_acks({unit: last}, at))
        self._resend(unit, last)
        log.info("field: %s logged in (client %s, last seq %d)", unit, msg.get("version"), msg["last_seq"])

    def _resend(self, unit: str, after: int) -> None:
        rid = self.routes.get(unit)
        if rid is None:
            return
        for body in self.outbox.pending(unit, after):
            if not self._send(rid, body):
                break
        self.progress[unit] = time.monotonic()

    # ---------------------------------------------------------- unit replies
    def _reliable(self, rid: bytes, unit: str, msg: dict[str, Any]) -> None:
        cseq = msg["cseq"]
        if cseq <= self.outbox.last_cseq.get(unit, 0):
            log.info("field: duplicate %s cseq %d from %s ignored", msg["type"], cseq, unit)
            self._send(rid, {"type": "ack", "cseq": cseq, "ok": True, "duplicate": True})
            return
        reply: dict[str, Any] = {"type": "ack", "cseq": cseq, "ok": True}
        try:
            apply_reply(self.core, self.outbox, unit, msg)
        except (Refused, P.ProtocolError) as exc:
            log.warning("field: %s from %s refused: %s", msg["type"], unit, exc)
            self.refused += 1
            reply.update(ok=False, code=getattr(exc, "code", "refused"), message=str(exc))
        except Exception as exc:  # the hub keeps serving everyone else
            log.exception("field: %s from %s failed", msg["type"], unit)
            reply.update(ok=False, code="error", message=str(exc))
        self.outbox.set_last_cseq(unit, cseq)
        self._send(rid, reply)
