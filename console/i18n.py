"""UI languages in the console: zh_CN (the bureau's working language) and en (the source strings).

Widgets use Qt's self.tr(); a QTranslator backed by resources/i18n/<lang>.json answers them,
so translators edit one JSON file per language. Domain words (unit kinds, states,
categories) are snake_case English in the core and translated for display only: their names,
the catalogue and `t` live in console/catalogue.py (no Qt), re-exported here.
"""

from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from console.catalogue import (
    DEFAULT_LANGUAGE,
    I18N_DIR,
    KINDS,
    LANGUAGES,
    STATUSES,
    ago,
    catalogue,
    current_language,
    kind_label,
    load_catalogue,
    status_label,
    system_language,
    t,
    use_language,
    where_text,
    word,
)

__all__ = ["DEFAULT_LANGUAGE", "I18N_DIR", "KINDS", "LANGUAGES", "STATUSES", "JsonTranslator", "ago", "catalogue",
           "current_language", "install", "kind_label", "load_catalogue", "where_text", "status_label", "system_language", "t",
           "use_language", "word"]

_installed: list[QTranslator] = []


class JsonTranslator(QTranslator):
    def __init__(self, catalogue: dict[str, str]) -> None:
        super().__init__()
        self.catalogue = catalogue

    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1) -> str:  # noqa: ARG002
        return self.catalogue.get(source)  # None (a null QString): not ours, Qt falls through

    def isEmpty(self) -> bool:  # noqa: N802
        return not self.catalogue


def install(app: QApplication, lang: str) -> None:
    lang = use_language(lang)
    tr = JsonTranslator(catalogue())
    _installed.append(tr)  # Qt does not own translators: keep them alive here
    app.installTranslator(tr)
    if lang != "en":
        qt = QTranslator()
        if qt.load(QLocale(lang), "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            _installed.append(qt)
            app.installTranslator(qt)


