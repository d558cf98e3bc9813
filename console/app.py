"""Qt application set-up: WebEngine flags, the app:// scheme, fonts, style, translations."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
CHROMIUM_FLAGS = [
    # Offline first: nothing in the engine may phone home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-pings",
    "--dns-prefetch-disable",
]


def prepare_environment() -> None:
    """Must run before QApplication: Chromium flags for offscreen/root hosts without a GPU."""
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    wanted = list(CHROMIUM_FLAGS)
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen" or not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform != "linux"
    ):
        wanted.append("--disable-gpu")
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium's sandbox refuses to run as root.
        os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
        wanted.append("--no-sandbox")
    for f in wanted:
        if f not in flags:
            flags.append(f)
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(flags)
    os.environ.setdefault("QT_LOGGING_RULES", "qt.webenginecontext.debug=false")


_app = None


def create_app(argv: list[str] | None = None, lang: str | None = None,  # type: ignore[no-untyped-def]
               theme: str | None = None):
    """The one QApplication of the process (created once; later calls return it). `theme`: "light" or "dark"
    (default: the one this user chose last, else light; console/theme.py)."""
    global _app
    prepare_environment()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from console import i18n
    from console.map.scheme import register_scheme

    existing = QApplication.instance()
    if existing is not None:
        _app = existing
        return existing
    check_platform(lang)
    from dispatch.bureautime import use_bureau_time

    use_bureau_time()  # the times shown are the bureau's, as its charts and documents are (dispatch/bureautime.py)
    register_scheme()
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication(argv or [sys.argv[0]])
    app.setApplicationName("liuzhou-console")
    app.setOrganizationName("liuzhou-console")
    from console import theme as themes

    app.setStyle("Fusion")  # the same widgets on every desktop, coloured by the theme's palette
    themes.apply(theme or themes.saved() or themes.DEFAULT, app)
    start_media_backend()  # before the translator: see its docstring
    i18n.install(app, lang or i18n.system_language())
    check_cjk_font()
    _app = app
    return app


def start_media_backend() -> None:
    """Load Qt Multimedia's backend now, before the console's translator (a Python QTranslator) is installed.

    The backend (the FFmpeg plugin) is loaded by the first player, sound or device query. Its stub libraries
    look for optional system libraries (VA-API, PipeWire) while the dynamic loader loads them, and a missing one
    is reported through tr(): with a Python translator installed, Qt called into Python there, waiting for the
    GIL while holding the loader's lock. Another thread importing an extension module at that moment (the
    console's feeds and workers import lazily) holds the GIL while it waits for that lock: both threads stopped
    for good, the window half built (seen on an attached console under load). Loaded here, no Python code runs
    inside the loader; it costs what the first player would have cost (~25 ms)."""
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError as exc:  # the console runs without sound and video: console/sound, console/evidence say so
        log.warning("Qt Multimedia is not available: %s", exc)
        return
    QMediaDevices.audioOutputs()


def check_platform(lang: str | None) -> None:
    """On X11, say which library Qt's xcb plugin lacks and stop, instead of Qt's abort that names none.

    :raises SystemExit: 3, with the message on stderr.
    """
    from console import i18n
    from console.platform_check import uses_xcb, xcb_message, xcb_missing

    if not uses_xcb():
        return
    missing = xcb_missing()
    if not missing:
        return
    catalogue = i18n.load_catalogue(lang or i18n.system_language())
    sys.stderr.write("error: " + xcb_message(missing, lambda s: catalogue.get(s, s)) + "\n")
    raise SystemExit(3)


_font_warned = False


def check_cjk_font() -> bool:
    """True if a font can show Chinese; otherwise say once which package to install."""
    global _font_warned
    from PySide6.QtGui import QFontDatabase

    from console.i18n import t

    if QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese):
        return True
    if not _font_warned:
        _font_warned = True
        log.warning(
            t("Chinese text needs a CJK font. Install one, e.g.: apt install fonts-wqy-microhei (or fonts-noto-cjk).")
        )
    return False
