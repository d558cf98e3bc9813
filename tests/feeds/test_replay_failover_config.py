"""File replay, failover between two sources of one unit, the feed config round trip, the MMSI binding op."""

from __future__ import annotations

import time

import pytest

from devices.nmea import encode
from devices.transports import FileReplay
from devices.transports.base import RawLine
from dispatch import ops
from dispatch.errors import Refused
from dispatch.feeds.config import FeedSpec, load, save
from dispatch.feeds.manager import FeedManager
from dispatch.feeds.select import SourceSelector
from tests.conftest import wait_for

T0 = 1764158400.0


def _log(tmp_path, stamped: bool):  # type: ignore[no-untyped-def]
    p = tmp_path / "rec.nmea"
    rows = []
    for i in range(3):
        s = encode.rmc("GP", T0 + i, 24.3 + i * 0.001, 109.4, 2.0, 10.0)
        rows.append(f"2025-11-26T12:00:0{i}.000000Z\t{s}" if stamped else s)
    rows.insert(1, "garbage line")
    p.write_text("\n".join(rows) + "\n")
    return p


def test_file_replay_as_fast_as_possible(tmp_path) -> None:  # type: ignore[no-untyped-def]
    t = FileReplay("f", _log(tmp_path, False), pace="fast").start()
    lines = list(t)
    assert [r.line[3:6] for r in lines] == ["RMC", "RMC", "RMC"] and t.stats.garbage == 1
    assert t.stats.state == "stopped"


def test_file_replay_keeps_the_recorded_pace(tmp_path) -> None:  # type: ignore[no-untyped-def]
    t = FileReplay("f", _log(tmp_path, True), pace="original").start()
    lines = list(t)
    assert len(lines) == 3
    gaps = [b.ts - a.ts for a, b in zip(lines, lines[1:], strict=False)]
    assert all(0.8 <= g <= 1.5 for g in gaps), gaps
    t2 = FileReplay("f", _log(tmp_path, True), pace="fast", stamp="recorded").start()
    assert [r.ts for r in t2] == [T0, T0 + 1, T0 + 2]


def test_selector_fails_over_when_the_better_source_goes_quiet() -> None:
    sel = SourceSelector(quiet_after=5.0)
    assert sel.accept("u", "a", 9.0, 100.0)
    assert not sel.accept("u", "b", 7.0, 100.5)  # worse: ignored while a speaks
    assert sel.accept("u", "a", None, 101.0)
    assert not sel.accept("u", "b", 7.0, 105.0)
    assert sel.accept("u", "b", 7.0, 106.5)  # a quiet for 5.5 s: fail over
    assert sel.current["u"] == "b"
    assert sel.accept("u", "a", 9.0, 107.0)  # a is back and clearly better
    assert sel.switches == 2


def test_a_unit_with_two_feeds_uses_the_better_and_fails_over(core) -> None:  # type: ignore[no-untyped-def]
    mgr = FeedManager(core, quiet_after=1.0)
    good = mgr.add(FeedSpec("good", "file", path="/nonexistent", unit="boat-01"), start=False)
    poor = mgr.add(FeedSpec("poor", "file", path="/nonexistent", unit="boat-01"), start=False)

    def send(feed, lat: float, hdop: float, t: float) -> None:  # type: ignore[no-untyped-def]
        feed.transport._push([RawLine(time.time(), encode.gga("GP", t, lat, 109.4, hdop=hdop, sats=8))])

    send(good, 24.30, 0.8, T0)
    send(poor, 24.40, 3.5, T0)
    mgr.pump_once()
    assert core.state.units["boat-01"].position.lat == pytest.approx(24.30)
    send(poor, 24.41, 3.5, T0 + 1)
    mgr.pump_once()
    assert core.state.units["boat-01"].position.lat == pytest.approx(24.30)  # still the good one
    deadline = time.monotonic() + 1.2
    wait_for(lambda: time.monotonic() > deadline, 3)  # the good source stays silent past quiet_after
    send(poor, 24.42, 3.5, T0 + 3)
    mgr.pump_once()
    p = core.state.units["boat-01"].position
    assert p.lat == pytest.approx(24.42) and p.source == "poor:poor"
    assert mgr.selector.switches == 1


def test_feed_config_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    specs = [FeedSpec("boat-01 gps", "serial", port="/dev/ttyUSB0", baud=4800, unit="boat-01"),
             FeedSpec("河岸 AIS", "tcp", host="10.0.0.5", tcp_port=10110, bind={"mmsi:413801001": "boat-01",
                                                                               'we"ird': "x"}),
             FeedSpec("gw", "gpsd", host="127.0.0.1", tcp_port=2947, enabled=False),
             FeedSpec("log", "file", path="/tmp/a b.nmea", pace="fast", priority=2)]
    p = save(specs, tmp_path / "feeds.toml")
    assert load(p) == specs
    assert load(tmp_path / "missing.toml") == []
    (tmp_path / "bad.toml").write_text('[[feed]]\nname = "x"\nkind = "carrier-pigeon"\n')
    with pytest.raises(Refused, match="one of serial"):
        load(tmp_path / "bad.toml")
    (tmp_path / "bad2.toml").write_text("[[feed\n")
    with pytest.raises(Refused, match="not valid TOML"):
        load(tmp_path / "bad2.toml")


def test_bind_mmsi_op_records_an_event(core) -> None:  # type: ignore[no-untyped-def]
    out = ops.call(core, "unit.bind_mmsi", {"unit_id": "boat-01", "mmsi": "412000111"}, actor="test")
    assert out["mmsi"] == 412000111
    with pytest.raises(Refused, match="9 digits"):
        ops.call(core, "unit.bind_mmsi", {"unit_id": "boat-01", "mmsi": "12x"}, actor="test")
    assert [e.kind for e in core.store.events(kinds=["unit.mmsi_bound"])] == ["unit.mmsi_bound"]
    mgr = FeedManager(core)
    assert mgr.binder.by_mmsi.get(412000111) == "boat-01"


@pytest.mark.parametrize(("body", "says"), [
    ('[[feed]]\nname = "x"\nkind = "tcp"\nhost = "h"\ntcp_port = "abc"\n', "tcp_port"),
    ('[[feed]]\nname = 5\nkind = "udp"\ntcp_port = 1\n', "name"),
    ('[feed]\nname = "x"\nkind = "udp"\n', r"\[\[feed\]\]"),
    ("feed = 3\n", r"\[\[feed\]\]"),
    ('[[feed]]\nname = "x"\nkind = "udp"\ntcp_port = 1\nbind = "GP"\n', "bind"),
    ('[[feed]]\nname = "x"\nkind = "udp"\ntcp_port = 1\nbind = { GP = 5 }\n', "bind"),
    ('[[feed]]\nname = "x"\nkind = "serial"\nport = "/dev/ttyUSB0"\nbaud = 12.5\n', "baud"),
    ('[[feed]]\nname = "x"\nkind = "udp"\ntcp_port = 1\nenabled = "no"\n', "enabled"),
    ('[[feed]]\nname = "x"\nkind = "udp"\ntcp_port = 1\npriority = "high"\n', "priority"),
])
def test_a_feeds_file_with_a_wrongly_typed_setting_is_refused_saying_which(tmp_path, body, says) -> None:  # type: ignore[no-untyped-def]
    """A hand-edited feeds file with a value of the wrong type is a Refused naming the setting,
    never a ValueError/TypeError out of the console's start (nor a string "no" taken as enabled)."""
    p = tmp_path / "feeds.toml"
    p.write_text(body)
    with pytest.raises(Refused, match=says) as caught:
        load(p)
    assert caught.value.code == "bad_feed_file" or caught.value.code == "bad_feed"
