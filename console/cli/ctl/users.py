"""ctl user add|passwd|role|disable|enable|unlock|list: operators' accounts.

Passwords are never taken from the command line (where `ps` and the shell history would show them):
they are read from the terminal without echo, twice, or with --password-stdin from the first line
of standard input (for scripts).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from console.cli.ctl import iso, table

ROLES = ["dispatcher", "shift_lead", "engineer", "administrator", "viewer"]


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    user = sub.add_parser("user", parents=[common], help="operators' accounts: add, passwd, role, disable, list")
    usub = user.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", parents=[common], help="create an account (asks for its password)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(build=lambda a: ("account.add", {"name": a.name, "role": a.role, "password": read_password(a)}),
                     render=_render_one)
    pw = usub.add_parser("passwd", parents=[common], help="set an account's password (also unlocks it)")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    pw.set_defaults(build=lambda a: ("account.passwd", {"name": a.name, "password": read_password(a)}),
                    render=_render_one)
    role = usub.add_parser("role", parents=[common], help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    role.set_defaults(build=lambda a: ("account.role", {"name": a.name, "role": a.role}), render=_render_one)
    for verb, help_text in (("disable", "disable an account (its sessions end)"), ("enable", "enable it again"),
                            ("unlock", "unlock an account locked after wrong passwords")):
        q = usub.add_parser(verb, parents=[common], help=help_text)
        q.add_argument("name")
        q.set_defaults(build=lambda a, v=verb: (f"account.{v}", {"name": a.name}), render=_render_one)
    ls = usub.add_parser("list", parents=[common], help="every account with its role and state")
    ls.set_defaults(build=lambda a: ("accounts", {}), render=_render_list)


def read_password(args: argparse.Namespace) -> str:
    from dispatch.errors import Refused

    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise Refused("--password-stdin: nothing on standard input", "no_password")
        return line.rstrip("\r\n")
    import getpass

    if not sys.stdin.isatty():
        raise Refused("no terminal to ask for the password: use --password-stdin", "no_password")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise Refused("the two passwords differ", "password_mismatch")
    return first


def _state(r: dict[str, Any]) -> str:
    return "disabled" if r["disabled"] else "locked" if r["locked"] else "active"


def _render_one(r: dict[str, Any], _a: argparse.Namespace) -> str:
    return f"{r['name']}: {r['role']}, {_state(r)}"


def _render_list(rows: list[dict[str, Any]], _a: argparse.Namespace) -> str:
    if not rows:
        return "no accounts"
    return table([[r["name"], r["role"], _state(r), r["failures"] or "", iso(r["last_login"]), r["seat"] or ""]
                  for r in rows], ["name", "role", "state", "failures", "last login", "seat"])
