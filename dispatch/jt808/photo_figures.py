"""Photo figures for the gateway section (dispatch/jt808/bench_jt808_gateway.py), taken while its 5,000 terminals
report: a terminal uploads a 300 KB photo in 1023-byte packages and the time runs until the gateway's 0x8800, which
goes only once the photo is written (fsync'd) and recorded (dispatch/jt808/media.py).

- `jt808_photo_300kb_ms` (median of `PHOTOS`, `..._max` the slowest): first package sent -> 0x8800 read.
- Peer in the same run: `blob_write_300kb_ms`, `store_blob` alone writing 300 KB into the same folder (median):
  the durable write every kept photo pays, the floor of the figure above.
"""

from __future__ import annotations

import os
import socket
import time
from statistics import median
from typing import Any

from devices.jt808 import Jt808Stream, encode
from devices.jt808.location import encode as position
from dispatch.blobs import attachments_dir, store_blob

PHONE = "013988880000"
UNIT = "truck-photo-bench"
SIZE = 300 * 1024
PHOTOS = 5


def unit() -> dict[str, Any]:
    """The unit the bench's photo terminal moves (registered with the section's trucks)."""
    return {"id": UNIT, "kind": "truck", "terminal": PHONE}


def _answer(sock: socket.socket, stream: Jt808Stream, msg_id: int, deadline: float) -> Any:
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("the gateway closed the bench's photo terminal")
        for m in stream.feed(chunk):
            if getattr(getattr(m, "header", None), "msg_id", None) == msg_id:
                return m
    raise RuntimeError(f"no 0x{msg_id:04X} from the gateway within the time")


def run(gw: Any, core: Any) -> dict[str, float]:
    from datetime import UTC, datetime

    stream = Jt808Stream()
    sock = socket.create_connection((gw.address[0], gw.address[1]), timeout=10)
    try:
        sock.sendall(encode.frame(encode.AUTHENTICATE, PHONE, 1, encode.authenticate_body(gw.auth_code(PHONE))))
        ack = _answer(sock, stream, 0x8001, time.monotonic() + 10)
        if ack.result != 0:
            raise RuntimeError("the bench's photo terminal was not let in")
        serial, took = 10, []
        where = position(24.31, 109.41, datetime.now(UTC), speed=20.0)
        for i in range(1, PHOTOS + 1):
            data = b"\xff\xd8" + os.urandom(SIZE - 4) + b"\xff\xd9"
            frames = encode.frames(encode.MEDIA_UPLOAD, PHONE, serial,
                                   encode.media_upload_body(i, data, location=where))
            serial += len(frames)
            t0 = time.perf_counter()
            sock.sendall(b"".join(frames))
            while True:
                done = _answer(sock, stream, encode.MEDIA_UPLOAD_RESPONSE, time.monotonic() + 30)
                if done.media_id == i:
                    break
            took.append((time.perf_counter() - t0) * 1000)
    finally:
        sock.close()
    folder = attachments_dir(core)
    peer = []
    for _ in range(PHOTOS):
        data = os.urandom(SIZE)
        t0 = time.perf_counter()
        store_blob(folder, [data])
        peer.append((time.perf_counter() - t0) * 1000)
    return {"jt808_photo_300kb_ms": round(median(took), 1), "jt808_photo_300kb_ms_max": round(max(took), 1),
            "blob_write_300kb_ms": round(median(peer), 1)}
