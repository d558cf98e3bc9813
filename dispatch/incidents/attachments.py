"""Attachments (photos, video, documents): content-addressed, never altered, recorded as events.

A file is copied (streamed, hashed on the way) into ``<dir>/<sha[:2]>/<sha>``, made read-only, and an
``incident.attached`` event records its SHA-256, size, original name, media type and time. The same
content attached twice is stored once. Nothing in the store ever points at the caller's original
file, so editing or deleting it later changes nothing.

The folder is, in order: the ``attachments_dir`` attribute of the core if set, the environment
variable ``DISPATCH_ATTACHMENTS_DIR``, ``<name>.attachments/`` next to an SQLite file, or
``attachments/`` in the per-user data folder (PostgreSQL stores).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from pathlib import Path
from typing import Any

from dispatch.blobs import attachments_dir, blob_path, file_chunks, store_blob
from dispatch.errors import Refused
from dispatch.incidents.book import get, parse_id
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent


@op("incident.attach")
def attach(
    core: Any,
    actor: str,
    incident_id: Any,
    path: str | None = None,
    data_b64: str | None = None,
    name: str | None = None,
    note: str | None = None,
    upload_id: str | None = None,
) -> dict[str, Any]:
    """Attach a file (``path`` readable by this process, ``data_b64`` content + ``name``, or ``upload_id`` + ``name``:
    a file a seat sent in pieces, dispatch/uploads.py).

    Returns {"id", "sha256", "size", "name", "media_type", "path"}. Refused for an unknown incident, an
    unreadable file or bad base64; the refused attempt records nothing.
    """
    if upload_id is not None:
        from dispatch.uploads import taken

        with taken(core, actor, upload_id) as part:
            return attach(core, actor, incident_id, path=str(part), name=name or "attachment", note=note)
    iid = parse_id(incident_id)
    core.refresh()
    with core.lock:
        get(core.state, iid)  # unknown incident: refuse before copying anything
    folder = attachments_dir(core)
    if path is not None:
        src = Path(path).expanduser()
        if not src.is_file():
            raise Refused(f"cannot read attachment {path}: no such file", "attachment_unreadable")
        try:
            with src.open("rb"):
                pass
            sha, size = store_blob(folder, file_chunks(src))
        except OSError as exc:
            raise Refused(f"cannot read attachment {path}: {exc.strerror or exc}", "attachment_unreadable") from None
        fname = name or src.name
    elif data_b64 is not None:
        try:
            data = base64.b64decode(data_b64, validate=True)
        except (binascii.Error, ValueError):
            raise Refused("attachment data is not valid base64", "attachment_unreadable") from None
        sha, size = store_blob(folder, [data])
        fname = name or f"attachment-{sha[:12]}"
    else:
        raise Refused("give a file path or data_b64 to attach", "bad_arguments")
    media = mimetypes.guess_type(fname)[0] or "application/octet-stream"
    payload = {"sha256": sha, "size": size, "name": fname, "media_type": media, "note": note, "time": core.clock()}

    def decide(st: State) -> list[NewEvent]:
        get(st, iid)
        return [NewEvent("incident.attached", {"id": iid, **payload}, f"incident:{iid}")]

    core.command(actor, decide)
    return {"id": iid, **payload, "path": str(blob_path(folder, sha))}
