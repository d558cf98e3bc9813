"""Accounts: argon2 hashes kept out of the log, logins with a growing delay and lock-out, all as events;
the permission table is the one source of docs/permissions.md and covers every operation."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from console.cli import main
from dispatch.accounts import permissions
from dispatch.accounts.model import MAX_FAILURES
from dispatch.accounts.ops import login
from dispatch.core import Dispatch
from dispatch.errors import Refused
from dispatch.ops import OPERATIONS, call, load_features
from dispatch.store import EventStore
from tests.conftest import Clock

ROOT = Path(__file__).resolve().parents[2]
PW = "harbour-lights-7"


@pytest.fixture
def core(db_url: str):  # type: ignore[no-untyped-def]
    c = Dispatch(EventStore(db_url), clock=Clock())
    yield c
    c.close()


def kinds(core: Dispatch, prefix: str = "account.") -> list[str]:
    return [e.kind for e in core.store.events() if e.kind.startswith(prefix)]


def test_an_account_is_events_and_its_hash_is_in_no_event(core: Dispatch) -> None:
    call(core, "account.add", {"name": "wang", "role": "dispatcher", "password": PW}, actor="ctl:root")
    assert login(core, "wang", PW, "seat-1").role == "dispatcher"
    with core.store.read() as c:
        (stored,) = [r[0] for r in c.exec_driver_sql("SELECT hash FROM account_credentials")]
    assert stored.startswith("$argon2id$")
    assert all(stored not in str(e.payload) and PW not in str(e.payload) for e in core.store.events())
    assert kinds(core) == ["account.created", "account.login"]
    with pytest.raises(Refused, match="at least 8"):
        call(core, "account.add", {"name": "li", "role": "viewer", "password": "short"}, actor="ctl:root")
    with pytest.raises(Refused, match="unknown role"):
        call(core, "account.add", {"name": "li", "role": "king", "password": PW}, actor="ctl:root")
    with pytest.raises(Refused, match="exists"):
        call(core, "account.add", {"name": "wang", "role": "viewer", "password": PW}, actor="ctl:root")


def test_a_credential_row_altered_behind_the_logs_back_no_longer_logs_in(core: Dispatch) -> None:
    call(core, "account.add", {"name": "wang", "role": "dispatcher", "password": PW}, actor="ctl:root")
    call(core, "account.add", {"name": "li", "role": "viewer", "password": "other-password"}, actor="ctl:root")
    with core.store.write() as c:  # copy li's hash over wang's
        c.exec_driver_sql("UPDATE account_credentials SET hash = (SELECT hash FROM account_credentials "
                          "WHERE name = 'li') WHERE name = 'wang'")
    with pytest.raises(Refused, match="wrong name or password"):
        login(core, "wang", "other-password", "seat-1")


def test_wrong_passwords_wait_longer_each_time_then_lock_the_account(core: Dispatch) -> None:
    clock = core.clock
    assert isinstance(clock, Clock)
    call(core, "account.add", {"name": "wang", "role": "dispatcher", "password": PW}, actor="ctl:root")
    waits = []
    for i in range(1, MAX_FAILURES + 1):
        with pytest.raises(Refused) as exc:
            login(core, "wang", "guess", "seat-1")
        assert exc.value.code == ("account_locked" if i == MAX_FAILURES else "login_failed")
        if i < MAX_FAILURES:
            with pytest.raises(Refused) as soon:  # unheard until the delay has passed, even the right password
                login(core, "wang", PW, "seat-1")
            assert soon.value.code == "retry_later"
            acc = core.state.ext["accounts"].by_name["wang"]
            waits.append(acc.not_before() - clock.t)
            clock.t = acc.not_before() + 0.01
    assert waits == sorted(waits) and waits[0] < waits[-1]  # the delay grows
    with pytest.raises(Refused) as exc:
        login(core, "wang", PW, "seat-1")
    assert exc.value.code == "account_locked"
    failed = [e for e in core.store.events() if e.kind == "account.login_failed"]
    assert [e.payload["reason"] for e in failed].count("wrong_password") == MAX_FAILURES
    assert {e.actor for e in failed} == {"seat:seat-1"}
    assert "account.locked" in kinds(core)
    call(core, "account.unlock", {"name": "wang"}, actor="administrator:root")
    assert login(core, "wang", PW, "seat-1").failures == 0


def test_unknown_names_and_disabled_accounts_are_refused_and_recorded(core: Dispatch) -> None:
    call(core, "account.add", {"name": "wang", "role": "dispatcher", "password": PW}, actor="ctl:root")
    with pytest.raises(Refused, match="wrong name or password"):
        login(core, "nobody", PW, "seat-1")
    call(core, "account.disable", {"name": "wang"}, actor="ctl:root")
    with pytest.raises(Refused) as exc:
        login(core, "wang", PW, "seat-1")
    assert exc.value.code == "account_disabled"
    reasons = [e.payload["reason"] for e in core.store.events() if e.kind == "account.login_failed"]
    assert reasons == ["unknown_name", "disabled"]


def test_ctl_user_reads_the_password_from_stdin_never_argv(db_url: str, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PW + "\n"))
    assert main(["ctl", "--db", db_url, "user", "add", "wang", "--role", "shift_lead", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["ctl", "--db", db_url, "user", "add", "li", "--role", "viewer"]) == 1
    assert "use --password-stdin" in capsys.readouterr().err
    assert main(["ctl", "--db", db_url, "user", "disable", "wang"]) == 0
    assert main(["ctl", "--db", db_url, "user", "list"]) == 0
    out = capsys.readouterr().out
    assert "wang" in out and "disabled" in out and "shift_lead" in out
    with pytest.raises(SystemExit):
        main(["ctl", "--db", db_url, "user", "add", "zhao", "--role", "viewer", "--password", PW])
    engine = create_engine(db_url)
    with engine.connect() as c:
        actors = {r[0] for r in c.exec_driver_sql("SELECT actor FROM events")}
    engine.dispose()
    assert all(a.startswith("ctl:") for a in actors)  # the local owner, by login name


def test_the_permission_table_covers_every_operation_and_is_the_doc() -> None:
    load_features()
    listed = {r.operation for r in permissions.PERMISSIONS}
    assert set(OPERATIONS) - listed == set()
    assert (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8") == permissions.as_markdown()


@pytest.mark.parametrize(("role", "operation", "args", "ok"), [
    ("viewer", "incident.assign", {}, False),
    ("viewer", "incidents", {}, True),
    ("dispatcher", "incident.assign", {}, True),
    ("dispatcher", "incident.transition", {"state": "reopened"}, False),
    ("dispatcher", "incident.transition", {"state": "on_scene"}, True),
    ("shift_lead", "incident.transition", {"state": "reopened"}, True),
    ("dispatcher", "incident.evaluate", {}, False),
    ("dispatcher", "incidents.config_set", {}, False),
    ("dispatcher", "feed.edit", {}, False),
    ("engineer", "feed.edit", {}, True),
    ("engineer", "account.add", {}, False),
    ("administrator", "account.add", {}, True),
    ("dispatcher", "account.passwd", {"name": "wang"}, True),
    ("dispatcher", "account.passwd", {"name": "li"}, False),
    ("shift_lead", "field.revoke", {}, False),
    ("administrator", "no.such.op", {}, False),
])
def test_roles(role: str, operation: str, args: dict, ok: bool) -> None:
    assert permissions.allowed(role, operation, args, "wang")[0] is ok
