"""The whole programs: a hub process on PostgreSQL and a console process attached to it (offscreen, logged in
unattended with --user/--login-stdin, watched through its --status-file); `ctl --hub` acts and the console
follows; the hub is SIGKILLed and started again, and the console logs in again and catches up with every
event, by itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dispatch.core import Dispatch
from dispatch.ops import call
from dispatch.store import EventStore
from tests.conftest import stop_process, wait_for
from tests.hub.conftest import PASSWORD, UNITS, add_operator
from tests.hub.test_attached import ROOT, start_hub, store_head
from tests.ports import free_port_pair


def _status(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _ctl(endpoint: str, key: Path, user: str, *cmd: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "ctl", "--hub", endpoint, "--key", str(key),
                          "--user", user, "--login-stdin", "--json", *cmd], cwd=ROOT, input=PASSWORD + "\n",
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.postgres
def test_a_console_process_follows_a_hub_process_through_a_sigkill(pg_url: str, tmp_path: Path) -> None:
    core = Dispatch(EventStore(pg_url))
    core.register_units("test", UNITS)
    add_operator(core, tmp_path, "wang", "viewer")  # the video wall's seat
    add_operator(core, tmp_path, "li", "dispatcher")
    core.close()
    port = free_port_pair()
    endpoint = f"tcp://127.0.0.1:{port}"
    hub = start_hub(pg_url, port, tmp_path / "hub.log")
    status = tmp_path / "seat.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QTWEBENGINE_DISABLE_SANDBOX": "1",
           "QTWEBENGINE_CHROMIUM_FLAGS": "--disable-gpu --no-sandbox"}
    console = None
    try:
        wait_for(lambda: _ctl_ok(endpoint, tmp_path), 60, 0.5, what="the hub process to answer")
        console = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--hub", endpoint, "--key", str(tmp_path / "seat-wang.seat.json"),
             "--user", "wang", "--login-stdin", "--status-file", str(status), "--lang", "en"],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "console.log").open("wb"))
        assert console.stdin is not None
        console.stdin.write(PASSWORD.encode() + b"\n")
        console.stdin.close()

        def holds_head() -> bool:
            s = _status(status)
            return s.get("link") == "up" and (s.get("last_seq"), s.get("last_hash")) == store_head(pg_url)

        wait_for(lambda: console.poll() is not None or holds_head(), 120, 0.2,
                 what="the console process to log in and hold the hub's state")
        assert console.poll() is None, (tmp_path / "console.log").read_text(errors="replace")[-3000:]
        assert _status(status)["operator"] == "wang" and _status(status)["seat"] == "seat-wang"

        li = tmp_path / "seat-li.seat.json"
        made = _ctl(endpoint, li, "li", "incident", "create", "--category", "floating_garbage", "--priority", "P2",
                    "--lat", "24.33", "--lon", "109.41", "--text", "seen from the seat")
        assert made["id"]
        wait_for(holds_head, 20, 0.1, what="the console to show the incident made by ctl --hub")

        hub.send_signal(signal.SIGKILL)
        hub.wait(10)
        wait_for(lambda: _status(status).get("link") == "lost", 20, 0.1, what="the console to notice the hub is gone")
        other = Dispatch(EventStore(pg_url))  # ctl --db while the hub is down: an event no stream sent
        call(other, "shift.note", {"text": "written while the hub was down"}, actor="ctl:test")
        other.close()
        hub = start_hub(pg_url, port, tmp_path / "hub.log")
        wait_for(holds_head, 90, 0.2, what="the console to log in again and catch up with the restarted hub")
        hub_before = _status(status)["hub"]
        _ctl(endpoint, li, "li", "unit", "status", "boat-02", "out_of_service")
        wait_for(holds_head, 20, 0.1, what="the console to follow the restarted hub")
        assert console.poll() is None and _status(status)["hub"] == hub_before

        store = EventStore(pg_url)
        try:
            events = list(store.events())
        finally:
            store.close()
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        logins = [e.payload["seat"] for e in events if e.kind == "account.login" and e.payload["name"] == "wang"]
        assert logins == ["seat-wang", "seat-wang"]  # the first login, and again after the restart, unattended
        assert ("hub restarted" in [e.payload.get("reason") for e in events if e.kind == "account.logout"])
    finally:
        for p in (console, hub):
            stop_process(p)


def _ctl_ok(endpoint: str, tmp_path: Path) -> bool:
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "ctl", "--hub", endpoint, "--key",
                          str(tmp_path / "seat-li.seat.json"), "--user", "li", "--login-stdin", "--json", "units"],
                         cwd=ROOT, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    return out.returncode == 0
