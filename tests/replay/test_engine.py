"""The replay engine and the headless queries agree with the stored fixes and events."""

from __future__ import annotations

import json

import pytest

from console.cli import main as cli_main
from dispatch.record.replay import Recording, iso_z, parse_time
from tests.replay.conftest import T0, expected_positions


def test_positions_at_agree_with_fixes_at_many_instants(shift) -> None:  # type: ignore[no-untyped-def]
    rec = Recording.of_store(shift.store)
    assert sorted(rec.units()) == sorted(shift.units)
    times = sorted({f.ts for f in shift.fixes})
    probes = [T0 - 1, times[0], times[5], T0 + 600.0, T0 + 777.7, times[len(times) // 2], times[-1], times[-1] + 99]
    for t in probes:
        want = expected_positions(shift.fixes, t)
        got = {f.unit_id: f for f in rec.positions_at(t)}
        assert set(got) == set(want), t
        for u, f in want.items():
            assert (got[u].lat, got[u].lon, got[u].ts) == (f.lat, f.lon, f.ts), (t, u)
    # the tie at T0+600: the fix stored last is the one shown
    assert {f.unit_id: f for f in rec.positions_at(T0 + 600.0)}[shift.units[0]].lat == pytest.approx(24.826)


def test_ctl_positions_json_at_an_iso_instant(shift, capsys) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    # a stored fix time with sub-microsecond digits, written as ISO with microseconds (as a user copies it)
    fix = next(f for f in shift.fixes if f.ts != round(f.ts, 6) or f.ts % 1)
    at = iso_z(fix.ts)
    assert cli_main(["ctl", "--db", shift.url, "positions", "--at", at, "--json"]) == 0
    got = {o["unit_id"]: o for o in json.loads(capsys.readouterr().out)}
    want = expected_positions(shift.fixes, parse_time(at) + 5e-7)
    assert set(got) == set(want)
    for u, f in want.items():
        assert abs(got[u]["lat"] - f.lat) < 1e-9 and abs(got[u]["lon"] - f.lon) < 1e-9
        assert got[u]["ts"] == f.ts and got[u]["time"].endswith("Z")
    assert fix.unit_id in got and got[fix.unit_id]["ts"] == fix.ts
    # the same instant with an offset gives the same answer; the text table prints every unit
    at8 = parse_time(at)
    from datetime import datetime, timedelta, timezone

    local = datetime.fromtimestamp(at8, timezone(timedelta(hours=8))).isoformat()
    assert cli_main(["ctl", "--db", shift.url, "positions", "--at", local]) == 0
    out = capsys.readouterr().out
    assert all(u in out for u in want)


def test_ctl_positions_refuses_a_bad_time(shift, capsys) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    with pytest.raises(SystemExit) as exc:
        cli_main(["ctl", "--db", shift.url, "positions", "--at", "yesterday-ish"])
    assert exc.value.code == 2
    assert "ISO 8601" in capsys.readouterr().err


def test_ctl_events_window_entity_and_kind(shift, capsys) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    all_events = list(shift.store.events())
    status = [e for e in all_events if e.kind == "unit.status_set"]
    assert len(status) >= 3
    t1, t2 = status[1].ts, status[-1].ts
    assert cli_main(["ctl", "--db", shift.url, "events", "--from", iso_z(t1), "--to", iso_z(t2), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [e["seq"] for e in got] == [e.seq for e in all_events if t1 <= e.ts <= t2]
    ent = status[0].entity
    assert cli_main(["ctl", "--db", shift.url, "events", "--entity", ent, "--kind", "unit", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got and all(e["entity"] == ent for e in got)
    assert [e["seq"] for e in got] == [e.seq for e in all_events if e.entity == ent]
    assert cli_main(["ctl", "--db", shift.url, "events", "--kind", "unit.status_set"]) == 0
    assert "unit.status_set" in capsys.readouterr().out
    assert cli_main(["ctl", "--db", shift.url, "events", "--from", iso_z(t2), "--to", iso_z(t1)]) == 1
    assert "ends before it starts" in capsys.readouterr().err


def test_state_at_follows_the_log_forwards_and_backwards(shift, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dispatch.record.replay as replay

    monkeypatch.setattr(replay, "CHECKPOINT_EVERY", 3)
    rec = Recording.of_store(shift.store)
    status = [e for e in shift.store.events() if e.kind == "unit.status_set"]
    first = status[0]
    before = rec.state_at(first.ts - 0.1)
    seq_before = before.last_seq
    assert before.units[first.payload["id"]].status.value == "available"
    after = rec.state_at(first.ts)
    assert after.units[first.payload["id"]].status.value == first.payload["status"]
    end = rec.state_at(shift.t_end + 10)
    assert {u: x.status for u, x in end.units.items()} == {u: x.status for u, x in shift.core.state.units.items()}
    # back again (from a checkpoint), and the answer is the same as the first time
    again = rec.state_at(first.ts - 0.1)
    assert again.units[first.payload["id"]].status.value == "available"
    assert again.last_seq == seq_before == first.seq - 1
    times = sorted({e.ts for e in shift.store.events()})
    i = times.index(first.ts)
    assert rec.next_event_time(first.ts) == times[i + 1]
    assert rec.previous_event_time(times[i + 1]) == first.ts


def test_trails_cover_the_last_minutes(shift) -> None:  # type: ignore[no-untyped-def]
    rec = Recording.of_store(shift.store)
    t = T0 + 900.0
    trails = rec.trails(t, 2.0)
    u = shift.units[1]
    pts = [(f.lat, f.lon) for f in sorted(shift.fixes, key=lambda f: f.ts) if f.unit_id == u and t - 120 < f.ts <= t]
    assert trails[u] == pts


def test_timeline_marker_classes() -> None:
    from dispatch.record.replay import marker_class

    assert marker_class("incident.created") == "incident"
    assert marker_class("incident.assigned") == "assignment"
    assert marker_class("task.assigned") == "assignment"
    assert marker_class("incident.overdue") == "alert"
    assert marker_class("feed.disconnected") == "alert"
    assert marker_class("unit.registered") is None


def test_an_event_stamped_earlier_than_its_predecessor_keeps_log_order(shift, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dispatch.record.export import export_replay, open_replay_file
    from dispatch.store import NewEvent

    last = shift.store.append("unit:boat-00", [NewEvent("unit.status_set", {"id": "boat-00", "status": "busy"},
                                                        "unit:boat-00")], ts=T0 + 5000.0)[0]
    late = shift.store.append("unit:boat-02", [NewEvent("unit.status_set", {"id": "boat-02", "status": "busy"},
                                                        "unit:boat-02")], ts=T0 + 4990.0)[0]  # clock behind
    rec = Recording.of_store(shift.store)
    assert rec.state_at(T0 + 4995.0).last_seq == last.seq - 1
    assert rec.state_at(T0 + 5000.0).last_seq == late.seq  # shown with the event before it
    # an export ending between them still carries a whole prefix of the chain
    out = tmp_path / "w.replay"
    export_replay(shift.store.engine, T0, T0 + 4995.0, out)
    rf = open_replay_file(out)
    from dispatch.record.audit import verify_chain

    assert verify_chain(rf.engine).ok
    rf.close()


def test_trails_of_a_large_fleet_by_range_scan_agree(shift, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rec = Recording.of_store(shift.store)
    t = T0 + 1000.0
    few = rec.trails(t, 3.0, shift.units[:5])
    many = rec.trails(t, 3.0, shift.units * 20)  # > 200 names: the range-scan path
    assert {u: many[u] for u in few} == few


def test_a_trail_is_broken_where_the_fixes_stop(shift) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 13: tracks were drawn straight across blocks and the river where data stopped."""
    from dispatch.record.replay import TRACK_GAP_S, track_segments

    rec = Recording.of_store(shift.store)
    t = T0 + 900.0
    gone = shift.units[3]  # silent from T0+500 to T0+800
    trail = rec.trails(t, 10.0, [gone])[gone]
    assert trail.count(None) == 1
    cut = trail.index(None)
    before, after = trail[:cut], trail[cut + 1:]
    own = sorted((f for f in shift.fixes if f.unit_id == gone and t - 600 < f.ts <= t), key=lambda f: f.ts)
    assert before == [(f.lat, f.lon) for f in own if f.ts < T0 + 500]
    assert after == [(f.lat, f.lon) for f in own if f.ts > T0 + 700]
    steady = rec.trails(t, 10.0, [shift.units[1]])[shift.units[1]]
    assert None not in steady
    # thinned, the ends of each stretch stay and the gap stays a gap
    pts = [(float(i), 24.0 + i * 1e-4, 109.0) for i in range(300)] + \
          [(300 + TRACK_GAP_S + i, 24.5, 109.0 + i * 1e-4) for i in range(100)]
    segs = track_segments(pts, max_points=40)
    assert len(segs) == 2 and segs[0][0] == pts[0] and segs[0][-1] == pts[299]
    assert segs[1][0] == pts[300] and segs[1][-1] == pts[-1] and 35 <= sum(map(len, segs)) <= 45
