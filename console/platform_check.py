"""Before the window opens on an X11 desktop: can Qt's xcb platform plugin load?

Qt's wheel brings its own libraries but not the X11 ones its xcb plugin links against
(libxcb-icccm4, libxcb-keysyms1, libxcb-cursor0...). When one is missing, Qt prints "could not
load the Qt platform plugin xcb" and aborts without naming it. This reads the plugin's needed
libraries from its ELF header, tries each the way the dynamic loader would, and names the ones
that are not there with the Debian/Ubuntu package that has each.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from pathlib import Path

SHT_DYNAMIC = 6
DT_NULL, DT_NEEDED = 0, 1


class NotElf(ValueError):
    pass


def needed_libraries(path: str | Path) -> list[str]:
    """The DT_NEEDED entries of an ELF shared object or program, in order.

    :raises NotElf: not an ELF file, or one without a readable dynamic section.
    :raises OSError: the file cannot be read.
    """
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or len(data) < 64:
        raise NotElf(f"{path}: not an ELF file")
    bits = {1: 32, 2: 64}.get(data[4])
    end = {1: "<", 2: ">"}.get(data[5])
    if bits is None or end is None:
        raise NotElf(f"{path}: unknown ELF class or byte order")
    try:
        if bits == 64:
            shoff, = struct.unpack_from(end + "Q", data, 0x28)
            shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
            sh_fmt, dyn_fmt = end + "IIQQQQIIQQ", end + "qQ"
        else:
            shoff, = struct.unpack_from(end + "I", data, 0x20)
            shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
            sh_fmt, dyn_fmt = end + "IIIIIIIIII", end + "iI"
        sections = [struct.unpack_from(sh_fmt, data, shoff + i * shentsize) for i in range(shnum)]
        out: list[str] = []
        for _name, sh_type, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
            if sh_type != SHT_DYNAMIC:
                continue
            strtab = sections[link]
            str_off = strtab[4]
            step = entsize or struct.calcsize(dyn_fmt)
            for pos in range(offset, offset + size, step):
                tag, value = struct.unpack_from(dyn_fmt, data, pos)
                if tag == DT_NULL:
                    break
                if tag == DT_NEEDED:
                    start = str_off + value
                    out.append(data[start:data.index(b"\0", start)].decode("utf-8", "replace"))
        return out
    except (struct.error, IndexError, ValueError) as exc:
        raise NotElf(f"{path}: damaged ELF headers ({exc})") from exc


def missing_libraries(path: str | Path, own_dir: str | Path | None = None) -> list[str]:
    """The libraries `path` needs that the dynamic loader cannot find.

    Libraries found in `own_dir` (Qt's own, reached through the plugin's RUNPATH) are followed
    into; every other one is loaded by its name from the system's search path.
    """
    own = Path(own_dir) if own_dir is not None else None
    missing: list[str] = []
    seen: set[str] = set()
    todo = [Path(path)]
    while todo:
        for name in needed_libraries(todo.pop()):
            if name in seen:
                continue
            seen.add(name)
            if own is not None and (own / name).exists():
                todo.append(own / name)
                continue
            try:
                ctypes.CDLL(name, mode=os.RTLD_LAZY | os.RTLD_LOCAL)
            except OSError:
                missing.append(name)
    return missing


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships a library: libxcb-icccm.so.4 -> libxcb-icccm4."""
    base, _, version = soname.partition(".so.")
    base = base.lower()
    if not version:
        return base
    major = version.split(".")[0]
    return f"{base}-{major}" if base[-1:].isdigit() else f"{base}{major}"


def uses_xcb() -> bool:
    """Will Qt pick its xcb (X11) plugin? Linux with an X display and no other platform asked for."""
    if sys.platform != "linux" or not os.environ.get("DISPLAY"):
        return False
    asked = os.environ.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(";")[0].split(":")[0] == "xcb"
    return not (os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE") == "wayland")


def xcb_missing() -> list[str]:
    """The libraries Qt's xcb plugin needs and this system lacks ([] when it can load, or cannot be told)."""
    try:
        from PySide6.QtCore import QLibraryInfo

        plugin = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"
        libs = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.LibrariesPath))
        if not plugin.exists():
            return []
        return missing_libraries(plugin, libs)
    except (OSError, NotElf):
        return []


def xcb_message(missing: list[str], translate=lambda s: s) -> str:  # type: ignore[no-untyped-def]
    """What to tell the user: which libraries, and the command that installs them."""
    packages = " ".join(dict.fromkeys(debian_package(m) for m in missing))
    return (translate("Qt's X11 (xcb) platform plugin cannot load; missing: %1. Install them, e.g.: %2")
            .replace("%1", ", ".join(missing)).replace("%2", f"sudo apt install {packages}"))
