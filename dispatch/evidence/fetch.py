"""A stored clip, still or truck photo read a piece at a time (``evidence.fetch``), for a seat attached to a hub:
the files are kept beside the hub's store, so a seat plays a clip (shows a photo) from a copy it fetched through the
hub's control endpoint and checked against the SHA-256 the log recorded. Only files the evidence book or the log's
photo uploads (``jt808.media_received``) name are served."""

from __future__ import annotations

import base64
from typing import Any

from dispatch.blobs import attachments_dir, blob_path
from dispatch.errors import NotFound, Refused
from dispatch.evidence.book import book
from dispatch.jt808.ops import photo_recorded
from dispatch.jt808.state import jt808_state
from dispatch.ops import op

CHUNK = 512 * 1024  # a piece's bytes (its base64 text about 700 KB, one control reply)


@op("evidence.fetch")
def fetch(core: Any, actor: str, sha256: str, offset: int = 0, size: int = CHUNK) -> dict[str, Any]:
    """Up to ``size`` bytes of the clip, still or truck photo stored under ``sha256`` from ``offset``.
    Returns {"sha256", "offset", "size" (the file's), "data_b64", "eof"}."""
    sha = str(sha256 or "").strip().lower()
    try:
        start, want = int(offset), int(size)
    except (TypeError, ValueError):
        raise Refused(f"bad offset {offset!r} or size {size!r}", "bad_arguments") from None
    if start < 0 or not 0 < want <= CHUNK:
        raise Refused(f"offset is 0 or more and size from 1 to {CHUNK} bytes", "bad_arguments")
    core.refresh()
    with core.lock:
        b = book(core.state)
        known = any(c.sha256 == sha for c in b.clips.values()) or any(s.sha256 == sha for s in b.stills.values()) \
            or any(m.get("sha256") == sha for m in jt808_state(core.state).media.values())
    if not known:  # a photo older than those the state keeps: the log has it
        known = photo_recorded(core, sha)
    if not known:
        raise NotFound(f"no clip, still or photo is stored under {sha[:12] or '-'}…")
    path = blob_path(attachments_dir(core), sha)
    try:
        with open(path, "rb") as fh:
            total = fh.seek(0, 2)
            fh.seek(start)
            data = fh.read(want)
    except OSError as exc:
        raise Refused(f"the evidence file {sha[:12]}… cannot be read at the hub ({exc.strerror or exc}): "
                      "run audit verify there", "blob_missing") from None
    return {"sha256": sha, "offset": start, "size": total, "data_b64": base64.b64encode(data).decode("ascii"),
            "eof": start + len(data) >= total}
