"""The replay at a seat attached to a hub: the window's events and fixes fetched from the hub in pages over
the seat's control connection (a viewer may), checked link by link, replayed exactly as the hub's own store
would be; a log that does not hold together is refused."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from dispatch.errors import Refused
from dispatch.ops import call
from dispatch.record.export import open_replay_file
from dispatch.record.fetch import fetch_replay
from dispatch.record.replay import Recording
from tests.hub.conftest import add_operator
from tests.hub.test_attached import INCIDENT, attach


def _history(link: Any, n_fixes: int = 12_000) -> tuple[float, float]:
    """Fixes of two units over the last hour and a few events: more than two pages of fixes."""
    now = time.time()
    t0 = now - 3600
    rows = []
    for i in range(n_fixes):
        uid = "boat-01" if i % 2 else "officer-01"
        rows.append((uid, t0 + i * 3600 / n_fixes, 24.30 + i * 1e-6, 109.40 + i * 1e-6, 2.0, 90.0, "test"))
    link.core.ingest(rows)
    link.core.flush()
    call(link.core, "incident.create", INCIDENT, actor="dispatcher:test")
    call(link.core, "unit.status", {"unit_id": "boat-02", "status": "out_of_service"}, actor="dispatcher:test")
    return t0, now


def _seat(link: Any, role: str = "viewer") -> Any:
    return attach(link.hub.control_endpoint, add_operator(link.core, link.keys, "zhao", role), "zhao")


def test_a_viewer_seat_replays_the_hubs_window(link, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    t0, now = _history(link)
    seat = _seat(link)
    try:
        pages: list[tuple[str, int]] = []
        t1, t2 = t0 + 1800, time.time()
        out = tmp_path / "seat.replay"
        got = fetch_replay(lambda name, args: call(seat, name, args, actor="ignored"), t1, t2, out,
                           progress=lambda what, n: pages.append((what, n)))
        assert sum(1 for w, _ in pages if w == "fixes") >= 2  # paged
        rf = open_replay_file(out)  # the usual checks: format, counts, integrity
        try:
            seat_rec, hub_rec = rf.recording(), Recording.of_store(link.core.store)
            assert [e.hash for e in seat_rec.events(t1, t2)] == [e.hash for e in hub_rec.events(t1, t2)]
            assert got["events"] == link.core.store.last_seq()
            for t in (t1 + 1, t1 + 900, t2):
                assert [(f.unit_id, f.ts, f.lat) for f in seat_rec.positions_at(t)] == \
                       [(f.unit_id, f.ts, f.lat) for f in hub_rec.positions_at(t)]
            assert seat_rec.state_at(t2).units["boat-02"].status == "out_of_service"
        finally:
            rf.close()
    finally:
        seat.logout()
        seat.close()


def test_a_broken_chain_is_not_replayed(link, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _history(link, n_fixes=10)
    seat = _seat(link)
    try:
        with link.core.store.engine.begin() as conn:  # someone edited the hub's log behind its back
            conn.execute(text("UPDATE events SET payload = '{\"id\":\"boat-02\",\"status\":\"available\"}' "
                              "WHERE kind = 'unit.status_set'"))
        with pytest.raises(Refused) as refused:
            fetch_replay(lambda name, args: call(seat, name, args, actor="ignored"), time.time() - 7200, time.time(),
                         tmp_path / "x.replay")
        assert refused.value.code == "broken_chain" and not (tmp_path / "x.replay").exists()
    finally:
        seat.logout()
        seat.close()


def test_the_replay_window_opens_at_an_attached_seat(link, qtbot) -> None:  # type: ignore[no-untyped-def]
    from console import operations
    from console.main_window import MainWindow
    from dispatch.city.data import load_city

    _history(link, n_fixes=200)
    seat = _seat(link)
    operations.set_core(seat)
    try:
        window = MainWindow(seat, load_city().geojson(), lang="en", store_label="hub", push_interval_ms=50)
        qtbot.addWidget(window)
        window.open_replay()
        qtbot.waitUntil(lambda: getattr(window, "replay_window", None) is not None, timeout=20000)
        rw = window.replay_window
        kinds = [e.kind for e in rw.window_events]
        assert "incident.created" in kinds and "unit.status_set" in kinds
        rw.seek(rw.t2)
        assert {f.unit_id for f in rw.last_positions} == {"boat-01", "officer-01"}
        assert rw.board.model.rows[rw.board.model.index_of["boat-02"]]["status"] == "out_of_service"
        rw.close()
        window.close()
    finally:
        operations.set_core(None)
        seat.logout()
        seat.close()
