"""Accounts as the log defines them: roles, the derived `Accounts` state and its appliers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dispatch.changes import Changes
from dispatch.state import State, applies
from dispatch.store import Event

ROLES = ("dispatcher", "shift_lead", "engineer", "administrator", "viewer")
NAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
MAX_FAILURES = 5  # wrong passwords in a row before the account is locked (an administrator unlocks it)
BASE_DELAY_S = 1.0  # after the n-th failure in a row the next attempt waits BASE_DELAY_S * 2**(n-1) (capped)
MAX_DELAY_S = 30.0


def retry_delay(failures: int) -> float:
    return 0.0 if failures <= 0 else min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (failures - 1))


@dataclass
class Account:
    name: str
    role: str
    credential: int | None = None  # the account_credentials row of its current password
    fingerprint: str = ""  # SHA-256 of that row's hash, as the log recorded it
    disabled: bool = False
    failures: int = 0  # wrong passwords since the last good login
    last_failure: float = 0.0
    locked: bool = False
    created: float = 0.0
    last_login: float | None = None
    seat: str | None = None  # where it is logged in (None: logged out)

    @property
    def actor(self) -> str:
        """How the log names this operator: role and name, e.g. "dispatcher:wang"."""
        return f"{self.role}:{self.name}"

    def not_before(self) -> float:
        """No password is checked for this account before this time (the growing delay)."""
        return self.last_failure + retry_delay(self.failures) if self.failures else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "disabled": self.disabled, "locked": self.locked,
                "failures": self.failures, "created": self.created, "last_login": self.last_login,
                "seat": self.seat}


@dataclass
class Accounts:
    by_name: dict[str, Account] = field(default_factory=dict)


def accounts_state(state: State) -> Accounts:
    acc = state.ext.get("accounts")
    if acc is None:
        acc = state.ext["accounts"] = Accounts()
    return acc


def _account(state: State, ev: Event) -> Account | None:
    return accounts_state(state).by_name.get(str(ev.payload.get("name")))


def _touched(ch: Changes, name: str) -> None:
    ch.entities.add(f"account:{name}")


@applies("account.created")
def _created(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    accounts_state(state).by_name[p["name"]] = Account(p["name"], p["role"], p.get("credential"),
                                                        p.get("fingerprint", ""), created=ev.ts)
    _touched(ch, p["name"])


@applies("account.password_set")
def _password_set(state: State, ev: Event, ch: Changes) -> None:
    a = _account(state, ev)
    if a is not None:
        a.credential, a.fingerprint = ev.payload.get("credential"), ev.payload.get("fingerprint", "")
        a.failures, a.locked = 0, False
        _touched(ch, a.name)


@applies("account.role_set")
def _role_set(state: State, ev: Event, ch: Changes) -> None:
    a = _account(state, ev)
    if a is not None:
        a.role = ev.payload["role"]
        _touched(ch, a.name)


@applies("account.disabled")
def _disabled(state: State, ev: Event, ch: Changes) -> None:
    a = _account(state, ev)
    if a is not None:
        a.disabled, a.seat = True, None
        _touched(ch, a.name)


@applies("account.enabled")
def _enabled(state: State, ev: Event, ch: Changes) -> None:
    a = _account(state, ev)
    if a is not None:
        a.disabled = False
        _touched(ch, a.name)


@applies("account.unlocked")
def _unlocked(state: State, ev: Event, ch: Changes) -> None:
    a = _account(state, ev)
    if a is not None:
        a.failures, a.locked = 0, False
        _touched(ch, a.name)


@applies("account.login_failed")
def _login_failed(state: State, ev: Event, ch: Changes) -> None:
    a = _account(state, ev)
    if a is not None and ev.payload.get("counted", True):
        a.failures = int(ev.payload.get("failures", a.failures + 1))
        a.last_failure = ev.ts
        _touched(ch, a.name)


@applies("account.locked")
def _locked(state: State, ev: Event, ch: Changes) -> None:
    a = _account(state, ev)
    if a is not None:
        a.locked = True
        _touched(ch, a.name)


@applies("account.login")
def _login(state: State, ev: Event, ch: Changes) -> None:
    a = _account(state, ev)
    if a is not None:
        a.failures, a.last_login, a.seat = 0, ev.ts, ev.payload.get("seat")
        _touched(ch, a.name)


@applies("account.logout")
def _logout(state: State, ev: Event, ch: Changes) -> None:
    a = _account(state, ev)
    if a is not None:
        a.seat = None
        _touched(ch, a.name)


@applies("account.command_refused")
def _command_refused(state: State, ev: Event, ch: Changes) -> None:
    """Nothing changes: the event is the record of who tried what."""
