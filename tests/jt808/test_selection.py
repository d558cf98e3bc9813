"""A truck with a JT/T 808 terminal and a GNSS receiver on a feed: the gateway's positions go through the
same source selection as the feeds' (dispatch/feeds/select.py), so the truck takes the better source
and fails over to the other when it goes quiet, over real sockets (UDP NMEA, TCP JT/T 808)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from devices.nmea import encode
from dispatch.core import Dispatch
from dispatch.feeds.config import FeedSpec
from dispatch.feeds.manager import FeedManager
from dispatch.jt808 import start_gateway
from dispatch.ops import call
from dispatch.store import EventStore
from tests.conftest import Clock, wait_for
from tests.devices.jt808_frames import PHONE_2013
from tests.jt808.terminal import RawTerminal
from tests.jt808.test_commands import LATER, T_LATER
from tests.jt808.test_gateway import login
from tests.ports import free_port

T = datetime(2024, 11, 26, 12, 0, 5, tzinfo=UTC).timestamp()
NO_ALARM_AT_T = ("00 00 00 00" "00 0C 00 03" "01 73 31 00" "06 85 BD 84" "00 5C" "01 C8" "01 13" "24 11 26 20 00 05")


@pytest.fixture
def clocked(db_url):  # type: ignore[no-untyped-def]
    clock = Clock(T)
    core = Dispatch(EventStore(db_url), clock=clock)
    call(core, "units.register", {"units": [{"id": "truck-41", "kind": "truck", "terminal": "013912345678"}]},
         actor="test")
    yield core, clock
    core.close()


def test_a_truck_with_a_terminal_and_a_receiver_takes_the_better_source(clocked):
    core, clock = clocked
    port = free_port()
    mgr = FeedManager(core, [FeedSpec("gnss", "udp", host="127.0.0.1", tcp_port=port, unit="truck-41")],
                      quiet_after=5.0).start()
    gw = start_gateway(core, "tcp://127.0.0.1:0")
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    term = RawTerminal(gw.address)

    def nmea(t: float, lat: float) -> None:
        udp.sendto((encode.rmc("GP", t, lat, 109.4, 5.0, 90.0) + "\r\n"
                    + encode.gga("GP", t, lat, 109.4, hdop=0.8, sats=12) + "\r\n").encode(), ("127.0.0.1", port))

    def position() -> tuple[float, float, str]:
        p = core.state.units["truck-41"].position
        return (round(p.lat, 6), p.ts, p.source) if p is not None else (0.0, 0.0, "")

    try:
        assert gw.ingest.selector is mgr.selector  # one selection for every source of the core
        nmea(T - 5, 24.30)
        wait_for(lambda: position()[0] == 24.3, what="the receiver's fix")
        login(term)
        # the receiver speaks (HDOP 0.8): the terminal's report is not taken
        term.send_frame("0200 001C", PHONE_2013, "0003", NO_ALARM_AT_T)
        term.expect(0x8001, 2)
        wait_for(lambda: gw.ingest.rejected == 1, what="the terminal's position passed over")
        assert position()[:2] == (24.3, T - 5) and position()[2].startswith("gnss:")
        # the receiver goes quiet past the failover time: the terminal's next report moves the truck
        clock.t += 6
        term.send_frame("0200 001C", PHONE_2013, "0004", LATER)
        wait_for(lambda: position()[2] == "jt808:13912345678", what="failover to the terminal")
        assert position()[:2] == (24.326656, T_LATER)
        # the receiver is back and better: it has the truck again
        nmea(T_LATER + 1, 24.31)
        wait_for(lambda: position()[0] == 24.31, what="back to the receiver")
        assert position()[2].startswith("gnss:") and mgr.selector.switches == 2
        from dispatch import fixes

        def stored() -> list[float]:  # written by the gateway's flush thread (or this one)
            core.flush()
            with core.store.read() as conn:
                return [r[1] for r in fixes.fixes_between(conn, None, None) if r[6] == "jt808:13912345678"]

        # the report passed over is not stored either, as a feed's would not be
        assert wait_for(lambda: stored() == [T_LATER] and stored(), what="the terminal's stored fixes")
    finally:
        term.close()
        udp.close()
        gw.stop()
        mgr.stop()
