"""CURVE keys: the hub's own key pair (kept in the store) and one key pair per field unit.

A unit's public key is enrolled with a `field.key_enrolled` event; `field.key_revoked` removes
it. Its secret key exists only in the file written for the field client, never in the store.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq
from sqlalchemy import insert, select
from zmq.utils import z85

from dispatch.errors import NotFound, Refused
from dispatch.hub.state import field_state
from dispatch.hub.tables import identity_table
from dispatch.store import NewEvent


def hub_keypair(store: Any) -> tuple[str, str]:
    """The hub's (public, secret) Z85 keys, created on first use."""
    with store.read() as conn:
        row = conn.execute(select(identity_table).where(identity_table.c.name == "hub")).first()
    if row is not None:
        return row.public_key, row.secret_key
    public, secret = (k.decode("ascii") for k in zmq.curve_keypair())
    with store.write() as conn:
        row = conn.execute(select(identity_table).where(identity_table.c.name == "hub")).first()
        if row is not None:  # another process won the race
            return row.public_key, row.secret_key
        conn.execute(insert(identity_table).values(name="hub", public_key=public, secret_key=secret,
                                                   created=time.time()))
    return public, secret


def key_file(folder: str | Path, unit_id: str) -> Path:
    return Path(folder) / f"{unit_id}.key.json"


def new_unit_key(core: Any, actor: str, unit_id: str, out_dir: str | Path) -> dict[str, Any]:
    """Create a key pair for `unit_id`, enrol its public key and write the client's key file.

    Replaces any earlier key of the unit (the old one stops working at once).
    :raises NotFound: the unit is not registered.
    """
    core.refresh()
    with core.lock:
        if unit_id not in core.state.units:
            raise NotFound(f"unknown unit {unit_id!r}; `ctl units` lists the registered ones")
    hub_public, _ = hub_keypair(core.store)

    def enrol_here(public: str) -> str:
        enrol(core, actor, unit_id, public)
        return hub_public

    return enrol_to_file(enrol_here, unit_id, key_file(out_dir, unit_id))


def enrol_to_file(enrol_public: Callable[[str], str], unit_id: str, path: str | Path) -> dict[str, Any]:
    """A new key pair for `unit_id`: its secret written to `path` (mode 0600) for the unit's field client, its public
    key enrolled by `enrol_public(public) -> the hub's public key` (in this process, or the hub's `field.enrol`
    operation from a seat: the secret never leaves this machine). The file is written before the enrolment, so a
    folder that cannot take it fails before the unit's old key is replaced; the hub's key is added after."""
    path = Path(path)
    public, secret = new_pair()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"unit_id": unit_id, "public_key": public, "secret_key": secret, "hub_public_key": None,
                           "created": time.time()}
    tmp = path.with_suffix(".tmp")
    _write_private(tmp, doc)  # the folder takes the file: known before the old key is replaced
    try:
        doc["hub_public_key"] = enrol_public(public)
    finally:
        tmp.unlink(missing_ok=True)
    write_key_file(path, doc)
    return {"unit_id": unit_id, "public_key": public, "hub_public_key": doc["hub_public_key"], "file": str(path)}


def new_pair() -> tuple[str, str]:
    """A unit's new CURVE key pair, (public, secret) in Z85."""
    public, secret = zmq.curve_keypair()
    return public.decode("ascii"), secret.decode("ascii")


def write_key_file(path: str | Path, doc: dict[str, Any]) -> None:
    """`doc` (unit_id, public_key, secret_key, hub_public_key) as the unit's key file, mode 0600, whole or not at all."""
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    try:
        _write_private(tmp, {**doc, "created": doc.get("created") or time.time()})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_private(path: Path, doc: dict[str, Any]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)


def enrol(core: Any, actor: str, unit_id: str, public_key: str) -> None:
    try:
        if len(z85.decode(public_key)) != 32:
            raise ValueError
    except Exception:
        raise Refused("a public key is 40 characters of Z85 (a CURVE key)", "bad_key") from None

    def decide(state: Any) -> list[NewEvent]:
        if unit_id not in state.units:
            raise NotFound(f"unknown unit {unit_id!r}")
        other = field_state(state).by_key.get(public_key)
        if other is not None and other != unit_id:
            raise Refused(f"this key is already enrolled for {other}", "key_in_use")
        return [NewEvent("field.key_enrolled", {"unit_id": unit_id, "public_key": public_key}, f"unit:{unit_id}")]

    core.command(actor, decide)


def revoke(core: Any, actor: str, unit_id: str) -> dict[str, Any]:
    """Revoke the unit's key: the hub refuses it at once, also on a connection already open."""

    def decide(state: Any) -> list[NewEvent]:
        key = field_state(state).keys.get(unit_id)
        if key is None:
            raise Refused(f"{unit_id} has no enrolled key; `keys list` shows the enrolled units", "no_key")
        return [NewEvent("field.key_revoked", {"unit_id": unit_id, "public_key": key}, f"unit:{unit_id}")]

    core.command(actor, decide)
    return {"unit_id": unit_id, "revoked": True}


def list_keys(core: Any) -> list[dict[str, Any]]:
    core.refresh()
    with core.lock:
        fs = field_state(core.state)
        out = [{"unit_id": u, "public_key": k, "state": "enrolled"} for u, k in sorted(fs.keys.items())]
        out += [{"unit_id": u, "public_key": None, "state": "revoked", "revoked": ts}
                for u, ts in sorted(fs.revoked.items())]
    return out


def load_key_file(folder: str | Path, unit_id: str) -> dict[str, Any]:
    """Read the key file `keys new` wrote. Raises FileNotFoundError / ValueError with a clear message."""
    path = key_file(folder, unit_id)
    if not path.exists():
        raise FileNotFoundError(f"no key file {path}; create it with `main.py keys new {unit_id} --out {folder}`")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: not a key file (not JSON: {exc})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a key file (not a JSON object)")
    for k in ("unit_id", "public_key", "secret_key", "hub_public_key"):
        if not isinstance(doc.get(k), str):
            raise ValueError(f"{path}: missing {k}")
    for k in ("public_key", "secret_key", "hub_public_key"):
        try:
            ok = len(doc[k]) == 40 and len(z85.decode(doc[k])) == 32
        except (ValueError, TypeError, KeyError, IndexError, UnicodeEncodeError):
            ok = False
        if not ok:
            raise ValueError(f"{path}: {k} is not a 40-character Z85 CURVE key")
    return doc
