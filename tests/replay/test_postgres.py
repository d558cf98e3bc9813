"""The essential replay queries and the audit on PostgreSQL (a throw-away database per test)."""

from __future__ import annotations

import pytest

from dispatch.record.audit import verify_chain
from dispatch.record.replay import Recording
from tests.replay.conftest import T0, expected_positions


@pytest.mark.postgres
def test_positions_events_state_and_audit_on_postgresql(pg_url) -> None:  # type: ignore[no-untyped-def]
    from tests.replay.conftest import build_shift_at

    shift = build_shift_at(pg_url)
    try:
        rec = Recording.of_store(shift.store)
        assert sorted(rec.units()) == sorted(shift.units)
        for t in (T0 + 5.0, T0 + 600.0, T0 + 901.3, shift.t_end):
            want = expected_positions(shift.fixes, t)
            for got_list in (rec.positions_at(t), rec.positions_at(t, shift.units)):
                got = {f.unit_id: (f.lat, f.lon, f.ts) for f in got_list}
                assert got == {u: (f.lat, f.lon, f.ts) for u, f in want.items()}
        status = [e for e in rec.events(kind="unit")if e.kind == "unit.status_set"]
        assert status and rec.events(status[0].ts, status[0].ts)[0].seq == status[0].seq
        assert rec.state_at(shift.t_end).units.keys() == shift.core.state.units.keys()
        rep = verify_chain(shift.store.engine)
        assert rep.ok and rep.checked == shift.store.last_seq()
        seq = rep.checked // 2
        with shift.store.engine.begin() as c:
            c.exec_driver_sql("UPDATE events SET actor = 'dispatcher:mallory' WHERE seq = %s", (seq,))
        rep = verify_chain(shift.store.engine)
        assert not rep.ok and rep.first.seq == seq and rep.first.kind == "altered"
    finally:
        shift.core.close()
