"""`python main.py ctl [--db URL | --hub ENDPOINT] [--json] COMMAND ...`: the core on the command line.

Every command maps to one operation of dispatch/ops.py: with --db it runs in this process on
the store, with --hub it is sent to a running hub's control endpoint, which runs the same
operation (an assignment made here reaches the field at once). With --hub and neither --key nor
--user, the hub's owner file on this machine (dispatch/hub/owner.py, written for the OS user running
the hub) logs in as the store's owner; without it a seat key and an operator's login are needed. Refusals exit 1 with the
core's message on stderr; a hub that cannot be reached exits 3.

Commands live in submodules listed in SUBMODULES; each has `register(subparsers, common)` and
sets two defaults on its parsers: `build(args) -> (operation, arguments)` and
`render(result, args) -> str` for the human-readable output; a parser may set `follow(client, result,
actor, args) -> result` too, run on the same connection after the operation (e.g. waiting for an answer).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

SUBMODULES: tuple[str, ...] = (
    "console.cli.ctl.units",
    "console.cli.ctl.replay",
    "console.cli.ctl.incidents",
    "console.cli.ctl.tasks",
    "console.cli.ctl.field",
    "console.cli.ctl.citizens",
    "console.cli.ctl.users",
    "console.cli.ctl.cases",
    "console.cli.ctl.zones",
    "console.cli.ctl.alerts",
    "console.cli.ctl.analytics",
    "console.cli.ctl.evidence",
    "console.cli.ctl.places",
    "console.cli.ctl.jt808",
)


def common_parser() -> argparse.ArgumentParser:
    """Options accepted both before and after the command (`ctl --json units` == `ctl units --json`)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="run on this store directly")
    common.add_argument("--hub", metavar="ENDPOINT", default=argparse.SUPPRESS,
                        help="send to a running hub's control endpoint, e.g. tcp://127.0.0.1:5571")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    # refused, with a message (older scripts passed it): the log names who is acting as the system knows them
    common.add_argument("--actor", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--key", metavar="FILE", default=argparse.SUPPRESS,
                        help="with --hub: this seat's key file (NAME.seat.json, from `keys seat NAME`)")
    common.add_argument("--user", metavar="NAME", default=argparse.SUPPRESS,
                        help="with --hub: log in as this operator (the password is asked on the terminal)")
    common.add_argument("--login-stdin", action="store_true", default=argparse.SUPPRESS,
                        help="with --hub: read the login password from the first line of standard input")
    common.add_argument("--timeout", type=float, default=argparse.SUPPRESS, help="hub reply timeout in seconds (10)")
    return common


def add_arguments(p: argparse.ArgumentParser) -> None:
    common = common_parser()
    for action in common._actions:
        if action.option_strings:
            p._add_action(action)
    sub = p.add_subparsers(dest="ctl_command", metavar="COMMAND", required=True)
    for mod in SUBMODULES:
        importlib.import_module(mod).register(sub, common)


class LocalClient:
    """Runs operations in this process on a store."""

    def __init__(self, url: str | None) -> None:
        from console.session import open_session

        self.session = open_session(url)

    def call(self, name: str, args: dict[str, Any], actor: str) -> Any:
        from dispatch.ops import call

        try:
            return call(self.session.core, name, args, actor=actor)
        finally:
            self.session.core.flush()

    def close(self) -> None:
        self.session.close()


class HubClient:
    """Runs operations on a hub as the operator logged in on this connection (the actor is the hub's to say)."""

    def __init__(self, endpoint: str, key_file: str | None, login: tuple[str, str] | None, timeout: float,
                 owner: dict[str, Any] | None = None) -> None:
        from dispatch.hub.control import ControlClient
        from dispatch.hub.seats import load_seat_file

        if owner is not None:  # the hub's owner file: its key pair and this run's secret
            self.client = ControlClient(endpoint, keys=owner, owner=owner["secret"], timeout=timeout)
        else:
            assert key_file is not None
            self.client = ControlClient(endpoint, keys=load_seat_file(key_file), login=login, timeout=timeout)

    def call(self, name: str, args: dict[str, Any], actor: str) -> Any:
        return self.client.call(name, args)

    def close(self) -> None:
        try:
            if self.client.logged_in is not None:
                self.client.logout()
        except Exception:  # noqa: BLE001 -- the answer is printed already; a logout lost is the hub's to time out
            pass
        self.client.close()


def hub_login(args: argparse.Namespace) -> tuple[str, str]:
    """(name, password) for --hub: --user (default: the OS login), the password from stdin or the terminal."""
    from console.session import login_name
    from dispatch.errors import Refused

    name = getattr(args, "user", None) or login_name()
    if getattr(args, "login_stdin", False):
        line = sys.stdin.readline()
        if not line:
            raise Refused("--login-stdin: nothing on standard input", "no_password")
        return name, line.rstrip("\r\n")
    import getpass

    if not sys.stdin.isatty():
        raise Refused("no terminal to ask for the login password: use --login-stdin", "no_password")
    return name, getpass.getpass(f"{name}'s password at the hub: ")


def owner_credential(args: argparse.Namespace) -> dict[str, Any] | None:
    """With --hub and no --key, --user or --login-stdin: the owner file of the hub at that endpoint, written
    for this OS user on this machine (waiting up to --timeout for a local hub that is starting), or None."""
    if any(getattr(args, a, None) for a in ("key", "user", "login_stdin")):
        return None
    from dispatch.hub.owner import find_owner_credential

    return find_owner_credential(args.hub, wait=getattr(args, "timeout", 10.0))


def make_client(args: argparse.Namespace, login: tuple[str, str] | None = None,
                owner: dict[str, Any] | None = None) -> Any:
    hub = getattr(args, "hub", None)
    if hub and owner is not None:
        return HubClient(hub, None, None, getattr(args, "timeout", 10.0), owner=owner)
    if hub:
        key = getattr(args, "key", None)
        if not key:
            raise ValueError("--hub needs --key FILE: this seat's key (an administrator runs `keys seat NAME`)")
        assert login is not None
        return HubClient(hub, key, login, getattr(args, "timeout", 10.0))
    return LocalClient(getattr(args, "db", None))


def run(args: argparse.Namespace) -> int:
    from dispatch.errors import Refused

    if getattr(args, "db", None) and getattr(args, "hub", None):
        print("error: give --db or --hub, not both", file=sys.stderr)
        return 2
    login = owner = None
    if getattr(args, "actor", None) is not None:  # a name typed on the command line is nobody's login
        print("error: --actor is not accepted: the log names who is acting as the system knows them -- with --hub the "
              "operator you log in as (--user), with --db your own login (ctl:<login>)", file=sys.stderr)
        return 2
    if getattr(args, "hub", None):
        try:
            owner = owner_credential(args)  # the hub's owner on its own machine: no login asked
            if owner is None:
                login = hub_login(args)  # before the command reads any further standard input
        except Refused as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    try:
        name, op_args = args.build(args)
    except Refused as exc:  # e.g. a file the command reads
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from console.session import login_name

    actor = f"ctl:{login_name()}"  # with --hub the hub records the session's operator instead
    try:
        client = make_client(args, login, owner)
    except Exception as exc:
        print(f"error: cannot open {'hub' if getattr(args, 'hub', None) else 'store'}: {exc}", file=sys.stderr)
        return 3
    try:
        sent = getattr(args, "send_file", None)  # through a hub: a file of this machine goes in pieces first
        if sent is not None and getattr(args, "hub", None):
            from dispatch.uploads import send_file

            op_args = {**op_args, "upload_id": send_file(lambda n, x: client.call(n, x, actor), sent)}
        result = client.call(name, op_args, actor)
        received = getattr(args, "received_as", None)  # through a hub: a file made there for this operator, read
        if received is not None and getattr(args, "hub", None):  # back a piece at a time and written to --out here
            from dispatch.uploads import receive_file

            result = {**result, received: receive_file(lambda n, x: client.call(n, x, actor), result["download_id"],
                                                       args.out, result["sha256"])}
        follow = getattr(args, "follow", None)  # e.g. wait for a terminal's answer to a command
        if follow is not None:
            result = follow(client, result, actor, args)
    except Refused as exc:
        if getattr(args, "json", False):
            print(json.dumps({"error": str(exc), "code": exc.code}, ensure_ascii=False))
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ConnectionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    finally:
        client.close()
    try:
        if getattr(args, "json_of", None) is not None:  # the part of the result the command asked for
            result = args.json_of(result, args)
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if getattr(args, "json", False):
        print(json.dumps(result, ensure_ascii=False, indent=None, default=str))
    else:
        text = args.render(result, args)
        if text:
            print(text)
    after = getattr(args, "after", None)  # e.g. write the result to a file the command names
    if after is not None:
        try:
            said = after(result, args)
        except (Refused, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if said:
            print(said, file=sys.stderr)
    exit_status = getattr(args, "exit_status", None)  # a check that found something wrong exits 1
    return int(exit_status(result)) if exit_status is not None else 0


def fetch_stored(client: Any, actor: str, sha256: str, out: str, example: str, what: str) -> str:
    """A file the store keeps (a truck's photo, a still), read a piece at a time through `client` (a hub, or the
    store here: evidence.fetch), checked against the SHA-256 the log recorded and written whole to ``out`` where ctl
    runs; the path written. :raises Refused: the bytes do not hash to it, or ``out`` cannot be written."""
    import base64
    import hashlib

    from dispatch.blobs import write_copy
    from dispatch.errors import Refused

    data = bytearray()
    while True:
        piece = client.call("evidence.fetch", {"sha256": sha256, "offset": len(data)}, actor)
        data += base64.b64decode(piece["data_b64"])
        if piece["eof"] or not piece["data_b64"]:
            break
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Refused(f"{what}'s bytes do not hash to the SHA-256 the log recorded: not written", "blob_altered")
    return write_copy(out, bytes(data), example)


def read_json(path: str) -> Any:
    """A JSON file a command sends (a template, a catalogue, a layer's GeoJSON): read here, where ctl runs.
    :raises Refused: unreadable or not JSON."""
    from pathlib import Path

    from dispatch.errors import Refused

    try:
        return json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror or exc}", "unreadable") from None
    except ValueError as exc:
        raise Refused(f"{path} is not JSON: {exc}", "bad_json") from None


def table(rows: list[list[Any]], headers: list[str]) -> str:
    """A plain aligned text table (CJK characters count double)."""
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)

    cells = [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max([width(h)] + [width(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(r: list[str]) -> str:
        return "  ".join(c + " " * (widths[i] - width(c)) for i, c in enumerate(r)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def iso(ts: float | None) -> str:
    if ts is None:
        return ""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
