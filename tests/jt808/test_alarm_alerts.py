"""Alarms a terminal raises become alerts in the one alert queue (dispatch/rules/terminal.py), over a real
TCP connection to the gateway: severity per alarm kind, one alert however often the bit repeats (and
across a reconnection or a restart of the gateway), acknowledged like any alert, closed when the
terminal clears the bit."""

from __future__ import annotations

from datetime import UTC, datetime

from dispatch.jt808 import start_gateway
from dispatch.ops import call
from tests.conftest import wait_for
from tests.devices.jt808_frames import LOCATION_FIXED, PHONE_2013
from tests.jt808.terminal import RawTerminal
from tests.jt808.test_gateway import login

T = datetime(2024, 11, 26, 12, 0, 5, tzinfo=UTC).timestamp()
NO_ALARM = "00 00 00 00" + LOCATION_FIXED[11:]
ANTENNA_POWER = "00 00 01 22" + LOCATION_FIXED[11:]  # overspeed (1), GNSS antenna cut (5), power cut (8)


def report(term: RawTerminal, serial: int, body: str = LOCATION_FIXED) -> None:
    """A 0x0200 and the platform's answer to it."""
    n = len([m for m in term.received if m.header.msg_id == 0x8001])
    term.send_frame("0200 001C", PHONE_2013, f"{serial:04X}", body)
    ack = term.expect(0x8001, n + 1)[-1]
    assert (ack.reply_serial, ack.reply_id, ack.result) == (serial, 0x0200, 0)


def terminal_alerts(core):  # type: ignore[no-untyped-def]
    return {a["rule"]: a for a in call(core, "alerts", {"unit_id": "truck-41"}, actor="t")
            if a["rule"].startswith("terminal_")}


def test_terminal_alarms_become_alerts_debounced_acknowledged_and_cleared(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term)
        for serial in (3, 4, 5):  # emergency + overspeed in every report: one alert each
            report(term, serial)
        alerts = wait_for(lambda: len(terminal_alerts(core)) == 2 and terminal_alerts(core), what="two alerts")
        emergency, overspeed = alerts["terminal_emergency"], alerts["terminal_overspeed"]
        assert (emergency["severity"], overspeed["severity"]) == ("high", "medium")
        assert (emergency["state"], emergency["unit_id"], emergency["lat"], emergency["lon"], emergency["ts"]) == (
            "open", "truck-41", 24.3264, 109.4281, T)
        assert "013912345678" in emergency["detail"] and "45.6 km/h" in emergency["detail"]
        raised = [e for e in core.store.events(0) if e.kind == "alert.raised"]
        assert [e.actor for e in raised] == ["system:rules", "system:rules"]
        # the most severe first in the queue, as the console's Alerts tab shows it
        assert [a["rule"] for a in call(core, "alerts", {"state": "open"}, actor="t")][:1] == ["terminal_emergency"]
    finally:
        term.close()
    # the terminal comes back and still reports both: nothing new
    term = RawTerminal(gateway.address)
    try:
        login(term)
        report(term, 3)
        wait_for(lambda: gateway.session_of("013912345678").positions == 1, what="the report")
        call(core, "alert.acknowledge", {"alert_id": emergency["id"], "note": "called the driver"},
             actor="dispatcher:li")
        # an emergency alarm is kept by the terminal until the platform confirms it: acknowledging confirms it
        confirm = term.expect(0x8203)[0]
        assert (confirm.reply_serial, confirm.alarms) == (0, 0x01)  # every emergency alarm (bit 0)
        term.send_frame("0001 0005", PHONE_2013, "0009", f"{confirm.header.serial:04X} 82 03 00")
        cmd = wait_for(lambda: [c for c in call(core, "jt808.commands", {}, actor="t") if c["outcome"]],
                       what="the confirmation answered")[0]
        assert (cmd["command"], cmd["alarms"], cmd["by"], cmd["outcome"]) == (
            "alarm_confirm", ["emergency"], "dispatcher:li", "acked")
        # emergency off; GNSS antenna cut and power cut on (overspeed still on)
        report(term, 4, ANTENNA_POWER)
        wait_for(lambda: len(terminal_alerts(core)) == 4, what="the new alerts")
        wait_for(lambda: terminal_alerts(core)["terminal_emergency"]["state"] == "cleared", what="emergency cleared")
        alerts = terminal_alerts(core)
        em = call(core, "alert.show", {"alert_id": emergency["id"]}, actor="t")
        assert em["ack_by"] == "dispatcher:li" and em["active"] is False
        assert em["cleared_reason"].startswith("the terminal cleared the alarm")
        assert (alerts["terminal_power_cut"]["severity"], alerts["terminal_gnss_antenna_cut"]["severity"]) == (
            "high", "medium")
        assert alerts["terminal_overspeed"]["id"] == overspeed["id"] and alerts["terminal_overspeed"]["active"]
    finally:
        term.close()
    assert len([e for e in core.store.events(0) if e.kind == "alert.raised"]) == 4
    # an overspeed alarm the terminal clears by itself: acknowledging it sends nothing
    call(core, "alert.acknowledge", {"alert_id": overspeed["id"]}, actor="dispatcher:li")
    assert [e.payload["command"] for e in core.store.events(0) if e.kind == "jt808.command_sent"] == [
        "alarm_confirm"]


def test_ctl_json_alerts_lists_a_terminal_alarm(core, gateway, db_url):
    """What `ctl --json alerts` prints from another process while the gateway runs."""
    import json

    from tests.jt808.test_cli import main

    term = RawTerminal(gateway.address)
    try:
        login(term)
        report(term, 3)
        wait_for(lambda: len(terminal_alerts(core)) == 2, what="two alerts")
    finally:
        term.close()
    rows = json.loads(main("ctl", "--db", db_url, "--json", "alerts").stdout)
    assert [(a["rule"], a["unit_id"], a["severity"], a["state"]) for a in rows] == [
        ("terminal_emergency", "truck-41", "high", "open"), ("terminal_overspeed", "truck-41", "medium", "open")]


def test_alarms_cleared_after_a_gateway_restart_close_their_alerts(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term)
        report(term, 3)
        wait_for(lambda: len(terminal_alerts(core)) == 2, what="two alerts")
    finally:
        term.close()
    gateway.stop()
    gw = start_gateway(core, "tcp://127.0.0.1:0")
    term = RawTerminal(gw.address)
    try:
        login(term)
        report(term, 3)  # the same alarms again after the restart: still one alert each
        report(term, 4, NO_ALARM)  # then none: both close
        wait_for(lambda: all(not a["active"] for a in terminal_alerts(core).values()), what="alerts closed")
        assert len(terminal_alerts(core)) == 2
        assert [e.kind for e in core.store.events(0) if e.kind.startswith("alert.")] == [
            "alert.raised", "alert.raised", "alert.cleared", "alert.cleared"]
    finally:
        term.close()
        gw.stop()


def test_the_rules_engine_leaves_terminal_alerts_to_the_terminal(core, gateway):
    """An engine made on a core with an open terminal alert (a console restarted) never closes it itself."""
    from dispatch.rules.engine import RulesEngine

    term = RawTerminal(gateway.address)
    try:
        login(term)
        report(term, 3)
        wait_for(lambda: len(terminal_alerts(core)) == 2, what="two alerts")
    finally:
        term.close()
    eng = RulesEngine(core)
    assert eng.tracks == {}
    rows = [("truck-41", T + 600 + k, 24.3264, 109.4281, 0.0, 0.0, "x") for k in range(0, 300, 10)]
    assert [e for e in eng.evaluate(rows, False) if e.kind == "alert.cleared"] == []
