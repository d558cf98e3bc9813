"""Files the program hands to people (a shift report, a replay export, a case dossier): written whole under a
temporary name beside the destination and renamed over it, so a reader never sees half a file, and created
as any file the user makes is: mode 0666 less the user's umask (usually 0644).

`tempfile.mkstemp` would make them 0600, readable by their writer alone: a shift lead's report saved to the
bureau's shared folder would then open for nobody else. The store's own files (attachments, recordings) are
not written here: they stay the store's.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def temp_beside(dest: Path | str, prefix: str = ".tmp-", suffix: str = ".tmp") -> tuple[int, str]:
    """(fd open for writing, path) of a new, empty file in `dest`'s folder, mode 0666 less the umask. The
    caller writes it and renames it over `dest` (`os.replace`), or removes it. Raises OSError."""
    folder = Path(dest).parent
    for _ in range(100):
        path = str(folder / f"{prefix}{secrets.token_hex(6)}{suffix}")
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def write_whole(dest: Path | str, data: bytes) -> None:
    """`data` as the file `dest`, whole or not at all (see the module's docstring). Raises OSError."""
    fd, tmp = temp_beside(dest, prefix=f".{Path(dest).name}-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
