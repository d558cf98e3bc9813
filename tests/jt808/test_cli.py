"""The commands together: the roster with terminals, `hub --jt808-bind`, `simulate --jt808`, `ctl --hub jt808 ...`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch.core import Dispatch
from dispatch.errors import Refused
from dispatch.store import EventStore
from tests.conftest import wait_for
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def main(*args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=60, check=check, input=stdin)


def test_hub_simulate_and_ctl(tmp_path):
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    roster = tmp_path / "fleet.csv"
    roster.write_text("id,kind,name,terminal\ntruck-01,truck,桂B·A0001,013900000001\ntruck-02,truck,桂B·A0002,\n",
                      encoding="utf-8")
    main("ctl", "--db", db, "unit", "import", str(roster))
    main("ctl", "--db", db, "unit", "add", "truck-41", "--kind", "truck", "--terminal", "013912345678")
    from tests.hub.conftest import PASSWORD, add_operator, control_client

    core = Dispatch(EventStore(db))  # a dispatcher's and an engineer's accounts, with their seats' keys
    try:
        wang = add_operator(core, tmp_path / "keys", "wang", "dispatcher")
        zhao = add_operator(core, tmp_path / "keys", "zhao", "engineer")
    finally:
        core.close()
    jt, field, control = free_port(), free_port(), free_port()
    hub = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "hub", "--db", db, "--jt808-bind",
                            f"tcp://127.0.0.1:{jt}", "--field-bind", f"tcp://127.0.0.1:{field}",
                            "--control-bind", f"tcp://127.0.0.1:{control}"], cwd=ROOT, stderr=subprocess.PIPE,
                           text=True)
    sim = None
    client = control_client(f"tcp://127.0.0.1:{control}", wang, "wang", timeout=10)
    engineer = control_client(f"tcp://127.0.0.1:{control}", zhao, "zhao", timeout=30)
    try:
        ctl = ("ctl", "--hub", f"tcp://127.0.0.1:{control}", "--key", str(tmp_path / "keys" / "seat-wang.seat.json"),
               "--user", "wang", "--login-stdin")
        def hub_up() -> bool:
            if hub.poll() is not None:  # it ended (a port another process took meanwhile?): say why, at once
                raise AssertionError(f"the hub exited {hub.returncode}: {hub.stderr.read()[-2000:]}")
            try:
                return bool(client.call("jt808.terminals", {}) == [])
            except ConnectionError:  # still starting (a loaded machine): ask again
                return False

        wait_for(hub_up, 120, what="the hub answering")
        sim = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "simulate", "--jt808", f"tcp://127.0.0.1:{jt}",
                                "--trucks", "2", "--interval", "0.5", "--seconds", "30"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rows = wait_for(lambda: [r for r in client.call("jt808.terminals", {})
                                 if r["authenticated"] and r["positions"] >= 2], 20, what="truck-01 reporting")
        assert [(r["phone"], r["unit"], r["edition"]) for r in rows] == [("013900000001", "truck-01", 2013)]
        out = main(*ctl, "jt808", "unknown", stdin=PASSWORD).stdout
        assert "013900000002" in out and "桂B·" in out  # no unit has it: refused and listed with its plate
        sent = json.loads(main(*ctl, "--json", "jt808", "send-text", "truck-01", "请回场", stdin=PASSWORD).stdout)
        assert sent["connected"] is True
        assert sim.stdout is not None
        assert sim.stdout.readline().split()[0] == "013900000001"
        assert sim.stdout.readline().split()[0] == "013900000002"
        assert sim.stdout.readline().strip() == "013900000001 text: 请回场"
        wait_for(lambda: client.call("jt808.texts", {})[0]["result"] == 0, 10, what="the answer")
        # commands: a dispatcher asks where the truck is and tracks it; its settings are the engineer's
        tracked = json.loads(main(*ctl, "--json", "jt808", "track", "truck-01", "--interval", "1", "--minutes", "1",
                                  "--wait", "20", stdin=PASSWORD).stdout)
        assert tracked["outcome"] == "acked"
        query = client.call("jt808.query_position", {"unit_id": "truck-01"})
        with pytest.raises(Refused, match="dispatcher may not run jt808.set_params"):
            client.call("jt808.set_params", {"unit_id": "truck-01", "params": {"heartbeat_interval_s": 20}})
        params = engineer.call("jt808.set_params", {"unit_id": "truck-01", "params": {"heartbeat_interval_s": 20,
                                                                                      "report_interval_s": 2}})
        done = wait_for(lambda: [c for c in client.call("jt808.commands", {}) if c["outcome"]] if all(
            c["outcome"] for c in client.call("jt808.commands", {})) else None, 20, what="the commands' outcomes")
        assert [(c["seq"] == query["event"] or c["seq"] == params["event"] or c["seq"] == tracked["event"],
                 c["outcome"], c["by"]) for c in done] == [
            (True, "acked", "dispatcher:wang"), (True, "acked", "dispatcher:wang"), (True, "acked", "engineer:zhao")]
        assert done[1]["position"]["lat"] is not None  # the simulated terminal's 0x0201
        # what the terminal is (0x8107): its answer as the command's outcome, and on the terminals' list
        attrs = json.loads(main(*ctl, "--json", "jt808", "attributes", "truck-01", "--wait", "20",
                                stdin=PASSWORD).stdout)
        assert attrs["outcome"] == "acked" and (attrs["values"]["manufacturer"], attrs["values"]["model"]) == (
            "LZCG", "ZT-1")
        assert "LZCG ZT-1 SIM-1.0" in main(*ctl, "jt808", "terminals", stdin=PASSWORD).stdout
        # the terminal that was refused gets in once its number is bound (it registers again within 30 s)
        with pytest.raises(Refused):  # a device binding is the engineer's
            client.call("unit.bind_terminal", {"unit_id": "truck-02", "terminal": "13900000002"})
        engineer.call("unit.bind_terminal", {"unit_id": "truck-02", "terminal": "13900000002"})
        units = client.call("units", {})
        assert next(u for u in units if u["id"] == "truck-01")["lat"] is not None
    finally:
        client.sock.close()
        engineer.sock.close()
        if sim is not None:
            sim.terminate()
            sim.wait(10)
        hub.terminate()
        hub.wait(20)
    assert hub.returncode == 0, hub.stderr.read() if hub.stderr else ""
    core = Dispatch(EventStore(db))
    try:
        kinds = [e.kind for e in core.store.events(0)]
        assert "jt808.registered" in kinds and "jt808.text_answered" in kinds and "unit.terminal_bound" in kinds
        assert core.state.units["truck-01"].position is not None  # stored: the fixes table has it
        assert core.state.units["truck-02"].attributes["terminal"] == "13900000002"
        bound = [e for e in core.store.events(0) if e.kind == "unit.terminal_bound"]
        assert [e.actor for e in bound] == ["engineer:zhao"]  # who did it, as the hub logged them in
        assert [e.actor for e in core.store.events(0) if e.kind == "jt808.text_sent"] == ["dispatcher:wang"]
    finally:
        core.close()
