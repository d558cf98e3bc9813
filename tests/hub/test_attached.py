"""Consoles attached to a hub: a snapshot then the live stream, a gap resynchronised, a hub killed and
started again, the seats' logins in the log, and the login dialog's refusals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dispatch.core import Dispatch
from dispatch.hub.attach import RemoteCore
from dispatch.ops import call
from dispatch.store import EventStore
from tests.conftest import stop_process, wait_for
from tests.hub.conftest import PASSWORD, UNITS, add_operator
from tests.ports import free_port_pair

ROOT = Path(__file__).resolve().parents[2]
INCIDENT = {"category": "floating_garbage", "priority": "P2", "lat": 24.33, "lon": 109.41, "verified": True}


def attach(endpoint: str, keys: dict[str, Any], name: str) -> RemoteCore:
    core = RemoteCore(endpoint, keys, timeout=5)
    core.login(name, PASSWORD)
    return core.start()


def start_hub(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "hub", "--db", url, "--field-bind",
                             "tcp://127.0.0.1:0", "--control-bind", f"tcp://127.0.0.1:{port}"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("ab"))


def store_head(url: str) -> tuple[int, str]:
    store = EventStore(url)
    try:
        last = list(store.events(store.last_seq() - 1))[-1]
        return last.seq, last.hash
    finally:
        store.close()


@pytest.mark.postgres
def test_two_seats_on_postgresql_see_each_other_and_survive_a_killed_hub(pg_url: str, tmp_path: Path) -> None:
    core = Dispatch(EventStore(pg_url))
    core.register_units("test", UNITS)
    wang = add_operator(core, tmp_path, "wang", "dispatcher")
    li = add_operator(core, tmp_path, "li", "shift_lead")
    core.close()
    port = free_port_pair()
    endpoint = f"tcp://127.0.0.1:{port}"
    hub = start_hub(pg_url, port, tmp_path / "hub.log")
    seats: list[RemoteCore] = []
    try:
        a = wait_for(lambda: _try_attach(endpoint, wang, "wang"), 30, what="the hub to answer")
        b = attach(endpoint, li, "li")
        seats += [a, b]
        links: list[str] = []
        b.on_link.append(lambda status, _d: links.append(status))
        iid = call(a, "incident.create", INCIDENT, actor="ignored")["id"]
        wait_for(lambda: iid in _incidents(b), 5, what="seat b to see seat a's incident")
        call(b, "unit.status", {"unit_id": "boat-02", "status": "out_of_service"}, actor="ignored")
        wait_for(lambda: a.state.units["boat-02"].status == "out_of_service", 5, what="seat a to see b's change")

        hub.send_signal(signal.SIGKILL)
        hub.wait(10)
        links.clear()
        wait_for(lambda: "lost" in links, 10, what="seat b to notice the hub is gone")
        other = Dispatch(EventStore(pg_url))  # ctl --db while the hub is down: an event the stream never sent
        call(other, "shift.note", {"text": "written while the hub was down"}, actor="ctl:test")
        other.close()
        hub = start_hub(pg_url, port, tmp_path / "hub.log")
        head = store_head(pg_url)
        wait_for(lambda: "restarted" in links and links[-1] == "up", 30, what="seat b to see the hub restarted")
        for seat in (a, b):
            wait_for(lambda s=seat: (s.state.last_seq, s.state.last_hash) >= head and s.link == "up", 30,
                     what=f"{seat.seat} to resynchronise with the restarted hub")
        iid2 = call(b, "incident.create", INCIDENT, actor="ignored")["id"]  # b logged in again by itself
        wait_for(lambda: iid2 in _incidents(a), 5, what="seat a to see b's incident after the restart")
        head = store_head(pg_url)
        wait_for(lambda: all((s.state.last_seq, s.state.last_hash) == head for s in seats), 5)
        store = EventStore(pg_url)
        try:
            events = list(store.events())
        finally:
            store.close()
        assert [e.seq for e in events] == list(range(1, head[0] + 1))  # nothing lost, nothing twice
        notes = [e for e in events if e.kind == "shift.note"]
        assert notes and notes[0].payload["text"] == "written while the hub was down"
        assert [e.actor for e in events if e.entity == f"incident:{iid2}"][0] == "shift_lead:li"
        # handover: the killed hub's sessions are closed by the new one, and both operators log in again
        seat_events = [(e.kind, e.payload.get("name"), e.payload.get("seat"), e.payload.get("reason"))
                       for e in events if e.kind in ("account.login", "account.logout")]
        assert ("account.logout", "wang", "seat-wang", "hub restarted") in seat_events
        assert seat_events.count(("account.login", "li", "seat-li", None)) == 2
        seats_now = call(b, "replay.seats", {}, actor="ignored")["seats"]
        assert {(s["seat"], s["name"]) for s in seats_now} == {("seat-wang", "wang"), ("seat-li", "li")}
    finally:
        for s in seats:
            s.logout()
            s.close()
        stop_process(hub, 10)


def _try_attach(endpoint: str, keys: dict[str, Any], name: str) -> RemoteCore | None:
    core = RemoteCore(endpoint, keys, timeout=1)
    try:
        core.login(name, PASSWORD)
    except ConnectionError:
        core.close()
        return None
    core._client.timeout = 5
    return core.start()


def _incidents(core: RemoteCore) -> set[int]:
    from dispatch.incidents.book import book

    with core.lock:
        return set(book(core.state).items)


def test_a_lost_message_is_a_gap_and_the_seat_resynchronises(link) -> None:  # type: ignore[no-untyped-def]
    wang = add_operator(link.core, link.keys, "wang", "dispatcher")
    zhao = add_operator(link.core, link.keys, "zhao", "viewer")
    a, b = attach(link.hub.control_endpoint, wang, "wang"), attach(link.hub.control_endpoint, zhao, "zhao")
    try:
        # the seat's first resynchronisations over, and nothing in flight: a later one is the gap's
        wait_for(lambda: b.resyncs >= 1 and b.settled and b.state.last_seq == link.core.state.last_seq, 5)
        wait_for(lambda: link.hub.stream.cursor == link.core.state.last_seq, 5)
        before = b.resyncs
        link.hub.stream.drop_next = 1  # the next message of events never reaches anyone
        call(a, "shift.note", {"text": "one"}, actor="ignored")
        try:
            wait_for(lambda: b.resyncs > before, 10)
        except AssertionError:
            raise AssertionError(f"the gap was not noticed: link {b.link}, seat at {b.state.last_seq}, hub at "
                                 f"{link.core.state.last_seq}, published {link.hub.stream.cursor}") from None
        wait_for(lambda: (b.state.last_seq, b.state.last_hash) == (link.core.state.last_seq,
                                                                    link.core.state.last_hash), 5)
        call(a, "shift.note", {"text": "two"}, actor="ignored")  # and the stream goes on from there
        wait_for(lambda: b.state.last_seq == link.core.state.last_seq, 5)
        assert b.link == "up"
    finally:
        for s in (a, b):
            s.logout()
            s.close()


def test_positions_reach_an_attached_seat(link) -> None:  # type: ignore[no-untyped-def]
    import time

    zhao = add_operator(link.core, link.keys, "zhao", "viewer")
    b = attach(link.hub.control_endpoint, zhao, "zhao")
    try:
        version, _ = b.positions_since(0)
        link.core.ingest([("boat-01", time.time(), 24.31, 109.42, 2.0, 45.0, "test")])
        wait_for(lambda: [u.id for u in b.positions_since(version)[1]] == ["boat-01"], 5)
        assert b.state.units["boat-01"].position.lat == 24.31  # type: ignore[union-attr]
    finally:
        b.logout()
        b.close()


def test_an_attached_main_window_acts_through_the_hub_and_shows_the_other_seat(link, qtbot) -> None:  # type: ignore[no-untyped-def]
    from console import operations
    from console.attached import LinkStatus
    from console.main_window import MainWindow
    from dispatch.city.data import load_city

    wang = add_operator(link.core, link.keys, "wang", "dispatcher")
    li = add_operator(link.core, link.keys, "li", "dispatcher")
    gui, other = attach(link.hub.control_endpoint, wang, "wang"), attach(link.hub.control_endpoint, li, "li")
    operations.set_core(gui)
    try:
        window = MainWindow(gui, load_city().geojson(), lang="en", store_label="hub", push_interval_ms=50)
        status = LinkStatus(gui, window)
        window.statusBar().addPermanentWidget(status)
        qtbot.addWidget(window)
        assert "Seat seat-wang · wang (dispatcher)" in status.text()
        call(other, "unit.status", {"unit_id": "boat-01", "status": "out_of_service"}, actor="ignored")

        def board_status() -> str:
            m = window.board.model
            return m.rows[m.index_of["boat-01"]]["status"] if "boat-01" in m.index_of else ""

        qtbot.waitUntil(lambda: board_status() == "out_of_service", timeout=5000)
        done: list[Any] = []
        operations.DispatchOp(parent=None, op=lambda core: call(core, "unit.status", {
            "unit_id": "boat-02", "status": "out_of_service"}, actor="dispatcher:forged")).success(
            done.append).run_in_background()
        qtbot.waitUntil(lambda: bool(done), timeout=5000)
        wait_for(lambda: other.state.units["boat-02"].status == "out_of_service", 5)
        last = [e for e in link.core.store.events() if e.entity == "unit:boat-02"][-1]
        assert last.actor == "dispatcher:wang"
        window.close()
    finally:
        operations.set_core(None)
        for s in (gui, other):
            s.logout()
            s.close()


def test_the_login_dialog_says_why_the_hub_refuses(link, qtbot) -> None:  # type: ignore[no-untyped-def]
    from console.attached import LoginDialog

    wang = add_operator(link.core, link.keys, "wang", "dispatcher")
    core = RemoteCore(link.hub.control_endpoint, wang, timeout=5)
    try:
        dialog = LoginDialog(core, user="wang")
        qtbot.addWidget(dialog)
        dialog.password.setText("not the password")
        dialog.try_login()
        text = dialog.message.text()
        assert "Wrong name or password." in text and "next attempt in" in text  # ours, then the hub's words
        assert dialog.result() != dialog.DialogCode.Accepted and dialog.password.text() == ""
        call(link.core, "account.disable", {"name": "wang"}, actor="ctl:test")
        dialog.password.setText(PASSWORD)
        dialog.try_login()
        assert "This account is disabled" in dialog.message.text()
        call(link.core, "account.enable", {"name": "wang"}, actor="ctl:test")
        failed = [e.payload["reason"] for e in link.core.store.events() if e.kind == "account.login_failed"]
        assert failed == ["wrong_password", "disabled"]
    finally:
        core.close()


def test_the_seats_at_a_time(link) -> None:  # type: ignore[no-untyped-def]
    wang = add_operator(link.core, link.keys, "wang", "dispatcher")
    a = attach(link.hub.control_endpoint, wang, "wang")
    t_on = link.core.clock()
    a.logout()
    a.close()
    on = call(link.core, "replay.seats", {"at": t_on}, actor="ctl:test")
    assert [(s["seat"], s["name"], s["role"]) for s in on["seats"]] == [("seat-wang", "wang", "dispatcher")]
    now = call(link.core, "replay.seats", {}, actor="ctl:test")
    assert now["seats"] == [] and [c["what"] for c in now["changes"]] == ["login", "logout"]



def test_an_attached_seat_sounds_a_p1_incident_filed_at_another_seat(link, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The alarm is decided from the hub's stream as from a local store (issue 17): the seat that did not file
    the P1 incident is the one that must hear it."""
    from console import operations
    from console.main_window import MainWindow
    from console.sound import install as install_sounds
    from dispatch.city.data import load_city

    wang = add_operator(link.core, link.keys, "wang", "dispatcher")
    li = add_operator(link.core, link.keys, "li", "dispatcher")
    gui, other = attach(link.hub.control_endpoint, wang, "wang"), attach(link.hub.control_endpoint, li, "li")
    operations.set_core(gui)
    try:
        window = MainWindow(gui, load_city().geojson(), lang="en", store_label="hub", push_interval_ms=50)
        sounds = install_sounds(window, tick_ms=50)
        qtbot.addWidget(window)
        lat, lon = load_city().center
        call(other, "incident.create", {"category": "illegal_dumping", "priority": "P2", "lat": lat, "lon": lon},
             actor="ignored")
        call(other, "incident.create", {"category": "water_pollution", "priority": "P1", "lat": lat, "lon": lon},
             actor="ignored")
        qtbot.waitUntil(lambda: [h[1] for h in sounds.history] == ["p1_incident"], timeout=10000)
        assert sounds.history[0][2] in ("played", "unheard")
        window.close()
    finally:
        operations.set_core(None)
        for s in (gui, other):
            s.logout()
            s.close()


ATTACH_ALONE = """
import json, sys
from dispatch.hub.attach import RemoteCore
from dispatch.hub.seats import load_seat_file
core = RemoteCore(sys.argv[1], load_seat_file(sys.argv[2]), timeout=10)
core.login(sys.argv[3], sys.stdin.readline().strip())
core.start()
from dispatch.incidents.book import book
with core.lock:
    print(json.dumps({"incidents": sorted(book(core.state).items), "seq": core.state.last_seq}))
core.logout()
core.close()
"""


def test_a_seat_in_a_process_of_its_own_holds_what_was_filed_before_it_attached(link, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """In a fresh process nothing but the attaching code has been imported: the first snapshot is applied with
    every feature's appliers (an incident filed before is there), not only the core's."""
    add_operator(link.core, tmp_path, "zhao", "viewer")
    made = call(link.core, "incident.create", dict(INCIDENT), actor="ctl:test")
    out = subprocess.run([sys.executable, "-c", ATTACH_ALONE, link.hub.control_endpoint,
                          str(tmp_path / "seat-zhao.seat.json"), "zhao"], cwd=ROOT, input=PASSWORD + "\n",
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["incidents"] == [made["id"]]
