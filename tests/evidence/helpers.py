"""Shared helpers of the evidence tests: ctl in-process on a real SQLite store."""

from __future__ import annotations

import json

import pytest

from console.cli import main


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'evidence.db'}"


def ctl(capsys, db, *args, rc=0):
    code = main(["ctl", "--db", db, *args])
    out, err = capsys.readouterr()
    assert code == rc, (args, out, err)
    return out, err


def js(capsys, db, *args, rc=0):
    out, _err = ctl(capsys, db, "--json", *args, rc=rc)
    return json.loads(out)
