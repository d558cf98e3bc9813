"""A real hub on 127.0.0.1 over a real SQLite store, and real field clients."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from dispatch.core import Dispatch
from dispatch.hub.client import FieldClient
from dispatch.hub.keys import load_key_file, new_unit_key
from dispatch.hub.server import Hub
from dispatch.store import EventStore

PASSWORD = "test-password-1"


def add_operator(core: Any, keys_dir: Path, name: str, role: str) -> dict[str, Any]:
    """An account `name` with `role` and an enrolled seat key "seat-<name>"; returns the seat's key file."""
    from dispatch.hub.seats import load_seat_file, new_seat_key
    from dispatch.ops import call

    call(core, "account.add", {"name": name, "role": role, "password": PASSWORD}, actor="ctl:test")
    return load_seat_file(new_seat_key(core, "ctl:test", f"seat-{name}", keys_dir)["file"])


def control_client(endpoint: str, keys: dict[str, Any], name: str, timeout: float = 5) -> Any:
    """A ControlClient that logs in as `name` (with PASSWORD) before its first operation."""
    from dispatch.hub.control import ControlClient

    return ControlClient(endpoint, keys=keys, login=(name, PASSWORD), timeout=timeout)

UNITS = [
    {"id": "boat-01", "name": "Boat 1", "kind": "patrol_boat"},
    {"id": "boat-02", "name": "Boat 2", "kind": "patrol_boat"},
    {"id": "officer-01", "name": "Officer 1", "kind": "officer"},
]


class Running:
    def __init__(self, client: FieldClient) -> None:
        self.client = client
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=client.run, args=(self.stop_event,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(5)


class Link:
    def __init__(self, tmp: Path, url: str) -> None:
        self.tmp = tmp
        self.url = url
        self.core = Dispatch(EventStore(url))
        self.core.register_units("test", UNITS)
        self.keys = tmp / "keys"
        for u in UNITS:
            new_unit_key(self.core, "test", u["id"], self.keys)
        self.hub = Hub(self.core, "tcp://127.0.0.1:0", "tcp://127.0.0.1:0").start()
        self.running: list[Running] = []

    def client(self, unit: str, *, start: bool = True, **kw: Any) -> tuple[FieldClient, list[dict[str, Any]]]:
        got: list[dict[str, Any]] = []
        c = FieldClient(unit, self.hub.field_endpoint, load_key_file(self.keys, unit),
                        state_path=self.keys / f"{unit}.state.json", on_message=got.append, durable=False, **kw)
        if start:
            self.running.append(Running(c))
        return c, got

    def control(self, name: str = "tester", role: str = "dispatcher") -> Any:
        """A control client logged in as a new operator `name` with `role`, from its own enrolled seat."""
        return control_client(self.hub.control_endpoint, add_operator(self.core, self.keys, name, role), name)

    def close(self) -> None:
        for r in self.running:
            r.stop()
        self.hub.stop()
        self.core.close()


@pytest.fixture
def link(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    lk = Link(tmp_path, db_url)
    yield lk
    lk.close()
