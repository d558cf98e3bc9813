"""Who a single-seat console acts as (console/cli/seat_login.py): its OS user, or with `--operator NAME` an account
of the store after its password. A name typed on the command line is not a login: the log never names it unchecked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dispatch.core import Dispatch
from dispatch.ops import call
from dispatch.store import EventStore

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-li-123456"


def _store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'seat.db'}"
    core = Dispatch(EventStore(url))
    call(core, "account.add", {"name": "li", "role": "engineer", "password": PASSWORD}, actor="ctl:admin")
    core.close()
    return url


def _console(url: str, tmp_path: Path, *extra: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "gui", "--db", url, "--no-demo", "--no-hub",
                           "--lang", "en", "--screenshot", str(tmp_path / "shot.png"), "--run-for", "0.5", *extra],
                          cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=180)


def _events(url: str) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    store = EventStore(url)
    try:
        return [(e.actor, e.kind, e.payload) for e in store.events()]
    finally:
        store.close()


def test_an_operator_named_on_the_command_line_logs_in_with_the_password(tmp_path: Path) -> None:
    url = _store(tmp_path)
    done = _console(url, tmp_path, "--operator", "li", "--login-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    events = _events(url)
    assert ("engineer:li", "account.login", {"name": "li", "seat": "console"}) in events
    assert [a for a, k, _ in events if k == "operator.login"] == ["engineer:li"]


def test_a_wrong_password_opens_nothing_and_is_recorded(tmp_path: Path) -> None:
    url = _store(tmp_path)
    done = _console(url, tmp_path, "--operator", "li", "--login-stdin", stdin="guess\n")
    assert done.returncode == 1 and "login of li was refused" in done.stderr
    kinds = [(a, k, p.get("reason")) for a, k, p in _events(url)]
    assert ("seat:console", "account.login_failed", "wrong_password") in kinds
    assert not [k for _, k, _ in kinds if k == "operator.login"] and not (tmp_path / "shot.png").exists()


def test_a_name_without_an_account_is_refused_and_nothing_is_recorded(tmp_path: Path) -> None:
    url = _store(tmp_path)
    before = _events(url)
    done = _console(url, tmp_path, "--operator", "dispatcher-wang")
    assert done.returncode == 2 and "no account of that name" in done.stderr
    assert _events(url) == before


def test_the_login_dialog_checks_the_stores_accounts(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from console.attached import LoginDialog
    from console.cli.seat_login import LocalAccounts

    url = _store(tmp_path)
    core = Dispatch(EventStore(url))
    try:
        dialog = LoginDialog(LocalAccounts(core, "seat.db"), user="li", place="seat.db")
        qtbot.addWidget(dialog)
        assert any("seat.db" in w.text() for w in dialog.findChildren(type(dialog.message)))  # where the login goes
        dialog.password.setText(PASSWORD)
        dialog.try_login()
        assert dialog.operator == {"name": "li", "role": "engineer"}
        assert [(e.actor, e.payload) for e in core.store.events(kinds=["account.login"])] == [
            ("engineer:li", {"name": "li", "seat": "console"})]
        again = LoginDialog(LocalAccounts(core, "seat.db"), user="li", place="seat.db")
        qtbot.addWidget(again)
        again.password.setText("guess")
        again.try_login()
        assert again.operator is None and "Wrong name or password" in again.message.text()
    finally:
        core.close()
