"""The UI's words without Qt: the languages (zh_CN, the bureau's working language, and en, the source strings),
the one the environment asks for, the catalogue (resources/i18n/<lang>.json) and `t` answering from it, and the
display names of domain words. The console's translator (console/i18n.py) is built on it; a command's output
(ctl) uses it alone, so ctl never loads Qt.
"""

from __future__ import annotations

import json
import locale
import os
import sys
from pathlib import Path
from typing import Any

I18N_DIR = Path(__file__).resolve().parent.parent / "resources" / "i18n"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"  # the bureau's working language, unless the user's locale names another

_catalogue: dict[str, str] = {}
_lang = "en"


def _lang_of(name: str) -> str | None:
    """zh_CN / en for a locale or language name ("zh_CN.UTF-8", "en_GB", "de"); None for C/POSIX."""
    base = name.split(".")[0].split("@")[0].strip()
    if base in ("", "C", "POSIX"):
        return None
    return "zh_CN" if base.lower().startswith("zh") else "en"


def system_language() -> str:
    """The UI language the user's locale asks for, as gettext reads it: LC_ALL, else LC_MESSAGES, else LANG
    names the locale, and LANGUAGE (a list) overrides it unless the locale is C. Under the C/POSIX locale
    (a bare server, a container, a service) or none at all, the bureau's language: Chinese."""
    locale_name = next((os.environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(v)), "")
    from_locale = _lang_of(locale_name)
    if locale_name and from_locale is None:
        return DEFAULT_LANGUAGE  # C or POSIX: nobody chose a language
    if from_locale is not None:
        for name in os.environ.get("LANGUAGE", "").split(":"):
            lang = _lang_of(name)
            if lang is not None:
                return lang
        return from_locale
    if sys.platform.startswith("linux"):
        return DEFAULT_LANGUAGE  # nothing set at all: the C locale
    try:  # Windows, macOS: the desktop's own setting
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    if loc:
        return _lang_of(loc) or DEFAULT_LANGUAGE
    from PySide6.QtCore import QLocale  # only where no environment or desktop setting says

    system = QLocale.system()
    if system.language() == QLocale.Language.C:
        return DEFAULT_LANGUAGE
    return "zh_CN" if system.language() == QLocale.Language.Chinese else "en"


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


def catalogue() -> dict[str, str]:
    """The catalogue `t` answers from (source string -> the current language's)."""
    return _catalogue


def use_language(lang: str) -> str:
    """`t` answers in `lang` from now on (no application needed: a command's output); the language taken."""
    global _catalogue, _lang
    _lang = lang if lang in LANGUAGES else "en"
    _catalogue = load_catalogue(_lang)
    return _lang


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


def where_text(r: dict[str, Any], lang: str | None = None) -> str:
    """Where an incident is, in words: its address, else the named place it was filed at or near ("中山路中段附近",
    "柳江第3段": the core's `near`, dispatch/gazetteer/near.py), else "". In the UI's language, or `lang`'s (a
    report written in another)."""
    if r.get("address"):
        return str(r["address"])
    from dispatch.gazetteer.near import near_words

    return near_words(r.get("near"), lang or _lang) or ""


def ago(seconds: float) -> str:
    """A duration for display in the UI's language: "12 s", "5 min", "1.5 h" (12 秒, 5 分钟, 1.5 小时)."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return t("%1 s").replace("%1", f"{seconds:.0f}")
    if seconds < 3600:
        return t("%1 min").replace("%1", f"{seconds / 60:.0f}")
    return t("%1 h").replace("%1", f"{seconds / 3600:.1f}")
