"""Alarm sounds (issue 17): which event sounds which (a pure decision, no audio), the mute that runs out at
the end of the shift against an injected clock, the generated WAV files, and the seat's status bar."""

from __future__ import annotations

import io
import wave
from datetime import datetime, time, timedelta, timezone

import pytest

from console.sound.tones import PATTERNS, SOUNDS_DIR, wav_bytes
from dispatch.alarms.shift import Mute, parse_shift_changes, shift_end
from dispatch.alarms.sounds import SOUNDS, most_urgent, sound_for
from dispatch.store import NewEvent
from tests.conftest import Clock

CST = timezone(timedelta(hours=8))  # Liuzhou


def at(hh: int, mm: int, day: int = 3) -> float:
    return datetime(2026, 12, day, hh, mm, tzinfo=CST).timestamp()


@pytest.mark.parametrize(("kind", "payload", "want"), [
    ("incident.created", {"priority": "P1", "category": "water_pollution"}, "p1_incident"),
    ("incident.created", {"priority": "P2"}, None),
    ("incident.created", {"priority": "P4"}, None),
    ("incident.overdue", {"id": 3, "stage": "dispatch", "priority": "P3"}, "overdue"),
    ("unit.offline", {"id": "boat-01"}, "unit_offline"),
    ("unit.online", {"id": "boat-01"}, None),
    ("alert.raised", {"rule": "stale", "severity": "low"}, "unit_offline"),
    ("alert.raised", {"rule": "suspected_dumping", "severity": "high"}, "severe_alert"),
    ("alert.raised", {"rule": "speeding", "severity": "medium"}, None),
    ("alert.cleared", {"key": "x"}, None),
    ("incident.transitioned", {"to": "closed"}, None),
    ("unit.status_set", {"status": "busy"}, None),
])
def test_each_event_gets_the_right_sound(kind, payload, want) -> None:  # type: ignore[no-untyped-def]
    assert sound_for(kind, payload) == want


def test_a_batch_sounds_its_most_urgent_event_once() -> None:
    batch = [NewEvent("unit.offline", {"id": "b"}, "unit:b"), NewEvent("incident.overdue", {"id": 1}, "incident:1"),
             NewEvent("incident.created", {"priority": "P1"}, "incident:2"),
             NewEvent("alert.raised", {"rule": "restricted_entry", "severity": "high"}, "alert")]
    assert most_urgent(batch) == "p1_incident"
    assert most_urgent(batch[:2]) == "overdue"
    assert most_urgent([batch[0], batch[3]]) == "severe_alert"
    assert most_urgent([NewEvent("incident.created", {"priority": "P3"}, "incident:4")]) is None


def test_the_seat_that_files_a_p1_incident_is_not_alarmed_by_it() -> None:
    from types import SimpleNamespace as Ev

    mine = Ev(kind="incident.created", payload={"priority": "P1"}, actor="dispatcher:wang")
    theirs = Ev(kind="incident.created", payload={"priority": "P1"}, actor="citizens:app")
    assert most_urgent([mine], own_actor="dispatcher:wang") is None
    assert most_urgent([mine], own_actor="dispatcher:li") == "p1_incident"  # another seat hears it
    assert most_urgent([mine, theirs], own_actor="dispatcher:wang") == "p1_incident"
    late = Ev(kind="incident.overdue", payload={"id": 1}, actor="dispatcher:wang")  # its own deadline still sounds
    assert most_urgent([late], own_actor="dispatcher:wang") == "overdue"


def test_shift_changes_parse_and_bad_ones_are_named() -> None:
    assert parse_shift_changes("20:00, 08:00") == (time(8), time(20))
    assert parse_shift_changes("07:30,15:30,23:30") == (time(7, 30), time(15, 30), time(23, 30))
    for bad in ("8h", "", "25:00", "08:00,x"):
        with pytest.raises(ValueError, match="shift change"):
            parse_shift_changes(bad)


def test_the_shift_ends_at_the_next_change_in_local_time() -> None:
    assert shift_end(at(9, 15), tz=CST) == at(20, 0)
    assert shift_end(at(20, 0), tz=CST) == at(8, 0, day=4)  # a change itself starts the next shift
    assert shift_end(at(23, 59), tz=CST) == at(8, 0, day=4)
    assert shift_end(at(2, 0), tz=CST) == at(8, 0)
    three = parse_shift_changes("07:00,15:00,23:00")
    assert shift_end(at(16, 0), three, tz=CST) == at(23, 0)


def test_the_mute_runs_out_at_the_end_of_the_shift() -> None:
    clock = Clock(at(14, 5))
    m = Mute(clock, tz=CST)
    assert not m.muted
    assert m.end_of_shift() == at(20, 0) and not m.muted
    assert m.mute() == at(20, 0)
    clock.t = at(19, 59)
    assert m.muted and m.until == at(20, 0)
    clock.t = at(20, 0)  # the night shift starts with its alarms on
    assert not m.muted and m.until is None
    m.mute()
    assert m.until == at(8, 0, day=4)
    m.unmute()
    assert not m.muted


def test_the_sound_files_are_the_generated_ones_short_and_distinct() -> None:
    assert set(PATTERNS) == set(SOUNDS)
    seen = set()
    for name in SOUNDS:
        data = (SOUNDS_DIR / f"{name}.wav").read_bytes()
        assert data == wav_bytes(name), f"{name}.wav differs from what console/sound/tones.py makes"
        with wave.open(io.BytesIO(data)) as w:
            seconds = w.getnframes() / w.getframerate()
            assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        assert 0.3 <= seconds <= 1.0, (name, seconds)
        seen.add(data)
    assert len(seen) == len(SOUNDS)


# ---------------------------------------------------------------- the seat
@pytest.fixture
def seat(qtbot, db_url):  # type: ignore[no-untyped-def]
    from console import operations
    from console.main_window import MainWindow
    from console.sound import install
    from dispatch.city.data import load_city
    from dispatch.core import Dispatch
    from dispatch.store import EventStore

    clock = Clock(at(19, 30))
    core = Dispatch(EventStore(db_url), clock=clock)
    operations.set_core(core)
    w = MainWindow(core, load_city().geojson(), lang="en", store_label=db_url)
    w.slow_timer.stop()
    w.push_timer.stop()
    sounds = install(w, tz=CST, tick_ms=50)
    qtbot.addWidget(w)
    yield w, sounds, core, clock
    w.close()
    core.close()


def create(core, priority: str) -> None:  # type: ignore[no-untyped-def]
    from dispatch import ops
    from dispatch.city.data import load_city

    lat, lon = load_city().center
    ops.call(core, "incident.create", {"category": "illegal_dumping", "priority": priority, "lat": lat, "lon": lon},
             actor="dispatcher:test")


def test_a_new_p1_incident_sounds_and_a_muted_seat_says_so_until_the_shift_ends(qtbot, seat) -> None:  # type: ignore[no-untyped-def]
    w, sounds, core, clock = seat
    heard: list[tuple[str, str]] = []
    sounds.sounded.connect(lambda s, outcome: heard.append((s, outcome)))
    create(core, "P3")
    create(core, "P1")
    qtbot.waitUntil(lambda: len(heard) == 1, timeout=5000)
    expected = "played" if sounds.audible else "unheard"  # a host without speakers still decides
    assert heard == [("p1_incident", expected)]
    assert sounds.button.text() == "Sound on"

    sounds.action.trigger()  # View → Mute (Ctrl+Alt+M), or the status bar's speaker
    qtbot.waitUntil(lambda: sounds.button.text() == "Muted until 20:00", timeout=5000)
    assert sounds.action.isChecked()
    muted = [e for e in core.store.events() if e.kind == "alarms.muted"]  # recorded: who, which seat, until when
    assert len(muted) == 1 and muted[0].payload["until"] == at(20, 0) and muted[0].actor.startswith("dispatcher:")
    create(core, "P1")
    qtbot.waitUntil(lambda: len(heard) == 2, timeout=5000)
    assert heard[1] == ("p1_incident", "muted")

    clock.t = at(20, 0, day=3) + 1  # the next shift starts: the mute has run out by itself
    qtbot.waitUntil(lambda: sounds.button.text() == "Sound on", timeout=5000)
    assert not sounds.action.isChecked()
    create(core, "P1")
    qtbot.waitUntil(lambda: len(heard) == 3, timeout=5000)
    assert heard[2] == ("p1_incident", expected)


def test_a_mute_is_recorded_and_a_bad_one_refused(db_url) -> None:  # type: ignore[no-untyped-def]
    from dispatch import ops
    from dispatch.core import Dispatch
    from dispatch.errors import Refused
    from dispatch.store import EventStore

    clock = Clock(at(19, 30))
    core = Dispatch(EventStore(db_url), clock=clock)
    try:
        assert ops.call(core, "alarms.mute", {"until": at(20, 0), "seat": "desk-1"}, actor="dispatcher:wang")["until"] == at(20, 0)
        ops.call(core, "alarms.mute", {"until": None, "seat": "desk-1"}, actor="dispatcher:wang")
        for bad in (at(19, 0), at(19, 30) + 25 * 3600, "soon", float("nan")):
            with pytest.raises(Refused):
                ops.call(core, "alarms.mute", {"until": bad}, actor="dispatcher:wang")
        kinds = [(e.kind, e.actor, e.payload.get("seat")) for e in core.store.events() if e.kind.startswith("alarms.")]
        assert kinds == [("alarms.muted", "dispatcher:wang", "desk-1"), ("alarms.unmuted", "dispatcher:wang", "desk-1")]
    finally:
        core.close()


def test_a_seat_without_audio_output_says_so_and_keeps_deciding(qtbot, seat, caplog) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtMultimedia import QMediaDevices

    w, sounds, core, clock = seat
    if QMediaDevices.audioOutputs():
        pytest.skip("this host has an audio output")
    assert not sounds.audible and "no audio output" in sounds.button.toolTip()
    assert sounds.sound("overdue") == "unheard"
    assert sounds.history[-1][1:] == ("overdue", "unheard")


def test_the_sound_words_ship_in_chinese() -> None:
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    zh = json.loads((root / "resources/i18n/zh_CN.json").read_text(encoding="utf-8"))
    for s in re.findall(r'self\.tr\("([^"]+)"\)', (root / "console/sound/__init__.py").read_text(encoding="utf-8")):
        assert s in zh, s
