"""Writing a PNG of a window once its map has painted: how the README and the tests see the console."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)


def grab(window: QWidget) -> QPixmap:
    """The window with every web view drawn into it (grab() alone can miss GPU-less web content)."""
    from PySide6.QtWebEngineWidgets import QWebEngineView

    pix = window.grab()
    painter = QPainter(pix)
    for view in window.findChildren(QWebEngineView):
        if view.isVisible():
            painter.drawPixmap(view.mapTo(window, view.rect().topLeft()), view.grab())
    painter.end()
    return pix


def take_when_ready(window: QWidget, path: str, done: Callable[[bool], None], *, wait_s: float = 30.0) -> None:
    """Save the PNG as soon as the map is ready (waiting at most `wait_s` more), then call done(ok)."""
    deadline = time.monotonic() + wait_s
    view = getattr(window, "map", None)

    def attempt() -> None:
        if view is not None and not getattr(view, "is_ready", True) and time.monotonic() < deadline:
            QTimer.singleShot(200, attempt)
            return
        # one more frame so the latest batch is painted
        QTimer.singleShot(300, save)

    def save() -> None:
        ok = grab(window).save(path, "PNG")
        log.info("screenshot %s: %s", "written to" if ok else "FAILED", path)
        done(bool(ok))

    attempt()
