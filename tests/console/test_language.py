"""Which language the console starts in (issue 19, item 21): Chinese under the C/POSIX locale, as a Chinese
bureau's console should, unless the user's locale or --lang says otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.i18n import system_language

ROOT = Path(__file__).resolve().parents[2]
LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


@pytest.mark.parametrize(("env", "want"), [
    ({}, "zh_CN"),
    ({"LANG": "C"}, "zh_CN"),
    ({"LANG": "C.UTF-8"}, "zh_CN"),
    ({"LC_ALL": "POSIX"}, "zh_CN"),
    ({"LANG": "C", "LANGUAGE": "en"}, "zh_CN"),  # gettext ignores LANGUAGE under the C locale
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "en"),  # no German: the source strings
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),  # LC_ALL wins
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"}, "zh_CN"),
    ({"LANG": "zh_CN.UTF-8", "LANGUAGE": "en:zh_CN"}, "en"),  # the user's list of languages
])
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the C locale as Linux has it")
def test_the_locale_decides_and_c_means_chinese(env, want, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for var in LOCALE_VARS:
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert system_language() == want


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the C locale as Linux has it")
def test_the_console_itself_starts_in_chinese_under_the_c_locale(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The whole console: its window title in a screenshot run, under LANG=C and no --lang."""
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARS}
    env.update(LANG="C", QT_QPA_PLATFORM="offscreen")
    probe = ("import sys; from console.app import create_app; from console import i18n; "
             "app = create_app(); print(i18n.current_language()); "
             "from PySide6.QtCore import QCoreApplication as Q; print(Q.translate('MainWindow', 'Quit'))")
    r = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["zh_CN", "退出"]
    r = subprocess.run([sys.executable, "-c", probe.replace("create_app()", "create_app(lang='en')")], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == ["en", "Quit"]  # --lang says otherwise


def test_the_notes_the_core_writes_itself_ship_in_chinese() -> None:
    """A note the core records on its own (an incident verified on entry or on assignment, a citizen's photo) is
    shown through the catalogue in the timeline: each has its Chinese."""
    import json
    import re

    root = Path(__file__).resolve().parents[2]
    notes = set()
    for f in (root / "dispatch").rglob("*.py"):
        notes |= set(re.findall(r'(?:note=|"note": )"([a-z][^"]+)"', f.read_text(encoding="utf-8")))
    assert {"verified on entry", "verified on assignment"} <= notes
    zh = json.loads((root / "resources" / "i18n" / "zh_CN.json").read_text(encoding="utf-8"))
    assert sorted(n for n in notes if not zh.get(n)) == []


def test_durations_speak_the_ui_language() -> None:
    """The field client's "45 min left" and "last contact 3 s ago", the unit board's last fix: durations are
    words of the UI's language, as the rest of the sentence is (it read "剩余 45 min", "1 s前")."""
    from console.catalogue import ago, current_language, use_language

    was = current_language()
    try:
        use_language("zh_CN")
        assert [ago(5), ago(45 * 60), ago(5400)] == ["5 秒", "45 分钟", "1.5 小时"]
        use_language("en")
        assert [ago(5), ago(45 * 60), ago(5400)] == ["5 s", "45 min", "1.5 h"]
    finally:
        use_language(was)
