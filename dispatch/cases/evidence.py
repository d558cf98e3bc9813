"""Evidence (证据): photos, video and stills, track excerpts, records; kept content-addressed, each with its hash.

The file goes through dispatch/blobs.py (streamed, hashed, read-only, stored once); a ``case.evidence_added``
event records its SHA-256, size, name, media type, kind and note. Nothing points at the caller's file.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from pathlib import Path
from typing import Any

from dispatch.blobs import attachments_dir, blob_path, file_chunks, store_blob
from dispatch.cases.book import case_event, get, parse_id
from dispatch.errors import Refused
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent

KINDS = ("photo", "video", "still", "track", "record", "document", "other")


@op("case.evidence")
def add_evidence(core: Any, actor: str, case_id: Any, path: str | None = None, data_b64: str | None = None,
                 name: str | None = None, kind: str = "photo", note: str | None = None) -> dict[str, Any]:
    """Add an evidence file (``path`` readable here, or ``data_b64`` + ``name``). Refused for an unknown or
    archived case, an unreadable file, bad base64 or an unknown kind; nothing is recorded then."""
    cid = parse_id(case_id)
    k = str(kind).strip().lower()
    if k not in KINDS:
        raise Refused(f"unknown evidence kind {kind!r}; one of {', '.join(KINDS)}", "bad_kind")
    core.refresh()
    with core.lock:
        get(core.state, cid)
    folder = attachments_dir(core)
    if path is not None:
        src = Path(path).expanduser()
        if not src.is_file():
            raise Refused(f"cannot read evidence {path}: no such file", "attachment_unreadable")
        try:
            sha, size = store_blob(folder, file_chunks(src))
        except OSError as exc:
            raise Refused(f"cannot read evidence {path}: {exc.strerror or exc}", "attachment_unreadable") from None
        fname = name or src.name
    elif data_b64 is not None:
        try:
            data = base64.b64decode(data_b64, validate=True)
        except (binascii.Error, ValueError):
            raise Refused("evidence data is not valid base64", "attachment_unreadable") from None
        sha, size = store_blob(folder, [data])
        fname = name or f"evidence-{sha[:12]}"
    else:
        raise Refused("give a file path or data_b64", "bad_arguments")
    fname = Path(fname).name[:200] or f"evidence-{sha[:12]}"
    media = mimetypes.guess_type(fname)[0] or "application/octet-stream"
    payload = {"sha256": sha, "size": size, "name": fname, "media_type": media, "kind": k,
               "note": (note or "").strip()[:2000], "time": core.clock()}

    def decide(st: State) -> list[NewEvent]:
        c = get(st, cid)
        if c.stage == "archived":
            raise Refused(f"case {cid} is archived: nothing is added to an archived dossier", "archived")
        return [case_event("case.evidence_added", cid, **payload)]

    core.command(actor, decide)
    return {"id": cid, **payload, "path": str(blob_path(folder, sha))}
