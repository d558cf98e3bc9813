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
import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path
from typing import Any

from dispatch import incidents
from dispatch.errors import Refused
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent

MAX_BYTES = 2 * 1024**3  # 2 GiB: a long body-camera video; beyond that, refuse rather than fill the disk
CHUNK = 1024 * 1024


def attachments_dir(core: Any) -> Path:
    explicit = getattr(core, "attachments_dir", None) or os.environ.get("DISPATCH_ATTACHMENTS_DIR")
    if explicit:
        return Path(explicit)
    url = str(getattr(core.store, "url", ""))
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        db = Path(url.removeprefix("sqlite:///")).expanduser()
        return db.parent / (db.stem + ".attachments")
    import platformdirs

    return Path(platformdirs.user_data_dir("liuzhou-console", appauthor=False)) / "attachments"


def blob_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def store_blob(folder: Path, chunks: Any) -> tuple[str, int]:
    """Write an iterable of byte chunks into the content-addressed folder. Returns (sha256, size)."""
    folder.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_BYTES:
                    raise Refused(f"attachment larger than {MAX_BYTES // 1024**2} MiB", "attachment_too_large")
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = h.hexdigest()
        final = blob_path(folder, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            os.unlink(tmp)  # same content already kept: never overwrite what is stored
        else:
            os.chmod(tmp, 0o444)
            os.replace(tmp, final)
        return sha, size
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _file_chunks(path: Path) -> Any:
    with path.open("rb") as fh:
        while True:
            b = fh.read(CHUNK)
            if not b:
                return
            yield b


def verify(core: Any, sha256: str) -> bool:
    """True if the stored blob still hashes to its name (for audits)."""
    p = blob_path(attachments_dir(core), sha256)
    if not p.exists():
        return False
    h = hashlib.sha256()
    for b in _file_chunks(p):
        h.update(b)
    return h.hexdigest() == sha256


@op("incident.attach")
def attach(
    core: Any,
    actor: str,
    incident_id: Any,
    path: str | None = None,
    data_b64: str | None = None,
    name: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Attach a file (``path`` readable by this process, or ``data_b64`` content + ``name``).

    Returns {"id", "sha256", "size", "name", "media_type", "path"}. Refused for an unknown incident, an
    unreadable file or bad base64; the refused attempt records nothing.
    """
    iid = incidents.parse_id(incident_id)
    core.refresh()
    with core.lock:
        incidents.get(core.state, iid)  # unknown incident: refuse before copying anything
    folder = attachments_dir(core)
    if path is not None:
        src = Path(path).expanduser()
        if not src.is_file():
            raise Refused(f"cannot read attachment {path}: no such file", "attachment_unreadable")
        try:
            with src.open("rb"):
                pass
            sha, size = store_blob(folder, _file_chunks(src))
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
        incidents.get(st, iid)
        return [NewEvent("incident.attached", {"id": iid, **payload}, f"incident:{iid}")]

    core.command(actor, decide)
    return {"id": iid, **payload, "path": str(blob_path(folder, sha))}
