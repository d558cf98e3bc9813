"""The replay window's "Export…": the window on show saved as a replay file, or as an HTML track map, by the
`replay.export` operation as the operator signed in (shift leads and administrators may: dispatch/accounts/
permissions.py; anyone else is told why not), off the GUI thread. On the live store's replay window; a seat
attached to a hub replays a file fetched from it (for the time the window is open), and its "Save a copy…" keeps
that file.

A complaint or a penalty case needs what happened between two times kept apart from the running store: the file
opens in any console (`main.py replay FILE`, File → Open replay file), the map in any browser."""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import QFileDialog, QPushButton

from console.incidents.common import run_op


def default_name(t1: float, t2: float) -> str:
    """replay-20261201-1400-1600.replay: the window's day and hours, in local time (the bureau's)."""
    a, b = datetime.fromtimestamp(t1), datetime.fromtimestamp(t2)
    end = b.strftime("%H%M") if a.date() == b.date() else b.strftime("%Y%m%d-%H%M")
    return f"replay-{a.strftime('%Y%m%d-%H%M')}-{end}.replay"


def _button(w: Any, text: str, name: str, tip: str, slot: Any) -> QPushButton:
    """A button on replay window `w`'s bar, before its stretch."""
    b = QPushButton(text, w)
    b.setObjectName(name)
    b.setToolTip(tip)
    b.clicked.connect(slot)
    w.bar.insertWidget(w.bar.count() - 1, b)
    return b


def add_export(w: Any) -> QPushButton:
    """The "Export…" button on replay window `w`'s bar."""
    return _button(w, w.tr("Export…"), "replayExport",
                   w.tr("Save the window on show as a replay file, or as an HTML track map"), lambda: ask_and_export(w))


def ask_and_export(w: Any) -> None:
    path, chosen = QFileDialog.getSaveFileName(w, w.tr("Export the replay window"), default_name(w.t1, w.t2),
                                               w.tr("Replay files (*.replay);;Track map, HTML (*.html)"))
    if path:
        export_to(w, path, html=path.lower().endswith((".html", ".htm")) or "html" in chosen.lower())


def export_to(w: Any, path: str, *, html: bool = False) -> None:
    """Export [w.t1, w.t2] to `path`; what came of it is said on the window's message line."""
    w.message.setText(w.tr("Exporting %1…").replace("%1", path))

    def done(r: dict[str, Any]) -> None:
        what = w.tr("%1 events, %2 fixes").replace("%1", str(r.get("events", 0))).replace("%2", str(r.get("fixes", 0))) \
            if "fixes" in r else w.tr("%1 units").replace("%1", str(r.get("units", 0)))
        w.message.setText(w.tr("Exported to %1 (%2)").replace("%1", str(r.get("file", path))).replace("%2", what))

    run_op(w, "replay.export", {"start": w.t1, "end": w.t2, "out": path, "html": html}, on_done=done,
           on_refused=lambda msg: w.message.setText(w.tr("Not exported: %1").replace("%1", msg)))


def add_save_copy(w: Any, source: str) -> QPushButton:
    """The "Save a copy…" button on replay window `w`, which replays the file `source` (gone when it closes)."""
    def ask() -> None:
        path, _ = QFileDialog.getSaveFileName(w, w.tr("Save a copy of the replay"), default_name(w.t1, w.t2),
                                              w.tr("Replay files (*.replay)"))
        if path:
            save_copy(w, source, path)

    return _button(w, w.tr("Save a copy…"), "replaySaveCopy",
                   w.tr("Keep the replay fetched from the hub as a replay file"), ask)


def save_copy(w: Any, source: str, path: str) -> None:
    try:
        shutil.copyfile(source, path)
    except OSError as exc:
        w.message.setText(w.tr("Not saved: %1").replace("%1", exc.strerror or str(exc)))
        return
    w.message.setText(w.tr("Saved a copy to %1").replace("%1", path))
