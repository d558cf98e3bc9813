"""Shared test set-up: Qt offscreen with the console's own QApplication (app:// scheme, flags)."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QSettings (the theme, the panels' layout) in a folder of the test run, never the user's: a console a test
# opens, here or in a child process, starts as a first start does
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="console-tests-config-")
# ... and its caches (the map page between runs, fetched evidence) too
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="console-tests-cache-")


@pytest.fixture(scope="session")
def qapp():  # type: ignore[no-untyped-def]
    """pytest-qt's qtbot uses this: the console's QApplication, created once, in English."""
    from console.app import create_app

    return create_app(lang="en")


@pytest.fixture(autouse=True)
def _qt_garbage_on_the_gui_thread(request):  # type: ignore[no-untyped-def]
    """After a test with Qt widgets (once qtbot has closed them): collect the garbage here, on the GUI thread.
    A widget the test made without a parent lives in reference cycles (its slots are lambdas on itself); left to the
    next collection, that may run on a worker thread of the next test (the thread that happens to allocate), which
    then deletes the widget off the GUI thread while the GUI thread delivers its posted events: a segfault (seen
    in QFrame::event, 2 runs in 9 of three case test files together)."""
    yield
    if "qtbot" in request.fixturenames:
        import gc

        gc.collect()


def wait_for(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02, what: str = "") -> object:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        threading.Event().wait(interval)  # poll again: the condition, not the pause, ends the wait


def stop_process(p: Any, timeout: float = 15.0) -> None:
    """End a child process as a service manager would: SIGTERM (it shuts down cleanly), SIGKILL if it has not
    ended within `timeout` seconds. Nothing if it has ended already."""
    import signal
    import subprocess

    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


@pytest.fixture
def db_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):  # type: ignore[no-untyped-def]
    """A fresh store's URL, once on a SQLite file and once on the machine's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


class Clock:
    """An injected clock: tests move time by setting `t`."""

    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def page_js(qtbot: Any, view: Any, script: str) -> Any:
    """Evaluate `script` in a MapView's page and return its value (through JSON: nested arrays intact)."""
    box: list[object] = []
    view.evaluate(f"JSON.stringify({script})", box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10000)
    return json.loads(str(box[0])) if box[0] else None


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A throw-away database on the machine's PostgreSQL (skipped where there is none)."""
    from sqlalchemy import create_engine

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"console_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE {name}")
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as c:
        c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


@contextmanager
def ui_language(lang: str) -> Iterator[None]:
    """Widgets made inside speak `lang` (the session's QApplication is English); restored on exit."""
    from PySide6.QtWidgets import QApplication

    from console import catalogue, i18n

    app = QApplication.instance()
    lang_before, catalogue_before, n = catalogue._lang, catalogue._catalogue, len(i18n._installed)
    i18n.install(app, lang)
    try:
        yield
    finally:
        for tr in i18n._installed[n:]:
            app.removeTranslator(tr)
        del i18n._installed[n:]
        catalogue._lang, catalogue._catalogue = lang_before, catalogue_before
