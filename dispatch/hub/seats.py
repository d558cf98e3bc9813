"""Seat keys: the CURVE identity of a console or a `ctl --hub` tool, enrolled like a unit's key.

`seat.key_enrolled` / `seat.key_revoked` events; the secret key exists only in the seat's key file
(NAME.seat.json, written 0600). The key says which seat connects; the operator at that seat is
whoever logs in on the connection (dispatch/accounts).
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zmq
from zmq.utils import z85

from dispatch.changes import Changes
from dispatch.errors import Refused
from dispatch.hub.keys import hub_keypair
from dispatch.state import State, applies
from dispatch.store import Event, NewEvent

SEAT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


@dataclass
class Seats:
    keys: dict[str, str] = field(default_factory=dict)  # seat -> Z85 public key
    by_key: dict[str, str] = field(default_factory=dict)


def seats_state(state: State) -> Seats:
    s = state.ext.get("seats")
    if s is None:
        s = state.ext["seats"] = Seats()
    return s


@applies("seat.key_enrolled")
def _enrolled(state: State, ev: Event, ch: Changes) -> None:
    s = seats_state(state)
    seat, key = ev.payload["seat"], ev.payload["public_key"]
    old = s.keys.get(seat)
    if old:
        s.by_key.pop(old, None)
    s.keys[seat], s.by_key[key] = key, seat
    ch.entities.add(f"seat:{seat}")


@applies("seat.key_revoked")
def _revoked(state: State, ev: Event, ch: Changes) -> None:
    s = seats_state(state)
    key = s.keys.pop(ev.payload["seat"], None)
    if key:
        s.by_key.pop(key, None)
    ch.entities.add(f"seat:{ev.payload['seat']}")


def seat_file(folder: str | Path, seat: str) -> Path:
    return Path(folder) / f"{seat}.seat.json"


def new_seat_key(core: Any, actor: str, seat: str, out_dir: str | Path) -> dict[str, Any]:
    """Create and enrol a key pair for `seat`; write NAME.seat.json (replaces any earlier key of that seat)."""
    if not SEAT_RE.match(seat):
        raise Refused("a seat name is 1-32 letters, digits, '_', '.', '-'", "bad_name")
    hub_public, _ = hub_keypair(core.store)
    public, secret = (k.decode("ascii") for k in zmq.curve_keypair())
    path = seat_file(out_dir, seat)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"seat": seat, "public_key": public, "secret_key": secret, "hub_public_key": hub_public,
                   "created": time.time()}, f, indent=1)
    core.command(actor, lambda _s: [NewEvent("seat.key_enrolled", {"seat": seat, "public_key": public},
                                             f"seat:{seat}")])
    os.replace(tmp, path)
    return {"seat": seat, "public_key": public, "hub_public_key": hub_public, "file": str(path)}


def revoke_seat(core: Any, actor: str, seat: str) -> dict[str, Any]:
    def decide(state: Any) -> list[NewEvent]:
        if seat not in seats_state(state).keys:
            raise Refused(f"seat {seat} has no enrolled key", "no_key")
        return [NewEvent("seat.key_revoked", {"seat": seat}, f"seat:{seat}")]

    core.command(actor, decide)
    return {"seat": seat, "revoked": True}


def load_seat_file(path: str | Path) -> dict[str, Any]:
    """Read a NAME.seat.json. Raises FileNotFoundError / ValueError with a clear message."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no seat key file {path}; an administrator creates it with "
                                f"`main.py keys seat NAME --out DIR`")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: not a seat key file ({exc})") from None
    for k in ("public_key", "secret_key", "hub_public_key"):
        v = doc.get(k) if isinstance(doc, dict) else None
        try:
            ok = isinstance(v, str) and len(v) == 40 and len(z85.decode(v)) == 32
        except (ValueError, TypeError):
            ok = False
        if not ok:
            raise ValueError(f"{path}: {k} is not a 40-character Z85 CURVE key")
    return doc
