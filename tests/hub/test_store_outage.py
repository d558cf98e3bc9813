"""A hub whose PostgreSQL goes away and comes back: commands during the outage fail naming the store, a
transaction cut in the middle leaves nothing of itself, the hub keeps serving and recovers by itself, and
the hash chain is whole afterwards.

The outage is made for this test's database only: its sessions terminated (pg_terminate_backend), or every
connection cut by a TCP relay the hub's URL goes through (tests/pgproxy.py); the shared server keeps running.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dispatch.core import Dispatch
from dispatch.errors import Refused
from dispatch.hub.attach import RemoteCore
from dispatch.hub.server import Hub
from dispatch.record.audit import verify_chain
from dispatch.store import EventStore, NewEvent, StoreUnavailable
from tests.conftest import PG_ADMIN, wait_for
from tests.hub.conftest import PASSWORD, UNITS, add_operator, control_client
from tests.pgproxy import PgProxy


def _terminate_sessions(pg_url: str) -> int:
    db = pg_url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            return int(c.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": db}).scalar_one())
    finally:
        admin.dispose()


@pytest.mark.postgres
def test_hub_survives_its_postgresql_going_away(pg_url: str, tmp_path: Path) -> None:
    proxy = PgProxy()
    url = proxy.url(pg_url)
    core = Dispatch(EventStore(url))
    core.register_units("test", UNITS)
    hub = Hub(core, "tcp://127.0.0.1:0", "tcp://127.0.0.1:0").start()
    seat = None
    try:
        wang = add_operator(core, tmp_path, "wang", "dispatcher")
        li = add_operator(core, tmp_path, "li", "viewer")
        ctl = control_client(hub.control_endpoint, wang, "wang")
        seat = RemoteCore(hub.control_endpoint, li, timeout=5)
        seat.login("li", PASSWORD)
        seat.start()
        ctl.call("unit.status", {"unit_id": "boat-01", "status": "out_of_service"})

        # 1. the server ends every session of this database (as a PostgreSQL restart does): the next
        # command gets a fresh connection (the pool pings before use) and succeeds
        assert _terminate_sessions(pg_url) >= 1
        ctl.call("unit.status", {"unit_id": "boat-01", "status": "available"})

        # 2. the database is unreachable: a command fails naming the store, and records nothing
        before = core.state.last_seq
        proxy.cut()
        with pytest.raises(Refused) as refused:
            ctl.call("unit.status", {"unit_id": "boat-02", "status": "out_of_service"})
        assert refused.value.code == "store_unavailable"
        assert f"127.0.0.1:{proxy.port}/{pg_url.rsplit('/', 1)[1]}" in str(refused.value)
        assert "nothing of this command was recorded" in str(refused.value)
        assert core.state.units["boat-02"].status == "available"
        assert hub._threads[0].is_alive() and hub.control._thread.is_alive() and hub.stream._thread.is_alive()
        with pytest.raises(Refused) as again:  # the hub keeps answering (and failing clearly) while it lasts
            ctl.call("shift.note", {"text": "during the outage"})
        assert again.value.code == "store_unavailable"

        # 3. a transaction whose connection is cut after it decided: nothing of it reaches the log
        proxy.restore()

        def decide_then_lose_the_store(_state: object) -> list[NewEvent]:
            proxy.cut()
            return [NewEvent("shift.note", {"text": "half-written?"}, None)]

        with pytest.raises(StoreUnavailable) as lost:
            core.command("ctl:test", decide_then_lose_the_store)
        assert lost.value.recorded is False
        assert core.state.last_seq == before

        # 4. the database is back: the hub recovers by itself, the seat follows
        proxy.restore()
        ctl.call("unit.status", {"unit_id": "boat-02", "status": "out_of_service"})
        wait_for(lambda: seat.state.units["boat-02"].status == "out_of_service", 10,
                 what="the attached seat to see the command made after the outage")
        events = list(core.store.events())
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        texts = [e.payload.get("text") for e in events if e.kind == "shift.note"]
        assert "half-written?" not in texts and "during the outage" not in texts
        report = verify_chain(core.store.engine)
        assert report.problems == [] and report.last_seq == core.state.last_seq == events[-1].seq
        wait_for(lambda: seat.state.last_seq == core.state.last_seq and seat.link == "up", 10,
                 what="the seat to hold every event")
    finally:
        if seat is not None:
            seat.close()
        hub.stop()
        core.close()
        proxy.close()


@pytest.mark.postgres
def test_a_hub_process_and_ctl_through_a_database_outage(pg_url: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.hub.test_attached import ROOT, start_hub
    from tests.ports import free_port_pair

    core = Dispatch(EventStore(pg_url))
    core.register_units("test", UNITS)
    add_operator(core, tmp_path, "li", "dispatcher")
    core.close()
    proxy = PgProxy()
    port = free_port_pair()
    endpoint = f"tcp://127.0.0.1:{port}"
    hub = start_hub(proxy.url(pg_url), port, tmp_path / "hub.log")

    def ctl(*cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(ROOT / "main.py"), "ctl", "--hub", endpoint, "--key",
                               str(tmp_path / "seat-li.seat.json"), "--user", "li", "--login-stdin", *cmd],
                              cwd=ROOT, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)

    try:
        wait_for(lambda: ctl("units").returncode == 0, 60, 0.5, what="the hub process to answer")
        assert ctl("unit", "status", "boat-01", "out_of_service").returncode == 0
        proxy.cut()
        for _ in range(2):  # the hub answers every command of the outage, each time saying why
            out = ctl("unit", "status", "boat-02", "out_of_service")
            assert out.returncode != 0
            assert f"127.0.0.1:{proxy.port}/{pg_url.rsplit('/', 1)[1]} is unavailable" in out.stderr, out.stderr
            assert "nothing of this command was recorded" in out.stderr
            assert hub.poll() is None
        proxy.restore()
        assert ctl("unit", "status", "boat-02", "out_of_service").returncode == 0  # carries on by itself
        audit = subprocess.run([sys.executable, str(ROOT / "main.py"), "audit", "verify", "--db", pg_url], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
        assert audit.returncode == 0, audit.stdout + audit.stderr
        store = EventStore(pg_url)
        try:
            statuses = [e.payload["status"] for e in store.events(kinds=["unit.status_set"])]
        finally:
            store.close()
        assert statuses == ["out_of_service", "out_of_service"]  # boat-01, then boat-02 once: none half-written
        assert hub.poll() is None
    finally:
        hub.terminate()
        try:
            hub.wait(15)
        except subprocess.TimeoutExpired:
            hub.kill()
        proxy.close()
