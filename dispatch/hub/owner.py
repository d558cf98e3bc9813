"""The store's owner on the hub's own machine: `ctl --hub` without a seat key or an account.

Like PostgreSQL's peer authentication or Jupyter's token file. A hub started from the command line (and
the hub inside the console) writes, for each run, an owner credential file readable only by the OS user
running it (0600), in that user's data folder, named after the control endpoint
(hub-owner/owner-HOST-PORT.json; HOST is "localhost" for loopback and wildcard binds). It holds a fresh
random secret, a CURVE key pair the hub admits for this run only (seat "owner@HOST") and the hub's public
key. `ctl --hub ENDPOINT` with no --key and no --user reads it, connects with that key and logs in by
presenting the secret; the hub compares it in constant time and the session's actor is
`owner:<the hub's OS login>`, with the owner's rights (those of `ctl --db`: not checked against the
permission table). Another OS user, or another machine, has no such file: there `ctl --hub` needs a seat
key and an operator's login as before.

The file is written before the control socket binds (after it, for a port chosen by the system), so a
client that finds the port open finds this run's file; it is removed on a clean stop. A killed hub's file
names a process that no longer runs: a client waits for the next hub's file, which replaces it (and a hub
starting removes the files of other killed hubs).
"""

from __future__ import annotations

import getpass
import hmac
import json
import logging
import os
import platform
import re
import secrets
import time
from pathlib import Path
from typing import Any

import zmq

from dispatch.store import NewEvent

log = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "*", "::", "[::]", ""})
ENDPOINT_RE = re.compile(r"^tcp://(?P<host>\[[^\]]*\]|[^:/]*):(?P<port>\d+)$")


def os_login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (service account, container)
        return "unknown"


def owner_folder() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("liuzhou-console", appauthor=False)) / "hub-owner"


def local_host(host: str) -> bool:
    return host.lower() in LOCAL_HOSTS or host.lower() == platform.node().lower()


def owner_file(endpoint: str, folder: str | Path | None = None) -> Path | None:
    """Where the owner credential of the hub at `endpoint` is (None: not a tcp://HOST:PORT endpoint)."""
    m = ENDPOINT_RE.match(endpoint.strip())
    if m is None or m["port"] == "0":
        return None
    host = m["host"]
    name = "localhost" if local_host(host) else re.sub(r"[^A-Za-z0-9_.-]", "_", host.strip("[]"))
    return Path(folder if folder is not None else owner_folder()) / f"owner-{name}-{m['port']}.json"


def pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's (then the file is not ours to trust anyway)
        return True
    except OSError:
        return False
    return True


def read_owner_file(path: Path) -> dict[str, Any] | None:
    """The credential in `path` if it is there, this user's, well formed and its hub still runs; else None."""
    try:
        st = path.stat()
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o077):
            log.warning("ignoring %s: not this user's own private file", path)
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    keys = ("secret", "public_key", "secret_key", "hub_public_key", "pid")
    if not isinstance(doc, dict) or any(k not in doc for k in keys) or not pid_alive(doc["pid"]):
        return None
    return doc


class Owner:
    """This hub run's owner credential: the secret, the owner's CURVE key pair, the file that carries them."""

    def __init__(self, hub_public_key: str, *, login: str | None = None, folder: str | Path | None = None) -> None:
        self.login = login or os_login()
        self.seat = f"owner@{platform.node() or 'localhost'}"
        self.hub_public_key = hub_public_key
        self.public_key, self._seat_secret = (k.decode("ascii") for k in zmq.curve_keypair())
        self._secret = secrets.token_urlsafe(32)
        self.folder = folder
        self.path: Path | None = None

    @property
    def actor(self) -> str:
        return f"owner:{self.login}"

    def verify(self, secret: Any) -> bool:
        return isinstance(secret, str) and hmac.compare_digest(secret.encode("utf-8"), self._secret.encode("utf-8"))

    def write(self, endpoint: str) -> Path | None:
        """Write the credential for `endpoint` (0600, replacing a dead hub's); None when another live hub's
        file is there (its port is taken: the bind that follows fails) or the endpoint has no file."""
        path = owner_file(endpoint, self.folder)
        if path is None:
            return None
        other = read_owner_file(path)
        if other is not None and other.get("pid") != os.getpid():
            return None
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"endpoint": endpoint, "login": self.login, "seat": self.seat, "pid": os.getpid(),
                       "secret": self._secret, "public_key": self.public_key, "secret_key": self._seat_secret,
                       "hub_public_key": self.hub_public_key, "created": time.time()}, f, indent=1)
        os.replace(tmp, path)
        self.path = path
        _prune(path.parent, keep=path)
        return path

    def remove(self) -> None:
        """Remove the file if it is still this run's (a newer hub may have replaced it)."""
        path, self.path = self.path, None
        if path is None:
            return
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("secret") == self._secret:
                path.unlink()
        except (OSError, ValueError):
            pass

    # ------------------------------------------------------------ the log
    def record(self, core: Any, kind: str, seat: str, reason: str | None = None) -> None:
        """owner.login / owner.logout (actor owner:LOGIN) and owner.login_failed (actor seat:SEAT)."""
        payload: dict[str, Any] = {"name": self.login, "seat": seat}
        if reason:
            payload["reason"] = reason
        actor = f"seat:{seat}" if kind == "owner.login_failed" else self.actor
        core.command(actor, lambda _s: [NewEvent(kind, payload, f"owner:{self.login}")])


def _prune(folder: Path, keep: Path) -> None:
    """Remove the owner files of hubs that were killed (their process is gone): no secret stays behind."""
    for other in folder.glob("owner-*.json"):
        if other == keep:
            continue
        try:
            pid = json.loads(other.read_text(encoding="utf-8")).get("pid")
            if not pid_alive(pid):
                other.unlink()
        except (OSError, ValueError, AttributeError):
            continue


def find_owner_credential(endpoint: str, *, wait: float = 0.0, folder: str | Path | None = None) -> dict[str, Any] | None:
    """The owner credential of the local hub at `endpoint`, or None. While nothing listens at a local
    endpoint (its hub starting or restarting) it waits up to `wait` seconds for the hub's file; a hub that
    listens and wrote none for this user means: not this user's hub (None at once)."""
    path = owner_file(endpoint, folder)
    if path is None:
        return None
    m = ENDPOINT_RE.match(endpoint.strip())
    assert m is not None
    local = local_host(m["host"])
    deadline = time.monotonic() + wait
    while True:
        doc = read_owner_file(path)
        if doc is not None:
            return doc
        if not local or time.monotonic() >= deadline or _listening(m["host"], int(m["port"])):
            return read_owner_file(path)  # written before the bind: a listening hub's file is there
        time.sleep(0.1)


def _listening(host: str, port: int) -> bool:
    import socket

    host = host.strip("[]")
    target = "127.0.0.1" if host in ("", "*", "0.0.0.0") else ("::1" if host == "::" else host)
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False
