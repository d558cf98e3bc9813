"""JT/T 808 framing: 0x7E flags, 0x7D escapes, the XOR check code, and cutting a byte stream into frames.

A frame on the wire is ``7E | escaped(header + body + check) | 7E``. Inside the flags 0x7E is sent
as ``7D 02`` and 0x7D as ``7D 01``; the check code is the XOR of every header and body byte
(before escaping). `FrameSplitter` cuts a TCP stream at the flags: a flag both ends a frame and
may start the next (terminals that share one flag between frames are read as well as those that
send two), bytes before the first flag are garbage, and a frame that grows past the standard's
size is dropped up to its next flag without ever being buffered whole.
"""

from __future__ import annotations

import numpy as np

from devices.errors import BadEscapeError, FrameChecksumError, FrameTooLongError, TruncatedFrameError

FLAG = 0x7E
ESC = 0x7D
_FLAG_B = b"\x7e"
_ESC_B = b"\x7d"

MAX_BODY = 1023  # the body length field has 10 bits
MAX_HEADER = 21  # 2019 header with the sub-package items: id 2, attributes 2, version 1, phone 10, serial 2, 4
MAX_CONTENT = MAX_HEADER + MAX_BODY + 1  # header + body + check code, unescaped
MAX_ESCAPED = 2 * MAX_CONTENT  # every byte escaped: the most a frame can take between its flags
MIN_CONTENT = 12 + 1  # a 2013 header and its check code, empty body


def escape(content: bytes) -> bytes:
    """Escape ``content`` (header + body + check) for the wire, without the flags."""
    if FLAG in content or ESC in content:
        return content.replace(_ESC_B, b"\x7d\x01").replace(_FLAG_B, b"\x7d\x02")
    return content


def unescape(data: bytes) -> bytes:
    """Undo `escape`. :raises BadEscapeError: a 0x7D not followed by 0x01 or 0x02."""
    if ESC not in data:
        return data
    ones = data.count(b"\x7d\x01")
    twos = data.count(b"\x7d\x02")
    if ones + twos != data.count(_ESC_B):
        at = _first_bad_escape(data)
        raise BadEscapeError(f"0x7D at byte {at} not followed by 0x01 or 0x02", raw=bytes(data))
    if twos:
        data = data.replace(b"\x7d\x02", _FLAG_B)
    if ones:
        data = data.replace(b"\x7d\x01", _ESC_B)
    return data


def unescape_literal(data: bytes) -> bytes:
    """`unescape` for a terminal that does not escape 0x7D: ``7D 01`` and ``7D 02`` are undone, any other
    0x7D is taken as itself. Only the check code can tell whether that reading is the terminal's."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        j = data.find(_ESC_B, i)
        if j < 0:
            out += data[i:]
            break
        out += data[i:j]
        nxt = data[j + 1] if j + 1 < n else None
        if nxt == 1 or nxt == 2:
            out.append(ESC if nxt == 1 else FLAG)
            i = j + 2
        else:
            out.append(ESC)
            i = j + 1
    return bytes(out)


def announced_sizes(content: bytes) -> tuple[int, ...]:
    """The sizes of unescaped header + body + check code that ``content``'s header announces: with a 2013
    header and, when the version flag is set, with a 2019 one (some 2013 terminals set that bit; see
    `devices.jt808.header`). Empty when its first four bytes (id, attributes) are not all there."""
    if len(content) < 4:
        return ()
    attrs = int.from_bytes(content[2:4], "big")
    rest = (attrs & 0x03FF) + (4 if attrs & 0x2000 else 0) + 1  # body, sub-package items, check code
    return (12 + rest, 17 + rest) if attrs & 0x4000 else (12 + rest,)


def read_unescaped(frame: bytes) -> bytes | None:
    """``frame`` (flags removed) as its bytes came, for a terminal that escapes nothing: its content holds a
    0x7D, even as ``7D 01``, that is its own byte. Only when both the check code and the header's body length
    agree with the bytes read that way (each is checked elsewhere on its own); None otherwise."""
    if len(frame) >= MIN_CONTENT and xor(frame) == 0 and len(frame) in announced_sizes(frame):
        return frame
    return None


def _first_bad_escape(data: bytes) -> int:
    i = data.find(_ESC_B)
    while i >= 0:
        if i + 1 >= len(data) or data[i + 1] not in (1, 2):
            return i
        i = data.find(_ESC_B, i + 2)
    return -1


def xor(data: bytes) -> int:
    """The XOR of every byte of ``data`` (0 for no bytes).

    Folds the bytes as one integer: XOR-ing its two byte-aligned halves keeps the XOR of all the
    bytes, so a frame of n bytes takes log2(n) big-integer steps instead of n Python steps.
    """
    n = len(data)
    if n == 0:
        return 0
    v = int.from_bytes(data, "little")
    while n > 1:
        half = (n + 1) >> 1
        bits = half << 3
        v = (v & ((1 << bits) - 1)) ^ (v >> bits)
        n = half
    return v


def xor_each(contents: list[bytes]) -> list[int]:
    """`xor` of each of ``contents`` (none empty) in one numpy pass: a frame with its check code
    XORs to 0. For a stream's batch of frames, where a Python step per frame costs more than this."""
    sizes = np.fromiter(map(len, contents), dtype=np.int64, count=len(contents))
    starts = np.zeros(len(contents), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    data = np.frombuffer(b"".join(contents), dtype=np.uint8)
    return np.bitwise_xor.reduceat(data, starts).tolist()  # type: ignore[no-any-return]


def check_and_strip(content: bytes) -> bytes:
    """``header + body`` of unescaped ``content`` whose last byte is its check code.

    :raises TruncatedFrameError: too short to hold a header.
    :raises FrameChecksumError: the check code does not match.
    """
    if len(content) < MIN_CONTENT:
        raise TruncatedFrameError(f"frame of {len(content)} bytes: shorter than a header and check code",
                                  raw=bytes(content))
    payload = content[:-1]
    want = content[-1]
    got = xor(payload)
    if got != want:
        raise FrameChecksumError(f"check code {want:02X}, computed {got:02X}", raw=bytes(content))
    return payload


def wrap(payload: bytes) -> bytes:
    """A whole frame for the wire: flags around escaped ``header + body`` and its check code."""
    return _FLAG_B + escape(payload + bytes((xor(payload),))) + _FLAG_B


class FrameSplitter:
    """Cut a byte stream into frame contents (still escaped, flags removed); None in their place for
    a frame dropped for its length.

    >>> s = FrameSplitter()
    >>> s.feed(b"junk\\x7e\\x00\\x02\\x7e\\x7e\\x01"), s.feed(b"\\x02\\x7e")
    ([b'\\x00\\x02'], [b'\\x01\\x02'])
    >>> s.garbage
    4
    """

    def __init__(self, max_escaped: int = MAX_ESCAPED) -> None:
        self.max_escaped = max_escaped
        self.garbage = 0  # bytes outside any frame (before the first flag, or of dropped frames)
        self.too_long = 0  # frames dropped for their length
        self._buf = b""
        self._in_frame = False  # a start flag was seen: _buf holds the frame's bytes so far
        self._skipping = False  # inside an over-long frame: drop up to the next flag

    @property
    def pending(self) -> int:
        """Bytes held for a frame not yet ended."""
        return len(self._buf)

    @property
    def in_frame(self) -> bool:
        return self._in_frame and bool(self._buf)

    def feed(self, chunk: bytes) -> list[bytes | None]:
        """Add bytes; return the contents of the frames they end (empty contents skipped), None for
        each frame dropped as too long."""
        data = self._buf + chunk if self._buf else chunk
        self._buf = b""
        pos = 0
        if self._skipping or not self._in_frame:
            i = data.find(_FLAG_B)
            if i < 0:
                self.garbage += 0 if self._skipping else len(data)
                return []
            if not self._skipping:
                self.garbage += i
            self._skipping = False
            self._in_frame = True
            pos = i + 1
        out: list[bytes | None] = []
        limit = self.max_escaped
        find = data.find
        while True:
            j = find(_FLAG_B, pos)
            if j < 0:
                break
            if j > pos:
                if j - pos > limit:
                    self.too_long += 1
                    out.append(None)
                else:
                    out.append(data[pos:j])
            pos = j + 1
        rest = data[pos:]
        if len(rest) > limit:
            self.too_long += 1
            out.append(None)
            self._skipping = True
            self._in_frame = False
        else:
            self._buf = rest
        return out

    def close(self) -> bytes:
        """End of stream: the bytes of a frame that never ended (b"" if none)."""
        rest, self._buf = self._buf, b""
        self._in_frame = self._skipping = False
        return rest


def too_long_error(length: int | None = None) -> FrameTooLongError:
    what = f"{length} bytes" if length is not None else f"over {MAX_ESCAPED} bytes"
    return FrameTooLongError(f"frame of {what}: longer than the standard allows ({MAX_CONTENT} unescaped)")
