"""Files between a seat and the hub, in pieces.

To the hub: a phone's photo or a body camera's clip is larger than one control request
(dispatch/hub/control.py: MAX_REQUEST_BYTES), and no seat names a file of the hub's machine by its path
(docs/permissions.md). ``upload.piece`` appends a piece to a part file beside the blobs, in order, for the operator
who began it; the operation that takes the file (``incident.attach``, ``case.evidence``, ``evidence.add``) is then
given the ``upload_id`` instead of a path and keeps the file as it keeps any other (hashed into the blobs, recorded
as its event). Nothing of an upload is in the log until then: a part file not taken within `STALE_S` of its last
piece, or left by a hub that stopped, is removed.

From the hub: a file an operation made for the seat that asked (a case's dossier) is `offer`ed to that operator
alone, read back with ``download.piece`` and removed once read to its end (or after `STALE_S`); `receive_file` is
the seat's side, which keeps the copy only if it hashes to what the hub said."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dispatch.blobs import MAX_BYTES, attachments_dir, sha256_file, write_whole
from dispatch.errors import Refused
from dispatch.ops import op

PIECE_BYTES = 512 * 1024  # one piece, before base64: a request stays well under the hub's 1 MiB
STALE_S = 3600.0  # an upload untouched this long is given up
OPEN_PER_OPERATOR = 8  # uploads one operator may have under way at once (each up to MAX_BYTES on the hub's disk)
FOLDER = ".uploads"


@dataclass
class Upload:
    actor: str
    path: Path
    size: int = 0
    touched: float = 0.0
    complete: bool = False


_lock = threading.Lock()
_uploads: weakref.WeakKeyDictionary[Any, dict[str, Upload]] = weakref.WeakKeyDictionary()


def _give_up(table: dict[str, Any], folder: Path, now: float) -> None:
    """Under `_lock`: the entries of `table` (uploads or offers) untouched for STALE_S dropped with their files, and
    the files in `folder` no entry owns (left by a hub that stopped) removed once as old."""
    for key in [k for k, e in table.items() if now - e.touched > STALE_S]:
        table.pop(key).path.unlink(missing_ok=True)
    if folder.is_dir():
        owned = {e.path.name for e in table.values()}
        for f in folder.iterdir():
            try:
                if f.name not in owned and time.time() - f.stat().st_mtime > STALE_S:
                    f.unlink()
            except OSError:
                pass


@op("upload.piece")
def piece(core: Any, actor: str, data_b64: str, upload_id: str | None = None, offset: int = 0,
          complete: bool = False) -> dict[str, Any]:
    """Append one piece (at most PIECE_BYTES, base64) to an upload; without ``upload_id`` a new one begins. ``offset``
    is where the piece goes: the bytes the hub holds already (a piece sent twice after a lost answer is refused with
    the size held, so the sender resumes from there). ``complete`` with the last piece. Returns {upload_id, size}."""
    try:
        data = base64.b64decode(data_b64, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise Refused("an upload's piece is not valid base64", "bad_arguments") from None
    if len(data) > PIECE_BYTES:
        raise Refused(f"a piece is at most {PIECE_BYTES // 1024} KiB", "bad_arguments")
    offset = _offset(offset)
    now = time.monotonic()
    folder = attachments_dir(core) / FOLDER
    with _lock:
        table = _uploads.setdefault(core, {})
        _give_up(table, folder, now)
        if upload_id is None:
            if offset != 0:
                raise Refused("a new upload begins at offset 0", "upload_out_of_step")
            if sum(1 for u in table.values() if u.actor == actor) >= OPEN_PER_OPERATOR:
                raise Refused(f"{OPEN_PER_OPERATOR} uploads of yours are under way: finish one (or wait "
                              f"{STALE_S / 60:.0f} min for an abandoned one to be given up)", "too_many_uploads")
            folder.mkdir(parents=True, exist_ok=True)
            uid = secrets.token_hex(16)
            up = table[uid] = Upload(actor, folder / f"{uid}.part", touched=now)
            up.path.touch()
        else:
            uid = str(upload_id)
            up = table.get(uid)  # type: ignore[assignment]
            if up is None or up.actor != actor:
                raise Refused(f"no upload {uid[:12]}… of yours is under way (given up after {STALE_S / 60:.0f} min "
                              "idle, or the hub restarted): send the file again", "upload_unknown")
            if up.complete:
                raise Refused("this upload is complete: give its upload_id to the operation that takes the file",
                              "upload_out_of_step")
            if offset != up.size:
                raise Refused(f"the piece is for offset {offset}, the hub holds {up.size} bytes: send from there",
                              "upload_out_of_step")
        if up.size + len(data) > MAX_BYTES:
            table.pop(uid, None)
            up.path.unlink(missing_ok=True)
            raise Refused(f"a file is at most {MAX_BYTES // 1024**2} MiB", "attachment_too_large")
        try:
            with up.path.open("ab") as fh:
                fh.write(data)
        except OSError as exc:
            raise Refused(f"the hub cannot keep the upload: {exc.strerror or exc}", "store_unavailable") from None
        up.size += len(data)
        up.touched = now
        up.complete = complete is True
        return {"upload_id": uid, "size": up.size, "complete": up.complete}


def _offset(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Refused(f"an offset is a whole number of bytes, not {value!r}", "bad_arguments")
    try:
        n = int(value)
    except ValueError:
        raise Refused(f"an offset is a whole number of bytes, not {value!r}", "bad_arguments") from None
    if n < 0:
        raise Refused("an offset is 0 or more", "bad_arguments")
    return n


@contextmanager
def taken(core: Any, actor: str, upload_id: str) -> Iterator[Path]:
    """The complete upload's part file for the operation that keeps it, by the operator who sent it; removed once
    that operation has kept it. An operation that refuses it (a wrong case number, an archived case, the store away)
    gives it back: the same upload_id may be given again, corrected, within STALE_S, without sending the file again.
    :raises Refused: unknown, someone else's, incomplete, or being taken by another request right now."""
    uid = str(upload_id)
    with _lock:
        table = _uploads.setdefault(core, {})
        up = table.get(uid)  # type: ignore[assignment]
        if up is None or up.actor != actor:
            raise Refused(f"no upload {uid[:12]}… of yours: send the file again", "upload_unknown")
        if not up.complete:
            raise Refused(f"the upload has {up.size} bytes and is not complete: send its last piece", "upload_incomplete")
        table.pop(uid)
    try:
        yield up.path
    except BaseException:
        with _lock:
            up.touched = time.monotonic()
            _uploads.setdefault(core, {})[uid] = up
        raise
    up.path.unlink(missing_ok=True)


def send_file(call: Any, path: Path | str) -> str:
    """The sending side (a seat attached to a hub, ctl --hub): the file in pieces through `call(operation, args)`,
    in order; returns the upload_id to give the operation that keeps it.
    :raises Refused: the file cannot be read here (or the hub's own refusal)."""
    p = Path(path).expanduser()
    try:
        size = p.stat().st_size
        fh = p.open("rb")
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror or exc}", "attachment_unreadable") from None
    uid: str | None = None
    offset = 0
    with fh:
        while True:
            try:
                data = fh.read(PIECE_BYTES)
            except OSError as exc:
                raise Refused(f"cannot read {path}: {exc.strerror or exc}", "attachment_unreadable") from None
            last = offset + len(data) >= size or not data
            r = call("upload.piece", {"data_b64": base64.b64encode(data).decode("ascii"), "upload_id": uid,
                                      "offset": offset, "complete": last})
            uid, offset = str(r["upload_id"]), int(r["size"])
            if last:
                return uid


@dataclass
class Offer:
    actor: str
    path: Path
    size: int
    sha256: str
    touched: float


_offers: weakref.WeakKeyDictionary[Any, dict[str, Offer]] = weakref.WeakKeyDictionary()
OFFERS = ".downloads"


def offer_path(core: Any, name: str) -> Path:
    """A new file's path for an operation to write what it will `offer` (`name` its ending: "dossier.zip")."""
    folder = attachments_dir(core) / OFFERS
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{secrets.token_hex(4)}-{name}"


def offer(core: Any, actor: str, path: Path) -> dict[str, Any]:
    """Hand the file at `path` (from `offer_path`) to `actor`'s seat: {download_id, size, sha256}."""
    o = Offer(actor, path, path.stat().st_size, sha256_file(path), time.monotonic())
    with _lock:
        table = _offers.setdefault(core, {})
        _give_up(table, path.parent, o.touched)
        did = secrets.token_hex(16)
        table[did] = o
    return {"download_id": did, "size": o.size, "sha256": o.sha256}


@op("download.piece")
def download_piece(core: Any, actor: str, download_id: str, offset: int = 0) -> dict[str, Any]:
    """A piece (at most PIECE_BYTES) of a file offered to this operator, from ``offset``: {download_id, offset, size,
    sha256, data_b64, eof}. Once read to its end the file is gone from the hub."""
    with _lock:
        o = _offers.get(core, {}).get(str(download_id))
        if o is None or o.actor != actor:
            raise Refused("no file is offered to you under that id (read to its end already, given up after "
                          f"{STALE_S / 60:.0f} min, or the hub restarted): ask for it again", "download_unknown")
        o.touched = time.monotonic()
    start = _offset(offset)
    if start > o.size:
        raise Refused(f"offset {start} is outside the file's {o.size} bytes", "bad_arguments")
    try:
        with o.path.open("rb") as fh:
            fh.seek(start)
            data = fh.read(PIECE_BYTES)
    except OSError as exc:
        raise Refused(f"the hub cannot read the file: {exc.strerror or exc}", "store_unavailable") from None
    eof = start + len(data) >= o.size
    if eof:
        with _lock:
            _offers.get(core, {}).pop(str(download_id), None)
        o.path.unlink(missing_ok=True)
    return {"download_id": str(download_id), "offset": start, "size": o.size, "sha256": o.sha256,
            "data_b64": base64.b64encode(data).decode("ascii"), "eof": eof}


def receive_file(call: Any, download_id: str, dest: Path | str, sha256: str) -> str:
    """The seat's side: the offered file read a piece at a time through `call(operation, args)` into `dest`, kept
    only whole and with the SHA-256 the hub gave (`write_whole`). :raises Refused: not written (the reason)."""
    import hashlib

    out = Path(dest).expanduser()
    if out.is_dir():
        raise Refused(f"{out} is a folder: give a file name", "bad_path")

    def pieces() -> Iterator[bytes]:
        h = hashlib.sha256()
        offset = 0
        while True:
            r = call("download.piece", {"download_id": download_id, "offset": offset})
            data = base64.b64decode(r["data_b64"])
            h.update(data)
            offset += len(data)
            yield data
            if r["eof"] or not data:
                break
        if h.hexdigest() != sha256:
            raise Refused(f"the copy of {out.name} does not match the SHA-256 the hub gave: not kept", "damaged")

    try:
        write_whole(out, pieces())
    except OSError as exc:
        raise Refused(f"cannot write {out}: {exc.strerror or exc}", "unwritable") from None
    return str(out.resolve())
