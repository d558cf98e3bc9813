"""The command line a user reads about in the README: every command is there and answers --help."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from console.cli import COMMANDS, main

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
DOCUMENTED = sorted(set(re.findall(r"`python main\.py ([a-z]+)", README)) - {"python"})


def test_the_readme_documents_commands_that_exist() -> None:
    assert DOCUMENTED, "the README's command table is gone"
    missing = [c for c in DOCUMENTED if c not in COMMANDS]
    assert not missing, f"documented but not registered: {missing}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_answers_help(command: str, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_a_bad_command_is_a_clear_error_not_a_traceback(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit_:
        main(["dispatch-everything"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_ctl_binds_an_mmsi_to_a_unit_and_refuses_a_bad_one(db_url, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from dispatch.core import Dispatch
    from dispatch.store import EventStore

    core = Dispatch(EventStore(db_url))
    core.register_units("t", [{"id": "vessel-01", "name": "保洁船01", "kind": "cleaning_vessel"}])
    core.close()
    assert main(["ctl", "--db", db_url, "unit", "bind-mmsi", "vessel-01", "413802001"]) == 0
    capsys.readouterr()
    assert main(["ctl", "--db", db_url, "unit", "show", "vessel-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["mmsi"] == 413802001
    assert main(["ctl", "--db", db_url, "unit", "bind-mmsi", "vessel-01", "12"]) == 1
    assert "9 digits" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["devices", "decode", "ctl", "hub", "gui"])
def test_global_options_go_before_a_subcommand(command: str, capsys) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 17: `main.py -v devices` failed ("unrecognized arguments") and `main.py -v decode --help`
    printed the console's help."""
    from console.cli import parse_args

    args = parse_args(["-v", command] + (["units"] if command == "ctl" else []))
    assert args.command == command and args.verbose is True
    assert parse_args([command] + (["units"] if command == "ctl" else [])).verbose is False
    with pytest.raises(SystemExit) as exit_:
        main(["-v", command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: main.py {command}" in capsys.readouterr().out


def test_the_console_is_the_default_with_or_without_global_options() -> None:
    from console.cli import parse_args

    for argv in ([], ["-v"], ["--lang", "en"], ["-v", "--lang", "en"], ["--verbose", "--no-demo"]):
        args = parse_args(argv)
        assert args.command == "gui", argv
    assert parse_args(["-v", "--lang", "en"]).lang == "en" and parse_args(["-v"]).verbose
    assert parse_args(["--lang", "en", "-v"]).verbose  # the console's own -v
