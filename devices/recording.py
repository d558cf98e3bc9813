"""The line format of a recorded receiver log, shared by the file replay and the simulators.

A log line is either a bare sentence or ``<ISO-8601 receive time><TAB or space><sentence>`` as
`python main.py record` writes it (console/cli/record.py).
"""

from __future__ import annotations

from datetime import datetime

STARTS = ("$", "!", "{", "\\")  # what a sentence line starts with


def split_record(line: str) -> tuple[float | None, str]:
    """(receive time or None, sentence) of one log line."""
    for sep in ("\t", " "):
        head, found, rest = line.partition(sep)
        if found and head[:1].isdigit() and rest[:1] in STARTS:
            try:
                return datetime.fromisoformat(head.replace("Z", "+00:00")).timestamp(), rest
            except ValueError:
                pass
    return None, line
