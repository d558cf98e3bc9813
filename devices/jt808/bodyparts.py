"""What the body decoders share (`devices.jt808.bodies`, `devices.jt808.more`): the length check that makes
a short body a `BodyError`, and a position read from inside a body with the message's header on its error."""

from __future__ import annotations

from devices.errors import BodyError
from devices.jt808 import location
from devices.jt808.header import Header


def need(header: Header, body: bytes, size: int, what: str) -> None:
    """:raises BodyError: ``body`` shorter than ``size`` bytes (``what``: the message, for the error)."""
    if len(body) < size:
        raise BodyError(f"0x{header.msg_id:04X} {what}: body of {len(body)} bytes, needs {size}",
                        raw=bytes(body), header=header)


def location_at(h: Header, body: bytes, start: int, end: int) -> location.Location:
    """The position in ``body[start:end]`` (a 0x0200 body: 28 fixed bytes, then additional items).
    :raises BodyError: fewer than 28 bytes, with ``h`` as its header."""
    try:
        return location.decode(body, start, end)
    except BodyError as exc:
        exc.header = h
        raise
