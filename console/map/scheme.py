"""The app:// URL scheme: every script, style, image and page of the map is served from disk.

Leaflet comes from the xstatic-leaflet package, our scripts from resources/map, the page
itself is composed once by folium. An interceptor refuses every request that would leave
the machine unless online tiles were explicitly enabled, and counts what it refused.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QFile, QIODevice, QObject, QUrl
from PySide6.QtWebEngineCore import (
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

log = logging.getLogger(__name__)

SCHEME = b"app"
HOST = "console"
RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources"


def leaflet_dir() -> Path:
    import xstatic.pkg.leaflet as xl

    return Path(xl.BASE_DIR)


def register_scheme() -> None:
    """Must run before the QApplication exists."""
    if QWebEngineUrlScheme.schemeByName(SCHEME).name() == SCHEME:
        return
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
        | QWebEngineUrlScheme.Flag.CorsEnabled
        | QWebEngineUrlScheme.Flag.ContentSecurityPolicyIgnored
    )
    QWebEngineUrlScheme.registerScheme(scheme)


def url(path: str) -> str:
    return f"app://{HOST}/{path.lstrip('/')}"


class SchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves app://console/<area>/<path> from fixed roots; generated pages live in `pages`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pages: dict[str, bytes] = {}
        self.roots = {"leaflet": leaflet_dir(), "res": RESOURCES}
        self.served: list[str] = []
        self.basemap = None  # console.map.basemap.BaseMap: app://console/tiles/{z}/{x}/{y}

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 (Qt override)
        path = job.requestUrl().path().lstrip("/")
        if path.startswith("tiles/"):
            self._tile(job, path)
            return
        data = self._lookup(path)
        if data is None:
            log.warning("map page asked for a missing resource: %s", path)
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        self.served.append(path)
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if path.endswith(".js"):
            mime = "text/javascript"
        buf = QBuffer(parent=job)
        buf.setData(QByteArray(data))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(mime.encode(), buf)

    def _tile(self, job: QWebEngineUrlRequestJob, path: str) -> None:
        """A base-map tile; a tile the base map lacks is a quiet 404 (the page shows the schematic there)."""
        parts = path.split("/")[1:]
        found = None
        if self.basemap is not None and len(parts) == 3:
            try:
                z, x, y = (int(p.split(".")[0]) for p in parts)
                found = self.basemap.tile(z, x, y)
            except (ValueError, OSError) as exc:
                log.debug("tile %s: %s", path, exc)
        if found is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        self.served.append(path)
        buf = QBuffer(parent=job)
        buf.setData(QByteArray(found[0]))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(found[1].encode(), buf)

    def _lookup(self, path: str) -> bytes | None:
        if path in self.pages:
            return self.pages[path]
        if path == "qwebchannel.js":
            f = QFile(":/qtwebchannel/qwebchannel.js")
            if f.open(QIODevice.OpenModeFlag.ReadOnly):
                return bytes(f.readAll().data())
            return None
        area, _, rest = path.partition("/")
        root = self.roots.get(area)
        if root is None:
            return None
        target = (root / rest).resolve()
        if not target.is_relative_to(root.resolve()) or not target.is_file():
            return None
        return target.read_bytes()


class OfflineGuard(QWebEngineUrlRequestInterceptor):
    """Blocks every request that would leave the machine; allowed hosts can be added (online tiles)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.allowed_hosts: set[str] = set()
        self.blocked: list[str] = []
        self.requested: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 (Qt override)
        u: QUrl = info.requestUrl()
        self.requested.append(u.toString())
        if u.scheme() in ("app", "data", "blob", "qrc", "about"):
            return
        if u.scheme() in ("http", "https") and u.host() in self.allowed_hosts:
            return
        self.blocked.append(u.toString())
        log.warning("blocked a request outside the machine: %s", u.toString())
        info.block(True)
