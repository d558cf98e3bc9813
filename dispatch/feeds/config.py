"""Feed configuration: the feeds a console starts, declared in a TOML file.

The default file is ``feeds.toml`` in the user config folder; ``--feeds FILE`` names another.
The device bench edits it (add, edit, remove, enable, bind) and `save()` rewrites it, so feeds
survive a restart. The checks of an edit live here, not in the widgets: `plan_edit` (settings,
a clashing name, what the change needs: a restart or not) and `check_bindings` (the per-source
``bind`` table from rows of kind, value and unit; `binding_key` / `split_key` map a row to its
key and back). Refusals are `FeedRefused`, whose template the console translates.
One ``[[feed]]`` table per feed::

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
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dispatch.errors import Refused

log = logging.getLogger(__name__)

KINDS = ("serial", "tcp", "tcp-server", "udp", "gpsd", "file")
# What a feed's settings are made of: a change to one of these needs a new transport (the feed
# restarts); the rest (name, unit, bind, priority) is applied to the running feed.
TRANSPORT_FIELDS = ("kind", "port", "baud", "host", "tcp_port", "path", "pace")
# How a `bind` key matches (see dispatch.feeds.FeedManager._unit_for): the talker of NMEA
# sentences, an AIS MMSI ("mmsi:" + 9 digits), the peer's address (host or host:port) or a
# device id (the device gpsd names, or a record's whole source key).
BINDING_KINDS = ("talker", "mmsi", "peer", "device")


def fill(template: str, args: tuple[Any, ...]) -> str:
    """``%1``, ``%2``... replaced by the args (the placeholders Qt's translations use)."""
    out = template
    for i in range(len(args), 0, -1):  # %10 before %1
        out = out.replace(f"%{i}", str(args[i - 1]))
    return out


ROW_PREFIX = "Row %1: "  # before the message of a refused binding row


class FeedRefused(Refused):
    """A feed setting or binding refused; `template` and `params` let a console show it translated.

    :ivar field: the setting at fault ("name", "port"... or "bind"), for the form to point at.
    :ivar row: the 0-based row of the bindings table at fault, if a binding (the message starts
        with `ROW_PREFIX` then; the template does not).
    """

    def __init__(self, template: str, *args: Any, code: str = "bad_feed", field: str | None = None,
                 row: int | None = None) -> None:
        prefix = "" if row is None else fill(ROW_PREFIX, (row + 1,))
        super().__init__(prefix + fill(template, args), code)
        self.template = template
        self.params = args
        self.field = field
        self.row = row


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
        """:raises FeedRefused: with what is allowed."""
        if not self.name or not self.name.strip():
            raise FeedRefused("A feed needs a name", field="name")
        if self.kind not in KINDS:
            raise FeedRefused("Unknown feed kind '%1'; one of %2", self.kind, ", ".join(KINDS), field="kind")
        if self.kind == "serial" and not self.port:
            raise FeedRefused("Serial feed '%1' needs a port (e.g. /dev/ttyUSB0)", self.name, field="port")
        if self.kind == "serial" and self.baud != "auto":
            try:
                self.baud = int(self.baud)
            except (TypeError, ValueError):
                raise FeedRefused("Feed '%1': baud must be 'auto' or a number", self.name, field="baud") from None
        if self.kind in ("tcp",) and not (self.host and self.tcp_port):
            raise FeedRefused("TCP feed '%1' needs a host and a port", self.name, field="host")
        if self.kind in ("tcp-server", "udp") and self.tcp_port is None:
            raise FeedRefused("Feed '%1' (%2) needs the port to listen on", self.name, self.kind, field="tcp_port")
        if self.kind == "file" and not self.path:
            raise FeedRefused("File feed '%1' needs a path", self.name, field="path")
        if self.pace not in ("original", "fast"):
            raise FeedRefused("Feed '%1': pace must be 'original' or 'fast'", self.name, field="pace")
        if self.tcp_port is not None and not (0 <= int(self.tcp_port) <= 65535):
            raise FeedRefused("Feed '%1': port %2 out of range", self.name, self.tcp_port, field="tcp_port")
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
        for key, v in d.items():
            want = _TYPES[key]
            ok = isinstance(v, want[0]) and not (isinstance(v, bool) and bool not in want[0])
            if key == "baud" and isinstance(v, str):
                ok = v == "auto"
            if key == "bind" and ok:
                ok = all(isinstance(x, str) for x in v.values())
            if not ok:
                raise Refused(f"feed {d.get('name')!r}: {key} must be {want[1]}, not {v!r}", "bad_feed")
        d = dict(d)
        d["bind"] = dict(d.get("bind") or {})
        return cls(**d).validate()


# What each setting of a [[feed]] table may be in the file, and how to say so.
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "name": ((str,), "text"), "kind": ((str,), "text"), "port": ((str,), "text"), "host": ((str,), "text"),
    "path": ((str,), "text"), "pace": ((str,), "text"), "unit": ((str,), "text (a unit id)"),
    "baud": ((int, str), "'auto' or a whole number"), "tcp_port": ((int,), "a whole number"),
    "priority": ((int,), "a whole number"), "enabled": ((bool,), "true or false"),
    "bind": ((dict,), 'a table of match = "unit id"'),
}


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
    tables = data.get("feed", [])
    if not isinstance(tables, list) or not all(isinstance(d, dict) for d in tables):
        raise Refused(f"{p}: each feed is a [[feed]] table (two brackets)", "bad_feed_file")
    try:
        specs = [FeedSpec.from_dict(d) for d in tables]
    except Refused as exc:  # say which file: the console shows this on the bench
        raise Refused(f"{p}: {exc}", "bad_feed_file") from None
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


# ====================================================================== bindings and edits
_TALKER = re.compile(r"^[A-Z]{2}$")
_MMSI = re.compile(r"^[0-9]{9}$")


def _peer_ok(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        pass
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) <= 65535:
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def binding_key(kind: str, value: str, *, row: int | None = None) -> str:
    """The `bind` key for a match of `kind` on `value` (normalised: talkers upper case).

    :raises FeedRefused: an unknown kind or a value that kind cannot have, saying what it can.
    """
    v = (value or "").strip()
    if kind not in BINDING_KINDS:
        raise FeedRefused("Unknown kind of match '%1'; one of %2", kind, ", ".join(BINDING_KINDS),
                          field="bind", row=row)
    if not v:
        raise FeedRefused("The value to match is empty", field="bind", row=row)
    if kind == "talker":
        v = v.upper()
        if not _TALKER.match(v):
            raise FeedRefused("A talker is two letters (GP, GN, BD…), not '%1'", value.strip(),
                              field="bind", row=row)
        return v
    if kind == "mmsi":
        v = v.removeprefix("mmsi:").strip()
        if not _MMSI.match(v) or v.startswith("0"):
            raise FeedRefused("An MMSI is 9 digits, not '%1'", value.strip(), code="bad_mmsi",
                              field="bind", row=row)
        return f"mmsi:{v}"
    if kind == "peer":
        if not _peer_ok(v):
            raise FeedRefused("A peer is an IP address, optionally with :port (e.g. 192.168.1.20 or "
                              "192.168.1.20:4001), not '%1'", v, field="bind", row=row)
        return v
    if len(v) > 128 or any(ord(c) < 0x20 or c == "\x7f" for c in v) or v.lower().startswith("mmsi:"):
        raise FeedRefused("'%1' cannot be a device id", v[:40], field="bind", row=row)
    return v


def split_key(key: str) -> tuple[str, str]:
    """A `bind` key back to (kind, value): the kind it reads as (for the console's table)."""
    if key.lower().startswith("mmsi:"):
        return "mmsi", key[5:]
    if _TALKER.match(key):
        return "talker", key
    if _peer_ok(key):
        return "peer", key
    return "device", key


def check_bindings(rows: Iterable[tuple[str, str, str]], units: Collection[str] | None = None,
                   unit_mmsi: Mapping[int, str] | None = None) -> dict[str, str]:
    """Rows of (kind, value, unit) to a `bind` table, in row order.

    :param units: the known unit ids (None: not checked).
    :param unit_mmsi: MMSIs already bound to a unit (the unit's own binding, `unit.mmsi_bound`):
        a feed may not give one of them to another unit.
    :raises FeedRefused: the first bad row, naming it: bad value, no unit, unknown unit, a key twice.
    """
    out: dict[str, str] = {}
    first_row: dict[str, int] = {}
    for i, (kind, value, unit) in enumerate(rows):
        key = binding_key(kind, value, row=i)
        unit = (unit or "").strip()
        if not unit:
            raise FeedRefused("Choose the unit that %1 belongs to", key, field="bind", row=i)
        if units is not None and unit not in units:
            raise FeedRefused("Unknown unit '%1'", unit, code="unknown_unit", field="bind", row=i)
        if key in first_row:
            raise FeedRefused("%1 is bound twice (rows %2 and %3)", key, first_row[key] + 1, i + 1,
                              code="duplicate_binding", field="bind", row=i)
        if kind == "mmsi" and unit_mmsi:
            owner = unit_mmsi.get(int(key[5:]))
            if owner is not None and owner != unit:
                raise FeedRefused("MMSI %1 belongs to unit %2 (bound on the unit board), not to %3",
                                  key[5:], owner, unit, code="mmsi_taken", field="bind", row=i)
        first_row[key] = i
        out[key] = unit
    return out


def check_unit(unit: str | None, units: Collection[str] | None) -> None:
    """The whole-feed unit, if any, must be a known unit. :raises FeedRefused:"""
    if unit and units is not None and unit not in units:
        raise FeedRefused("Unknown unit '%1'", unit, code="unknown_unit", field="unit")


@dataclass(frozen=True)
class EditPlan:
    """What applying an edited spec to a running feed does."""

    old_name: str
    old: FeedSpec
    spec: FeedSpec  # the new settings, validated
    restart: bool  # transport settings changed: the feed gets a new transport
    renamed: bool
    bindings_changed: bool  # unit or bind changed

    @property
    def changed(self) -> bool:
        return self.old != self.spec


def plan_edit(current: Iterable[FeedSpec], old_name: str, new: FeedSpec, *,
              units: Collection[str] | None = None, unit_mmsi: Mapping[int, str] | None = None) -> EditPlan:
    """Check an edit of feed `old_name` against the other feeds (and the units, if given).

    The new spec keeps the old one's `enabled` (connect/disconnect own it).

    :raises FeedRefused: the feed is not there, the new name is another feed's, a bad setting or binding.
    """
    by_name = {s.name: s for s in current}
    old = by_name.get(old_name)
    if old is None:
        raise FeedRefused("No feed named '%1'", old_name, code="not_found", field="name")
    spec = FeedSpec(**{f.name: getattr(new, f.name) for f in fields(FeedSpec)})
    spec.name = (spec.name or "").strip()
    spec.bind = dict(spec.bind)
    spec.enabled = old.enabled
    spec.unit = (spec.unit or "").strip() or None
    spec.validate()
    if spec.name != old_name and spec.name in by_name:
        raise FeedRefused("A feed named '%1' exists already", spec.name, code="feed_exists", field="name")
    check_unit(spec.unit, units)
    spec.bind = check_bindings([(*split_key(k), u) for k, u in spec.bind.items()], units, unit_mmsi)
    return EditPlan(old_name=old_name, old=old, spec=spec,
                    restart=any(getattr(old, f) != getattr(spec, f) for f in TRANSPORT_FIELDS),
                    renamed=spec.name != old_name,
                    bindings_changed=(old.unit, old.bind) != (spec.unit, spec.bind))
