"""Editing a running feed and its per-source bindings (no Qt): checks, live apply, audit event, TOML."""

from __future__ import annotations

import pytest

from dispatch import ops
from dispatch.feeds.config import (
    FeedRefused,
    FeedSpec,
    binding_key,
    check_bindings,
    load,
    plan_edit,
    save,
    split_key,
)
from dispatch.feeds.manager import FeedManager
from tests.conftest import wait_for
from tests.feeds.talkers import MMSI, UdpTalkers, at

UNITS = {"boat-01", "boat-02", "truck-01"}


def test_binding_keys_are_normalised_and_read_back() -> None:
    assert binding_key("talker", " gp ") == "GP"
    assert binding_key("mmsi", "413801001") == "mmsi:413801001"
    assert binding_key("mmsi", "mmsi:413801001") == "mmsi:413801001"
    assert binding_key("peer", "192.168.1.20") == "192.168.1.20"
    assert binding_key("peer", "192.168.1.20:4001") == "192.168.1.20:4001"
    assert binding_key("peer", "::1") == "::1"
    assert binding_key("device", "/dev/ttyUSB0") == "/dev/ttyUSB0"
    for key, kind in (("GP", "talker"), ("mmsi:413801001", "mmsi"), ("10.0.0.5:10110", "peer"),
                      ("/dev/ttyUSB0", "device"), ("push@127.0.0.1:5", "device"), ('we"ird', "device")):
        k, v = split_key(key)
        assert k == kind and binding_key(k, v) == key


@pytest.mark.parametrize(("kind", "value", "says"), [
    ("talker", "GPS", "Row 2: A talker is two letters"),
    ("talker", "G1", "A talker is two letters"),
    ("mmsi", "41380100", "An MMSI is 9 digits"),
    ("mmsi", "41380100x", "An MMSI is 9 digits"),
    ("mmsi", "012345678", "An MMSI is 9 digits"),
    ("peer", "boat.local", "A peer is an IP address"),
    ("peer", "10.0.0.5:99999", "A peer is an IP address"),
    ("device", "mmsi:1", "cannot be a device id"),
    ("device", "a\x01b", "cannot be a device id"),
    ("device", "  ", "The value to match is empty"),
    ("colour", "red", "Unknown kind of match"),
])
def test_bad_binding_values_are_refused_saying_what_is_allowed(kind: str, value: str, says: str) -> None:
    with pytest.raises(FeedRefused, match=says) as exc:
        check_bindings([("talker", "GN", "boat-01"), (kind, value, "boat-02")], UNITS)
    assert exc.value.row == 1 and exc.value.field == "bind"
    assert "%" not in str(exc.value) and str(exc.value).startswith("Row 2: ")


def test_bindings_name_the_row_of_an_unknown_unit_a_duplicate_and_a_taken_mmsi() -> None:
    assert check_bindings([("talker", "gp", "boat-01"), ("mmsi", "412000111", "truck-01")], UNITS) == {
        "GP": "boat-01", "mmsi:412000111": "truck-01"}
    with pytest.raises(FeedRefused, match="Row 2: Unknown unit 'boat-99'") as exc:
        check_bindings([("talker", "GP", "boat-01"), ("talker", "GN", "boat-99")], UNITS)
    assert exc.value.code == "unknown_unit" and exc.value.row == 1
    with pytest.raises(FeedRefused, match=r"Row 3: GP is bound twice \(rows 1 and 3\)") as exc:
        check_bindings([("talker", "GP", "boat-01"), ("talker", "GN", "boat-02"), ("talker", "gp", "truck-01")],
                       UNITS)
    assert exc.value.code == "duplicate_binding"
    with pytest.raises(FeedRefused, match="Row 1: Choose the unit"):
        check_bindings([("talker", "GP", " ")], UNITS)
    with pytest.raises(FeedRefused, match="MMSI 413801002 belongs to unit boat-02") as exc:
        check_bindings([("mmsi", "413801002", "boat-01")], UNITS, {413801002: "boat-02"})
    assert exc.value.code == "mmsi_taken"
    assert check_bindings([("mmsi", "413801002", "boat-02")], UNITS, {413801002: "boat-02"})


def test_plan_edit_tells_a_restart_from_a_bindings_change_and_refuses_a_clashing_name() -> None:
    a = FeedSpec("a", "udp", host="127.0.0.1", tcp_port=10110, enabled=False)
    b = FeedSpec("b", "serial", port="/dev/ttyUSB0")
    new = FeedSpec(" a2 ", "udp", host="127.0.0.1", tcp_port=10110, bind={"GP": "boat-01"}, priority=3)
    plan = plan_edit([a, b], "a", new, units=UNITS)
    assert plan.renamed and plan.bindings_changed and not plan.restart and plan.changed
    assert plan.spec.name == "a2" and plan.spec.enabled is False  # enabled stays the feed's
    moved = FeedSpec("a", "udp", host="127.0.0.1", tcp_port=10111)
    plan = plan_edit([a, b], "a", moved)
    assert plan.restart and not plan.renamed and not plan.bindings_changed
    assert not plan_edit([a, b], "a", FeedSpec("a", "udp", host="127.0.0.1", tcp_port=10110)).changed
    with pytest.raises(FeedRefused, match="A feed named 'b' exists already") as exc:
        plan_edit([a, b], "a", FeedSpec("b", "udp", host="127.0.0.1", tcp_port=10110))
    assert exc.value.field == "name" and exc.value.code == "feed_exists"
    with pytest.raises(FeedRefused, match="Unknown unit 'boat-99'"):
        plan_edit([a, b], "a", FeedSpec("a", "udp", host="127.0.0.1", tcp_port=10110, unit="boat-99"), units=UNITS)
    with pytest.raises(FeedRefused, match="needs a port"):
        plan_edit([a, b], "b", FeedSpec("b", "serial"))
    with pytest.raises(FeedRefused, match="No feed named 'c'"):
        plan_edit([a, b], "c", a)


def test_bindings_edited_on_a_live_udp_feed_move_units_without_dropping_it(core, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "feeds.toml"
    mgr = FeedManager(core, [FeedSpec("river", "udp", host="127.0.0.1", tcp_port=0),
                             FeedSpec("spare", "tcp-server", host="127.0.0.1", tcp_port=0)]).start()
    feed = mgr.feeds["river"]
    transport = feed.transport
    wait_for(lambda: transport.stats.connected, 5)
    spare = mgr.feeds["spare"].transport
    talkers = UdpTalkers(transport.port).start()  # type: ignore[attr-defined]
    try:
        # nothing bound yet: the bench lists what the feed heard
        def keys(name: str = "river") -> set[tuple[str, str]]:
            return {(u.kind, u.value) for u in mgr.unbound_sources(name)}

        want = {("talker", "GP"), ("talker", "GN"), ("peer", talkers.peer), ("mmsi", str(MMSI))}
        wait_for(lambda: want <= keys(), 10, what=f"{want} among the unbound sources")
        assert all(u.count > 0 and u.age < 10 for u in mgr.unbound_sources("river"))
        assert core.state.units["boat-01"].position is None

        spec = FeedSpec("river AIS", "udp", host="127.0.0.1", tcp_port=0,
                        bind={"GP": "boat-01", "GN": "truck-01", f"mmsi:{MMSI}": "boat-02"}, priority=2)
        ops.call(core, "unit.bind_mmsi", {"unit_id": "boat-01", "mmsi": str(MMSI)}, actor="test")
        with pytest.raises(FeedRefused, match="MMSI 412000111 belongs to unit boat-01"):
            mgr.update("river", spec, actor="dispatcher:li")  # the unit board gave it to boat-01 meanwhile
        assert mgr.feeds["river"].spec.bind == {} and not list(core.store.events(kinds=["feed.bindings_changed"]))
        ops.call(core, "unit.bind_mmsi", {"unit_id": "boat-01", "mmsi": None}, actor="test")
        plan = mgr.update("river", spec, actor="dispatcher:li")
        assert plan.bindings_changed and plan.renamed and not plan.restart
        assert list(mgr.feeds) == ["river AIS", "spare"] and mgr.feeds["river AIS"] is feed
        wait_for(lambda: at(core.state.units["boat-01"].position, "GP"), 10, what="GP on boat-01")
        wait_for(lambda: at(core.state.units["truck-01"].position, "GN"), 10, what="GN on truck-01")
        wait_for(lambda: at(core.state.units["boat-02"].position, "mmsi"), 10, what="the MMSI on boat-02")
        wait_for(lambda: not keys("river AIS"), 5, what="no source left unbound")
        # the connection was never dropped, the other feed never touched
        assert feed.transport is transport and transport.stats.disconnects == 0 and transport.stats.connects == 1
        assert spare.stats.connects == 1 and spare.stats.disconnects == 0

        ev = [e for e in core.store.events(kinds=["feed.bindings_changed"])]
        assert len(ev) == 1 and ev[0].actor == "dispatcher:li" and ev[0].entity == "feed:river AIS"
        assert ev[0].payload["added"] == {"GP": "boat-01", "GN": "truck-01", f"mmsi:{MMSI}": "boat-02"}
        assert ev[0].payload["renamed_from"] == "river"
        assert ops.call(core, "feeds", {}, actor="test")["river AIS"]["bindings"]["bind"]["GN"] == "truck-01"

        save(mgr.specs(), path)
        assert load(path) == mgr.specs()

        # a core refusal (the unit went away meanwhile would be the same) leaves everything as it was
        bad = FeedSpec("river AIS", "udp", host="127.0.0.1", tcp_port=0, bind={"GP": "boat-77"})
        with pytest.raises(FeedRefused, match="Row 1: Unknown unit 'boat-77'"):
            mgr.update("river AIS", bad, actor="dispatcher:li")
        assert mgr.feeds["river AIS"].spec.bind["GP"] == "boat-01"
        assert len(list(core.store.events(kinds=["feed.bindings_changed"]))) == 1

        # moving GN to boat-01's other source: the event says what changed and what went
        again = FeedSpec("river AIS", "udp", host="127.0.0.1", tcp_port=0, bind={"GP": "boat-01"}, priority=2)
        mgr.update("river AIS", again, actor="dispatcher:li")
        last = list(core.store.events(kinds=["feed.bindings_changed"]))[-1]
        assert last.payload["removed"] == {"GN": "truck-01", f"mmsi:{MMSI}": "boat-02"} and not last.payload["added"]
        wait_for(lambda: ("talker", "GN") in keys("river AIS"), 5, what="GN unbound again")
    finally:
        talkers.stop()
        mgr.stop()


def test_a_transport_change_restarts_only_that_feed(core) -> None:  # type: ignore[no-untyped-def]
    mgr = FeedManager(core, [FeedSpec("a", "udp", host="127.0.0.1", tcp_port=0, bind={"GP": "boat-01"}),
                             FeedSpec("b", "udp", host="127.0.0.1", tcp_port=0)]).start()
    try:
        old, other = mgr.feeds["a"].transport, mgr.feeds["b"].transport
        wait_for(lambda: old.stats.connected and other.stats.connected, 5)
        plan = mgr.update("a", FeedSpec("a", "tcp-server", host="127.0.0.1", tcp_port=0, bind={"GP": "boat-01"}))
        assert plan.restart and not plan.bindings_changed
        new = mgr.feeds["a"].transport
        assert new is not old and not old.stats.connected
        wait_for(lambda: new.stats.connected, 5, what="the new transport listening")
        assert mgr.feeds["b"].transport is other and other.stats.disconnects == 0
        mgr.pump_once()
        kinds = [(e.kind, e.payload["feed"]) for e in core.store.events(kinds=["feed.connected", "feed.disconnected"])]
        assert ("feed.disconnected", "a") in kinds and ("feed.disconnected", "b") not in kinds
        assert not list(core.store.events(kinds=["feed.bindings_changed"]))  # no binding changed
    finally:
        mgr.stop()


def test_a_gpsd_device_id_binds_its_fixes(core) -> None:  # type: ignore[no-untyped-def]
    mgr = FeedManager(core, [FeedSpec("gw", "gpsd", host="127.0.0.1", tcp_port=2947,
                                      bind={"/dev/ttyUSB1": "boat-01", "10.0.0.9": "truck-01"})])
    feed = mgr.feeds["gw"]
    assert feed.device_of("", "gw:/dev/ttyUSB1") == "/dev/ttyUSB1" and feed.device_of("", "gw") is None
    assert mgr._unit_for(feed, "", "gw:/dev/ttyUSB1", None) == "boat-01"
    assert mgr._unit_for(feed, "10.0.0.9:4001", "gw@10.0.0.9:4001", "GP") == "truck-01"
    assert mgr._unit_for(feed, "", "gw:/dev/ttyUSB2", None) is None
    feed.see("", "gw:/dev/ttyUSB2", None, core.clock()).count += 1
    feed.see("", "gw:/dev/ttyUSB1", None, core.clock()).count += 1  # heard before it was bound
    assert [(u.kind, u.value) for u in mgr.unbound_sources("gw")] == [("device", "/dev/ttyUSB2")]
