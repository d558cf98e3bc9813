"""A local copy of a stored clip for a seat attached to a hub: fetched a piece at a time through the hub's
``evidence.fetch`` (each piece one operation on the core worker, so other work goes on between them), written
to the seat's cache and kept only if it hashes to the SHA-256 the log recorded. A copy already there is reused."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from console.incidents.common import run_op


def cache_dir() -> Path:
    """The seat's copies (``LIUZHOU_EVIDENCE_CACHE`` or the per-user cache folder)."""
    explicit = os.environ.get("LIUZHOU_EVIDENCE_CACHE")
    if explicit:
        return Path(explicit)
    import platformdirs

    return Path(platformdirs.user_cache_dir("liuzhou-console", appauthor=False)) / "evidence"


def fetch_copy(parent: QObject, sha256: str, *, on_ready: Callable[[Path], None],
               on_progress: Callable[[int, int], None] | None = None,
               on_failed: Callable[[str], None] | None = None) -> None:
    """Bring the file stored under `sha256` here; `on_ready(path)` once it is whole and checked."""
    folder = cache_dir()
    final = folder / sha256
    if final.is_file():
        on_ready(final)
        return
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{sha256}.{uuid.uuid4().hex[:8]}.part"  # two players fetching the same file write apart
    digest = hashlib.sha256()
    out = open(part, "wb")  # noqa: SIM115 - closed when the last piece has come, or on a failure

    def failed(why: str) -> None:
        out.close()
        part.unlink(missing_ok=True)
        if on_failed is not None:
            on_failed(why)

    def piece(r: dict[str, Any]) -> None:
        data = base64.b64decode(r["data_b64"])
        out.write(data)
        digest.update(data)
        got = r["offset"] + len(data)
        if on_progress is not None:
            on_progress(got, r["size"])
        if not r["eof"] and data:
            ask(got)
            return
        out.close()
        if digest.hexdigest() != sha256:
            part.unlink(missing_ok=True)
            if on_failed is not None:
                on_failed(parent.tr("The copy fetched from the hub does not match its SHA-256: not shown"))
            return
        part.replace(final)
        on_ready(final)

    def ask(offset: int) -> None:
        run_op(parent, "evidence.fetch", {"sha256": sha256, "offset": offset}, on_done=piece, on_refused=failed)

    ask(0)


def local_file(parent: QObject, sha256: str, path: str | None, *, on_ready: Callable[[Path], None],
               on_failed: Callable[[str], None] | None = None) -> None:
    """The file stored under `sha256` for this seat: at `path` where the store is this seat's, else a copy fetched
    through the hub and checked (`fetch_copy`)."""
    from console.operations import is_remote

    if path and not is_remote():
        on_ready(Path(path))
        return
    fetch_copy(parent, sha256, on_ready=on_ready, on_failed=on_failed)
