"""A seat never names a file of the hub's machine: through a real hub, a dispatcher's attachment by path (the hub's
own secret key, say) is refused and recorded, nothing is attached, and the same file sent by its content is taken;
a document copied to a path at the hub is the shift lead's only, and `ctl --hub case document --out` writes the PDF
where ctl runs, fetched with its hash checked."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

import pytest

from console.cli import main
from dispatch.errors import Refused
from dispatch.ops import call
from tests.hub.conftest import PASSWORD, add_operator


def test_a_path_of_the_hubs_machine_is_refused_and_content_is_taken(link, tmp_path) -> None:  # type: ignore[no-untyped-def]
    iid = call(link.core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.33,
                                              "lon": 109.41}, actor="ctl:test")["id"]
    secret = tmp_path / "hub-secret.key"
    secret.write_text("the hub's secret key\n")
    clerk = link.control("wu", "dispatcher")
    try:
        for op, args in (("incident.attach", {"incident_id": iid, "path": str(secret)}),
                         ("citizens.layer_import", {"layer": "toilets", "path": str(secret)}),
                         ("evidence.add", {"path": str(secret), "incident_id": iid})):
            with pytest.raises(Refused) as exc:
                clerk.call(op, args)
            assert exc.value.code == "forbidden" and "file of the hub's machine" in str(exc.value), op
        assert not [e for e in link.core.store.events() if e.kind == "incident.attached"]
        refused = [e.payload for e in link.core.store.events() if e.kind == "account.command_refused"]
        assert [r["op"] for r in refused] == ["incident.attach", "citizens.layer_import", "evidence.add"]
        assert refused[0]["args"]["path"] == str(secret) and refused[0]["name"] == "wu"  # who tried what, on record

        photo = b"\xff\xd8\xff\xe0 a photo from the seat"
        a = clerk.call("incident.attach", {"incident_id": iid, "name": "photo.jpg",
                                           "data_b64": base64.b64encode(photo).decode("ascii")})
        assert a["sha256"] == hashlib.sha256(photo).hexdigest()
        [ev] = [e for e in link.core.store.events() if e.kind == "incident.attached"]
        assert ev.actor == "dispatcher:wu"
    finally:
        clerk.close()


def test_a_document_goes_to_the_seat_not_to_a_path_at_the_hub(link, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    call(link.core, "officer.add", {"officer_id": "wang", "name": "王强", "certificate": "45020019001",
                                    "valid_until": "2099-12-31", "valid_from": "2020-01-01"}, actor="ctl:test")
    cid = call(link.core, "case.open", {"violation": "CSRQ-002", "party_type": "person", "party_name": "张三"},
               actor="ctl:test")["id"]
    clerk = link.control("wu", "dispatcher")
    at_hub = tmp_path / "at-the-hub.pdf"
    try:
        with pytest.raises(Refused) as exc:
            clerk.call("case.document", {"case_id": cid, "kind": "filing_approval", "out": str(at_hub)})
        assert "with out" in str(exc.value) and "shift_lead" in str(exc.value)
        assert not at_hub.exists()
    finally:
        clerk.close()

    add_operator(link.core, link.keys, "li", "dispatcher")
    here = tmp_path / "seat" / "filing.pdf"
    here.parent.mkdir()
    hub = ["ctl", "--hub", link.hub.control_endpoint, "--key", str(link.keys / "seat-li.seat.json"), "--user", "li",
           "--login-stdin"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*hub, "--json", "case", "document", str(cid), "filing_approval", "--out", str(here)]) == 0
    out = capsys.readouterr().out
    [doc] = [e.payload for e in link.core.store.events() if e.kind == "case.document_issued"]
    assert here.read_bytes()[:5] == b"%PDF-" and hashlib.sha256(here.read_bytes()).hexdigest() == doc["sha256"]
    assert str(Path(here).resolve()) in out


def test_a_file_larger_than_a_request_goes_in_pieces(link, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """upload.piece through the hub: in order only, the sender's only, complete before it is taken; an operation
    that refuses it gives it back; the operation then keeps it (hash recorded) and the part file is gone.
    `send_file` is what a seat and ctl --hub use."""
    from dispatch.blobs import attachments_dir
    from dispatch.uploads import FOLDER, OPEN_PER_OPERATOR, PIECE_BYTES, send_file

    iid = call(link.core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.33,
                                              "lon": 109.41}, actor="ctl:test")["id"]
    photo = tmp_path / "phone.jpg"
    photo.write_bytes(bytes(range(256)) * (9 * 1024))  # 2.25 MiB: five pieces
    clerk, other = link.control("wu", "dispatcher"), link.control("li", "dispatcher")
    try:
        piece = base64.b64encode(b"x" * 10).decode("ascii")
        first = clerk.call("upload.piece", {"data_b64": piece})
        uid = first["upload_id"]
        with pytest.raises(Refused) as exc:  # a piece for the wrong place: says where to resume
            clerk.call("upload.piece", {"data_b64": piece, "upload_id": uid, "offset": 0})
        assert exc.value.code == "upload_out_of_step" and "holds 10 bytes" in str(exc.value)
        with pytest.raises(Refused) as exc:  # another operator's upload is not theirs to add to, nor to take
            other.call("upload.piece", {"data_b64": piece, "upload_id": uid, "offset": 10})
        assert exc.value.code == "upload_unknown"
        with pytest.raises(Refused) as exc:
            other.call("incident.attach", {"incident_id": iid, "upload_id": uid, "name": "x.jpg"})
        assert exc.value.code == "upload_unknown"
        with pytest.raises(Refused) as exc:  # not complete yet
            clerk.call("incident.attach", {"incident_id": iid, "upload_id": uid, "name": "x.jpg"})
        assert exc.value.code == "upload_incomplete"
        with pytest.raises(Refused):
            clerk.call("upload.piece", {"data_b64": base64.b64encode(b"y" * (PIECE_BYTES + 1)).decode("ascii")})
        for bad in ({"data_b64": "not base64!"}, {"data_b64": piece, "upload_id": uid, "offset": "ten"},
                    {"data_b64": piece, "upload_id": uid, "offset": -1}, {"data_b64": piece, "offset": [0]}):
            with pytest.raises(Refused) as exc:  # a hostile or broken client: a clear refusal, nothing kept
                clerk.call("upload.piece", bad)
            assert exc.value.code == "bad_arguments", bad
        for _ in range(OPEN_PER_OPERATOR):  # abandoned uploads: one operator cannot pile them up on the hub
            other.call("upload.piece", {"data_b64": piece})
        with pytest.raises(Refused) as exc:
            other.call("upload.piece", {"data_b64": piece})
        assert exc.value.code == "too_many_uploads"

        sent = send_file(lambda n, a: clerk.call(n, a), photo)
        with pytest.raises(Refused) as exc:  # a wrong incident: refused, and the upload is given back, not used up
            clerk.call("incident.attach", {"incident_id": iid + 999, "upload_id": sent, "name": photo.name})
        assert exc.value.code != "upload_unknown"
        assert (attachments_dir(link.core) / FOLDER / f"{sent}.part").stat().st_size == photo.stat().st_size
        a = clerk.call("incident.attach", {"incident_id": iid, "upload_id": sent, "name": photo.name})
        assert (a["sha256"], a["size"], a["name"]) == (hashlib.sha256(photo.read_bytes()).hexdigest(),
                                                       photo.stat().st_size, "phone.jpg")
        with pytest.raises(Refused):  # taken once
            clerk.call("incident.attach", {"incident_id": iid, "upload_id": sent, "name": photo.name})
        parts = sorted(p.name for p in (attachments_dir(link.core) / FOLDER).glob("*.part"))
        assert f"{uid}.part" in parts and len(parts) == 1 + OPEN_PER_OPERATOR  # the kept one's part is gone; the
        # unfinished ones wait (STALE_S): wu's first, and li's
        with pytest.raises(Refused) as exc:
            send_file(lambda n, x: clerk.call(n, x), tmp_path / "gone.jpg")
        assert "cannot read" in str(exc.value)
    finally:
        clerk.close()
        other.close()
    [ev] = [e for e in link.core.store.events() if e.kind == "incident.attached"]
    assert ev.actor == "dispatcher:wu"


def test_ctl_through_the_hub_sends_an_attachment_in_pieces(link, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    iid = call(link.core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.33,
                                              "lon": 109.41}, actor="ctl:test")["id"]
    add_operator(link.core, link.keys, "li", "dispatcher")
    big = tmp_path / "现场视频.mp4"
    big.write_bytes(bytes(range(256)) * (5 * 1024))
    hub = ["ctl", "--hub", link.hub.control_endpoint, "--key", str(link.keys / "seat-li.seat.json"), "--user", "li",
           "--login-stdin"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*hub, "--json", "attach", str(iid), str(big)]) == 0, capsys.readouterr().err
    [ev] = [e for e in link.core.store.events() if e.kind == "incident.attached"]
    assert ev.payload["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest() and ev.payload["name"] == big.name
    assert ev.actor == "dispatcher:li"


def test_a_dossier_made_at_the_hub_is_read_back_by_the_seat_that_asked(link, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """ctl --hub case export --out: the dossier made at the hub for the shift lead, read back in pieces, written where
    ctl runs and passing archive verify; another operator cannot read it, and once read it is gone from the hub."""
    from dispatch.blobs import attachments_dir
    from dispatch.cases.verify import verify
    from dispatch.uploads import OFFERS

    cid = call(link.core, "case.open", {"violation": "CSRQ-002", "party_type": "person", "party_name": "张三"},
               actor="ctl:test")["id"]
    lead, other = link.control("chen", "shift_lead"), link.control("zhou", "shift_lead")
    try:
        r = lead.call("case.export", {"case_id": cid})
        assert r["out"] is None and r["size"] > 0
        with pytest.raises(Refused) as exc:
            other.call("download.piece", {"download_id": r["download_id"]})
        assert exc.value.code == "download_unknown"
        for bad in ("x", -5, r["size"] + 1):
            with pytest.raises(Refused) as exc:
                lead.call("download.piece", {"download_id": r["download_id"], "offset": bad})
            assert exc.value.code == "bad_arguments", bad
    finally:
        lead.close()
        other.close()

    here = tmp_path / "seat" / "dossier.zip"
    hub = ["ctl", "--hub", link.hub.control_endpoint, "--key", str(link.keys / "seat-chen.seat.json"), "--user",
           "chen", "--login-stdin"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*hub, "case", "export", str(cid), "--out", str(here)]) == 0, capsys.readouterr().err
    report = verify(here)
    assert report.ok and report.case == cid, report.as_dict()
    left = sorted(p.name for p in (attachments_dir(link.core) / OFFERS).glob("*.zip"))
    assert len(left) == 1  # the first, never read to its end, waits to be given up; the one read back is gone


def test_a_replay_file_made_at_the_hub_is_written_where_ctl_runs(link, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """ctl --hub export --out (a shift lead's): the replay file made at the hub, read back in pieces and written here;
    it opens and its chain verifies."""
    import time

    from dispatch.record.replay import iso_z

    t0 = time.time()
    link.core.ingest([("boat-01", t0 - 30 + i, 24.33 + i * 1e-5, 109.41, 3.0, 90.0, "nmea") for i in range(20)])
    call(link.core, "incident.create", {"category": "floating_garbage", "priority": "P2", "lat": 24.33,
                                        "lon": 109.41}, actor="ctl:test")
    add_operator(link.core, link.keys, "chen", "shift_lead")
    out = tmp_path / "seat" / "shift.replay"
    hub = ["ctl", "--hub", link.hub.control_endpoint, "--key", str(link.keys / "seat-chen.seat.json"), "--user",
           "chen", "--login-stdin"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*hub, "export", "--from", iso_z(t0 - 60), "--to", iso_z(time.time() + 1), "--out", str(out)]) == 0, \
        capsys.readouterr().err
    assert f"replay file {out.resolve()}: " in capsys.readouterr().out
    assert main(["audit", "verify", "--db", f"sqlite:///{out}"]) == 0
    assert main(["replay", str(out), "--check"]) == 0


def test_a_still_taken_through_the_hub_is_written_where_ctl_runs(link, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """ctl --hub evidence frame --out, by a dispatcher (who may not write files on the hub's machine): the still is
    kept at the hub and read back as kept, written here; nothing is written at the hub."""
    from tests.evidence.clipmaker import frame_number_of_png, make_clip

    iid = call(link.core, "incident.create", {"category": "illegal_dumping", "priority": "P2", "lat": 24.33,
                                              "lon": 109.41}, actor="ctl:test")["id"]
    add_operator(link.core, link.keys, "li", "dispatcher")
    hub = ["ctl", "--hub", link.hub.control_endpoint, "--key", str(link.keys / "seat-li.seat.json"), "--user", "li",
           "--login-stdin", "--json"]
    clip = make_clip(tmp_path / "site.mp4", frames=30, fps=10)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*hub, "evidence", "add", str(clip), "--incident", str(iid), "--start", "2026-12-03T18:00:00+08:00"]) == 0
    cid = json.loads(capsys.readouterr().out)["id"]
    here = tmp_path / "seat" / "still.png"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*hub, "evidence", "frame", str(cid), "--at", "2026-12-03T18:00:01.3+08:00", "--out", str(here)]) == 0, \
        capsys.readouterr().err
    r = json.loads(capsys.readouterr().out)
    png = here.read_bytes()
    assert frame_number_of_png(png) == 13 and hashlib.sha256(png).hexdigest() == r["sha256"]
    assert r["out"] == str(here)
    [ev] = [e for e in link.core.store.events() if e.kind == "evidence.still_taken"]
    assert ev.actor == "dispatcher:li"
    assert not [e for e in link.core.store.events() if e.kind == "account.command_refused"]
