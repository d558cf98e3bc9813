"""Errors raised by decoders and streams. Each carries the raw input that caused it."""

from __future__ import annotations

from typing import Any


class DeviceError(Exception):
    """Base of every error in devices/."""

    def __init__(self, message: str, raw: bytes | str | None = None) -> None:
        super().__init__(message)
        self.raw = raw


class ChecksumError(DeviceError):
    """The sentence's checksum does not match its body."""


class UnknownSentenceError(DeviceError):
    """A well-formed sentence of a type or talker we do not decode."""


class MalformedSentenceError(DeviceError):
    """Not a sentence at all, or a field that does not parse."""


class IncompleteMultipartError(DeviceError):
    """A multi-sentence AIS message whose fragments never all arrived."""


class LineTooLongError(DeviceError):
    """A peer sent a line longer than the framing limit; it was discarded."""


class FrameError(MalformedSentenceError):
    """A binary frame (JT/T 808) that does not hold together. ``header`` is the frame's parsed header
    when it could be read (so a platform can still answer the terminal), else None."""

    code = "malformed"

    def __init__(self, message: str, raw: bytes | str | None = None, header: Any = None) -> None:
        super().__init__(message, raw)
        self.header = header


class BadEscapeError(FrameError):
    """0x7D not followed by 0x01 or 0x02 inside a 0x7E-delimited frame."""

    code = "bad_escape"


class TruncatedFrameError(FrameError):
    """A frame that ends before its header does, or a stream that ends inside a frame."""

    code = "truncated"


class BodyLengthError(FrameError):
    """The body length in the header disagrees with the bytes the frame carries."""

    code = "length"


class BodyError(FrameError):
    """A body too short for its message's fields, or a field that does not parse (bad BCD...)."""

    code = "malformed"


class FrameChecksumError(ChecksumError):
    """The XOR check code of a binary frame does not match its header and body."""

    code = "checksum"

    def __init__(self, message: str, raw: bytes | str | None = None, header: Any = None) -> None:
        super().__init__(message, raw)
        self.header = header


class FrameTooLongError(LineTooLongError):
    """A frame longer than its protocol allows; it was discarded."""

    code = "too_long"


class UnknownMessageError(UnknownSentenceError):
    """A well-formed binary frame of a message id we do not decode (``header`` says which)."""

    code = "unknown"

    def __init__(self, message: str, raw: bytes | str | None = None, header: Any = None) -> None:
        super().__init__(message, raw)
        self.header = header


class EncryptedMessageError(UnknownMessageError):
    """A frame whose body is encrypted (JT/T 808 RSA): well-formed, but not readable here."""

    code = "encrypted"


class TransportError(DeviceError):
    """A transport could not be opened or was lost (cable pulled, peer gone)."""


def count(counters: Any, exc: DeviceError) -> None:
    """Add a refused line to its counter: `checksum_errors`, `unknown`, `too_long` (where `counters`
    has it) or `malformed` (anything else)."""
    if isinstance(exc, ChecksumError):
        counters.checksum_errors += 1
    elif isinstance(exc, UnknownSentenceError):
        counters.unknown += 1
    elif isinstance(exc, LineTooLongError) and hasattr(counters, "too_long"):
        counters.too_long += 1
    else:
        counters.malformed += 1


REFUSED = (ChecksumError, UnknownSentenceError, MalformedSentenceError)  # what a decoder counts and re-raises
