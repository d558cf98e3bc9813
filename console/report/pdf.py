"""HTML to PDF with Qt WebEngine (the page is self-contained: nothing is fetched)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def html_to_pdf(app: Any, page_html: str, out: Path, *, timeout_s: float = 60.0) -> None:
    """Load `page_html` in an offscreen page and print it to `out` (A4). Raises RuntimeError on failure."""
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
        page.printToPdf(str(out), layout)

    def printed(path: str, ok: bool) -> None:
        result["ok"] = ok
        loop.quit()

    page.loadFinished.connect(loaded)
    page.pdfPrintingFinished.connect(printed)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    page.setHtml(page_html, QUrl("about:blank"))
    loop.exec()
    page.deleteLater()
    if "error" in result:
        raise RuntimeError(result["error"])
    if not result.get("ok"):
        raise RuntimeError(f"printing the report to {out} failed or timed out")
