"""Commands to a truck's terminal over a real TCP connection: position query (0x8201, answered by 0x0201
into the position pipeline), temporary tracking (0x8202), parameter setting (0x8103); each recorded with
the operator who gave it, and the terminal's answer recorded as its outcome (acked, failed, not
supported, timeout)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dispatch.errors import NotFound, Refused
from dispatch.jt808 import start_gateway
from dispatch.ops import call
from tests.conftest import wait_for
from tests.devices.jt808_frames import PHONE_2013
from tests.jt808.terminal import RawTerminal, ctl_running
from tests.jt808.test_gateway import login

# 2024-11-26 20:01:05 Beijing, a little further north, no alarm
LATER = ("00 00 00 00" "00 0C 00 03" "01 73 32 00" "06 85 BD 84" "00 5C" "00 64" "00 5A" "24 11 26 20 01 05")
T_LATER = datetime(2024, 11, 26, 12, 1, 5, tzinfo=UTC).timestamp()


def outcome(core, seq: int):  # type: ignore[no-untyped-def]
    [cmd] = call(core, "jt808.commands", {"event": seq}, actor="t")
    return cmd if cmd["outcome"] is not None else None


def answer(term: RawTerminal, msg, result: int, serial: int) -> None:  # type: ignore[no-untyped-def]
    term.send_frame("0001 0005", PHONE_2013, f"{serial:04X}",
                    f"{msg.header.serial:04X} {msg.header.msg_id:04X} {result:02X}")


def test_position_query_answer_moves_the_truck(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term)
        sent = call(core, "jt808.query_position", {"unit_id": "truck-41"}, actor="dispatcher:li")
        assert (sent["connected"], sent["command"], sent["outcome"]) == (True, "position_query", None)
        query = term.expect(0x8201)[0]
        assert query.header.phone == "013912345678"
        term.send_frame("0201 001E", PHONE_2013, "0003", f"{query.header.serial:04X}", LATER)
        cmd = wait_for(lambda: outcome(core, sent["event"]), what="the query's outcome")
        assert (cmd["outcome"], cmd["by"], cmd["command"]) == ("acked", "dispatcher:li", "position_query")
        assert cmd["position"] == {"lat": 24.326656, "lon": 109.4281, "speed_kmh": 10.0, "course": 90,
                                   "time": T_LATER}
        pos = wait_for(lambda: core.state.units["truck-41"].position, what="the position")
        assert (pos.lat, pos.ts, pos.source) == (24.326656, T_LATER, "jt808:13912345678")
        assert not [m for m in term.received if m.header.msg_id == 0x8001 and m.reply_id == 0x0201]  # an answer
        assert gateway.session_of("013912345678").as_dict()["last_command"]["outcome"] == "acked"
        ev = next(e for e in core.store.events(0) if e.kind == "jt808.command_sent")
        assert ev.actor == "dispatcher:li" and ev.payload == {"unit": "truck-41", "terminal": "013912345678",
                                                              "command": "position_query"}
    finally:
        term.close()


def test_tracking_and_parameters_and_their_outcomes(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term)
        track = call(core, "jt808.track", {"unit_id": "truck-41", "interval_s": 5, "minutes": 10},
                     actor="dispatcher:li")
        msg = term.expect(0x8202)[0]
        assert (msg.interval_s, msg.duration_s) == (5, 600)
        answer(term, msg, 0, 3)
        assert wait_for(lambda: outcome(core, track["event"]), what="tracking acked")["outcome"] == "acked"

        params = call(core, "jt808.set_params", {"unit_id": "truck-41", "params": {
            "heartbeat_interval_s": 30, "report_interval_s": "10", "report_interval_sleep_s": 300,
            "0xF001": "dword:7", "0xF002": {"type": "string", "value": "桂B"}, "0xF003": "bytes:0a0b"}},
            actor="engineer:zhao")
        msg = term.expect(0x8103)[0]
        assert dict(msg.params) == {0x0001: 30, 0x0029: 10, 0x0027: 300, 0xF001: b"\x00\x00\x00\x07",
                                    0xF002: "桂B".encode("gbk"), 0xF003: b"\x0a\x0b"}
        answer(term, msg, 3, 4)  # this terminal does not support it
        cmd = wait_for(lambda: outcome(core, params["event"]), what="parameters answered")
        assert (cmd["outcome"], cmd["result"], cmd["by"]) == ("not_supported", 3, "engineer:zhao")
        again = call(core, "jt808.set_params", {"unit_id": "truck-41", "params": {"heartbeat": 60}},
                     actor="engineer:zhao")
        msg = term.expect(0x8103, 2)[-1]
        assert dict(msg.params) == {0x0001: 60}
        answer(term, msg, 1, 5)
        assert wait_for(lambda: outcome(core, again["event"]), what="failed")["outcome"] == "failed"
        rows = call(core, "jt808.commands", {"unit_id": "truck-41"}, actor="t")
        assert [(c["command"], c["outcome"]) for c in rows] == [
            ("tracking", "acked"), ("parameters", "not_supported"), ("parameters", "failed")]
    finally:
        term.close()


def test_a_command_waits_for_its_terminal_and_times_out_without_an_answer(core):
    gw = start_gateway(core, "tcp://127.0.0.1:0", answer_timeout=1.0, command_ttl=60.0)
    try:
        sent = call(core, "jt808.query_position", {"unit_id": "truck-41"}, actor="dispatcher:li")
        assert sent["connected"] is False
        term = RawTerminal(gw.address)
        try:
            login(term)
            term.expect(0x8201)  # sent once the terminal is in; it does not answer
            cmd = wait_for(lambda: outcome(core, sent["event"]), what="the timeout")
            assert cmd["outcome"] == "timeout" and "no answer" in cmd["detail"]
            assert gw.session_of("013912345678").as_dict()["last_command"]["outcome"] == "timeout"
        finally:
            term.close()
    finally:
        gw.stop()
    gw = start_gateway(core, "tcp://127.0.0.1:0", command_ttl=0.5)
    try:  # a truck that never comes online
        sent = call(core, "jt808.track", {"unit_id": "truck-42", "interval_s": 5, "duration_s": 60},
                    actor="dispatcher:li")
        cmd = wait_for(lambda: outcome(core, sent["event"]), what="the timeout")
        assert cmd["outcome"] == "timeout" and "did not come online" in cmd["detail"]
    finally:
        gw.stop()


@pytest.mark.parametrize("args, message", [
    ({"unit_id": "truck-43", "params": {"heartbeat": 5}}, "no JT/T 808 terminal"),
    ({"unit_id": "truck-41", "params": {}}, "give parameters"),
    ({"unit_id": "truck-41", "params": {"heartbeat_every": 5}}, "unknown parameter"),
    ({"unit_id": "truck-41", "params": {"0xF001": 5}}, "give its type"),
    ({"unit_id": "truck-41", "params": {"0xF001": "word:70000"}}, "0 to 65535"),
    ({"unit_id": "truck-41", "params": {"report_interval_s": "soon"}}, "report_interval_s"),
    ({"unit_id": "truck-41", "params": {"apn": 5}}, "not bytes|text"),
])
def test_parameter_refusals(core, args, message):
    if "apn" in args["params"]:  # a text parameter takes any value as its text
        assert call(core, "jt808.set_params", args, actor="t")["command"] == "parameters"
        return
    with pytest.raises(Refused, match=message):
        call(core, "jt808.set_params", args, actor="t")
    assert not [e for e in core.store.events(0) if e.kind == "jt808.command_sent"]


def test_tracking_and_query_refusals(core):
    with pytest.raises(Refused, match="how long"):
        call(core, "jt808.track", {"unit_id": "truck-41", "interval_s": 5}, actor="t")
    with pytest.raises(Refused, match="0 \\(stop\\) to 65535"):
        call(core, "jt808.track", {"unit_id": "truck-41", "interval_s": 70000, "minutes": 1}, actor="t")
    with pytest.raises(Refused, match="duration"):
        call(core, "jt808.track", {"unit_id": "truck-41", "interval_s": 5, "minutes": 0}, actor="t")
    with pytest.raises(NotFound):
        call(core, "jt808.query_position", {"unit_id": "nobody"}, actor="t")
    with pytest.raises(Refused, match="no JT/T 808 terminal"):
        call(core, "jt808.query_position", {"unit_id": "truck-43"}, actor="t")


def test_ctl_from_another_process_sends_a_query_and_waits_for_its_outcome(core, db_url):
    """`ctl --db` in its own process records the command; the gateway picks it up from the store, the terminal
    answers, and ctl --wait prints the outcome as JSON."""
    import json
    import subprocess
    import sys

    from tests.jt808.test_cli import ROOT

    gateway = start_gateway(core, "tcp://127.0.0.1:0")  # the default timeouts: ctl takes its time to start
    term = RawTerminal(gateway.address)
    try:
        login(term)
        with ctl_running(db_url, "--json", "jt808", "query", "truck-41", "--wait", "30") as ctl:
            query = term.expect(0x8201, timeout=60)[0]
            term.send_frame("0201 001E", PHONE_2013, "0003", f"{query.header.serial:04X}", LATER)
            out, err = ctl.communicate(timeout=60)
        assert ctl.returncode == 0, err
        r = json.loads(out)
        assert (r["unit_id"], r["command"], r["outcome"]) == ("truck-41", "position_query", "acked")
        assert r["position"]["time"] == T_LATER
        text = subprocess.run([sys.executable, str(ROOT / "main.py"), "ctl", "--db", db_url, "jt808", "commands"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
        from console.session import login_name

        assert "position query" in text and "acked" in text and f"ctl:{login_name()}" in text  # who ran ctl
        with ctl_running(db_url, "--json", "jt808", "confirm", "truck-41", "emergency", "--wait", "30") as confirm:
            msg = term.expect(0x8203, timeout=60)[0]
            assert msg.alarms == 1
            answer(term, msg, 0, 4)
            out, err = confirm.communicate(timeout=60)
        assert json.loads(out)["outcome"] == "acked", err
        bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "ctl", "--db", db_url, "jt808", "params",
                              "truck-41", "heartbeat"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert bad.returncode == 1 and "NAME=VALUE" in bad.stderr
    finally:
        term.close()
        gateway.stop()


@pytest.mark.parametrize("given, stored", [
    ("013912345678", "013912345678"), ("139 1234-5678", "13912345678"),
    ("4EB6FB4AFD9E", "4eb6fb4afd9e"), ("000000000abcdef01234", "000000000abcdef01234"),
    ("13912345b78", None), ("4eb6fb4afd9", None), ("abc", None), ("0" * 21, None), ("１３９", None),
])
def test_terminal_numbers_a_binding_takes(core, given, stored):
    """Digits (a SIM's number), or the 12 or 20 hex digits of a terminal that does not number itself in
    BCD; a number with a stray letter is refused, not taken for hex."""
    if stored is None:
        with pytest.raises(Refused, match="terminal number"):
            call(core, "unit.bind_terminal", {"unit_id": "truck-43", "terminal": given}, actor="t")
        assert core.state.units["truck-43"].attributes.get("terminal") is None
    else:
        call(core, "unit.bind_terminal", {"unit_id": "truck-43", "terminal": given}, actor="t")
        assert core.state.units["truck-43"].attributes["terminal"] == stored


def test_the_driver_on_duty_follows_the_last_card(core):
    """The card last put in and read is the driver on duty; one taken out, or one put in that could not be
    read, leaves none (the card before it is not still in: the reader has one slot)."""
    from dispatch.store import NewEvent

    def card(**p):  # type: ignore[no-untyped-def]
        core.record("system:jt808", [NewEvent("jt808.driver_identity", {"unit": "truck-41", "terminal": "013912345678",
                                                                         "time": 1.0, **p}, "unit:truck-41")])
        return [d["name"] for d in call(core, "jt808.drivers", {"unit_id": "truck-41"}, actor="t")]

    assert card(card="inserted", read="ok", name="韦建华", certificate="45020") == ["韦建华"]
    assert card(card="inserted", read="card_locked") == []
    assert card(card="inserted", read="ok", name="覃志强", certificate="45021") == ["覃志强"]
    assert card(card="removed") == []


def test_a_terminals_parameters_read_by_name_and_all(core, gateway):
    """0x8106 names the parameters asked for (by name, alias or id), 0x8104 asks for all; the terminal's 0x0104 is
    the command's outcome, its values by name (bytes of an unknown type in hex)."""
    from devices.jt808 import encode

    term = RawTerminal(gateway.address)
    try:
        login(term)
        some = call(core, "jt808.read_params", {"unit_id": "truck-41", "names": ["heartbeat", "0x0055"]},
                    actor="engineer:zhou")
        q = term.expect(encode.QUERY_SOME_PARAMETERS)[0]
        assert q.ids == (0x0001, 0x0055)
        term.send(encode.frame(encode.PARAMETERS_REPLY, "013912345678", 5, encode.parameters_reply_body(
            q.header.serial, {"heartbeat_interval_s": 30, "max_speed_kmh": 60})))
        cmd = wait_for(lambda: outcome(core, some["event"]), what="the query's outcome")
        assert (cmd["outcome"], cmd["values"]) == ("acked", {"heartbeat_interval_s": 30, "max_speed_kmh": 60})
        every = call(core, "jt808.read_params", {"unit_id": "truck-41"}, actor="engineer:zhou")
        q = term.expect(encode.QUERY_PARAMETERS)[0]
        term.send(encode.frame(encode.PARAMETERS_REPLY, "013912345678", 6, encode.parameters_reply_body(
            q.header.serial, {"apn": "cmnet", 0xF001: b"\x0a\x0b"})))
        cmd = wait_for(lambda: outcome(core, every["event"]), what="the query's outcome")
        assert cmd["values"] == {"apn": "cmnet", "0xF001": "0a0b"} and cmd["by"] == "engineer:zhou"
    finally:
        term.close()
    with pytest.raises(Refused, match="unknown parameter"):
        call(core, "jt808.read_params", {"unit_id": "truck-41", "names": ["no_such_thing"]}, actor="engineer:zhou")


def test_a_simulated_truck_says_its_parameters(core, gateway):
    """The simulator answers 0x8104 with what it runs by (and what a 0x8103 set)."""
    from devices.sim.fleet import SimTrack
    from devices.sim.jt808 import Jt808Fleet, SimTerminal

    term = SimTerminal("013912345678", SimTrack("t", [(24.30, 109.40), (24.33, 109.43)], 10.0), interval_s=5.0)
    fleet = Jt808Fleet([term], "127.0.0.1", gateway.address[1]).start()
    try:
        wait_for(lambda: gateway.is_connected("013912345678"), what="the simulated truck online")
        sent = call(core, "jt808.read_params", {"unit_id": "truck-41"}, actor="engineer:zhou")
        cmd = wait_for(lambda: outcome(core, sent["event"]), what="its answer")
        assert cmd["values"]["report_interval_s"] == 5 and "heartbeat_interval_s" in cmd["values"]
    finally:
        fleet.stop()
