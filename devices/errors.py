"""Errors raised by decoders and streams. Each carries the raw input that caused it."""

from __future__ import annotations


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
