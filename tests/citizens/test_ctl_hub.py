"""`main.py ctl apikey ...` (in-process) and `main.py hub --open311-bind` (a real process) on one SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from console.cli import main
from tests.conftest import wait_for
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


class Ran:
    def __init__(self, rc: int, out: str, err: str) -> None:
        self.returncode, self.stdout, self.stderr = rc, out, err


@pytest.fixture
def ctl(capsys):  # type: ignore[no-untyped-def]
    def run(db: str, *args: str) -> Ran:
        rc = main(["ctl", "--db", db, *args])
        out, err = capsys.readouterr()
        return Ran(rc, out, err)

    return run


def test_apikeys_from_ctl_and_the_hub_serving_open311(tmp_path, db_url, ctl):
    made = ctl(db_url, "apikey", "new", "wechat", "--source", "wechat")
    assert made.returncode == 0, made.stderr
    key = made.stdout.split(": ", 1)[1].split()[0]
    assert ctl(db_url, "apikey", "new", "wechat").returncode == 1  # exists: revoke first
    listed = ctl(db_url, "apikey", "list")
    assert "wechat" in listed.stdout and "live" in listed.stdout and key not in listed.stdout
    assert key not in (tmp_path / "store.db").read_bytes().decode("latin-1")  # stored hashed

    port = free_port()
    cmd = [sys.executable, "main.py", "hub", "--db", db_url, "--field-bind", f"tcp://127.0.0.1:{free_port()}",
           "--control-bind", f"tcp://127.0.0.1:{free_port()}", "--open311-bind", f"127.0.0.1:{port}"]
    hub = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "hub.log", "wb"))
    base = f"http://127.0.0.1:{port}/open311/v2/"
    try:
        def up() -> bool:
            try:
                return httpx.get(base + "services.json", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, timeout=30, what="the hub's Open311 endpoint")
        r = httpx.post(base + "requests.json", data={"api_key": key, "service_code": "water_pollution",
                                                     "lat": "24.33", "long": "109.42", "description": "油污"})
        assert r.status_code == 200, r.text
        rid = r.json()[0]["service_request_id"]
        shown = ctl(db_url, "--json", "incident", "show", rid)
        assert '"source": "wechat"' in shown.stdout
        assert ctl(db_url, "citizens", "note", rid, "已派船前往").returncode == 0
        wait_for(lambda: httpx.get(base + f"requests/{rid}.json").json()[0]["status_notes"] == "已派船前往",
                 what="the note written by ctl seen by the hub")
        assert ctl(db_url, "apikey", "revoke", "wechat").returncode == 0
        refused = httpx.post(base + "requests.json", data={"api_key": key, "service_code": "other", "lat": "24.3",
                                                           "long": "109.4"})
        assert refused.status_code == 403  # at once: the hub checks the key on the store's state
        assert json.loads(ctl(db_url, "--json", "incidents").stdout)[-1]["id"] == int(rid)
    finally:
        hub.terminate()
        assert hub.wait(15) == 0
