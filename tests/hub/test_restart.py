"""A hub process killed with SIGKILL and restarted: the outbox survives and delivery resumes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from dispatch.core import Dispatch
from dispatch.hub.client import FieldClient
from dispatch.hub.keys import load_key_file, new_unit_key
from dispatch.store import EventStore
from tests.conftest import wait_for
from tests.hub.conftest import add_operator, control_client
from tests.ports import free_port

HUB = ("import argparse, sys; from console.cli import hub; p = argparse.ArgumentParser(); hub.add_arguments(p); "
       "sys.exit(hub.run(p.parse_args(sys.argv[1:])))")


def test_outbox_survives_sigkill(tmp_path: Path, db_url: str) -> None:
    core = Dispatch(EventStore(db_url))
    core.register_units("test", [{"id": "boat-01", "name": "Boat 1", "kind": "patrol_boat"}])
    new_unit_key(core, "test", "boat-01", tmp_path / "keys")
    seat = add_operator(core, tmp_path / "keys", "wang", "dispatcher")
    core.close()
    field, control = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    cmd = [sys.executable, "-c", HUB, "--db", db_url, "--field-bind", field, "--control-bind", control]
    log = open(tmp_path / "hub.log", "ab")
    hub = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    got: list[dict] = []
    stop = threading.Event()

    def start_client() -> tuple[threading.Event, threading.Thread]:
        ev = threading.Event()
        c = FieldClient("boat-01", field, load_key_file(tmp_path / "keys", "boat-01"),
                        state_path=tmp_path / "keys" / "boat-01.state.json", on_message=got.append, durable=False)
        t = threading.Thread(target=c.run, args=(ev,), daemon=True)
        t.start()
        return ev, t

    ctl = control_client(control, seat, "wang", timeout=15)  # logs in again after the restart
    try:
        ev, t = start_client()
        ctl.call("field.send", {"unit_id": "boat-01", "text": "t1"})
        wait_for(lambda: [m for m in got if m["type"] == "text"], what="t1")
        ev.set()
        t.join(5)
        for i in (2, 3, 4):  # queued while the unit is away
            ctl.call("field.send", {"unit_id": "boat-01", "text": f"t{i}"})
        hub.kill()
        hub.wait(10)
        hub = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        ctl.call("field.send", {"unit_id": "boat-01", "text": "t5"})
        ev, t = start_client()
        wait_for(lambda: len([m for m in got if m["type"] == "text"]) >= 5, timeout=20, what="all five")
        texts = [m for m in got if m["type"] == "text"]
        assert [m["text"] for m in texts] == ["t1", "t2", "t3", "t4", "t5"]
        assert [m["seq"] for m in texts] == [1, 2, 3, 4, 5]
        ev.set()
        t.join(5)
    finally:
        stop.set()
        ctl.close()
        hub.terminate()
        try:
            assert hub.wait(10) == 0  # SIGTERM: a clean shutdown
        finally:
            if hub.poll() is None:
                hub.kill()
