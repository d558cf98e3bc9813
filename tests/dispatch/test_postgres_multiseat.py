"""Several seats on one PostgreSQL store: one linear hash chain, no unit taken twice, ctl on the same store."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dispatch.core import Dispatch
from dispatch.errors import Refused
from dispatch.ops import call
from dispatch.store import GENESIS_HASH, EventStore, event_hash

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_two_seats_one_chain_and_no_double_booking(pg_url) -> None:  # type: ignore[no-untyped-def]
    seat_a, seat_b = Dispatch(EventStore(pg_url)), Dispatch(EventStore(pg_url))
    try:
        seat_a.register_units("system", [{"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"}])
        seat_a.ingest([("boat-01", seat_a.clock(), 24.33, 109.41, 2.0, 90.0, "t")])
        seat_a.flush()
        ids = [call(seat_a, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.33,
                                                "lon": 109.41}, actor="dispatcher:wang")["id"] for _ in range(2)]
        results: dict[str, object] = {}
        go = threading.Barrier(2)

        def take(seat: Dispatch, who: str, iid: int) -> None:
            go.wait(10)
            try:
                results[who] = call(seat, "incident.assign", {"incident_id": iid, "unit_id": "boat-01",
                                                              "exclusive": True}, actor=f"dispatcher:{who}")
            except Refused as exc:
                results[who] = exc

        threads = [threading.Thread(target=take, args=(seat_a, "wang", ids[0])),
                   threading.Thread(target=take, args=(seat_b, "li", ids[1]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        refused = [w for w, r in results.items() if isinstance(r, Refused)]
        assert len(refused) == 1, results  # exactly one seat got the boat
        # many appends from both seats at once: still one linear chain
        def burst(seat: Dispatch, who: str) -> None:
            for i in range(25):
                seat.set_unit_status(f"dispatcher:{who}", "boat-01", "available" if i % 2 else "out_of_service")

        threads = [threading.Thread(target=burst, args=(s, w)) for s, w in ((seat_a, "wang"), (seat_b, "li"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        prev = GENESIS_HASH
        with seat_a.store.engine.connect() as c:
            rows = c.exec_driver_sql(
                "select seq, ts, actor, kind, entity, payload, prev_hash, hash from events order by seq").all()
        for seq, ts, actor, kind, entity, payload, prev_hash, h in rows:
            assert prev_hash == prev and h == event_hash(prev, seq, ts, actor, kind, entity, payload)
            prev = h
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    finally:
        seat_a.close()
        seat_b.close()
    # the command line on the same PostgreSQL store sees what the seats did
    p = subprocess.run([sys.executable, "main.py", "ctl", "--db", pg_url, "incidents", "--json"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert '"state": "dispatched"' in p.stdout
