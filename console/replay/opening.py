"""Opening the replay window: on the live store (the last shift), on an exported replay file, or for a seat attached
to a hub, on the last hours fetched from the hub."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from console.replay.saving import add_export, add_save_copy
from console.replay.window import ReplayWindow
from dispatch.record.replay import Recording


def open_live_replay(core: Any, parent: QWidget | None = None, *, lang: str = "en",
                     city_geojson: dict[str, Any] | None = None) -> ReplayWindow:
    """The replay window on the live store, spanning the last shift; the live console keeps running."""
    # Reads only: no flush of the live buffer from the GUI thread (a write could wait on another writer's
    # lock); the last second of fixes appears at the next flush anyway.
    rec = Recording(core.store.engine)
    span = rec.span()
    window = None
    if span is not None:
        window = (max(span[0], span[1] - 8 * 3600.0), span[1])
    w = ReplayWindow(rec, lang=lang, window=window, city_geojson=city_geojson, stale_after=core.stale_after,
                     parent=parent)
    w.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    w.setWindowFlag(Qt.WindowType.Window, True)
    add_export(w)
    if span is not None:
        w.seek(span[1])
    return w


def open_replay_file(path: str, parent: QWidget | None = None, *, lang: str = "en",
                     city_geojson: dict[str, Any] | None = None) -> ReplayWindow:
    """The replay window on an exported replay file (read-only), as `main.py replay FILE` opens it.

    :raises ValueError: the file is missing, damaged or of a newer format (the message says which).
    """
    from dispatch.record.export import ReplayFileError
    from dispatch.record.export import open_replay_file as open_file

    try:
        rf = open_file(path)
    except ReplayFileError as exc:
        raise ValueError(str(exc)) from exc
    t1, t2 = rf.window
    w = ReplayWindow(rf.recording(), lang=lang, window=(t1, t2), city_geojson=city_geojson,
                     title_suffix=str(rf.path.name), parent=parent)
    w.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    w.setWindowFlag(Qt.WindowType.Window, True)
    w.destroyed.connect(lambda *_: rf.close())
    w.seek(t1)
    return w


def fetch_hub_replay(core: Any, parent: QWidget | None, ready: Any, *, hours: float = 8.0,
                     lang: str = "en", city_geojson: dict[str, Any] | None = None) -> Any:
    """A seat attached to a hub (no store here): the last `hours` are fetched from the hub over this seat's
    control connection (dispatch/record/fetch.py) into a temporary replay file, on the core worker; then the
    replay window opens on it and `ready(window)` is called (the file goes when the window closes). A refusal
    (the hub's, an empty window) is shown as any operation's."""
    import shutil
    import tempfile
    from pathlib import Path

    from console.operations import DispatchOp
    from dispatch import ops
    from dispatch.record.fetch import fetch_replay

    folder = Path(tempfile.mkdtemp(prefix="seat-replay-"))
    out = folder / "hub.replay"
    t2 = core.clock()
    t1 = t2 - hours * 3600.0

    def fetch(c: Any) -> dict[str, Any]:
        return fetch_replay(lambda name, args: ops.call(c, name, args, actor="seat"), t1, t2, out,
                            source=f"hub {getattr(c, 'endpoint', '')}")

    def opened(_summary: dict[str, Any]) -> None:
        try:
            w = open_replay_file(str(out), parent, lang=lang, city_geojson=city_geojson)
        except ValueError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(parent, parent.tr("Replay") if parent else "Replay", str(exc))
            return
        w.setWindowTitle(w.tr("Replay") + " — " + w.tr("from the hub, the last %1 h").replace("%1", f"{hours:g}"))
        w.destroyed.connect(lambda *_: shutil.rmtree(folder, ignore_errors=True))
        add_save_copy(w, str(out))
        w.seek(w.t2)
        ready(w)

    def failed(exc: BaseException) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        from console.operations import show_error

        show_error(parent, exc)

    return DispatchOp(parent=parent, op=fetch).success(opened).failure(failed).run_in_background()
