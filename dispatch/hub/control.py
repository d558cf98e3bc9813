"""The hub's control endpoint and its client: authenticated sessions, roles enforced on every request.

Transport: a ROUTER with CURVE; a client's key must be an enrolled seat key (`keys seat`, ZAP domain
"control"), so every connection is a known seat. Frames: an empty delimiter, then one JSON object.

- {"type": "login", "name", "password"} -> {"ok": true, "result": {"name", "role"}}: binds the
  operator to this connection (dispatch.accounts.ops.login: delays, lock-out, all recorded).
- {"type": "login", "owner": SECRET} -> {"ok": true, "result": {"name", "role": "owner"}}: the store's owner on
  the hub's machine (dispatch/hub/owner.py: the secret from the owner file this hub run wrote, compared in
  constant time; actor `owner:<the hub's OS login>`, not checked against the permission table, as `ctl --db`).
- {"type": "logout"}.
- {"type": "hello"} -> {"seat", "stream", "hub"}: no login needed (the seat's key is).
- {"type": "sync", "after": seq, "hash": h} -> {"events": [[seq, ts, actor, kind, entity, payload, hash]...],
  "head", "more", "reset", "positions" (with the last page), "stream", "hub"}: an attached console's
  snapshot (the events after `after`; from the start, `reset`, when `h` is not the hash of event `after`:
  another store), then it follows the stream (dispatch/hub/stream.py) on the port `stream` names.
- {"id", "op", "args"} -> {"id", "ok": true, "result"} or {"id", "ok": false, "error", "code"}:
  runs `dispatch.ops.call` as the logged-in operator. The actor is the session's, never the
  request's: an "actor" field is ignored (a refusal records it as `claimed_actor`). The operation
  is checked against dispatch/accounts/permissions.py first; a refusal is answered with the reason
  and recorded as `account.command_refused` (who, at which seat, tried what).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import zmq

from dispatch import ops
from dispatch.accounts import ops as account_ops
from dispatch.accounts.model import Account
from dispatch.accounts.permissions import allowed
from dispatch.errors import Refused
from dispatch.store import NewEvent, StoreUnavailable, is_disconnect, unavailable

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1024 * 1024
SECRET_ARGS = frozenset({"password"})


@dataclass
class Session:
    seat: str
    account: Account
    key: str | None = None  # the seat key this connection was admitted with (None: not known, in tests)
    owner: bool = False  # the store's owner (dispatch/hub/owner.py): the permission table is not consulted


CUT_KINDS = frozenset({"seat.key_revoked", "seat.key_enrolled", "account.disabled"})


class ControlServer:
    def __init__(self, core: Any, ctx: zmq.Context, bind: str, *, keys: tuple[str, str],
                 stream: Any = None, owner: Any = None) -> None:
        self.core = core
        self.owner = owner  # dispatch.hub.owner.Owner: its file is written with the bind, removed at stop
        self.stream = stream  # the StreamPublisher attached consoles follow (its port and instance)
        self.ctx = ctx
        self.bind = bind
        self.endpoint = bind
        self.public_key, self._secret = keys
        self.sessions: dict[bytes, Session] = {}  # routing id of a connection -> its logged-in operator
        self.cut_reasons: dict[str, tuple[str, str]] = {}  # seat -> (code, why) its session was ended
        self._recheck = threading.Event()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hub-control", daemon=True)

    def start(self) -> str:
        self.core.subscribe(self._on_changes)
        if self.stream is not None:
            self.stream.admit = self.admit
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self.endpoint

    def stop(self) -> None:
        self.core.unsubscribe(self._on_changes)
        self._stop.set()
        self._thread.join(5)
        if self.owner is not None:
            self.owner.remove()

    # ------------------------------------------------------------ revocation
    def _on_changes(self, changes: Any) -> None:
        """On the committing thread: a seat key revoked or replaced, an account disabled -> the control
        thread ends the sessions concerned and the stream drops their seats at its next turn."""
        if any(getattr(ev, "kind", "") in CUT_KINDS for ev in changes.events):
            self._recheck.set()

    def _unfit(self, seat: str, key: str | None, account: Account | None) -> tuple[str, str] | None:
        """Why a session of `account` at `seat` (admitted with `key`) may go on no longer, or None."""
        from dispatch.accounts.model import accounts_state
        from dispatch.hub.seats import seats_state

        if self.owner is not None and key is not None and key == self.owner.public_key:
            return None  # this run's owner key: the hub's own, never enrolled nor revoked
        with self.core.lock:
            current = seats_state(self.core.state).keys.get(seat)
            live = accounts_state(self.core.state).by_name.get(account.name) if account is not None else None
        if key is not None and current != key:
            return ("seat_revoked", f"the key of seat {seat} was revoked" if current is None else
                    f"the key of seat {seat} was replaced by a new one")
        if live is not None and live.disabled:
            return ("account_disabled", f"the account {live.name} was disabled")
        return None

    def _drop_unfit(self) -> None:
        for conn, s in list(self.sessions.items()):
            why = None if s.owner else self._unfit(s.seat, s.key, s.account)
            if why is None:
                continue
            self.sessions.pop(conn, None)
            self.cut_reasons[s.seat] = why
            log.warning("control: session of %s at %s ended: %s", s.account.name, s.seat, why[1])
            try:
                account_ops.logout(self.core, s.account, s.seat, reason=why[1])
            except Exception as exc:  # the store may be down: the session is ended all the same
                log.warning("control: logout of %s not recorded: %s", s.account.name, exc)
        if self.stream is not None:
            self.stream.recheck()

    def admit(self, seat: str, key: str | None) -> tuple[str, str] | None:
        """The stream's question (any thread): may this seat follow? Only with its key still enrolled and
        an operator logged in there whose account is not disabled; else (code, why)."""
        why = self._unfit(seat, key, None)
        if why is not None:
            return why
        if any(s.seat == seat and self._unfit(seat, s.key, s.account) is None for s in list(self.sessions.values())):
            return None
        return self.cut_reasons.get(seat) or ("login_required", f"no operator is logged in at seat {seat}")

    def _run(self) -> None:
        sock = None
        try:
            sock = self.ctx.socket(zmq.ROUTER)
            sock.linger = 0
            sock.setsockopt(zmq.MAXMSGSIZE, MAX_REQUEST_BYTES)
            sock.curve_server = True
            sock.curve_secretkey = self._secret.encode("ascii")
            sock.curve_publickey = self.public_key.encode("ascii")
            sock.zap_domain = b"control"
            if self.bind.endswith(":0") or self.bind.endswith(":*"):
                sock.bind(self.bind.rsplit(":", 1)[0] + ":*")
                self.endpoint = sock.last_endpoint.decode()
                self._write_owner_file()
            else:
                self._write_owner_file()  # before the bind: a client that finds the port open finds the file
                sock.bind(self.bind)
        except BaseException as exc:
            if sock is not None:
                sock.close(linger=0)  # a port taken: nothing may stay open (the context could not end)
            if self.owner is not None:
                self.owner.remove()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stop.is_set():
                if self._recheck.is_set():
                    self._recheck.clear()
                    self._drop_unfit()
                if not sock.poll(100):
                    continue
                frames = sock.recv_multipart(copy=False)
                envelope, body = [f.bytes for f in frames[:-1]], frames[-1]
                try:
                    seat, key = body.get("User-Id") or "?", body.get("X-Key")
                except zmq.ZMQError:
                    seat, key = "?", None
                try:
                    reply = self.handle(body.bytes, conn=envelope[0] if envelope else b"", seat=seat, key=key)
                except Exception as exc:  # never let one request end the endpoint for everyone
                    log.exception("control: request failed")
                    reply = {"id": None, "ok": False, "error": f"{type(exc).__name__}: {exc}", "code": "error"}
                try:
                    sock.send_multipart([*envelope, json.dumps(reply, ensure_ascii=False, default=str).encode()],
                                        zmq.NOBLOCK)
                except zmq.ZMQError as exc:
                    log.warning("control: reply lost: %s", exc)
        finally:
            sock.close(0)

    def handle(self, body: bytes, *, conn: bytes, seat: str, key: str | None = None) -> dict[str, Any]:
        rid = None
        try:
            req = json.loads(body.decode("utf-8"))
            if not isinstance(req, dict):
                raise ValueError("a request is a JSON object")
            rid = req.get("id")
            kind = req.get("type", "op")
            if kind == "op" and not isinstance(req.get("op"), str):
                raise ValueError("a request is {\"op\": NAME, \"args\": {...}} (after logging in)")
            args = req.get("args") or {}
            if not isinstance(args, dict):
                raise ValueError("\"args\" must be an object")
        except RecursionError:
            log.warning("control: malformed request: JSON nested too deeply")
            return {"id": None, "ok": False, "error": "malformed request: JSON nested too deeply", "code": "malformed"}
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("control: malformed request: %s", exc)
            return {"id": rid, "ok": False, "error": f"malformed request: {exc}", "code": "malformed"}
        try:
            if key is not None:  # ZAP admitted the key when the connection opened; it may be revoked since
                why = self._unfit(seat, key, None)
                if why is not None:
                    self._drop_unfit()  # before the revocation reached this thread: the logouts recorded now
                    self.sessions.pop(conn, None)
                    raise Refused(f"{why[1]}: this connection may do nothing more", why[0])
            if kind == "login":
                return {"id": rid, "ok": True, "result": self._login(conn, seat, req, key)}
            if kind == "logout":
                s = self.sessions.pop(conn, None)
                if s is not None:
                    self._logout(s)
                    if self.stream is not None:
                        self.stream.recheck()  # the seat's stream ends with its last session
                return {"id": rid, "ok": True, "result": None}
            if kind == "hello":  # who answers: an attached console finds a restarted hub's stream with it
                return {"id": rid, "ok": True, "result": {"seat": seat, **self._stream_info()}}
            if kind == "sync":
                return {"id": rid, "ok": True, "result": self._sync(conn, seat, req)}
            if kind != "op":
                raise Refused(f"unknown request type {kind!r} (login, logout, hello, sync, op)", "malformed")
            result = self._run_op(conn, seat, req["op"], args, req.get("actor"))
            # the head after the operation: the console waits until its stream has brought it that far
            return {"id": rid, "ok": True, "result": result, "head": self.core.state.last_seq}
        except Refused as exc:
            return {"id": rid, "ok": False, "error": str(exc), "code": exc.code}
        except StoreUnavailable as exc:  # PostgreSQL restarting, the network cut: say so, keep serving
            log.warning("control: %s: %s", req.get("op") or kind, exc)
            return {"id": rid, "ok": False, "error": str(exc), "code": "store_unavailable",
                    "recorded": exc.recorded}
        except Exception as exc:
            if is_disconnect(exc):  # a read that lost the store (a write says so itself)
                err = unavailable(self.core.store.url, exc)
                log.warning("control: %s: %s", req.get("op") or kind, err)
                return {"id": rid, "ok": False, "error": str(err), "code": "store_unavailable", "recorded": False}
            log.exception("control: %s failed", req.get("op") or kind)
            return {"id": rid, "ok": False, "error": f"{type(exc).__name__}: {exc}", "code": "error"}
        finally:
            try:
                self.core.flush()
            except Exception as exc:  # the fixes stay buffered for the next flush
                if is_disconnect(exc) or isinstance(exc, StoreUnavailable):
                    log.warning("control: fixes not flushed: the store is unavailable")
                else:
                    log.exception("control: flushing fixes failed")

    def _write_owner_file(self) -> None:
        if self.owner is not None:
            try:
                self.owner.write(self.endpoint)
            except OSError as exc:  # the hub serves all the same; its owner uses a seat key and a login
                log.warning("control: owner credential file not written: %s", exc)

    def _logout(self, s: Session, reason: str = "logout") -> None:
        if s.owner and self.owner is not None:
            self.owner.record(self.core, "owner.logout", s.seat, None if reason == "logout" else reason)
        else:
            account_ops.logout(self.core, s.account, s.seat, reason=reason)

    def _login(self, conn: bytes, seat: str, req: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        old = self.sessions.pop(conn, None)
        if old is not None:
            self._logout(old, reason="another login on this connection")
        if "owner" in req:
            return self._owner_login(conn, seat, req.get("owner"), key)
        account = account_ops.login(self.core, req.get("name"), req.get("password"), seat)
        self.sessions[conn] = Session(seat, account, key)
        self.cut_reasons.pop(seat, None)
        return {"name": account.name, "role": account.role, "seat": seat, **self._stream_info()}

    def _owner_login(self, conn: bytes, seat: str, secret: Any, key: str | None) -> dict[str, Any]:
        """The owner's secret from this run's owner file, over the owner key this run admits (when known)."""
        o = self.owner
        if o is None or not o.verify(secret) or (key is not None and key != o.public_key):
            if o is not None:
                o.record(self.core, "owner.login_failed", seat, "wrong secret")
            raise Refused("owner login refused: the secret is not this hub run's (is the hub restarted? "
                          "run the command again)", "owner_refused")
        self.sessions[conn] = Session(seat, Account(o.login, "owner"), key, owner=True)
        o.record(self.core, "owner.login", seat)
        return {"name": o.login, "role": "owner", "seat": seat, **self._stream_info()}

    def _stream_info(self) -> dict[str, Any]:
        if self.stream is None:
            return {}
        return {"stream": self.stream.port, "hub": self.stream.instance}

    def _sync(self, conn: bytes, seat: str, req: dict[str, Any]) -> dict[str, Any]:
        """A page of events after `after` (a console's snapshot or resynchronisation), for a logged-in seat."""
        if conn not in self.sessions:
            raise Refused("log in first: this connection has no operator (the hub may have restarted)",
                          "login_required")
        from dispatch.hub.stream import PAGE, event_row, position_rows

        after, limit = req.get("after") or 0, min(int(req.get("limit") or PAGE * 5), PAGE * 5)
        if not isinstance(after, int) or after < 0:
            raise Refused("\"after\" is a seq (an integer >= 0)", "malformed")
        reset = False
        if after > 0:
            ev = next(iter(self.core.store.events(after - 1, limit=1)), None)
            if ev is None or ev.seq != after or ev.hash != req.get("hash"):
                after, reset = 0, True  # not this store's history: start again from the first event
        events = list(self.core.store.events(after, limit=limit))
        head = events[-1].seq if events else after
        more = len(events) == limit
        out: dict[str, Any] = {"events": [event_row(e) for e in events], "head": head, "more": more,
                               "reset": reset, **self._stream_info()}
        if not more:
            with self.core.lock:
                out["positions"] = position_rows(self.core.state.units.values())
        return out

    def _run_op(self, conn: bytes, seat: str, name: str, args: dict[str, Any], claimed: Any) -> Any:
        s = self.sessions.get(conn)
        if s is None:
            self._refused(f"seat:{seat}", seat, None, name, args, claimed, "not logged in")
            raise Refused("log in first: this connection has no operator (the hub may have restarted)",
                          "login_required")
        a = s.account
        if a.disabled:
            self._drop_unfit()  # its logout recorded, its seat's stream ended
            self.sessions.pop(conn, None)
            self._refused(a.actor, seat, a.name, name, args, claimed, "account disabled")
            raise Refused(f"the account {a.name} is disabled; the session is closed", "account_disabled")
        ok, why = (True, "") if s.owner else allowed(a.role, name, args, a.name)
        if not ok:
            self._refused(a.actor, seat, a.name, name, args, claimed, why)
            raise Refused(why, "forbidden")
        return ops.call(self.core, name, args, actor=a.actor)

    def _refused(self, actor: str, seat: str, who: str | None, name: str, args: dict[str, Any], claimed: Any,
                 reason: str) -> None:
        payload: dict[str, Any] = {"name": who, "seat": seat, "op": name[:64], "reason": reason,
                                   "args": {k: ("***" if k in SECRET_ARGS else v) for k, v in args.items()}}
        if isinstance(claimed, str) and claimed != actor:
            payload["claimed_actor"] = claimed[:64]
        if len(json.dumps(payload, default=str)) > 4096:
            payload["args"] = sorted(args)[:32]  # the names only: the record, not a second copy of a big request
        self.core.record(actor, [NewEvent("account.command_refused", payload, f"account:{who}" if who else None)])


class ControlClient:
    """Sends operations to a hub's control endpoint over CURVE as a logged-in operator. One per thread.

    `keys`: the seat key file's dict (public_key, secret_key, hub_public_key). `login`: (name, password);
    the client logs in before its first operation and again if the hub has restarted since. `owner`: the
    secret of the hub's owner file instead (dispatch/hub/owner.py; `keys` is then that file's dict).
    """

    def __init__(self, endpoint: str, *, keys: dict[str, Any], login: tuple[str, str] | None = None,
                 timeout: float = 10.0, owner: str | None = None) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.credentials = login
        self.owner = owner
        self.logged_in: dict[str, Any] | None = None
        self.last_head: int | None = None  # the hub's head after the last operation (its reply's "head")
        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.curve_serverkey = keys["hub_public_key"].encode("ascii")
        self.sock.curve_publickey = keys["public_key"].encode("ascii")
        self.sock.curve_secretkey = keys["secret_key"].encode("ascii")
        self.sock.connect(endpoint)

    def login(self, name: str, password: str) -> dict[str, Any]:
        self.credentials = (name, password)
        self.logged_in = self._request({"type": "login", "name": name, "password": password})
        return self.logged_in

    def owner_login(self) -> dict[str, Any]:
        self.logged_in = self._request({"type": "login", "owner": self.owner})
        return self.logged_in

    def _relogin(self) -> None:
        if self.owner is not None:
            self.owner_login()
        elif self.credentials is not None:
            self.login(*self.credentials)

    def logout(self) -> None:
        if self.logged_in is not None:
            self._request({"type": "logout"})
            self.logged_in = None

    def call(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """Run operation `name` on the hub. Raises Refused ({"ok": false}) or ConnectionError (no answer)."""
        return self.request({"op": name, "args": args or {}})

    def request(self, req: dict[str, Any]) -> Any:
        """One request as the logged-in operator, logging in (again) first when needed."""
        if self.logged_in is None:
            self._relogin()
        try:
            return self._request(req)
        except Refused as exc:
            if exc.code != "login_required" or (self.credentials is None and self.owner is None):
                raise
        self._relogin()  # the hub restarted: its sessions are gone; nothing was run
        return self._request(req)

    def send_raw(self, request: dict[str, Any]) -> Any:
        """One request as given (tests: a forged "actor" field)."""
        return self._request(request)

    def _request(self, req: dict[str, Any]) -> Any:
        rid = uuid.uuid4().hex
        body = json.dumps({**req, "id": rid}, ensure_ascii=False, default=str).encode("utf-8")
        deadline = time.monotonic() + self.timeout
        # Never block in send: with no connection up (a hub down, or a key its ZAP refused) a DEALER's
        # send waits for a peer forever; the operator is owed an answer within the timeout.
        if not self.sock.poll(int(self.timeout * 1000) + 1, zmq.POLLOUT):
            raise ConnectionError(f"the hub at {self.endpoint} took no request within {self.timeout:g} s "
                                  "(is it running, and is this seat's key enrolled there?)")
        try:
            self.sock.send_multipart([b"", body], flags=zmq.NOBLOCK)
        except zmq.Again:
            raise ConnectionError(f"the hub at {self.endpoint} took no request "
                                  "(is it running, and is this seat's key enrolled there?)") from None
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000) + 1):
                raise ConnectionError(f"the hub at {self.endpoint} did not answer within {self.timeout:g} s "
                                      "(is it running, and is this seat's key enrolled there?)")
            frames = self.sock.recv_multipart()
            try:
                reply = json.loads(frames[-1].decode("utf-8"))
            except ValueError:
                continue
            if reply.get("id") != rid:
                continue  # a late answer to an earlier, timed-out request
            if reply.get("ok"):
                self.last_head = reply.get("head")
                return reply.get("result")
            raise Refused(reply.get("error") or "refused by the hub", reply.get("code") or "refused")

    def close(self) -> None:
        self.sock.close(0)
