"""Files handed to people (shift report, replay export, case dossier) are written whole and readable as any
file the user makes: mode 0666 less the umask, not mkstemp's 0600 (dispatch/outfiles.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dispatch.cases.archive import _write_zip
from dispatch.errors import Refused
from dispatch.outfiles import write_whole


@pytest.fixture
def umask_027():  # type: ignore[no-untyped-def]
    was = os.umask(0o027)
    yield
    os.umask(was)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_a_file_for_people_follows_the_umask(tmp_path, umask_027) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report.pdf"
    write_whole(out, b"%PDF-1.4 first")
    assert out.read_bytes() == b"%PDF-1.4 first" and _mode(out) == 0o640
    write_whole(out, b"%PDF-1.4 second")  # over an older one: replaced whole
    assert out.read_bytes() == b"%PDF-1.4 second" and os.listdir(tmp_path) == ["report.pdf"]


def test_a_dossier_cut_short_leaves_the_old_one_and_no_fragment(tmp_path, umask_027) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "case.zip"
    _write_zip(dest, [("a.txt", b"one")], 1.8e9)
    assert _mode(dest) == 0o640
    before = dest.read_bytes()
    with pytest.raises(Refused, match="cannot write"):  # a file gone between the check and the copy
        _write_zip(dest, [("a.txt", b"two"), ("b.jpg", tmp_path / "gone.jpg")], 1.8e9)
    assert dest.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["case.zip"]
