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
