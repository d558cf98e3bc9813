"""The permission table on a console's own store (the single seat): the same table the hub checks
(dispatch/accounts/permissions.py), for what that console's front end guards itself (the device bench's
feed edits and device bindings).

The seat's operator is the console's OS login (or `--operator`), as `console.operations.seat_actor`
records it. When the store has an account of that name, its role decides and the log names it by its
role; a refusal is `account.command_refused`, as at the hub. A login with no account is the store's
owner, unchecked, as `ctl --db` is (docs/permissions.md).
"""

from __future__ import annotations

from typing import Any

from dispatch.accounts.model import Account, accounts_state
from dispatch.accounts.permissions import allowed
from dispatch.errors import Refused
from dispatch.store import NewEvent


def seat_account(core: Any, name: str) -> Account | None:
    """The account the seat's operator `name` has in this store, if any."""
    state = getattr(core, "state", None)
    if state is None:
        return None
    return accounts_state(state).by_name.get(name)  # one dict read: no lock (the GUI thread asks)


def authorize(core: Any, name: str, operation: str, args: dict[str, Any] | None = None, *,
              seat: str = "console") -> None:
    """Let `name` at this console run `operation`, or raise Refused (code forbidden / account_disabled)
    and record the refusal."""
    account = seat_account(core, name)
    if account is None:
        return  # the owner of the local store
    args = args or {}
    if account.disabled:
        why, code = f"the account {name} is disabled; an administrator can enable it", "account_disabled"
    else:
        ok, why = allowed(account.role, operation, args, name)
        if ok:
            return
        code = "forbidden"
    core.record(account.actor, [NewEvent("account.command_refused",
                                         {"name": name, "seat": seat, "op": operation[:64], "reason": why,
                                          "args": sorted(args)[:32]}, f"account:{name}")])
    raise Refused(why, code)
