"""Files a seat sends the hub in pieces: a phone's photo or a body camera's clip is larger than one control request
(dispatch/hub/control.py: MAX_REQUEST_BYTES), and no seat names a file of the hub's machine by its path
(docs/permissions.md). ``upload.piece`` appends a piece to a part file beside the blobs, in order, for the operator
who began it; the operation that takes the file (``incident.attach``, ``case.evidence``, ``evidence.add``) is then
given the ``upload_id`` instead of a path and keeps the file as it keeps any other (hashed into the blobs, recorded
as its event). Nothing of an upload is in the log until then: a part file not taken within `STALE_S` of its last
piece, or left by a hub that stopped, is removed."""

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

from dispatch.blobs import MAX_BYTES, attachments_dir
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


def _table(core: Any) -> dict[str, Upload]:
    t = _uploads.get(core)
    if t is None:
        t = _uploads[core] = {}
    return t


def _purge(core: Any, table: dict[str, Upload], now: float) -> None:
    """Uploads untouched for STALE_S dropped, and part files no upload owns (a hub that stopped) removed."""
    for uid in [u for u, up in table.items() if now - up.touched > STALE_S]:
        table.pop(uid).path.unlink(missing_ok=True)
    folder = attachments_dir(core) / FOLDER
    if folder.is_dir():
        owned = {up.path.name for up in table.values()}
        for part in folder.glob("*.part"):
            try:
                if part.name not in owned and time.time() - part.stat().st_mtime > STALE_S:
                    part.unlink()
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
    now = time.monotonic()
    with _lock:
        table = _table(core)
        _purge(core, table, now)
        if upload_id is None:
            if int(offset) != 0:
                raise Refused("a new upload begins at offset 0", "upload_out_of_step")
            if sum(1 for u in table.values() if u.actor == actor) >= OPEN_PER_OPERATOR:
                raise Refused(f"{OPEN_PER_OPERATOR} uploads of yours are under way: finish one (or wait "
                              f"{STALE_S / 60:.0f} min for an abandoned one to be given up)", "too_many_uploads")
            folder = attachments_dir(core) / FOLDER
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
            if int(offset) != up.size:
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
        up.complete = bool(complete)
        return {"upload_id": uid, "size": up.size, "complete": up.complete}


@contextmanager
def taken(core: Any, actor: str, upload_id: str) -> Iterator[Path]:
    """The complete upload's part file for the operation that keeps it, by the operator who sent it; removed once
    that operation is done, kept or refused. :raises Refused: unknown, someone else's or incomplete."""
    with _lock:
        up = _table(core).get(str(upload_id))
        if up is None or up.actor != actor:
            raise Refused(f"no upload {str(upload_id)[:12]}… of yours: send the file again", "upload_unknown")
        if not up.complete:
            raise Refused(f"the upload has {up.size} bytes and is not complete: send its last piece", "upload_incomplete")
        _table(core).pop(str(upload_id))
    try:
        yield up.path
    finally:
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
