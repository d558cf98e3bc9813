"""Sub-packages that did not come, asked for again over a real TCP connection: when the last package of a split
message comes with others missing, the platform names them (0x8003 by the serial of package 1; a photo's 0x8800 by
its media id), and the packages sent again join the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from devices.jt808 import encode, location
from tests.conftest import wait_for
from tests.jt808.terminal import RawTerminal
from tests.jt808.test_gateway import login

PHONE = "013912345678"
T0 = datetime(2026, 12, 5, 8, 0, 0, tzinfo=UTC)


def batch_frames(first_serial: int) -> list[bytes]:
    """A blind-area batch of 40 positions, 10 s apart from T0 (the last at T0 + 390 s), in packages of 400 bytes."""
    bodies = [location.encode(24.30 + i * 1e-4, 109.40, T0 + timedelta(seconds=10 * i), speed=20.0)
              for i in range(40)]
    return encode.frames(encode.LOCATION_BATCH, PHONE, first_serial, encode.batch_body(bodies), size=400)


def test_a_split_batch_missing_a_package_is_asked_for_again_and_joins(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        login(term)
        frames = batch_frames(200)
        assert len(frames) >= 4
        for i, f in enumerate(frames, start=1):
            if i != 2:
                term.send(f)
        [ask] = term.expect(encode.RETRANSMIT_REQUEST)
        assert (ask.first_serial, ask.missing) == (200, (2,))
        assert core.state.units["truck-41"].position is None  # nothing of the batch until it is whole
        term.send(frames[1])
        pos = wait_for(lambda: core.state.units["truck-41"].position, what="the batch's positions")
        assert pos.ts == (T0 + timedelta(seconds=390)).timestamp()
        assert gateway.counters["packages_asked_again"] == 1
    finally:
        term.close()


def test_a_batch_with_heartbeats_between_its_packages_is_asked_for_by_its_first_package(core, gateway):
    """A terminal numbers every message from one counter: a heartbeat between two packages takes a serial. The
    0x8003 for what is missing names package 1's own serial (not the one consecutive serials would give), and the
    package sent again joins the rest."""
    term = RawTerminal(gateway.address)
    try:
        login(term)
        bodies = [location.encode(24.30 + i * 1e-4, 109.40, T0 + timedelta(seconds=10 * i), speed=20.0)
                  for i in range(40)]
        body = encode.batch_body(bodies)
        parts = [body[i:i + 400] for i in range(0, len(body), 400)]
        n = len(parts)
        assert n >= 4
        serial, sent = 700, {}
        for k, part in enumerate(parts, start=1):
            sent[k] = encode.frame(encode.LOCATION_BATCH, PHONE, serial, part, packages=n, package=k)
            if k != 2:
                term.send(sent[k])
            serial += 1
            term.send(encode.heartbeat(PHONE, serial))  # between the packages, from the same counter
            serial += 1
        [ask] = term.expect(encode.RETRANSMIT_REQUEST)
        assert (ask.first_serial, ask.missing) == (700, (2,))  # consecutive serials would give 700 + n - 1
        term.send(sent[2])
        pos = wait_for(lambda: core.state.units["truck-41"].position, what="the batch's positions")
        assert pos.ts == (T0 + timedelta(seconds=390)).timestamp()
    finally:
        term.close()


def test_a_photo_without_its_first_package_is_asked_for_by_serial(core, gateway):
    """Package 1 carries the media id a 0x8800 would name: without it the general 0x8003 asks."""
    term = RawTerminal(gateway.address)
    try:
        login(term)
        body = encode.media_upload_body(9, b"\xff\xd8" + bytes(3000) + b"\xff\xd9",
                                        location=location.encode(24.3, 109.4, T0))
        frames = encode.frames(encode.MEDIA_UPLOAD, PHONE, 300, body, size=1000)
        for f in frames[1:]:
            term.send(f)
        [ask] = term.expect(encode.RETRANSMIT_REQUEST)
        assert (ask.first_serial, ask.missing) == (300, (1,))
        term.send(frames[0])
        [done] = term.expect(encode.MEDIA_UPLOAD_RESPONSE)
        assert (done.media_id, done.missing) == (9, ())
    finally:
        term.close()


def test_a_batch_whose_last_package_never_came_is_asked_for_by_the_sweep(core, gateway, monkeypatch):
    """Nothing came to say a package was missing (the last one was lost): the gateway's sweep finds the batch silent
    and asks for what it lacks; asked again when that does not come either; the packages sent then join."""
    monkeypatch.setattr("dispatch.jt808.gateway.ASK_AGAIN_AFTER_S", 0.2)  # seconds, not the 10 of a real link
    term = RawTerminal(gateway.address)
    try:
        login(term)
        frames = batch_frames(500)
        for f in frames[:-1]:
            term.send(f)
        first, again = term.expect(encode.RETRANSMIT_REQUEST, 2, timeout=10)  # the sweep runs every second
        n = len(frames)
        assert (first.first_serial, first.missing) == (again.first_serial, again.missing) == (500, (n,))
        term.send(frames[-1])
        pos = wait_for(lambda: core.state.units["truck-41"].position, what="the batch's positions")
        assert pos.ts == (T0 + timedelta(seconds=390)).timestamp()
        assert gateway.counters["packages_asked_again"] == 2
    finally:
        term.close()
