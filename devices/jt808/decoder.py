"""Frames to messages: `decode_frame` for one frame, `Jt808Stream` for a terminal's byte stream.

`decode_frame` raises a typed `devices.errors.DeviceError` for anything it cannot read. A 0x7D that is
not an escape (``7D 01``, ``7D 02``) is read as itself when the frame's check code then agrees: terminals
that escape only 0x7E exist (a terminal number with a 0x7D byte, a vendor item), and the check code, not
the escape, is what guards the content; otherwise it is a `BadEscapeError`. Terminals that escape nothing
exist too (seen in other platforms' captures from the field): a ``7D 01`` of their content is its two bytes,
taken so when the escaped reading's check code fails and both the check code and the header's body length
agree with the bytes as they came; a bare 0x7E of their content cuts the frame on the wire, and the stream
joins the pieces again (`Jt808Stream._held_takes`) when together they are as long as the first one's header
says. A frame no reading fits is refused as before. The stream
never raises: it returns each error among the messages (pynmea2's ``errors='yield'``), counts it,
and carries on with the next frame; sub-packages come back as `Fragment`s (so that a platform can
answer each) and the whole message once its last package is in.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from devices.errors import BadEscapeError, DeviceError, FrameChecksumError, FrameError, TruncatedFrameError
from devices.jt808 import header as _header
from devices.jt808.areas import AreaMessage
from devices.jt808.assembler import Assembler
from devices.jt808.bodies import DECODERS, decode_body
from devices.jt808.extra import ExtraMessage
from devices.jt808.framing import MAX_CONTENT as _MAX_CONTENT
from devices.jt808.framing import MAX_ESCAPED as _MAX_ESCAPED
from devices.jt808.framing import (
    MIN_CONTENT,
    FrameSplitter,
    announced_sizes,
    check_and_strip,
    read_unescaped,
    too_long_error,
    unescape,
    unescape_literal,
    xor,
    xor_each,
)
from devices.jt808.header import Header
from devices.jt808.messages import Fragment
from devices.jt808.messages import Message as _Message
from devices.jt808.more import MoreMessage

Message = _Message | MoreMessage | ExtraMessage | AreaMessage  # every record a frame decodes to
_FLAG = 0x7E
_BATCH = 8  # frames in one read from which the check codes are computed together


def parse_frame(frame: bytes) -> tuple[Header, bytes]:
    """Header and body of one frame (with or without its 0x7E flags, still escaped).

    :raises BadEscapeError, FrameChecksumError, TruncatedFrameError, BodyLengthError, BodyError:
    """
    content = _content(frame)
    try:
        return _header.parse(check_and_strip(content))
    except FrameChecksumError:
        inner = _flagless(frame)
        as_sent = read_unescaped(inner) if content != inner else None
        if as_sent is None:
            raise
        return _header.parse(as_sent[:-1])  # nothing escaped: its ``7D 01`` are its own bytes


def _flagless(frame: bytes) -> bytes:
    if frame[:1] == b"\x7e":
        frame = frame[1:]
    return frame[:-1] if frame[-1:] == b"\x7e" else frame


def _content(frame: bytes) -> bytes:
    """Header, body and check code of a frame: flags removed, unescaped, no longer than the standard allows."""
    frame = _flagless(frame)
    try:
        content = unescape(frame)
    except BadEscapeError:
        content = unescape_literal(frame)  # a terminal that does not escape 0x7D: the check code decides
        if len(content) < MIN_CONTENT or xor(content) != 0:
            if read_unescaped(frame) is None:
                raise
            content = frame
    if len(content) > _MAX_CONTENT:
        raise too_long_error(len(content))
    return content


def decode_frame(frame: bytes) -> Message:
    """The message of one frame; a sub-package comes back as a `Fragment`.

    :raises DeviceError: a subclass naming what is wrong (see `parse_frame`, `decode_body`).
    """
    h, body = parse_frame(frame)
    if h.packages > 1:
        return Fragment(h, body)
    return decode_body(h, body)


def decode_hex(line: str) -> Message:
    """A frame written in hex (spaces allowed), as captures and other projects' tests print them."""
    try:
        raw = bytes.fromhex(line)
    except ValueError as exc:
        raise FrameError(f"not hex: {exc}", raw=line) from None
    return decode_frame(raw)


@dataclass
class StreamCounters:
    frames: int = 0  # frames cut from the stream, good or bad
    messages: int = 0  # messages decoded (a split message counts once, when whole)
    checksum_errors: int = 0
    bad_escapes: int = 0
    truncated: int = 0
    too_long: int = 0
    length_errors: int = 0  # body length in the header disagrees with the frame
    unknown: int = 0  # message ids not decoded here (and encrypted bodies)
    malformed: int = 0  # bodies that do not fit their message
    incomplete: int = 0  # split messages whose packages never all came
    garbage: int = 0  # bytes outside any frame
    by_id: Counter[int] = field(default_factory=Counter)

    @property
    def errors(self) -> int:
        return (self.checksum_errors + self.bad_escapes + self.truncated + self.too_long + self.length_errors
                + self.unknown + self.malformed)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {k: getattr(self, k) for k in (
            "frames", "messages", "checksum_errors", "bad_escapes", "truncated", "too_long", "length_errors",
            "unknown", "malformed", "incomplete", "garbage")}
        out["by_id"] = {f"0x{k:04X}": v for k, v in sorted(self.by_id.items())}
        return out


_COUNTER_OF = {"checksum": "checksum_errors", "bad_escape": "bad_escapes", "truncated": "truncated",
               "too_long": "too_long", "length": "length_errors", "unknown": "unknown", "encrypted": "unknown"}


def count_error(counters: StreamCounters, exc: DeviceError) -> None:
    name = _COUNTER_OF.get(getattr(exc, "code", ""), "malformed")
    setattr(counters, name, getattr(counters, name) + 1)


def _cut_short(frame: bytes, exc: DeviceError) -> bool:
    """Whether ``frame``, refused with ``exc``, may be the first piece of a frame cut at a 0x7E its terminal did
    not escape: refused for its check code, its length or as too short, and shorter than its header says."""
    if getattr(exc, "code", "") not in ("checksum", "length", "truncated"):
        return False
    content = unescape_literal(frame)
    sizes = announced_sizes(content)
    return bool(sizes) and len(content) < min(sizes) <= _MAX_CONTENT


def described(exc: DeviceError) -> str:
    """A frame's error in a few characters: its header's id and serial if it had one, and its code."""
    h = getattr(exc, "header", None)
    head = f"0x{h.msg_id:04X} #{h.serial} " if h is not None else ""
    return f"{head}<{getattr(exc, 'code', type(exc).__name__)}>"


def _error_of(held: bytes, first: DeviceError) -> DeviceError:
    """The error of a piece held for its rest, with every byte held: it may have grown after ``first``."""
    try:
        parse_frame(held)
    except DeviceError as exc:
        return exc
    return first


def _checks_alone(frame: bytes) -> bool:
    """Whether ``frame``'s check code agrees on its own: then it is a frame, not the rest of another."""
    try:
        check_and_strip(_content(frame))
    except DeviceError:
        return False
    return True


class Jt808Stream:
    """One terminal's (or one capture's) bytes in, messages and errors out.

    >>> from devices.jt808 import encode
    >>> s = Jt808Stream()
    >>> [type(m).__name__ for m in s.feed(encode.heartbeat("013912345678", 1))]
    ['Heartbeat']
    """

    def __init__(self, source: str = "", *, clock: Callable[[], float] = time.monotonic,
                 reassembly_timeout: float = 60.0) -> None:
        self.source = source
        self.counters = StreamCounters()
        self.splitter = FrameSplitter()
        self.assembler = Assembler(timeout=reassembly_timeout, clock=clock)
        self.tap: Callable[[bytes], None] | None = None  # called with each frame cut (escaped, no flags)
        # called when pieces cut at a 0x7E their terminal did not escape are read as one frame: with the pieces
        # joined (escaped, the 0x7E between them, no flags) and what they made ("0x0200 #12", or "<code>")
        self.tap_joined: Callable[[bytes, str], None] | None = None
        # a frame cut short by a 0x7E its terminal did not escape, with its error: see `_held_takes`
        self._held: tuple[bytes, DeviceError] | None = None

    @property
    def pending(self) -> int:
        """Bytes held for a frame not yet ended (a piece held for its rest among them)."""
        return self.splitter.pending + (len(self._held[0]) if self._held is not None else 0)

    @property
    def in_frame(self) -> bool:
        """Inside a frame: bytes of one have come and its end has not (or its rest, for a piece held)."""
        return self.splitter.in_frame or self._held is not None

    def feed(self, chunk: bytes) -> list[Message | DeviceError]:
        sp = self.splitter
        frames = sp.feed(chunk)
        if self.tap is not None:
            for f in frames:
                if f is not None:
                    self.tap(f)
        out: list[Message | DeviceError] = []
        c = self.counters
        if len(frames) < _BATCH:
            for frame in frames:
                self._frame(frame, out)
        else:
            self._batch(frames, out)
        c.garbage = sp.garbage
        if len(self.assembler):
            self.assembler.expire()
            c.incomplete = self.assembler.incomplete
        return out

    def frame(self, frame: bytes) -> list[Message | DeviceError]:
        """Decode one frame given whole (with or without flags), counting it as the stream does."""
        out: list[Message | DeviceError] = []
        self._frame(frame, out)
        return out

    def _batch(self, frames: list[bytes | None], out: list[Message | DeviceError]) -> None:
        """Many frames at once: every check code in one numpy pass (`xor_each`), then each frame."""
        contents: list[bytes] = []
        for frame in frames:
            if frame is None:
                contents.append(b"")
                continue
            try:
                content = unescape(frame)
            except DeviceError:
                content = b""  # _frame reports it
            contents.append(content if len(content) >= MIN_CONTENT else b"")
        checks = xor_each([c or b"\x01" for c in contents])
        for frame, content, check in zip(frames, contents, checks, strict=True):
            if content and check == 0 and len(content) <= _MAX_CONTENT and frame is not None:
                self._frame(frame, out, content[:-1])
            else:
                self._frame(frame, out)

    def _frame(self, frame: bytes | None, out: list[Message | DeviceError], checked: bytes | None = None) -> None:
        """Append what ``frame`` gives: a message, an error, or for a sub-package its `Fragment`
        and, after the last one, the joined message. ``checked``: its header and body, already
        unescaped and checked. None: a frame the splitter dropped as too long."""
        if self._held is not None and self._held_takes(frame, checked, out):
            return
        c = self.counters
        c.frames += 1
        if frame is None:
            c.too_long += 1
            out.append(too_long_error())
            return
        try:
            h, body = _header.parse(checked) if checked is not None else parse_frame(frame)
        except DeviceError as exc:
            if _cut_short(frame, exc):
                self._held = (frame, exc)  # the rest may follow the flag: counted once it is known
                return
            count_error(c, exc)
            out.append(exc)
            return
        self._message(h, body, out)

    def _held_takes(self, frame: bytes | None, checked: bytes | None, out: list[Message | DeviceError]) -> bool:
        """A terminal that does not escape 0x7E inside a frame: the splitter cut it at that byte, and the piece
        before it is shorter than its header says (`_cut_short`). It was held; it and ``frame`` after the
        0x7E taken back are one frame when that is as long as the header says, read (its check code
        checked) or refused whole (True: ``frame`` was its rest); kept when still shorter. Otherwise the
        held piece is refused (False: ``frame`` is read on its own). A frame whose check code agrees on its
        own is never anyone's rest."""
        held, err = self._held  # type: ignore[misc]
        if frame is not None and checked is None and not _checks_alone(frame):
            joined = held + b"\x7e" + frame
            content = unescape_literal(joined)
            sizes = announced_sizes(content)  # the held piece's header: the joined frame begins with it
            if len(content) < min(sizes) and len(joined) <= _MAX_ESCAPED:
                self._held = (joined, err)
                return True
            if len(content) in sizes:  # as long as announced: one frame, good or not
                self._held = None
                try:
                    h, body = parse_frame(joined)
                except DeviceError as exc:
                    self._joined(joined, described(exc))
                    self._give_error(exc, out)
                else:
                    self._joined(joined, f"0x{h.msg_id:04X} #{h.serial}")
                    self._message(h, body, out)
                return True
        self._held = None
        self._give_error(_error_of(held, err), out)
        return False

    def _joined(self, joined: bytes, what: str) -> None:
        if self.tap_joined is not None:
            self.tap_joined(joined, what)

    def _give_error(self, exc: DeviceError, out: list[Message | DeviceError]) -> None:
        count_error(self.counters, exc)  # its frame was counted when it was cut
        out.append(exc)

    def _message(self, h: Header, body: bytes, out: list[Message | DeviceError]) -> None:
        """Append the message of a checked frame's header and body (for a sub-package its `Fragment` and,
        after the last one, the joined message), or its error."""
        c = self.counters
        try:
            if h.packages > 1:
                if h.msg_id not in DECODERS:
                    decode_body(h, b"")  # raises UnknownMessageError: no reason to hold its packages
                joined = self.assembler.push(h, body)
                c.incomplete = self.assembler.incomplete
                out.append(Fragment(h, body))
                if joined is None:
                    return
                h, body = joined
            msg = decode_body(h, body)
        except DeviceError as exc:
            count_error(c, exc)
            out.append(exc)
            return
        c.messages += 1
        c.by_id[h.msg_id] += 1
        out.append(msg)

    def close(self) -> list[Message | DeviceError]:
        """End of stream: a piece held for its rest gives its error, a frame left open is a `TruncatedFrameError`."""
        out: list[Message | DeviceError] = []
        if self._held is not None:
            (held, err), self._held = self._held, None
            self._give_error(_error_of(held, err), out)
        rest = self.splitter.close()
        self.assembler.expire(float("inf"))
        self.counters.incomplete = self.assembler.incomplete
        if not rest:
            return out
        self.counters.frames += 1
        self.counters.truncated += 1
        out.append(TruncatedFrameError(f"stream ended inside a frame ({len(rest)} bytes, no end flag)", raw=rest))
        return out
