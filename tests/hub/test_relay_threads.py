"""The field relay on the committing threads (dispatch/hub/server.py): an operation's thread numbers and sends
its messages itself while the hub's loop waits, and leaves them to the loop while the loop is busy. Either
way each unit gets every message once, in order, and the outbox in the store ends up with every row and the
event cursor of the last event."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import text

from dispatch.core import Dispatch
from dispatch.hub.client import FieldClient
from dispatch.hub.keys import load_key_file, new_unit_key
from dispatch.hub.server import Hub
from dispatch.ops import call
from dispatch.store import EventStore
from tests.conftest import wait_for
from tests.hub.conftest import UNITS, Running
from tests.ports import free_port

IDS = [u["id"] for u in UNITS]


def _start(tmp: Path, url: str) -> tuple[Any, Hub, dict[str, list[dict[str, Any]]], list[Running]]:
    core = Dispatch(EventStore(url))
    core.register_units("test", UNITS)
    for u in IDS:
        new_unit_key(core, "test", u, tmp / "keys")
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    hub = Hub(core, endpoint, None).start()
    got: dict[str, list[dict[str, Any]]] = {u: [] for u in IDS}
    units = [Running(FieldClient(u, endpoint, load_key_file(tmp / "keys", u), state_path=tmp / "keys" / f"{u}.json",
                                 on_message=got[u].append, durable=False)) for u in IDS]
    wait_for(lambda: len(hub.routes) == len(IDS), 20, what="the units logged in")
    return core, hub, got, units


def _stop(core: Any, hub: Hub, units: list[Running]) -> None:
    for r in units:
        r.stop()
    hub.stop()
    core.close()


def _texts(got: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in got if m.get("type") == "text"]


def test_operations_on_many_threads_reach_each_unit_once_in_order(tmp_path: Path, db_url: str) -> None:
    core, hub, got, units = _start(tmp_path, db_url)
    try:
        per_thread = 30
        start = threading.Barrier(4)
        failures: list[BaseException] = []

        def operator(n: int) -> None:
            try:
                start.wait(10)
                for i in range(per_thread):
                    call(core, "field.send", {"unit_id": IDS[(n + i) % len(IDS)], "text": f"t{n}-{i}"},
                         actor=f"dispatcher:d{n}")
            except BaseException as exc:  # noqa: BLE001 (reported below)
                failures.append(exc)

        threads = [threading.Thread(target=operator, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not failures
        sent = {u: [f"t{n}-{i}" for n in range(4) for i in range(per_thread) if IDS[(n + i) % len(IDS)] == u]
                for u in IDS}
        wait_for(lambda: all(len(_texts(got[u])) >= len(sent[u]) for u in IDS), 30, what="every text delivered")
        for u in IDS:
            assert sorted(_texts(got[u])) == sorted(sent[u])  # each once
            seqs = [m["seq"] for m in got[u] if "seq" in m]
            assert seqs == list(range(1, len(sent[u]) + 1))  # numbered without a gap, received in order
            by_thread: dict[str, list[int]] = {}
            for t in _texts(got[u]):
                n, i = t[1:].split("-")
                by_thread.setdefault(n, []).append(int(i))
            assert all(v == sorted(v) for v in by_thread.values())  # each operator's texts in its order
        wait_for(lambda: all(hub.outbox.acked.get(u) == len(sent[u]) for u in IDS), 20, what="every ack taken")
        assert hub.relayed_inline > 0  # the operations' threads sent (some of) them themselves

        with core.store.read() as conn:
            last_text = conn.execute(text("SELECT max(seq) FROM events WHERE kind = 'field.message_sent'")).scalar_one()

        def stored() -> bool:  # the deferred write: every row, and the cursor at the last text's event
            with core.store.read() as conn:
                rows = dict(conn.execute(text("SELECT unit_id, count(*) FROM field_outbox GROUP BY unit_id")).all())
            return rows == {u: len(sent[u]) for u in IDS} and hub.outbox.cursor(default=-1) == last_text

        wait_for(stored, 10, what="the outbox written")
    finally:
        _stop(core, hub, units)


def test_a_busy_loop_sends_what_the_committing_thread_could_not(tmp_path: Path, db_url: str) -> None:
    core, hub, got, units = _start(tmp_path, db_url)
    try:
        call(core, "field.send", {"unit_id": "boat-01", "text": "first"}, actor="dispatcher:wang")
        wait_for(lambda: _texts(got["boat-01"]) == ["first"], 20, what="the first text")
        inline = hub.relayed_inline
        inside, release = threading.Event(), threading.Event()

        def busy() -> None:  # the loop runs its calls holding the relay's lock
            inside.set()
            release.wait(20)

        hub.call_soon(busy)
        assert inside.wait(10)
        call(core, "field.send", {"unit_id": "boat-01", "text": "while the loop is busy"}, actor="dispatcher:wang")
        assert hub.relayed_inline == inline  # the operation's thread did not wait for the lock, nor send
        assert hub.outbox.last_seq.get("boat-01") == 1  # nor number it
        release.set()
        wait_for(lambda: _texts(got["boat-01"]) == ["first", "while the loop is busy"], 20, what="the loop sent it")
        assert [m["seq"] for m in got["boat-01"] if "seq" in m] == [1, 2]
    finally:
        release.set()
        _stop(core, hub, units)


def test_a_deferred_write_held_up_holds_up_no_message(tmp_path: Path, db_url: str) -> None:
    """The deferred write (outbox rows, acknowledgements, delivery events) runs on the hub's writer thread, holding
    no lock the field needs: a text committed while it is held up leaves at once (on the committing thread, or on
    the loop's if the loop was busy just then), is acknowledged, and goes into the next batch."""
    core, hub, got, units = _start(tmp_path, db_url)
    inside, release = threading.Event(), threading.Event()
    write_batch = hub.outbox.write_batch

    def slow_write(batch: Any) -> None:  # the store slow to take the write: the loop waits in it
        inside.set()
        release.wait(20)
        write_batch(batch)

    try:
        hub.outbox.write_batch = slow_write
        call(core, "field.send", {"unit_id": "boat-01", "text": "first"}, actor="dispatcher:wang")
        assert inside.wait(10)  # the writer is writing the first text's row
        call(core, "field.send", {"unit_id": "boat-02", "text": "while the loop writes"}, actor="dispatcher:wang")
        wait_for(lambda: _texts(got["boat-02"]) == ["while the loop writes"], 20, what="the text sent meanwhile")
        wait_for(lambda: hub.outbox.acked.get("boat-02") == 1, 20, what="its acknowledgement taken meanwhile")
        assert not release.is_set() and hub._writer.busy  # all that while the write was held up
        release.set()
        hub.outbox.write_batch = write_batch

        def stored() -> list[tuple[str, int]]:
            with core.store.read() as conn:
                return [tuple(r) for r in conn.execute(text("SELECT unit_id, seq FROM field_outbox ORDER BY id"))]

        wait_for(lambda: stored() == [("boat-01", 1), ("boat-02", 1)], 20, what="both rows, each once")
        wait_for(lambda: hub.outbox.acked.get("boat-02") == 1 and not hub.outbox.unsaved_acks, 20,
                 what="the acknowledgement saved")
    finally:
        release.set()
        _stop(core, hub, units)


def test_a_drain_that_took_no_acknowledgement_leaves_the_rows_to_the_deferred_write(tmp_path: Path) -> None:
    """What the loop writes after a drain: an assignment's outbox row waits for the deferred write (at most
    DEFER_S later) unless events are due now (a unit online), which go after the "queued" that names the
    row. A heartbeat in the middle of an assignment's round trip does not make it wait behind a write."""
    from dispatch.hub.outbox import outbox_rows
    from dispatch.store import NewEvent, events_after

    core = Dispatch(EventStore(f"sqlite:///{tmp_path / 'hub.db'}"))
    core.register_units("test", UNITS)
    hub = Hub(core, "tcp://127.0.0.1:0", None)  # not started: the test is the loop
    try:
        incident = call(core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.32,
                                                  "lon": 109.41, "text": "bottles", "verified": True},
                        actor="dispatcher:a")["id"]
        new: list[Any] = []
        core.subscribe(lambda changes: new.extend(changes.events))
        call(core, "incident.assign", {"incident_id": incident, "unit_id": "boat-01"}, actor="dispatcher:a")
        hub._relay(new)  # numbered (boat-01 is not connected: nothing sent), its "queued" deferred

        def kinds() -> list[str]:
            with core.store.read() as conn:
                return [ev.kind for ev in events_after(conn, 0)]

        assert hub.outbox.unwritten == 1

        hub._flush_events()  # a drain of heartbeats: nothing due
        assert outbox_rows(core.store) == [] and "field.queued" not in kinds()
        assert hub.outbox.unwritten == 1

        hub._pending_events.append(NewEvent("unit.online", {"id": "boat-02"}, "unit:boat-02"))
        hub._flush_events()  # a unit came online: its event is due, and the "queued" before it with its row
        rows = outbox_rows(core.store)
        assert [(r["unit_id"], r["seq"], r["type"]) for r in rows] == [("boat-01", 1, "assignment")]
        assert kinds()[-2:] == ["field.queued", "unit.online"]
        assert hub.outbox.unwritten == 0
    finally:
        hub.stop()
        core.close()
