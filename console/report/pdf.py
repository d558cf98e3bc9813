"""HTML to PDF with Qt WebEngine (the page is self-contained: nothing is fetched)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dispatch.outfiles import write_whole


def html_to_pdf(app: Any, page_html: str, out: Path, *, timeout_s: float = 60.0) -> None:
    """Load `page_html` in an offscreen page and print it to `out` (A4), written whole and
    readable as any file the user makes (dispatch/outfiles.py). Raises RuntimeError on failure."""
    import shiboken6
    from PySide6.QtCore import QEventLoop, QMarginsF, QTimer, QUrl
    from PySide6.QtGui import QPageLayout, QPageSize
    from PySide6.QtWebEngineCore import QWebEnginePage

    page = QWebEnginePage()
    loop = QEventLoop()
    result: dict[str, Any] = {}

    def loaded(ok: bool) -> None:
        if not ok:
            result["error"] = "the report page did not load"
            loop.quit()
            return
        layout = QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                             QMarginsF(12, 12, 12, 12))
        page.printToPdf(printed, layout)  # the bytes: we write the file (Chromium would make it 0600)

    def printed(data: Any) -> None:
        result["pdf"] = bytes(data)
        loop.quit()

    page.loadFinished.connect(loaded)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    page.setHtml(page_html, QUrl("about:blank"))
    loop.exec()
    shiboken6.delete(page)  # now, not at the next event loop: gone before Qt's profile is released at exit
    if "error" in result:
        raise RuntimeError(result["error"])
    if not result.get("pdf"):
        raise RuntimeError(f"printing the report to {out} failed or timed out")
    try:
        write_whole(out, result["pdf"])
    except OSError as exc:
        raise RuntimeError(f"cannot write {out}: {exc.strerror or exc}") from None
