"""Feed configuration: the feeds a console starts, declared in a TOML file.

The default file is ``feeds.toml`` in the user config folder; ``--feeds FILE`` names another.
The device bench edits it (add, remove, enable, bind) and `save()` rewrites it, so feeds
survive a restart. One ``[[feed]]`` table per feed::

    [[feed]]
    name = "boat-01 gps"
    kind = "serial"           # serial, tcp, tcp-server, udp, gpsd, file
    port = "/dev/serial/by-id/usb-u-blox_GNSS-if00"
    baud = "auto"             # or 4800, 9600 ...
    unit = "boat-01"          # every fix of this feed belongs to boat-01

    [[feed]]
    name = "river AIS"
    kind = "tcp"
    host = "10.20.0.5"
    tcp_port = 10110
    bind = { "mmsi:413801001" = "boat-01", "GP" = "boat-02" }   # by MMSI, talker, peer or device id
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dispatch.errors import Refused

log = logging.getLogger(__name__)

KINDS = ("serial", "tcp", "tcp-server", "udp", "gpsd", "file")


@dataclass
class FeedSpec:
    name: str
    kind: str
    port: str | None = None  # serial device
    baud: int | str = "auto"
    host: str | None = None  # tcp/gpsd: the host to dial; tcp-server/udp: the address to listen on
    tcp_port: int | None = None  # tcp, tcp-server, udp, gpsd (default 2947)
    path: str | None = None  # file replay
    pace: str = "original"  # file replay: "original" or "fast"
    unit: str | None = None  # bind every fix of this feed to one unit
    bind: dict[str, str] = field(default_factory=dict)  # talker / peer / source / "mmsi:N" -> unit
    enabled: bool = True
    priority: int = 0  # between two sources of one unit with equal fix quality, the higher wins

    def validate(self) -> FeedSpec:
        """:raises Refused: with what is allowed."""
        if not self.name or not self.name.strip():
            raise Refused("a feed needs a name", "bad_feed")
        if self.kind not in KINDS:
            raise Refused(f"unknown feed kind {self.kind!r}; one of {', '.join(KINDS)}", "bad_feed")
        if self.kind == "serial" and not self.port:
            raise Refused(f"serial feed {self.name!r} needs a port (e.g. /dev/ttyUSB0)", "bad_feed")
        if self.kind == "serial" and self.baud != "auto":
            try:
                self.baud = int(self.baud)
            except (TypeError, ValueError):
                raise Refused(f"feed {self.name!r}: baud must be 'auto' or a number", "bad_feed") from None
        if self.kind in ("tcp",) and not (self.host and self.tcp_port):
            raise Refused(f"tcp feed {self.name!r} needs host and tcp_port", "bad_feed")
        if self.kind in ("tcp-server", "udp") and self.tcp_port is None:
            raise Refused(f"{self.kind} feed {self.name!r} needs tcp_port (the port to listen on)", "bad_feed")
        if self.kind == "file" and not self.path:
            raise Refused(f"file feed {self.name!r} needs a path", "bad_feed")
        if self.pace not in ("original", "fast"):
            raise Refused(f"feed {self.name!r}: pace must be 'original' or 'fast'", "bad_feed")
        if self.tcp_port is not None and not (0 <= int(self.tcp_port) <= 65535):
            raise Refused(f"feed {self.name!r}: port {self.tcp_port} out of range", "bad_feed")
        return self

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None or (f.name == "bind" and not v):
                continue
            d[f.name] = dict(v) if isinstance(v, dict) else v
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeedSpec:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise Refused(f"feed {d.get('name')!r}: unknown setting {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(known))}", "bad_feed")
        if "name" not in d or "kind" not in d:
            raise Refused("every [[feed]] needs name and kind", "bad_feed")
        d = dict(d)
        d["bind"] = {str(k): str(v) for k, v in dict(d.get("bind") or {}).items()}
        return cls(**d).validate()


def default_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("liuzhou-console", appauthor=False)) / "feeds.toml"


def load(path: str | Path | None = None) -> list[FeedSpec]:
    """Feeds declared in `path` (default file if None); [] if the file does not exist.

    :raises Refused: the file is not valid TOML or declares a bad feed (says which and why).
    """
    p = Path(path) if path else default_path()
    if not p.exists():
        return []
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise Refused(f"{p}: not valid TOML: {exc}", "bad_feed_file") from None
    specs = [FeedSpec.from_dict(d) for d in data.get("feed", [])]
    names = [s.name for s in specs]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise Refused(f"{p}: feed names must be unique: {', '.join(sorted(dup))}", "bad_feed_file")
    return specs


def save(specs: list[FeedSpec], path: str | Path | None = None) -> Path:
    """Write the feeds (atomically: a crash mid-write leaves the old file)."""
    p = Path(path) if path else default_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    out = ["# Feeds of the command console. Edited by the device bench; safe to edit by hand.\n"]
    for s in specs:
        s.validate()
        out.append("\n[[feed]]\n")
        for k, v in s.as_dict().items():
            out.append(f"{_key(k)} = {_value(v)}\n")
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text("".join(out), encoding="utf-8")
    os.replace(tmp, p)
    return p


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else _str(k)


def _str(s: str) -> str:
    esc = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    esc = "".join(c if ord(c) >= 0x20 and c != "\x7f" else f"\\u{ord(c):04x}" for c in esc)
    return f'"{esc}"'


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(str(k))} = {_value(x)}" for k, x in v.items()) + " }"
    return _str(str(v))
