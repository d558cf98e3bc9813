"""Building frozen dataclass records fast on the decoders' hot path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any


def maker(cls: type) -> Callable[..., Any]:
    """``cls(*values)`` with every field given positionally, without the frozen dataclass's
    ``__init__`` (which goes through ``object.__setattr__`` once per field): the slots are set
    through their descriptors, as `devices.records.new_fix` does. For the decoders' hot path only:
    no defaults, no checks. The function is generated once per class, unrolled."""
    names = [f.name for f in fields(cls)]
    args = ", ".join(f"a{i}" for i in range(len(names)))
    body = "".join(f"    s{i}(o, a{i})\n" for i in range(len(names)))
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    scope.update({f"s{i}": getattr(cls, name).__set__ for i, name in enumerate(names)})
    exec(f"def make({args}):\n    o = new(cls)\n{body}    return o\n", scope)  # noqa: S102 - our own text
    return scope["make"]  # type: ignore[no-any-return]
