"""Pickled bytes this program reads back (snapshots of the state, and parts of them packed on their own):
read only through an unpickler that admits this program's own classes and plain containers.

A snapshot sits in the store beside the log; whoever can write the store could write a pickle that runs
code when read. `loads` refuses every global but the ones listed here, so a forged snapshot is an error
(and the state comes from the log), never a program.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

_SAFE_BUILTINS = {"set", "frozenset", "dict", "list", "tuple", "bytes", "bytearray", "complex", "slice", "range",
                  "object", "int", "float", "str", "bool"}
_SAFE_MODULES = ("dispatch.", "devices.", "shapely.", "collections", "datetime", "zoneinfo", "enum", "copyreg",
                 "_collections_abc", "numpy")
PROTOCOL = 5


class SafeUnpickler(pickle.Unpickler):
    """Admits only this program's classes, shapely's geometries and plain containers."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _SAFE_BUILTINS:
            return super().find_class(module, name)
        if module.startswith(_SAFE_MODULES):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a snapshot may not name {module}.{name}")


def dumps(obj: Any) -> bytes:
    return pickle.dumps(obj, protocol=PROTOCOL)


def loads(data: bytes) -> Any:
    return SafeUnpickler(io.BytesIO(data)).load()
