"""The rest of a terminal's uplink at the gateway, over real TCP (dispatch/jt808/uplink.py): CAN bus data (0x0705)
and compressed data (0x0901) kept on the session, the terminal's RSA key (0x0A00), and the 2013 driver's event
report (0x0301, recorded), information demand (0x0303) and question answer (0x0302); each answered 0x8001, none
taken before authentication, a zip bomb refused as a bad message."""

from __future__ import annotations

import gzip
import hashlib
from datetime import time

from devices.jt808 import encode, extra
from devices.jt808.extra import CanItem
from tests.conftest import wait_for
from tests.jt808.terminal import RawTerminal
from tests.jt808.test_gateway import login
from tests.jt808.test_uplink import PHONE, acks, events, refused_before_login

MODULUS = bytes(range(1, 129))


def test_can_data_compressed_data_keys_and_the_drivers_events(core, gateway):
    refused_before_login(gateway, encode.frame(encode.EVENT_REPORT, PHONE, 1, extra.event_report_body(3)))
    term = RawTerminal(gateway.address)
    try:
        login(term)
        engine = CanItem(channel=1, extended=True, averaged=False, can_id=0x0CF00400, data=bytes.fromhex("f07d7d0000ffffff"))
        load = CanItem(channel=2, extended=False, averaged=True, can_id=0x18A, data=bytes(8))
        term.send(encode.frame(encode.CAN_BUS_DATA, PHONE, 10, extra.can_bus_data_body(time(20, 1, 5, 250000),
                                                                                     [engine, load])))
        engine2 = CanItem(channel=1, extended=True, averaged=False, can_id=0x0CF00400, data=bytes.fromhex("f07e7e0000ffffff"))
        term.send(encode.frame(encode.CAN_BUS_DATA, PHONE, 11, extra.can_bus_data_body(time(20, 1, 6), [engine2])))
        obd = b"$OBD-RT,12.6,2100,56\r\n" * 40
        term.send(encode.frame(encode.COMPRESSED_DATA, PHONE, 12, extra.compressed_data_body(obd)))
        term.send(encode.frame(encode.TERMINAL_RSA_KEY, PHONE, 13, extra.rsa_key_body(65537, MODULUS)))
        term.send(encode.frame(encode.EVENT_REPORT, PHONE, 14, extra.event_report_body(3), edition=2013))
        term.send(encode.frame(encode.INFO_DEMAND, PHONE, 15, extra.info_demand_body(7, True)))
        term.send(encode.frame(encode.QUESTION_ANSWER, PHONE, 16, extra.question_answer_body(500, 2)))
        bomb = gzip.compress(bytes(200_000))  # 200 kB of zeros in a few hundred bytes: past 64 KiB inflated
        term.send(encode.frame(encode.COMPRESSED_DATA, PHONE, 17, len(bomb).to_bytes(4, "big") + bomb))
        term.expect(0x8001, 1 + 8)  # the authentication's, then one for each of the eight
        for msg_id in (encode.CAN_BUS_DATA, encode.TERMINAL_RSA_KEY, encode.EVENT_REPORT, encode.INFO_DEMAND,
                       encode.QUESTION_ANSWER):
            assert [a.result for a in acks(term, msg_id)] in ([0], [0, 0]), hex(msg_id)
        assert [a.result for a in acks(term, encode.COMPRESSED_DATA)] == [0, 2]  # the bomb: a message that does not parse

        [ev] = wait_for(lambda: events(core, "jt808.event_report"), what="the driver's event recorded")
        assert (ev.payload["unit"], ev.payload["terminal"], ev.payload["event_id"]) == ("truck-41", PHONE, 3)
        s = gateway.session_of(PHONE).as_dict()
        can = s["can"]
        assert set(can) == {"0x0CF00400", "0x18A"}
        assert (can["0x0CF00400"]["count"], can["0x0CF00400"]["data"], can["0x0CF00400"]["channel"]) == (
            2, "f07e7e0000ffffff", 1)
        assert can["0x18A"]["averaged"] and can["0x18A"]["channel"] == 2
        kept = s["passthrough"]["compressed"]
        assert kept["size"] == len(obd) and bytes.fromhex(kept["head"]) == obd[:64]
        assert (s["rsa_key"]["e"], s["rsa_key"]["sha256"]) == (65537, hashlib.sha256(MODULUS).hexdigest())
        assert s["info_demand"] == {"7": True}
        from console.device_bench.jt808 import terminal_tip

        tip = terminal_tip(s).splitlines()  # the device bench's tooltip on the terminal's number
        assert "CAN bus: 2 ids, 3 frames" in tip and f"RSA key e=65537, modulus SHA-256 {s['rsa_key']['sha256'][:16]}…" in tip
        assert any(line.startswith("Transparent data compressed: 1 messages") for line in tip)
        assert gateway.session_of(PHONE).connected  # a bomb costs the terminal an answer, not its connection
        assert not events(core, "jt808.can") and not events(core, "jt808.passthrough")
    finally:
        term.close()


def test_a_simulated_trucks_can_bus_says_its_engine_and_road_speed(core, gateway):
    from devices.sim.can import CCVS, EEC1, engine_rpm, kmh_of, rpm_of
    from devices.sim.fleet import SimTrack
    from devices.sim.jt808 import Jt808Fleet, SimTerminal

    term = SimTerminal(PHONE, SimTrack("t", [(24.30, 109.40), (24.33, 109.43)], 10.0), interval_s=0.2, can=True)
    fleet = Jt808Fleet([term], "127.0.0.1", gateway.address[1]).start()
    try:
        def can() -> dict:  # type: ignore[type-arg]
            s = gateway.session_of(PHONE)
            return s.as_dict()["can"] if s is not None else {}

        wait_for(lambda: all(can().get(f"0x{i:08X}", {}).get("count", 0) >= 3 for i in (EEC1, CCVS)),
                 what="three reports' CAN frames kept")
        frames = can()
        road = kmh_of(bytes.fromhex(frames[f"0x{CCVS:08X}"]["data"]))
        assert 30 <= road <= 40  # the track's 10 m/s
        assert rpm_of(bytes.fromhex(frames[f"0x{EEC1:08X}"]["data"])) == engine_rpm(road)
        assert term.stats.connects == 1  # one connection all along: the frames cost the truck nothing
    finally:
        fleet.stop()


def test_a_terminal_that_makes_up_types_and_bus_ids_fills_no_memory(core, gateway):
    from dispatch.jt808.uplink import CAN_IDS_KEPT, PASSTHROUGH_KINDS_KEPT

    term = RawTerminal(gateway.address)
    try:
        login(term)
        for i in range(PASSTHROUGH_KINDS_KEPT + 2):  # user-defined types 0xF0, 0xF1, ... then more
            term.send(encode.frame(encode.PASSTHROUGH, PHONE, 10 + i, encode.passthrough_body(0xE0 + i, b"x")))
        items = [CanItem(channel=1, extended=True, averaged=False, can_id=0x100 + i, data=bytes(8))
                 for i in range(CAN_IDS_KEPT + 3)]
        for n in range(0, len(items), 20):
            term.send(encode.frame(encode.CAN_BUS_DATA, PHONE, 40 + n, extra.can_bus_data_body(time(8, 0), items[n:n + 20])))
        term.expect(0x8001, 1 + PASSTHROUGH_KINDS_KEPT + 2 + 4)
        s = gateway.session_of(PHONE).as_dict()
        assert len(s["passthrough"]) == PASSTHROUGH_KINDS_KEPT and len(s["can"]) == CAN_IDS_KEPT
        assert gateway.counters["passthrough_dropped"] == 2
        assert gateway.counters["can_dropped"] == 3
    finally:
        term.close()
