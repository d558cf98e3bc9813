"""The dossier: `ctl case export` writes every document and evidence file, the DA/T 22 catalogue, the XML
metadata and the manifest tied to the log's head; `archive verify` passes it, and names the file when one
byte is changed, a file removed or added, an event altered, or an unsafe entry slipped in."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from sqlalchemy import create_engine, text

from console.cli import main
from dispatch.cases.verify import verify
from tests.cases.helpers import call, make_core, roster

TWO = ["wang", "liu"]


@pytest.fixture(scope="module")
def dossier(tmp_path_factory):
    """One case walked to archived, with evidence and documents, exported once for every test here."""
    tmp = tmp_path_factory.mktemp("dossier")
    core = make_core(tmp)
    roster(core)
    cid = call(core, "case.open", violation="HDCS-001", party_type="person", party_name="黄某某",
               id_number="450203198502021234", facts="驾驶无名采砂船在柳江河段未经许可抽采河砂",
               place="柳江壶西大桥下游五百米")["id"]
    call(core, "case.advance", case_id=cid, step="filed")
    call(core, "case.document", case_id=cid, kind="filing_approval")
    photo = tmp / "dredger.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 sand dredger at night")
    call(core, "case.evidence", case_id=cid, path=str(photo), kind="photo", note="夜间采砂现场")
    track = tmp / "track.gpx"
    track.write_text("<?xml version='1.0'?><gpx></gpx>", encoding="utf-8")
    call(core, "case.evidence", case_id=cid, path=str(track), kind="track")
    call(core, "case.advance", case_id=cid, step="inspection", officers=TWO, note="采砂船上有抽砂泵一台")
    call(core, "case.document", case_id=cid, kind="inspection_record")
    call(core, "case.document", case_id=cid, kind="inspection_record", reissue=True, note="更正：抽砂泵两台")
    core.close()
    out = tmp / "case.zip"
    code = main(["ctl", "--db", f"sqlite:///{tmp / 'cases.db'}", "--json", "case", "export", str(cid),
                 "--out", str(out)])
    assert code == 0
    return out, tmp


def rewrite(src, dst, change):
    """Copy a ZIP, letting change(name, data) return new bytes, or None to drop the file."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for zi in zin.infolist():
            data = change(zi.filename, zin.read(zi))
            if data is not None:
                zout.writestr(zi, data)
    return dst


def test_export_holds_every_file_and_verify_passes(dossier, capsys):
    out, tmp = dossier
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        cat = list(csv.reader(io.StringIO(z.read("catalogue.csv").decode("utf-8-sig"))))
        manifest = json.loads(z.read("manifest.json"))
        meta = z.read("metadata.xml").decode("utf-8")
    assert sum(n.startswith("documents/") for n in names) == 3 and sum(n.startswith("evidence/") for n in names) == 2
    assert cat[0][:8] == ["序号", "档号", "文号", "责任者", "题名", "日期", "页数", "备注"]
    assert [r[4] for r in cat[1:4]] == ["立案审批表", "现场检查（勘验）笔录", "现场检查（勘验）笔录"]
    assert "被 " in cat[2][7] and "替代" in cat[3][7] and cat[1][1].startswith("LZCG-")
    assert all(r[6] == "1" for r in cat[1:4])
    engine = create_engine(f"sqlite:///{tmp / 'cases.db'}")
    with engine.connect() as conn:
        seq, head = conn.execute(text("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")).one()
    engine.dispose()
    assert (manifest["head_seq"], manifest["head_hash"]) == (seq, head)
    assert {f["path"] for f in manifest["files"]} == set(names) - {"manifest.json", "manifest.sha256"}
    assert "黄某某" in meta and "采砂" in meta and head in meta
    assert main(["archive", "verify", str(out)]) == 0
    text_out = capsys.readouterr().out
    assert "真实性 authenticity: ok" in text_out and "安全性 security: ok" in text_out
    assert verify(out).ok


@pytest.mark.parametrize("victim", ["documents/", "evidence/", "catalogue.csv", "metadata.xml", "events.jsonl"])
def test_one_changed_byte_is_named(dossier, capsys, victim):
    out, tmp = dossier
    target: list[str] = []

    def flip(name, data):
        if name.startswith(victim) and not target:
            target.append(name)
            i = len(data) // 2
            return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
        return data

    bad = rewrite(out, tmp / f"bad-{victim.strip('/').replace('.', '_')}.zip", flip)
    assert main(["archive", "verify", str(bad), "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert not rep["ok"] and target[0] in rep["failed_files"]
    assert not rep["checks"]["integrity"]["ok"]


def test_a_removed_or_added_file_is_named(dossier, capsys):
    out, tmp = dossier
    with zipfile.ZipFile(out) as z:
        evidence = next(n for n in z.namelist() if n.startswith("evidence/"))
    gone = rewrite(out, tmp / "gone.zip", lambda n, d: None if n == evidence else d)
    assert main(["archive", "verify", str(gone)]) == 1
    out_text, err = capsys.readouterr()
    assert evidence in err and "missing" in out_text
    rep = verify(gone)
    assert rep.problems["authenticity"]  # the evidence event records a file the dossier lacks
    extra = tmp / "extra.zip"
    rewrite(out, extra, lambda n, d: d)
    with zipfile.ZipFile(extra, "a") as z:
        z.writestr("evidence/999-planted.jpg", b"\xff\xd8 planted")
    rep = verify(extra)
    assert rep.failed_files == ["evidence/999-planted.jpg"]


def test_a_rewritten_manifest_does_not_hide_an_altered_document(dossier):
    """Someone changes a document and rewrites the manifest and its seal: the log's events still name the old hash."""
    import hashlib

    out, tmp = dossier
    with zipfile.ZipFile(out) as z:
        doc = next(n for n in z.namelist() if n.startswith("documents/"))
        files = {n: z.read(n) for n in z.namelist()}
    files[doc] = files[doc].replace(b"%%EOF", b"%%EOF\n% tampered")
    m = json.loads(files["manifest.json"])
    for f in m["files"]:
        if f["path"] == doc:
            f.update(sha256=hashlib.sha256(files[doc]).hexdigest(), size=len(files[doc]))
    files["manifest.json"] = json.dumps(m).encode()
    files["manifest.sha256"] = f"{hashlib.sha256(files['manifest.json']).hexdigest()}  manifest.json\n".encode()
    forged = tmp / "forged.zip"
    with zipfile.ZipFile(forged, "w") as z:
        for n, d in files.items():
            z.writestr(n, d)
    rep = verify(forged)
    assert rep.problems["integrity"] == [] and doc in rep.failed_files
    assert [p["file"] for p in rep.problems["authenticity"]][0] == doc


def test_unsafe_entries_are_named(dossier):
    out, tmp = dossier
    unsafe = tmp / "unsafe.zip"
    rewrite(out, unsafe, lambda n, d: d)
    with zipfile.ZipFile(unsafe, "a") as z:
        z.writestr("../outside.txt", b"x")
        z.writestr("evidence/run.sh", b"#!/bin/sh\n")
    rep = verify(unsafe)
    sec = {p["file"] for p in rep.problems["security"]}
    assert {"../outside.txt", "evidence/run.sh"} <= sec
    not_zip = tmp / "not.zip"
    not_zip.write_bytes(b"PK but not really")
    assert verify(not_zip).failed_files == [str(not_zip)]


def test_export_refuses_a_damaged_file_store(tmp_path, capsys):
    import os

    core = make_core(tmp_path)
    cid = call(core, "case.open", violation="CSRQ-002", party_type="person", party_name="赵某", facts="占道经营")["id"]
    ev = call(core, "case.evidence", case_id=cid, data_b64="aGVsbG8=", name="p.jpg")
    core.close()
    os.chmod(ev["path"], 0o644)
    with open(ev["path"], "ab") as fh:
        fh.write(b"!")
    code = main(["ctl", "--db", f"sqlite:///{tmp_path / 'cases.db'}", "case", "export", str(cid), "--out",
                 str(tmp_path / "x.zip")])
    assert code == 1 and "altered" in capsys.readouterr().err and not (tmp_path / "x.zip").exists()
