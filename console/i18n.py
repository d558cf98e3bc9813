"""UI languages: zh_CN (the bureau's working language) and en (the source strings).

Widgets use Qt's self.tr(); a QTranslator backed by resources/i18n/<lang>.json answers them,
so translators edit one JSON file per language. Domain words (unit kinds, states,
categories) are snake_case English in the core and translated here for display only.
"""

from __future__ import annotations

import json
import locale
import logging
import os
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

I18N_DIR = Path(__file__).resolve().parent.parent / "resources" / "i18n"
LANGUAGES = ("zh_CN", "en")

_catalogue: dict[str, str] = {}
_installed: list[QTranslator] = []
_lang = "en"


def system_language() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        v = os.environ.get(var)
        if v:
            return "zh_CN" if v.lower().startswith("zh") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    if loc.lower().startswith("zh"):
        return "zh_CN"
    return "zh_CN" if QLocale.system().language() == QLocale.Language.Chinese else "en"


def load_catalogue(lang: str) -> dict[str, str]:
    if lang == "en":
        return {}
    path = I18N_DIR / f"{lang}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def current_language() -> str:
    return _lang


def t(text: str) -> str:
    """Translate a source string outside a QObject (labels of domain words)."""
    return _catalogue.get(text, text)


class JsonTranslator(QTranslator):
    def __init__(self, catalogue: dict[str, str]) -> None:
        super().__init__()
        self.catalogue = catalogue

    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1) -> str:  # noqa: ARG002
        return self.catalogue.get(source)  # None (a null QString): not ours, Qt falls through

    def isEmpty(self) -> bool:  # noqa: N802
        return not self.catalogue


def install(app: QApplication, lang: str) -> None:
    global _catalogue, _lang
    lang = lang if lang in LANGUAGES else "en"
    _lang = lang
    _catalogue = load_catalogue(lang)
    tr = JsonTranslator(_catalogue)
    _installed.append(tr)  # Qt does not own translators: keep them alive here
    app.installTranslator(tr)
    if lang != "en":
        qt = QTranslator()
        if qt.load(QLocale(lang), "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            _installed.append(qt)
            app.installTranslator(qt)


KINDS = {
    "patrol_boat": "Patrol boat",
    "cleaning_vessel": "Cleaning vessel",
    "officer": "Officer",
    "truck": "Waste truck",
    "ais": "AIS contact",
}
STATUSES = {
    "available": "Available",
    "assigned": "Assigned",
    "busy": "Busy",
    "out_of_service": "Out of service",
}


def kind_label(kind: str) -> str:
    return t(KINDS.get(kind, kind))


def status_label(status: str) -> str:
    return t(STATUSES.get(status, status))


def word(snake: str) -> str:
    """Any snake_case domain word (category, state...) to its display form."""
    return t(snake.replace("_", " ").capitalize())


def ago(seconds: float) -> str:
    """A duration for display: "12 s", "5 min", "1.5 h"."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
