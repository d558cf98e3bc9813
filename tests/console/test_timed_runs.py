"""Runs that end on their own: `--run-for N` closes the console as File → Quit does (its seat's logout in the
log), and an attached seat (`--hub`) takes its `--screenshot` and ends too (it used to ignore both and run on)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from dispatch.core import Dispatch
from dispatch.store import EventStore
from tests.conftest import stop_process, wait_for
from tests.hub.conftest import PASSWORD, UNITS, add_operator
from tests.hub.test_attached import start_hub
from tests.ports import free_port_pair

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QTWEBENGINE_DISABLE_SANDBOX": "1",
       "QTWEBENGINE_CHROMIUM_FLAGS": "--disable-gpu --no-sandbox"}


def test_run_for_alone_ends_the_console_as_quit_does(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    p = subprocess.run([sys.executable, "main.py", "--db", f"sqlite:///{db}", "--run-for", "2", "--no-demo",
                        "--lang", "en"], cwd=ROOT, env={**ENV, "XDG_CONFIG_HOME": str(tmp_path / "config")},
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    kinds = [k for (k,) in sqlite3.connect(db).execute(
        "select kind from events where kind in ('operator.login', 'operator.logout') order by seq")]
    assert kinds == ["operator.login", "operator.logout"]  # closed, not killed: the seat's logout is in the log
    assert not (tmp_path / "config").exists() or not any((tmp_path / "config").rglob("*layout*")), \
        "a timed run remembered its window layout"


def test_an_attached_seat_takes_its_screenshot_and_ends(tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    core = Dispatch(EventStore(url))
    core.register_units("test", UNITS)
    add_operator(core, tmp_path, "wang", "dispatcher")
    core.close()
    port = free_port_pair()
    hub = start_hub(url, port, tmp_path / "hub.log")
    shot = tmp_path / "seat.png"
    try:
        wait_for(lambda: hub.poll() is not None or (tmp_path / "hub.log").read_text(errors="replace").count(
            "control on") > 0, 60, 0.2, what="the hub process to serve")
        assert hub.poll() is None, (tmp_path / "hub.log").read_text(errors="replace")[-2000:]
        seat = subprocess.run(
            [sys.executable, "main.py", "--hub", f"tcp://127.0.0.1:{port}", "--key", str(tmp_path / "seat-wang.seat.json"),
             "--user", "wang", "--login-stdin", "--screenshot", str(shot), "--run-for", "2", "--lang", "zh_CN"],
            cwd=ROOT, env=ENV, input=PASSWORD + "\n", capture_output=True, text=True, timeout=180)
        assert seat.returncode == 0, seat.stderr[-3000:]
        img = QImage(str(shot))
        assert not img.isNull() and img.width() >= 800 and img.height() >= 500
    finally:
        stop_process(hub)
    events = [(k, n) for k, n in sqlite3.connect(tmp_path / "hub.db").execute(
        "select kind, json_extract(payload, '$.name') from events where kind like 'account.log%' order by seq")]
    assert events[:2] == [("account.login", "wang"), ("account.logout", "wang")]  # the seat logged out as it ended
