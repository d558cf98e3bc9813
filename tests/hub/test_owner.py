"""The store's owner on the hub's machine (dispatch/hub/owner.py): a hub process writes its owner file (0600),
`ctl --hub` with neither a seat key nor a login acts as owner:<login>; a wrong secret is refused; without the
file `ctl --hub` asks for a login as before; a clean stop removes the file, a restart replaces it."""

from __future__ import annotations

import json
import os
import platform
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dispatch.core import Dispatch
from dispatch.errors import Refused
from dispatch.hub.control import ControlClient
from dispatch.hub.owner import os_login, owner_file
from dispatch.ops import call
from dispatch.store import EventStore
from tests.conftest import wait_for
from tests.hub.conftest import UNITS
from tests.hub.test_attached import ROOT
from tests.ports import free_port_pair


class HubProcess:
    """A `main.py hub` process on a SQLite file, its owner file in tmp/data (XDG_DATA_HOME)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.url = f"sqlite:///{tmp / 'store.db'}"
        core = Dispatch(EventStore(self.url))
        core.register_units("test", UNITS)
        core.close()
        self.env = {**os.environ, "XDG_DATA_HOME": str(tmp / "data")}
        self.endpoint = f"tcp://127.0.0.1:{free_port_pair()}"
        self.file = owner_file(self.endpoint, tmp / "data" / "liuzhou-console" / "hub-owner")
        assert self.file is not None
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "hub", "--db", self.url, "--field-bind",
                                      "tcp://127.0.0.1:0", "--control-bind", self.endpoint], cwd=ROOT, env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=(self.tmp / "hub.log").open("ab"))

    def owner_doc(self) -> dict[str, Any] | None:
        assert self.proc is not None
        try:
            doc = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc if doc.get("pid") == self.proc.pid else None

    def ctl(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(ROOT / "main.py"), "ctl", "--hub", self.endpoint, *args],
                              cwd=ROOT, env=self.env, input=stdin, capture_output=True, text=True, timeout=120)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)

    def events(self) -> list[Any]:
        store = EventStore(self.url)
        try:
            return list(store.events())
        finally:
            store.close()


@pytest.fixture
def hub(tmp_path: Path):  # type: ignore[no-untyped-def]
    h = HubProcess(tmp_path)
    h.start()
    try:
        yield h
    finally:
        h.stop(signal.SIGKILL)


def test_ctl_hub_without_key_or_login_acts_as_the_owner_of_the_hubs_machine(hub: HubProcess) -> None:
    made = hub.ctl("incident", "create", "--category", "floating_garbage", "--priority", "P2", "--lat", "24.33",
                   "--lon", "109.41", "--json")  # started at once: ctl waits for the starting hub's file
    assert made.returncode == 0, made.stderr
    iid = str(json.loads(made.stdout)["id"])
    assigned = hub.ctl("assign", iid, "boat-01")
    assert assigned.returncode == 0, assigned.stderr
    shown = hub.ctl("incident", "show", iid, "--json")
    assert json.loads(shown.stdout)["unit_id"] == "boat-01"

    owner = f"owner:{os_login()}"
    events = hub.events()
    assert {e.actor for e in events if e.kind in ("incident.created", "incident.assigned")} == {owner}
    assert [e.kind for e in events if e.kind.startswith("owner.")][:3] == ["owner.login", "owner.logout",
                                                                         "owner.login"]
    core = Dispatch(EventStore(hub.url))
    try:
        changes = call(core, "replay.seats", {}, actor="ctl:test")["changes"]
    finally:
        core.close()
    assert {(c["seat"], c["name"]) for c in changes} == {(f"owner@{platform.node()}", os_login())}
    assert stat.S_IMODE(hub.file.stat().st_mode) == 0o600
    assert stat.S_IMODE(hub.file.parent.stat().st_mode) & 0o077 == 0

    forged = hub.ctl("--actor", "dispatcher:wang", "units")  # a typed name stays refused with --hub
    assert forged.returncode == 2 and "--actor is not accepted" in forged.stderr


def test_a_wrong_secret_is_refused_and_a_forged_actor_field_is_ignored(hub: HubProcess) -> None:
    doc = wait_for(hub.owner_doc, 60, 0.05, what="the hub's owner file")
    assert isinstance(doc, dict)
    wrong = ControlClient(hub.endpoint, keys=doc, owner=doc["secret"][:-2] + "xx", timeout=20)
    try:
        with pytest.raises(Refused) as refused:
            wrong.call("units")
        assert refused.value.code == "owner_refused"
        with pytest.raises(Refused) as refused:
            wrong.send_raw({"op": "unit.status", "args": {"unit_id": "boat-02", "status": "out_of_service"}})
        assert refused.value.code == "login_required"
    finally:
        wrong.close()
    right = ControlClient(hub.endpoint, keys=doc, owner=doc["secret"], timeout=20)
    try:
        right.owner_login()
        right.send_raw({"op": "unit.status", "args": {"unit_id": "boat-02", "status": "out_of_service"},
                        "actor": "dispatcher:wang"})
    finally:
        right.close()
    events = hub.events()
    assert [e.actor for e in events if e.kind == "unit.status_set"] == [f"owner:{os_login()}"]
    assert [e.payload["reason"] for e in events if e.kind == "owner.login_failed"] == ["wrong secret"]


def test_without_the_owner_file_ctl_hub_needs_a_login_and_a_clean_stop_removes_it(hub: HubProcess) -> None:
    first = wait_for(hub.owner_doc, 60, 0.05, what="the hub's owner file")
    assert isinstance(first, dict)
    hub.file.unlink()  # another OS user, or another machine: no file of theirs
    plain = hub.ctl("units")
    assert plain.returncode == 1
    assert "no terminal to ask for the login password: use --login-stdin" in plain.stderr

    hub.stop(signal.SIGKILL)  # a killed hub's file would stay behind: the next hub replaces it
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    elsewhere = hub.file.with_name("owner-localhost-1.json")  # another killed hub's, on another port
    elsewhere.write_text(json.dumps({"pid": gone.pid, "secret": "old"}), encoding="utf-8")
    hub.start()
    second = wait_for(hub.owner_doc, 60, 0.05, what="the restarted hub's owner file")
    assert isinstance(second, dict) and second["secret"] != first["secret"]
    assert not elsewhere.exists()
    hub.stop(signal.SIGTERM)
    assert hub.proc is not None and hub.proc.returncode == 0
    assert not hub.file.exists()
