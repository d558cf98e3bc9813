"""The field protocol: message types, limits and their validation (docs/field-protocol.md is the spec).

Every message is one ZeroMQ frame holding one UTF-8 JSON object with a "type". Hub-to-unit
messages that matter ("assignment", "cancel", "text", "broadcast") carry a per-unit "seq" and
stay in the hub's persisted outbox until the unit acknowledges them; unit-to-hub messages that
matter ("accept", "decline", "status", "text") carry a per-unit "cseq" and are retried by the
client until the hub acknowledges them. Everything else (login, welcome, ack, hb, pos, error)
is unsequenced.
"""

from __future__ import annotations

import json
from typing import Any

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 256 * 1024  # attachments included; bigger frames are refused (too_big), naming the sender
# The field socket takes frames up to this size, so that an oversized message reaches the hub, which knows its
# sender, refuses it and logs who sent it; only beyond this does libzmq drop the connection unannounced.
MAX_FRAME_BYTES = 4 * 1024 * 1024
HEARTBEAT_S = 1.0  # a client sends "hb" this often when it has nothing else to say
OFFLINE_AFTER_S = 3.5  # the hub marks a unit offline after this long without a message: 3 heartbeats missed, so that
# with the hub's 0.25 s tick and the console's refresh the console shows it within the 5 s of going quiet
HUB_SILENCE_S = 4.0  # a client that hears nothing from the hub for this long reconnects
RESEND_AFTER_S = 3.0  # the hub resends unacknowledged messages this long after sending them

# hub -> unit, sequenced (persisted in the outbox until acknowledged)
SEQUENCED = frozenset({"assignment", "cancel", "text", "broadcast"})
# hub -> unit, unsequenced
HUB_CONTROL = frozenset({"welcome", "ack", "hb", "error", "where"})
# unit -> hub
UNIT_RELIABLE = frozenset({"accept", "decline", "status", "text"})  # carry "cseq"
UNIT_PLAIN = frozenset({"login", "ack", "hb", "pos"})
UNIT_TYPES = UNIT_RELIABLE | UNIT_PLAIN

STATUSES = ("en_route", "on_scene", "resolved")
MAX_TEXT = 2000
MAX_ATTACHMENT_BYTES = 192 * 1024  # base64 text length limit of "attachment.data"
MAX_INT = 2**53 - 1  # seq, cseq, last_seq: exact in every JSON reader (doubles) and in a 64-bit column


class ProtocolError(ValueError):
    """A message that breaks the protocol. `code` is sent back in the "error" message."""

    def __init__(self, message: str, code: str = "bad_message") -> None:
        super().__init__(message)
        self.code = code


def encode(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(frame: bytes) -> dict[str, Any]:
    """Parse one frame into a message dict. Raises ProtocolError on anything malformed."""
    if len(frame) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(frame)} bytes, more than {MAX_MESSAGE_BYTES}", "too_big")
    try:
        msg = json.loads(frame.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"not UTF-8 JSON: {exc}", "malformed") from None
    except RecursionError:
        raise ProtocolError("JSON nested too deeply", "malformed") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        raise ProtocolError("a message is a JSON object with a string \"type\"", "malformed")
    return msg


def _int(msg: dict[str, Any], name: str, *, minimum: int = 0) -> int:
    v = msg.get(name)
    if isinstance(v, bool) or not isinstance(v, int) or not minimum <= v <= MAX_INT:
        raise ProtocolError(f"{msg['type']}: \"{name}\" must be an integer from {minimum} to {MAX_INT}")
    return v


def _num(msg: dict[str, Any], name: str, lo: float, hi: float, *, optional: bool = False) -> float | None:
    v = msg.get(name)
    if v is None and optional:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
        raise ProtocolError(f"{msg['type']}: \"{name}\" must be a number in [{lo}, {hi}]")
    return float(v)


def _str(msg: dict[str, Any], name: str, *, limit: int = 200, optional: bool = False) -> str | None:
    v = msg.get(name)
    if v is None and optional:
        return None
    if not isinstance(v, str) or (not optional and not v) or len(v) > limit:
        raise ProtocolError(f"{msg['type']}: \"{name}\" must be a string of at most {limit} characters")
    return v


def validate_from_unit(msg: dict[str, Any]) -> dict[str, Any]:
    """Check a unit's message against the spec; return it. Raises ProtocolError."""
    t = msg["type"]
    if t not in UNIT_TYPES:
        raise ProtocolError(f"unknown message type {t!r}; a unit sends {', '.join(sorted(UNIT_TYPES))}",
                            "unknown_type")
    if "unit_id" in msg:
        _str(msg, "unit_id", limit=64)
    if t in UNIT_RELIABLE:
        _int(msg, "cseq", minimum=1)
    if t == "login":
        _int(msg, "last_seq")
        _str(msg, "version", limit=64, optional=True)
        if "where" in msg and not isinstance(msg["where"], bool):
            raise ProtocolError("login: \"where\" must be true or false")
    elif t == "ack":
        _int(msg, "seq", minimum=1)
    elif t == "pos":
        _num(msg, "lat", -90, 90)
        _num(msg, "lon", -180, 180)
        _num(msg, "ts", 0, 1e11, optional=True)
        _num(msg, "speed", 0, 200, optional=True)
        _num(msg, "course", 0, 360, optional=True)
    elif t in ("accept", "decline", "status"):
        _str(msg, "ref", limit=64)
        if t == "decline":
            _str(msg, "reason", limit=MAX_TEXT)
        if t == "status":
            if msg.get("status") not in STATUSES:
                raise ProtocolError(f"status: \"status\" must be one of {', '.join(STATUSES)}")
            _str(msg, "note", limit=MAX_TEXT, optional=True)
            att = msg.get("attachment")
            if att is not None:
                if not isinstance(att, dict):
                    raise ProtocolError("status: \"attachment\" must be an object {name, mime, data}")
                _str(att | {"type": "attachment"}, "name", limit=200)
                _str(att | {"type": "attachment"}, "mime", limit=100)
                _str(att | {"type": "attachment"}, "data", limit=MAX_ATTACHMENT_BYTES)
    elif t == "text":
        _str(msg, "text", limit=MAX_TEXT)
    return msg


def split_ref(ref: str) -> tuple[str, str]:
    """"incident:12" -> ("incident", "12"). Raises ProtocolError for anything else."""
    kind, _, ident = ref.partition(":")
    if kind not in ("incident", "task") or not ident:
        raise ProtocolError(f"ref {ref!r} must look like incident:ID or task:ID")
    return kind, ident
