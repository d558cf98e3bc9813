"""A hub that dies after sending messages and before writing them to its outbox (dispatch/hub/outbox.py: numbered,
sent, then written). The hub started again on the same store makes the same messages from the same events,
numbered the same: the units have them once, the copies are duplicates they drop, and the next message takes the
next seq. The death is made by an outbox whose writes fail from a point on (its `write` replaced by one that
raises, in the step and in the hub's final flush alike): the rows it had numbered and sent die with it, as with a
SIGKILL at that moment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dispatch.core import Dispatch
from dispatch.hub.keys import load_key_file, new_unit_key
from dispatch.hub.server import Hub
from dispatch.ops import call
from dispatch.store import EventStore
from tests.conftest import wait_for
from tests.hub.conftest import UNITS, Running
from tests.ports import free_port


class StoreAway(Exception):
    pass


def _client(tmp: Path, unit: str, endpoint: str, got: list[dict[str, Any]]) -> Running:
    from dispatch.hub.client import FieldClient

    return Running(FieldClient(unit, endpoint, load_key_file(tmp / "keys", unit),
                               state_path=tmp / "keys" / f"{unit}.state.json", on_message=got.append, durable=False))


def test_a_hub_dead_between_send_and_write_numbers_the_same_messages_again(tmp_path: Path, db_url: str) -> None:
    core = Dispatch(EventStore(db_url))
    core.register_units("test", UNITS)
    for u in UNITS:
        new_unit_key(core, "test", u["id"], tmp_path / "keys")
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    hub = Hub(core, endpoint, None).start()
    got: dict[str, list[dict[str, Any]]] = {"boat-01": [], "boat-02": []}
    units = [_client(tmp_path, u, endpoint, got[u]) for u in got]
    seqs = lambda u: [m["seq"] for m in got[u] if "seq" in m]  # noqa: E731
    try:
        call(core, "field.send", {"unit_id": "boat-01", "text": "before"}, actor="dispatcher:wang")
        wait_for(lambda: seqs("boat-01") == [1] and hub.outbox.acked.get("boat-01") == 1, 20, what="the first text")
        wait_for(lambda: hub.outbox.unwritten == 0, 5)

        def refused(batch: object) -> None:
            raise StoreAway("the store is away")

        hub.outbox.write_batch = refused  # from here the hub's outbox is never written: it dies with what it holds
        call(core, "field.send", {"unit_id": "boat-01", "text": "lost with the hub?"}, actor="dispatcher:wang")
        made = call(core, "field.broadcast", {"text": "storm warning"}, actor="dispatcher:wang")
        assert made["units"] == 3  # every unit with a key, named in the event
        incident = call(core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.33,
                                                  "lon": 109.41, "verified": True}, actor="dispatcher:wang")["id"]
        call(core, "incident.assign", {"incident_id": incident, "unit_id": "boat-02"}, actor="dispatcher:wang")
        wait_for(lambda: seqs("boat-01") == [1, 2, 3] and seqs("boat-02") == [1, 2], 20, what="sent before written")
        assert hub.outbox.unwritten == 5  # boat-01's text, the broadcast to the three (officer-01: not connected),
        # boat-02's assignment, whose "queued" waits for its row: it is not recorded before the row is written
        hub.stop()  # its last flush fails too: the numbered rows die with it
        for r in units:
            r.stop()

        again = Hub(core, endpoint, None).start()  # the same store, the outbox's cursor from before the two events
        units = [_client(tmp_path, u, endpoint, got[u]) for u in got]
        wait_for(lambda: again.outbox.acked.get("boat-01") == 3 and again.outbox.acked.get("boat-02") == 2, 20,
                 what="the units' acknowledgements of the same seqs")
        call(core, "field.send", {"unit_id": "boat-01", "text": "after"}, actor="dispatcher:wang")
        wait_for(lambda: seqs("boat-01")[-1:] == [4], 20, what="the next text")
        texts = [(m["seq"], m["text"]) for m in got["boat-01"] if m.get("type") in ("text", "broadcast")]
        assert texts == [(1, "before"), (2, "lost with the hub?"), (3, "storm warning"), (4, "after")]  # each once
        assert [(m["seq"], m.get("text") or m["ref"]) for m in got["boat-02"] if "seq" in m] == [
            (1, "storm warning"), (2, f"incident:{incident}")]
        wait_for(lambda: any(e.kind == "field.queued" for e in core.store.events()), 10, what="the queued event")
        queued = [(e.payload["unit_id"], e.payload["seq"]) for e in core.store.events() if e.kind == "field.queued"]
        assert queued == [("boat-02", 2)]  # once: recorded by the hub that wrote its row
        wait_for(lambda: len(again.outbox.rows(limit=100)) == 7, 10, what="the last text's row")  # written after it left
        rows = again.outbox.rows(limit=100)
        assert sorted((r["unit_id"], r["seq"]) for r in rows) == [
            ("boat-01", 1), ("boat-01", 2), ("boat-01", 3), ("boat-01", 4), ("boat-02", 1), ("boat-02", 2),
            ("officer-01", 1)]
        by = {(r["unit_id"], r["seq"]): r["message"].get("text") for r in rows}
        assert by[("boat-01", 2)] == "lost with the hub?" and by[("officer-01", 1)] == "storm warning"
        again.stop()
    finally:
        for r in units:
            r.stop()
        core.close()
