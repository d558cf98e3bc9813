"""Open311 API keys: one per client (a city app, the WeChat account, an aggregator), stored hashed.

A key is 32 random bytes (URL-safe base64) shown once when created; the store keeps its SHA-256 (a random
key needs no slow hash: there is nothing to guess). Each key names the source its reports carry
(app, wechat, web, aggregator). Creating and revoking are events, so who did it and when is on record.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from dispatch.citizens.book import cbook
from dispatch.errors import NotFound, Refused
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent

KEY_SOURCES = ("app", "wechat", "web", "aggregator")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_owner(state: State, key: str | None) -> dict[str, Any] | None:
    """The live key record an ``api_key`` belongs to, or None."""
    if not key or len(key) > 200:
        return None
    b = cbook(state)
    name = b.by_hash.get(key_hash(key))
    return b.keys.get(name) if name else None


@op("citizens.apikey_new")
def apikey_new(core: Any, actor: str, name: str, source: str = "aggregator") -> dict[str, Any]:
    """Create a key for a client. Returns {name, source, api_key} — the only time the key is shown."""
    name = str(name).strip()
    if not _NAME.match(name):
        raise Refused(f"bad key name {name!r}: letters, digits, _ . - (up to 64)", "bad_name")
    src = str(source).strip().lower()
    if src not in KEY_SOURCES:
        raise Refused(f"unknown source {source!r}; one of {', '.join(KEY_SOURCES)}", "bad_source")
    key = secrets.token_urlsafe(32)

    def decide(st: State) -> list[NewEvent]:
        old = cbook(st).keys.get(name)
        if old is not None and old["revoked"] is None:
            raise Refused(f"key {name} exists; revoke it first to issue a new one", "key_exists")
        return [NewEvent("citizens.apikey_created", {"name": name, "sha256": key_hash(key), "source": src},
                         f"apikey:{name}")]

    core.command(actor, decide)
    return {"name": name, "source": src, "api_key": key}


@op("citizens.apikey_revoke")
def apikey_revoke(core: Any, actor: str, name: str) -> dict[str, Any]:
    name = str(name).strip()

    def decide(st: State) -> list[NewEvent]:
        k = cbook(st).keys.get(name)
        if k is None:
            raise NotFound(f"unknown key {name!r}")
        if k["revoked"] is not None:
            raise Refused(f"key {name} is already revoked", "already_revoked")
        return [NewEvent("citizens.apikey_revoked", {"name": name}, f"apikey:{name}")]

    core.command(actor, decide)
    return {"name": name, "revoked": True}


@op("citizens.apikeys")
def apikeys(core: Any, actor: str) -> list[dict[str, Any]]:
    """Every key ever issued: name, source, created (by whom), revoked; never the key or its hash."""
    core.refresh()
    with core.lock:
        return [{k: v for k, v in rec.items() if k != "sha256"} for rec in cbook(core.state).keys.values()]
