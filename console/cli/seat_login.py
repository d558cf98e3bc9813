"""Who the single-seat console acts as (`python main.py --db STORE [--operator NAME]`).

Without `--operator` the seat is its OS user's, as the OS authenticated them: the store's owner, or the account of
that name when the store has one (console/operations `seat_actor`). `--operator NAME` names someone else, and a name
on a command line is anyone's to type: it must be an account of this store, and the console asks for its password
(the login dialog, or `--login-stdin`: the first line of standard input) through the accounts' own login (growing
delay, lock-out, every attempt in the log: dispatch/accounts/ops.py). A name without an account is refused: the
log would name somebody nobody checked.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

SEAT = "console"


class LocalAccounts:
    """The login dialog's counterpart of a hub (console/attached.py `LoginDialog`): this store's accounts."""

    def __init__(self, core: Any, place: str) -> None:
        self.core = core
        self.seat = SEAT
        self.endpoint = place  # where the dialog says the login goes: the store

    def login(self, name: str, password: str) -> dict[str, Any]:
        from dispatch.accounts.ops import login

        account = login(self.core, name, password, SEAT)
        return {"name": account.name, "role": account.role}


def authenticate(args: argparse.Namespace, core: Any, place: str) -> str | None | int:
    """The operator this seat acts as once checked: the name (None: the OS user's seat), or an exit code (said)."""
    from console.session import login_name
    from dispatch.accounts.model import accounts_state

    name = getattr(args, "operator", None)
    if not name or name == login_name():
        if getattr(args, "login_stdin", False):
            print("error: --login-stdin needs --operator NAME (an account of this store)", file=sys.stderr)
            return 2
        return None
    if name not in accounts_state(core.state).by_name:
        print(f"error: --operator {name}: this store has no account of that name, and a name typed on the command "
              f"line is nobody's login. Without --operator the console acts as your own login ({login_name()}); an "
              "administrator adds operators with `main.py ctl user add NAME --role ROLE`.", file=sys.stderr)
        return 2
    accounts = LocalAccounts(core, place)
    if getattr(args, "login_stdin", False):
        return _unattended(accounts, name)
    from PySide6.QtWidgets import QDialog

    from console.attached import LoginDialog

    dialog = LoginDialog(accounts, user=name, place=place)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.operator is None:
        return 1
    return str(dialog.operator["name"])


def stdin_password() -> str | None:
    """--login-stdin: the password on the first line of standard input; None (said) when there is none."""
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("error: --login-stdin: nothing on standard input", file=sys.stderr)
        return None
    return password


def _unattended(accounts: LocalAccounts, name: str) -> str | int:
    from dispatch.errors import Refused

    password = stdin_password()
    if password is None:
        return 2
    try:
        return str(accounts.login(name, password)["name"])
    except Refused as exc:
        print(f"error: the login of {name} was refused: {exc}", file=sys.stderr)
        return 1
