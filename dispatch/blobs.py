"""Blobs: files kept content-addressed beside the store, never altered (attachments, evidence clips and stills).

A file is streamed, hashed on the way, into ``<dir>/<sha[:2]>/<sha>`` and made read-only; the same content
kept twice is stored once. The folder is, in order: the ``attachments_dir`` attribute of the core if set,
the environment variable ``DISPATCH_ATTACHMENTS_DIR``, ``<name>.attachments/`` next to an SQLite file, or
``attachments/`` in the per-user data folder (PostgreSQL stores).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dispatch.errors import Refused

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


def store_blob(folder: Path, chunks: Any, *, limit: int = MAX_BYTES) -> tuple[str, int]:
    """Write an iterable of byte chunks into the content-addressed folder. Returns (sha256, size).

    ``limit`` caps the size (video evidence passes a larger one than an attachment's)."""
    folder.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise Refused(f"file larger than {limit // 1024**2} MiB", "attachment_too_large")
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


def file_chunks(path: Path) -> Any:
    with path.open("rb") as fh:
        while True:
            b = fh.read(CHUNK)
            if not b:
                return
            yield b


def sha256_file(path: Path, chunk: int = CHUNK) -> str:
    """The SHA-256 of a file, read a chunk at a time. :raises OSError: it cannot be read."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def verify(core: Any, sha256: str) -> bool:
    """True if the stored blob still hashes to its name (for audits)."""
    p = blob_path(attachments_dir(core), sha256)
    if not p.exists():
        return False
    return sha256_file(p) == sha256


def copy_checked(folder: Path, sha256: str, out: str) -> str:
    """Copy the blob `sha256` to the file `out` (written whole or not at all) once it hashes to its name.
    Returns the path written. :raises Refused: the blob missing or altered, `out` a folder or not writable."""
    src = blob_path(folder, sha256)
    if not src.is_file():
        raise Refused(f"the file {sha256[:12]}… is missing from {folder}: run audit verify", "blob_missing")
    data = src.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Refused(f"the file {sha256[:12]}… no longer hashes to its name: run audit verify", "blob_altered")
    return write_copy(out, data, "photo.jpg")


def write_copy(out: str, data: bytes, example: str) -> str:
    """A copy of ``data`` the operator asked for (``--out``), written whole or not at all; the path written.
    :raises Refused: ``out`` a folder (the message suggests a name like ``example``) or not writable."""
    dest = Path(out).expanduser()
    if dest.is_dir():
        raise Refused(f"--out {out} is a folder: give a file name such as {example}", "bad_path")
    try:
        write_whole(dest, data)
    except OSError as exc:
        raise Refused(f"cannot write {out}: {exc.strerror or exc}", "bad_path") from None
    return str(dest)


def write_whole(dest: Path, data: bytes | Iterable[bytes]) -> None:
    """Write `dest` whole or not at all (a part file beside it, renamed over it), with the user's usual file mode.
    `data` may come in pieces; whatever the pieces raise leaves `dest` as it was.
    :raises OSError: not written."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
    try:
        with open(part, "xb") as fh:
            for piece in [data] if isinstance(data, bytes) else data:
                fh.write(piece)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
