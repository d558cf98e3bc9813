"""Account operations (`ctl user ...`) and the login the hub runs for a control session."""

from __future__ import annotations

from typing import Any

from dispatch.accounts import credentials
from dispatch.accounts.model import MAX_FAILURES, NAME_RE, ROLES, Account, accounts_state, retry_delay
from dispatch.errors import NotFound, Refused
from dispatch.ops import op
from dispatch.store import NewEvent

WRONG = "wrong name or password"


def _name(name: Any) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise Refused("an account name is 2-32 characters: lower-case letters, digits, '_', '.', '-', "
                      "starting with a letter", "bad_name")
    return name


def _role(role: Any) -> str:
    if role not in ROLES:
        raise Refused(f"unknown role {role!r}; one of {', '.join(ROLES)}", "bad_role")
    return str(role)


def _existing(state: Any, name: str) -> Account:
    a = accounts_state(state).by_name.get(name)
    if a is None:
        raise NotFound(f"no account {name!r}; `ctl user list` lists them")
    return a


@op("accounts")
def list_accounts(core: Any, actor: str) -> list[dict[str, Any]]:
    core.refresh()
    with core.lock:
        return [a.as_dict() for _, a in sorted(accounts_state(core.state).by_name.items())]


@op("account.add")
def add(core: Any, actor: str, name: str, role: str, password: str) -> dict[str, Any]:
    name, role = _name(name), _role(role)
    credentials.check_password(password)
    with core.lock:
        if name in accounts_state(core.state).by_name:
            raise Refused(f"the account {name!r} exists; `ctl user passwd` changes its password", "exists")
    cid, fp = credentials.store_credential(core.store, name, password)

    def decide(state: Any) -> list[NewEvent]:
        if name in accounts_state(state).by_name:
            raise Refused(f"the account {name!r} exists", "exists")
        return [NewEvent("account.created", {"name": name, "role": role, "credential": cid, "fingerprint": fp},
                         f"account:{name}")]

    core.command(actor, decide)
    return _show(core, name)


@op("account.passwd")
def passwd(core: Any, actor: str, name: str, password: str) -> dict[str, Any]:
    """A new password (also unlocks the account)."""
    credentials.check_password(password)
    with core.lock:
        _existing(core.state, name)
    cid, fp = credentials.store_credential(core.store, name, password)

    def decide(state: Any) -> list[NewEvent]:
        _existing(state, name)
        return [NewEvent("account.password_set", {"name": name, "credential": cid, "fingerprint": fp},
                         f"account:{name}")]

    core.command(actor, decide)
    return _show(core, name)


def _simple(core: Any, actor: str, name: str, kind: str, check: Any = None, **extra: Any) -> dict[str, Any]:
    def decide(state: Any) -> list[NewEvent]:
        a = _existing(state, name)
        if check is not None:
            check(a)
        return [NewEvent(kind, {"name": name, **extra}, f"account:{name}")]

    core.command(actor, decide)
    return _show(core, name)


@op("account.role")
def set_role(core: Any, actor: str, name: str, role: str) -> dict[str, Any]:
    return _simple(core, actor, name, "account.role_set", role=_role(role))


@op("account.disable")
def disable(core: Any, actor: str, name: str) -> dict[str, Any]:
    def check(a: Account) -> None:
        if a.disabled:
            raise Refused(f"{name} is already disabled", "already")

    return _simple(core, actor, name, "account.disabled", check)


@op("account.enable")
def enable(core: Any, actor: str, name: str) -> dict[str, Any]:
    def check(a: Account) -> None:
        if not a.disabled:
            raise Refused(f"{name} is not disabled", "already")

    return _simple(core, actor, name, "account.enabled", check)


@op("account.unlock")
def unlock(core: Any, actor: str, name: str) -> dict[str, Any]:
    def check(a: Account) -> None:
        if not a.locked and not a.failures:
            raise Refused(f"{name} is not locked", "already")

    return _simple(core, actor, name, "account.unlocked", check)


def _show(core: Any, name: str) -> dict[str, Any]:
    with core.lock:
        return _existing(core.state, name).as_dict()


# ------------------------------------------------------------------------------------ login
_DUMMY = credentials._hasher.hash("not a password anyone has")  # unknown names cost what known ones do


def login(core: Any, name: Any, password: Any, seat: str) -> Account:
    """Check `name`/`password` for a session at `seat`; record the outcome; return the account.

    A wrong password is recorded (`account.login_failed` with the count); the next attempt for that
    account is refused unheard until a delay that doubles with every failure has passed; after
    MAX_FAILURES in a row the account is locked (`account.locked`) until an administrator unlocks it.
    Unknown names and wrong passwords get the same answer.
    :raises Refused: code login_failed, retry_later, account_locked, account_disabled.
    """
    core.refresh()
    who = f"seat:{seat}"
    name = name if isinstance(name, str) and len(name) <= 64 else "?"
    with core.lock:
        a = accounts_state(core.state).by_name.get(name)
        snap = None if a is None else (a.disabled, a.locked, a.not_before(), a.credential, a.fingerprint)
    if snap is None:
        try:
            credentials._hasher.verify(_DUMMY, password if isinstance(password, str) else "")
        except Exception:  # noqa: BLE001 -- it never matches; it only takes the time a real check takes
            pass
        _failed(core, who, name, seat, "unknown_name", counted=False)
        raise Refused(WRONG, "login_failed")
    disabled, locked, not_before, cid, fp = snap
    if disabled:
        _failed(core, who, name, seat, "disabled", counted=False)
        raise Refused(f"the account {name} is disabled; an administrator can enable it", "account_disabled")
    if locked:
        _failed(core, who, name, seat, "locked", counted=False)
        raise Refused(f"the account {name} is locked after {MAX_FAILURES} wrong passwords; an administrator "
                      f"unlocks it (ctl user unlock {name})", "account_locked")
    wait = not_before - core.clock()
    if wait > 0:
        _failed(core, who, name, seat, "too_soon", counted=False)
        raise Refused(f"too many wrong passwords: try again in {wait:.0f} s", "retry_later")
    if not credentials.verify(core.store, name, cid, fp, password if isinstance(password, str) else ""):
        failures = _failed(core, who, name, seat, "wrong_password", counted=True)
        if failures >= MAX_FAILURES:
            raise Refused(f"{WRONG}; the account {name} is now locked (an administrator unlocks it)",
                          "account_locked")
        raise Refused(f"{WRONG}; next attempt in {retry_delay(failures):.0f} s", "login_failed")

    def decide(state: Any) -> list[NewEvent]:
        return [NewEvent("account.login", {"name": name, "seat": seat}, f"account:{name}")]

    with core.lock:
        actor = accounts_state(core.state).by_name[name].actor
    core.command(actor, decide)
    with core.lock:
        return accounts_state(core.state).by_name[name]


def _failed(core: Any, who: str, name: str, seat: str, reason: str, *, counted: bool) -> int:
    failures = [0]

    def decide(state: Any) -> list[NewEvent]:
        a = accounts_state(state).by_name.get(name)
        n = (a.failures + 1 if counted else a.failures) if a is not None else 0
        failures[0] = n
        out = [NewEvent("account.login_failed", {"name": name, "seat": seat, "reason": reason, "failures": n,
                                                 "counted": counted}, f"account:{name}")]
        if counted and a is not None and n >= MAX_FAILURES and not a.locked:
            out.append(NewEvent("account.locked", {"name": name, "failures": n}, f"account:{name}"))
        return out

    core.command(who, decide)
    return failures[0]


def logout(core: Any, account: Account, seat: str, reason: str = "logout") -> None:
    core.command(account.actor, lambda _s: [NewEvent("account.logout", {"name": account.name, "seat": seat,
                                                                         "reason": reason},
                                                     f"account:{account.name}")])
