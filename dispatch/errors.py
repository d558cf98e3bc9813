"""Errors of the core. A `Refused` is a command the rules do not allow; nothing was stored."""

from __future__ import annotations


class DispatchError(Exception):
    """Base of the core's errors."""


class Refused(DispatchError):
    """A command was refused: illegal transition, unknown unit, unit busy... Nothing was stored.

    `code` is a stable snake_case word for scripts; the message says what is allowed instead.
    """

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


class NotFound(Refused):
    def __init__(self, message: str) -> None:
        super().__init__(message, "not_found")
