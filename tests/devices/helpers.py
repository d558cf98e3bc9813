"""Traccar-style helpers: decode captured lines and check records with sanity checks."""

from __future__ import annotations

import math
from pathlib import Path

from devices.records import Fix, Record

DATA = Path(__file__).resolve().parent.parent / "data"

# A fixed "now" for decoders (2024-11-26 12:00 UTC), so that reception dates are stable.
NOW = 1732622400.0


def clock() -> float:
    return NOW


def lines(name: str) -> list[str]:
    """The lines of tests/data/<name>, line endings removed (CRLF or LF)."""
    return (DATA / name).read_bytes().decode("ascii").splitlines()


def check_sanity(fix: Fix) -> None:
    """What every Fix must satisfy, whatever the protocol."""
    assert -90.0 <= fix.lat <= 90.0, fix
    assert -180.0 <= fix.lon <= 180.0, fix
    assert not (fix.lat == 0.0 and fix.lon == 0.0), f"null island: {fix}"
    # plausible time: after 2000-01-01 and no later than a day after our fixed "now"
    assert 946684800.0 <= fix.time <= NOW + 86400 * 366, fix
    assert fix.speed is None or 0.0 <= fix.speed < 300.0, fix
    assert fix.course is None or 0.0 <= fix.course <= 360.0, fix
    assert fix.mode in (2, 3), fix
    assert fix.source


def verify_fix(records: list[Record], **expected: object) -> Fix:
    """Exactly one Fix among ``records``, sane, with the ``expected`` attributes."""
    fixes = [r for r in records if isinstance(r, Fix)]
    assert len(fixes) == 1, records
    fix = fixes[0]
    check_sanity(fix)
    for key, value in expected.items():
        actual = getattr(fix, key)
        if isinstance(value, float):
            assert actual is not None and math.isclose(actual, value, abs_tol=1e-6), (key, actual, value)
        else:
            assert actual == value, (key, actual, value)
    return fix


def verify_none(records: list[Record]) -> None:
    """A line that decodes but yields no record (invalid fix, incomplete group ...)."""
    assert records == [], records
