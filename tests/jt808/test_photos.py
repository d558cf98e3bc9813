"""A truck's camera photos over a real TCP connection: an operator's photo command (0x8801), the terminal's answer
naming the photos (0x0805), each photo uploaded in sub-packages (0x0801) kept as a file under its SHA-256 and
recorded with where and when it was taken and the command that asked for it, answered 0x8800 only once kept;
then listed, copied out, served to an attached seat and added to a case's evidence."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from devices.jt808 import encode, location
from dispatch.blobs import attachments_dir, blob_path
from dispatch.errors import NotFound, Refused
from dispatch.ops import call
from tests.conftest import wait_for
from tests.jt808.terminal import RawTerminal, ctl_running
from tests.jt808.test_gateway import login

LAT, LON = 24.3266, 109.4281
PHONE = "013912345678"


def jpeg(n: int, seed: int = 1) -> bytes:
    """JPEG-shaped bytes of about `n` (the gateway keeps what it is given: it does not decode the image)."""
    body = hashlib.sha256(str(seed).encode()).digest() * (n // 32 + 1)
    return b"\xff\xd8\xff\xfe\x00\x10simulated  cam" + body[:n] + b"\xff\xd9"


def position() -> bytes:
    from datetime import UTC, datetime

    return location.encode(LAT, LON, datetime(2026, 12, 5, 8, 30, 0, tzinfo=UTC), speed=32.0, course=90)


def upload(term: RawTerminal, media_id: int, data: bytes, serial: int, *, channel: int = 1, event: int = 0,
           size: int = 900) -> int:
    """Send one photo as 0x0801 in packages of `size` bytes; return how many packages."""
    body = encode.media_upload_body(media_id, data, location=position(), channel=channel, event=event)
    frames = encode.frames(encode.MEDIA_UPLOAD, PHONE, serial, body, size=size)
    for f in frames:
        term.send(f)
    return len(frames)


def kept_photo(core, gateway, media_id: int, data: bytes, **kw):  # type: ignore[no-untyped-def]
    """A terminal logs in, uploads one photo and is answered 0x8800: the photo's event."""
    term = RawTerminal(gateway.address)
    try:
        login(term)
        upload(term, media_id, data, 10, **kw)
        term.expect(encode.MEDIA_UPLOAD_RESPONSE)
        [ev] = wait_for(lambda: media_events(core), what="the photo recorded")
        return ev
    finally:
        term.close()


def media_events(core):  # type: ignore[no-untyped-def]
    return [e for e in core.store.events(0) if e.kind == "jt808.media_received"]


def command_outcome(core, seq: int):  # type: ignore[no-untyped-def]
    [cmd] = call(core, "jt808.commands", {"event": seq}, actor="t")
    return cmd if cmd["outcome"] is not None else None


def test_a_photo_command_its_answer_and_the_uploads_are_kept_and_recorded(core, gateway, tmp_path, monkeypatch):
    """(The state keeps only the newest upload here: the older one is read from the log wherever it is asked for.)"""
    monkeypatch.setattr("dispatch.jt808.state.MEDIA_KEPT", 1)
    term = RawTerminal(gateway.address)
    try:
        login(term)
        sent = call(core, "jt808.take_photo", {"unit_id": "truck-41", "channel": 2, "photos": 2},
                    actor="dispatcher:li")
        assert (sent["command"], sent["connected"]) == ("photo", True)
        shoot = term.expect(encode.CAMERA_SHOOT)[0]
        assert (shoot.channel, shoot.command, shoot.save) == (2, 2, False)  # two photos, uploaded now
        term.send(encode.frame(encode.CAMERA_SHOT_REPLY, PHONE, 3,
                               encode.camera_reply_body(shoot.header.serial, 0, (70001, 70002))))
        cmd = wait_for(lambda: command_outcome(core, sent["event"]), what="the photo command's outcome")
        assert (cmd["outcome"], cmd["media_ids"], cmd["by"]) == ("acked", [70001, 70002], "dispatcher:li")

        photos = [jpeg(30_000, 1), jpeg(12_000, 2)]
        n = upload(term, 70001, photos[0], 10, channel=2)
        assert n > 30  # sub-packages, each answered 0x8001 ok, the whole answered 0x8800
        upload(term, 70002, photos[1], 10 + n, channel=2, size=1023)
        answers = term.expect(encode.MEDIA_UPLOAD_RESPONSE, 2)
        assert [(a.media_id, a.missing) for a in answers] == [(70001, ()), (70002, ())]
        evs = wait_for(lambda: len(media_events(core)) == 2 and media_events(core), what="both photos recorded")
        first = evs[0]
        p = first.payload
        assert first.actor == "system:jt808" and first.entity == "unit:truck-41"
        assert (p["unit"], p["terminal"], p["media_id"], p["channel"], p["event"], p["request"]) == \
            ("truck-41", "013912345678", 70001, 2, "platform_command", sent["event"])
        assert (p["media_type"], p["format"], p["mime"]) == ("image", "jpeg", "image/jpeg")
        assert (p["lat"], p["lon"], p["speed_kmh"], p["course"]) == (pytest.approx(LAT), pytest.approx(LON), 32.0, 90)
        assert p["sha256"] == hashlib.sha256(photos[0]).hexdigest() and p["size"] == len(photos[0])
        kept = blob_path(attachments_dir(core), p["sha256"])
        assert kept.read_bytes() == photos[0]  # the file is there before the terminal is told it may drop its copy

        listed = call(core, "jt808.photos", {"unit_id": "truck-41"}, actor="viewer:wang")
        assert [r["media_id"] for r in listed] == [70001, 70002]
        assert [r["media_id"] for r in call(core, "jt808.photos", {"limit": 1}, actor="t")] == [70002]
        out = tmp_path / "copy" / "photo.jpg"
        got = call(core, "jt808.photo", {"seq": first.seq, "out": str(out)}, actor="shift_lead:zhao")
        assert out.read_bytes() == photos[0] and got["written"] == str(out)
        assert list(core.state.ext["jt808"].media) == [evs[1].seq]  # the older one only in the log now
        piece = call(core, "evidence.fetch", {"sha256": p["sha256"]}, actor="viewer:wang")  # an attached seat's copy
        assert piece["size"] == len(photos[0]) and piece["eof"]
        with pytest.raises(NotFound):
            call(core, "evidence.fetch", {"sha256": hashlib.sha256(b"never uploaded").hexdigest()}, actor="t")
        assert core.state.ext["jt808"].latest_media["truck-41"]["seq"] == evs[1].seq
        with pytest.raises(NotFound):
            call(core, "jt808.photo", {"seq": first.seq + 100}, actor="t")
    finally:
        term.close()


def test_refusals_before_authentication_and_for_a_missing_camera(core, gateway):
    term = RawTerminal(gateway.address)
    try:
        term.send(encode.frame(encode.MEDIA_UPLOAD, PHONE, 1,
                               encode.media_upload_body(5, jpeg(100), location=position())))
        nack = term.expect(0x8001)[0]
        assert (nack.reply_id, nack.result) == (encode.MEDIA_UPLOAD, 1)  # failure: not authenticated
        term.received.clear()
        login(term)
        sent = call(core, "jt808.take_photo", {"unit_id": "truck-41", "channel": 9}, actor="dispatcher:li")
        shoot = term.expect(encode.CAMERA_SHOOT)[0]
        term.send(encode.frame(encode.CAMERA_SHOT_REPLY, PHONE, 4, encode.camera_reply_body(shoot.header.serial, 2)))
        cmd = wait_for(lambda: command_outcome(core, sent["event"]), what="the outcome")
        assert (cmd["outcome"], cmd["result"], cmd["media_ids"]) == ("not_supported", 2, [])
        assert media_events(core) == []
    finally:
        term.close()
    for args, words in (({"unit_id": "truck-41", "channel": 0}, "camera channel"),
                        ({"unit_id": "truck-41", "photos": 11}, "1 to 10 photos"),
                        ({"unit_id": "truck-43"}, "no JT/T 808 terminal")):
        with pytest.raises(Refused, match=words):
            call(core, "jt808.take_photo", args, actor="dispatcher:li")


def test_a_photo_that_cannot_be_kept_is_not_answered_and_comes_again(core, gateway, tmp_path):
    """A full disk (here: the attachments folder under a file): no event, no 0x8800, so the terminal uploads it
    again; once the folder is writable the same upload is kept and answered."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    core.attachments_dir = str(blocker / "attachments")
    term = RawTerminal(gateway.address)
    try:
        login(term)
        data = jpeg(5_000, 7)
        upload(term, 42, data, 10)
        wait_for(lambda: gateway.counters["media_store_errors"] == 1, what="the failed write counted")
        assert media_events(core) == [] and not [m for m in term.received if m.header.msg_id == 0x8800]
        core.attachments_dir = str(tmp_path / "attachments")
        upload(term, 42, data, 30)
        [ok] = term.expect(encode.MEDIA_UPLOAD_RESPONSE)
        assert ok.media_id == 42
        [ev] = wait_for(lambda: media_events(core), what="the photo recorded")
        assert Path(tmp_path / "attachments").is_dir() and ev.payload["request"] is None
        assert ev.payload["event"] == "platform_command" and ev.payload["sha256"] == hashlib.sha256(data).hexdigest()
    finally:
        term.close()


def test_a_photo_goes_into_a_case_once(core, gateway):
    ev = kept_photo(core, gateway, 77, jpeg(3_000, 9), event=4)  # taken when a door opened
    case = call(core, "case.open", {"violation": "HDCS-001", "party_type": "organisation", "party_name": "柳州某运输公司",
                                    "facts": "渣土撒漏"}, actor="dispatcher:li")
    added = call(core, "evidence.photo_to_case", {"case_id": case["id"], "photo": ev.seq}, actor="dispatcher:li")
    [item] = added["added"]
    assert (item["kind"], item["sha256"], item["media_type"]) == ("photo", ev.payload["sha256"], "image/jpeg")
    assert "truck-41" in item["note"] and "door_opened" in item["note"] and "2026-12-05T08:30:00.000000Z" in item["note"]
    shown = call(core, "case.show", {"case_id": case["id"]}, actor="dispatcher:li")
    assert [e["sha256"] for e in shown["evidence"]] == [ev.payload["sha256"]]
    with pytest.raises(Refused, match="holds this photo already"):
        call(core, "evidence.photo_to_case", {"case_id": case["id"], "photo": ev.seq}, actor="dispatcher:li")


def test_ctl_asks_for_a_photo_lists_it_and_copies_it_out(core, db_url, tmp_path):
    """`ctl --db` in its own process: the photo command waits for the terminal's answer (its media ids), the upload
    is listed, and photo-get writes a copy checked against the SHA-256 the log recorded."""
    import json
    import subprocess
    import sys

    from dispatch.jt808 import start_gateway
    from tests.jt808.test_cli import ROOT

    gateway = start_gateway(core, "tcp://127.0.0.1:0")  # the default timeouts: ctl takes its time to start
    term = RawTerminal(gateway.address)
    main = [sys.executable, str(ROOT / "main.py"), "ctl", "--db", db_url]
    try:
        login(term)
        with ctl_running(db_url, "--json", "jt808", "photo", "truck-41", "--channel", "3", "--wait", "30") as ctl:
            shoot = term.expect(encode.CAMERA_SHOOT, timeout=60)[0]
            assert (shoot.channel, shoot.command) == (3, 1)
            term.send(encode.frame(encode.CAMERA_SHOT_REPLY, PHONE, 3, encode.camera_reply_body(shoot.header.serial, 0,
                                                                                                   (5,))))
            out, err = ctl.communicate(timeout=60)
        assert ctl.returncode == 0, err
        r = json.loads(out)
        assert (r["command"], r["outcome"], r["media_ids"]) == ("photo", "acked", [5])
        data = jpeg(20_000, 5)
        upload(term, 5, data, 10, channel=3)
        term.expect(encode.MEDIA_UPLOAD_RESPONSE)
        [ev] = wait_for(lambda: media_events(core), what="the photo recorded")
    finally:
        term.close()
        gateway.stop()
    listed = subprocess.run([*main, "jt808", "photos", "--unit", "truck-41"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=True).stdout
    assert str(ev.seq) in listed and "platform_command" in listed and ev.payload["sha256"][:12] in listed
    dest = tmp_path / "truck-41.jpg"
    got = subprocess.run([*main, "jt808", "photo-get", str(ev.seq), "--out", str(dest)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert got.returncode == 0, got.stderr
    assert dest.read_bytes() == data and f"written to {dest}" in got.stdout
    case = call(core, "case.open", {"violation": "HDCS-001", "party_type": "organisation", "party_name": "柳州某运输公司"},
                actor="dispatcher:li")
    to_case = subprocess.run([*main, "evidence", "photo-to-case", str(case["id"]), str(ev.seq)], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert to_case.returncode == 0 and f"photo truck-41-ch3-5.jpg {len(data)} B" in to_case.stdout, to_case.stderr
    missing = subprocess.run([*main, "jt808", "photo-get", str(ev.seq + 50), "--out", str(dest)], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "no photo was recorded" in missing.stderr


def test_packages_missing_at_the_last_one_are_asked_for_again_and_join(core, gateway):
    """A photo whose packages 3 and 5 did not come: at its last package 0x8800 names them; sent again with their
    first serials they join the rest, and the photo is kept whole and answered."""
    term = RawTerminal(gateway.address)
    try:
        login(term)
        data = jpeg(8_000, 11)
        body = encode.media_upload_body(31, data, location=position())
        frames = encode.frames(encode.MEDIA_UPLOAD, PHONE, 100, body, size=1000)
        for i, f in enumerate(frames, start=1):
            if i not in (3, 5):
                term.send(f)
        [ask] = term.expect(encode.MEDIA_UPLOAD_RESPONSE)
        assert (ask.media_id, ask.missing) == (31, (3, 5))
        assert media_events(core) == []
        term.send(frames[2] + frames[4])
        [_ask, done] = term.expect(encode.MEDIA_UPLOAD_RESPONSE, 2)
        assert (done.media_id, done.missing) == (31, ())
        [ev] = wait_for(lambda: media_events(core), what="the photo recorded")
        assert ev.payload["sha256"] == hashlib.sha256(data).hexdigest()
        assert gateway.counters["media_packages_asked_again"] == 1
    finally:
        term.close()


def test_a_simulated_truck_answers_a_photo_command_with_a_camera_picture(core, gateway):
    """The simulator the demo city runs: the console's photo command reaches it through the gateway, and what
    comes back is a real JPEG (its own marks inside), kept and named after the command."""
    from devices.sim.fleet import SimTrack
    from devices.sim.jt808 import Jt808Fleet, SimTerminal

    term = SimTerminal(PHONE, SimTrack("t", [(24.30, 109.40), (24.33, 109.43)], 10.0), interval_s=0.5)
    fleet = Jt808Fleet([term], "127.0.0.1", gateway.address[1]).start()
    try:
        wait_for(lambda: gateway.is_connected(PHONE), what="the simulated truck online")
        sent = call(core, "jt808.take_photo", {"unit_id": "truck-41"}, actor="dispatcher:li")
        [ev] = wait_for(lambda: media_events(core), timeout=20, what="its photo recorded")
        cmd = wait_for(lambda: command_outcome(core, sent["event"]), what="the command's outcome")
        assert cmd["outcome"] == "acked" and cmd["media_ids"] == [ev.payload["media_id"]]
        assert ev.payload["request"] == sent["event"] and ev.payload["lat"] is not None
        data = blob_path(attachments_dir(core), ev.payload["sha256"]).read_bytes()
        assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9" and PHONE.encode() in data
    finally:
        fleet.stop()


def test_audit_verify_checks_every_photo_against_the_log(core, gateway):
    """`audit verify`'s file check covers the photos: one altered on disk is named, by its event."""
    import os
    import stat

    from dispatch.record.audit import verify_attachments

    ev = kept_photo(core, gateway, 88, jpeg(4_000, 13))
    base = attachments_dir(core)
    checked, problems = verify_attachments(core.store.engine, base=base)
    assert checked == 1 and problems == []
    kept = blob_path(base, ev.payload["sha256"])
    os.chmod(kept, stat.S_IWUSR | stat.S_IRUSR)
    kept.write_bytes(b"\xff\xd8 not what the truck sent \xff\xd9")
    checked, problems = verify_attachments(core.store.engine, base=base)
    assert checked == 1 and len(problems) == 1 and f"event {ev.seq}" in str(problems[0])


def test_the_bench_photo_figures_come_from_real_uploads(core, gateway):
    """bench's jt808_photo_300kb_ms: each of its uploads is a real one, kept and recorded, beside its peer."""
    from dispatch.jt808 import photo_figures

    call(core, "units.register", {"units": [photo_figures.unit()]}, actor="test")
    wait_for(lambda: gateway.unit_for(photo_figures.PHONE) == photo_figures.UNIT, what="the bench's terminal bound")
    figs = photo_figures.run(gateway, core)
    assert figs["jt808_photo_300kb_ms"] > 0 and figs["blob_write_300kb_ms"] > 0
    assert figs["jt808_photo_300kb_ms_max"] >= figs["jt808_photo_300kb_ms"]
    evs = media_events(core)
    assert [e.payload["media_id"] for e in evs] == [1, 2, 3, 4, 5] and {e.payload["size"] for e in evs} == {300 * 1024}


def test_an_upload_sent_again_is_answered_again_and_recorded_once(core, gateway):
    """A terminal whose 0x8800 was lost uploads the same photo again: it is answered again, not recorded twice."""
    term = RawTerminal(gateway.address)
    try:
        login(term)
        data = jpeg(6_000, 21)
        n = upload(term, 55, data, 10)
        term.expect(encode.MEDIA_UPLOAD_RESPONSE)
        wait_for(lambda: media_events(core), what="the photo recorded")
        upload(term, 55, data, 10 + n)
        answers = term.expect(encode.MEDIA_UPLOAD_RESPONSE, 2)
        assert [a.media_id for a in answers] == [55, 55]
        assert len(media_events(core)) == 1
    finally:
        term.close()


def test_the_photos_a_truck_kept_are_asked_for_by_time(core, gateway):
    """0x8803 names the span (Beijing time on the wire) and the camera; the terminal answers 0x0001, then uploads
    what it kept, each recorded with why it was taken (here its timer)."""
    from datetime import UTC, datetime

    term = RawTerminal(gateway.address)
    try:
        login(term)
        sent = call(core, "jt808.upload_photos", {"unit_id": "truck-41", "start": "2026-12-05T16:20:00+08:00",
                                                  "end": "2026-12-05T16:40:00+08:00", "channel": 2},
                    actor="dispatcher:li")
        ask = term.expect(encode.STORED_MEDIA_UPLOAD)[0]
        assert (ask.channel, ask.media_type, ask.delete) == (2, 0, False)
        assert (ask.start, ask.end) == (datetime(2026, 12, 5, 8, 20, tzinfo=UTC), datetime(2026, 12, 5, 8, 40, tzinfo=UTC))
        term.send(encode.frame(0x0001, PHONE, 4, encode.terminal_response_body(ask.header.serial, 0x8803, 0)))
        cmd = wait_for(lambda: command_outcome(core, sent["event"]), what="the request's outcome")
        assert cmd["outcome"] == "acked" and "photos kept from 2026-12-05 08:20:00" in cmd_text(cmd)
        upload(term, 700, jpeg(2_000, 31), 10, channel=2, event=1)
        [ev] = wait_for(lambda: media_events(core), what="the kept photo recorded")
        assert (ev.payload["event"], ev.payload["channel"], ev.payload["request"]) == ("timed", 2, None)
    finally:
        term.close()
    for args, words in (({"start": "2026-12-05T10:00+08:00", "end": "2026-12-05T09:00+08:00"}, "before its start"),
                        ({"start": "2026-12-05T10:00", "end": "2026-12-05T11:00+08:00"}, "no zone"),
                        ({"start": "yesterday", "end": "2026-12-05T11:00+08:00"}, "not a time"),
                        ({"start": 0, "end": 8 * 86400}, "at most 7 days")):
        with pytest.raises(Refused, match=words):
            call(core, "jt808.upload_photos", {"unit_id": "truck-41", **args}, actor="dispatcher:li")


def cmd_text(cmd):  # type: ignore[no-untyped-def]
    from dispatch.jt808.commands import describe

    return describe(cmd)


def test_a_simulated_trucks_timed_photos_come_when_asked_for(core, gateway):
    """`simulate --camera-every`: the truck keeps a photo now and then; asked for a span, it uploads those."""
    import time

    from devices.sim.fleet import SimTrack
    from devices.sim.jt808 import Jt808Fleet, SimTerminal

    term = SimTerminal(PHONE, SimTrack("t", [(24.30, 109.40), (24.33, 109.43)], 10.0), interval_s=0.2,
                       camera_every_s=0.5)
    fleet = Jt808Fleet([term], "127.0.0.1", gateway.address[1]).start()
    try:
        wait_for(lambda: len(term.kept) >= 2, what="two photos kept by the timed camera")
        assert media_events(core) == []  # kept on the truck, not sent
        now = time.time()
        call(core, "jt808.upload_photos", {"unit_id": "truck-41", "start": now - 3600, "end": now + 1},
             actor="dispatcher:li")
        evs = wait_for(lambda: len(media_events(core)) >= 2 and media_events(core), what="the kept photos uploaded")
        assert {e.payload["event"] for e in evs} == {"timed"} and all(e.payload["lat"] for e in evs)
    finally:
        fleet.stop()


def test_the_truck_card_keeps_a_trucks_newest_photo_when_other_trucks_photos_push_it_out(core, monkeypatch):
    """The state keeps the newest uploads of the whole fleet (here one); a truck's newest stays on its card."""
    from dispatch.store import NewEvent

    monkeypatch.setattr("dispatch.jt808.state.MEDIA_KEPT", 1)
    for unit, media_id in (("truck-41", 1), ("truck-42", 2)):
        core.record("system:jt808", [NewEvent("jt808.media_received", {
            "unit": unit, "terminal": "013912345678", "media_id": media_id, "event": "timed", "channel": 1,
            "time": 1.0e9 + media_id, "name": f"{unit}.jpg", "sha256": f"{media_id:064x}", "size": 10}, f"unit:{unit}")])
    assert [m["unit"] for m in core.state.ext["jt808"].media.values()] == ["truck-42"]  # the newest of the fleet
    assert call(core, "truck.card", {"unit_id": "truck-41"}, actor="t")["photo"]["media_id"] == 1
    assert call(core, "truck.card", {"unit_id": "truck-42"}, actor="t")["photo"]["media_id"] == 2
