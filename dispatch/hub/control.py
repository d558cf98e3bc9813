"""The hub's control endpoint and its client.

Request: one JSON frame {"id", "op", "args", "actor"} (after an empty delimiter frame, so REQ
sockets work too). Reply: {"id", "ok": true, "result"} or {"id", "ok": false, "error", "code"}.
The endpoint runs `dispatch.ops.call` on the hub's core: the very operations of `ctl --db`.
It is a ROUTER so several clients (ctl, later whole consoles) can be served at once.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

import zmq

from dispatch import ops
from dispatch.errors import Refused

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1024 * 1024


class ControlServer:
    def __init__(self, core: Any, ctx: zmq.Context, bind: str) -> None:
        self.core = core
        self.ctx = ctx
        self.bind = bind
        self.endpoint = bind
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hub-control", daemon=True)

    def start(self) -> str:
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self.endpoint

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        try:
            sock = self.ctx.socket(zmq.ROUTER)
            sock.linger = 0
            sock.setsockopt(zmq.MAXMSGSIZE, MAX_REQUEST_BYTES)
            if self.bind.endswith(":0") or self.bind.endswith(":*"):
                sock.bind(self.bind.rsplit(":", 1)[0] + ":*")
                self.endpoint = sock.last_endpoint.decode()
            else:
                sock.bind(self.bind)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stop.is_set():
                if not sock.poll(100):
                    continue
                frames = sock.recv_multipart()
                envelope, body = frames[:-1], frames[-1]
                try:
                    reply = self.handle(body)
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

    def handle(self, body: bytes) -> dict[str, Any]:
        rid = None
        try:
            req = json.loads(body.decode("utf-8"))
            if not isinstance(req, dict) or not isinstance(req.get("op"), str):
                raise ValueError("a request is {\"op\": NAME, \"args\": {...}, \"actor\": WHO}")
            rid = req.get("id")
            args = req.get("args") or {}
            actor = req.get("actor") or "ctl:unknown"
            if not isinstance(args, dict) or not isinstance(actor, str):
                raise ValueError("\"args\" must be an object and \"actor\" a string")
        except RecursionError:
            log.warning("control: malformed request: JSON nested too deeply")
            return {"id": None, "ok": False, "error": "malformed request: JSON nested too deeply", "code": "malformed"}
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("control: malformed request: %s", exc)
            return {"id": rid, "ok": False, "error": f"malformed request: {exc}", "code": "malformed"}
        try:
            result = ops.call(self.core, req["op"], args, actor=actor)
            return {"id": rid, "ok": True, "result": result}
        except Refused as exc:
            return {"id": rid, "ok": False, "error": str(exc), "code": exc.code}
        except Exception as exc:
            log.exception("control: %s failed", req["op"])
            return {"id": rid, "ok": False, "error": f"{type(exc).__name__}: {exc}", "code": "error"}
        finally:
            try:
                self.core.flush()
            except Exception:
                log.exception("control: flushing fixes failed")


class ControlClient:
    """Sends operations to a hub's control endpoint. Not thread-safe (one per thread)."""

    def __init__(self, endpoint: str, timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.connect(endpoint)

    def call(self, name: str, args: dict[str, Any] | None, actor: str) -> Any:
        """Run operation `name` on the hub. Raises Refused ({"ok": false}) or ConnectionError (no answer)."""
        rid = uuid.uuid4().hex
        body = json.dumps({"id": rid, "op": name, "args": args or {}, "actor": actor}, ensure_ascii=False,
                          default=str).encode("utf-8")
        self.sock.send_multipart([b"", body])
        import time

        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000) + 1):
                raise ConnectionError(f"the hub at {self.endpoint} did not answer within {self.timeout:g} s")
            frames = self.sock.recv_multipart()
            try:
                reply = json.loads(frames[-1].decode("utf-8"))
            except ValueError:
                continue
            if reply.get("id") != rid:
                continue  # a late answer to an earlier, timed-out request
            if reply.get("ok"):
                return reply.get("result")
            raise Refused(reply.get("error") or "refused by the hub", reply.get("code") or "refused")

    def close(self) -> None:
        self.sock.close(0)
