"""The dossier (案卷档案): one ZIP per case, checkable on its own by dispatch/cases/verify.py.

Layout of FILE.zip:
  documents/NNN-<kind>.pdf   every document issued, superseded ones too (their remark says by which)
  evidence/NNN-<name>        every evidence file as kept (content-addressed blobs)
  catalogue.csv              the file catalogue (卷内文件目录) with DA/T 22's columns:
                             序号, 档号, 文号, 责任者, 题名, 日期, 页数, 备注 (UTF-8 with BOM)
  metadata.xml               the case: violation, party, stages, acts, deadlines, files (with hashes)
  events.jsonl               the case's events exactly as stored (seq, ts, actor, kind, entity, payload,
                             prev_hash, hash): each one's hash recomputes from its columns
  manifest.json              every file above with its SHA-256 and size, the log's head (seq, hash) at export
  manifest.sha256            the SHA-256 of manifest.json
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import select

from dispatch import store as store_mod
from dispatch.blobs import attachments_dir, blob_path, sha256_file
from dispatch.cases import law
from dispatch.cases.book import book, detail, get, parse_id
from dispatch.errors import Refused
from dispatch.ops import op
from dispatch.outfiles import temp_beside

FORMAT = "liuzhou-case-dossier"
FORMAT_VERSION = 1
CATALOGUE_COLUMNS = ("序号", "档号", "文号", "责任者", "题名", "日期", "页数", "备注")
DEFAULT_FONDS = "LZCG"  # 全宗号: the bureau's fonds code (setting "fonds")


def _safe(name: str) -> str:
    s = re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", Path(name).name).strip("._")
    return s[:80] or "file"


def _case_events(core: Any, case_id: int) -> list[dict[str, Any]]:
    t = store_mod.events_table
    with core.store.read() as conn:
        rows = conn.execute(select(t).where(t.c.entity == f"case:{case_id}").order_by(t.c.seq)).all()
    return [{"seq": r.seq, "ts": r.ts, "actor": r.actor, "kind": r.kind, "entity": r.entity, "payload": r.payload,
             "prev_hash": r.prev_hash, "hash": r.hash} for r in rows]


@op("case.export")
def export_case(core: Any, actor: str, case_id: Any, out: str | None = None) -> dict[str, Any]:
    """Write the case's dossier to ``out`` (a ZIP); without ``out`` (a seat attached to a hub), made for that seat to
    read back with ``download.piece`` (``download_id``, ``sha256`` in the answer: dispatch/uploads.py). Refused if a
    document or evidence file is missing or no longer has its recorded hash: a dossier is never written from damaged
    files."""
    cid = parse_id(case_id)
    core.refresh()
    with core.lock:
        b = book(core.state)
        c = get(core.state, cid)
        now = core.clock()
        info = detail(c, b, now, actor, reveal=True)  # the archive is the record: the party in full
        head_seq, head_hash = core.state.last_seq, core.state.last_hash
        fonds = b.settings.get("fonds") or DEFAULT_FONDS
        bureau = b.settings.get("bureau") or "柳州市城市管理行政执法局"
    events = [e for e in _case_events(core, cid) if e["seq"] <= head_seq]
    folder = attachments_dir(core)
    year = law.local_date(c.opened_at).year
    archive_code = f"{fonds}-{year}-XZCF-{cid:04d}"
    files: list[tuple[str, Path | bytes]] = []
    rows: list[list[Any]] = []
    for i, d in enumerate(info["documents"], 1):
        name = f"documents/{i:03d}-{d['kind']}.pdf"
        files.append((name, _checked_blob(folder, d["sha256"], name)))
        remark = f"被 {d['superseded_by']} 替代" if d.get("superseded_by") else ""
        if d.get("supersedes"):
            remark = (remark + "；" if remark else "") + f"替代 {d['supersedes']}"
        rows.append([i, f"{archive_code}-{i:03d}", d["number"], bureau, d["title"], law.iso_day(d["issued_at"]),
                     d["pages"], remark, name, d["sha256"]])
    for j, e in enumerate(info["evidence"], len(rows) + 1):
        name = f"evidence/{j:03d}-{_safe(e['name'])}"
        files.append((name, _checked_blob(folder, e["sha256"], name)))
        rows.append([j, f"{archive_code}-{j:03d}", "", e.get("added_by") or "", f"证据：{e['name']}（{e['kind']}）",
                     law.iso_day(e.get("time") or 0), "", e.get("note") or "", name, e["sha256"]])
    cat = io.StringIO()
    w = csv.writer(cat, lineterminator="\r\n")
    w.writerow([*CATALOGUE_COLUMNS, "文件", "SHA-256"])
    w.writerows(rows)
    files.append(("catalogue.csv", ("\ufeff" + cat.getvalue()).encode("utf-8")))
    files.append(("metadata.xml", _metadata(info, archive_code, bureau, rows, head_seq, head_hash, now, actor)))
    files.append(("events.jsonl", "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n"
                                          for e in events).encode("utf-8")))
    manifest_files = []
    for name, src in files:
        data = src if isinstance(src, bytes) else src.read_bytes()
        manifest_files.append({"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "case": cid, "archive_code": archive_code,
                "exported_at": law.iso_utc(now), "exported_by": actor, "head_seq": head_seq, "head_hash": head_hash,
                "case_events": len(events), "files": manifest_files}
    mbytes = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    files.append(("manifest.json", mbytes))
    files.append(("manifest.sha256", f"{hashlib.sha256(mbytes).hexdigest()}  manifest.json\n".encode()))
    answer = {"id": cid, "files": len(files), "archive_code": archive_code, "head_seq": head_seq,
              "head_hash": head_hash}
    if out is None:  # for the seat that asked: read back a piece at a time, then gone from the hub
        from dispatch.uploads import offer, offer_path

        dest = offer_path(core, f"{archive_code}.zip")
        _write_zip(dest, files, now)
        return {**answer, "out": None, "name": f"{archive_code}.zip", **offer(core, actor, dest)}
    dest = Path(out).expanduser()
    _write_zip(dest, files, now)
    return {**answer, "out": str(dest), "size": dest.stat().st_size}


def _checked_blob(folder: Path, sha256: str, name: str) -> Path:
    p = blob_path(folder, sha256)
    try:
        got = sha256_file(p)
    except OSError:
        raise Refused(f"cannot export: {name} is missing from the file store ({p})", "blob_missing") from None
    if got != sha256:
        raise Refused(f"cannot export: {name} no longer has its recorded SHA-256 ({p} altered)", "blob_altered")
    return p


def _write_zip(dest: Path, files: list[tuple[str, Path | bytes]], now: float) -> None:
    from datetime import datetime

    stamp = datetime.fromtimestamp(now, law.CST).timetuple()[:6]
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = temp_beside(dest, prefix=".dossier-")  # readable as any file the user makes, not 0600
    except OSError as exc:
        raise Refused(f"cannot write {dest}: {exc.strerror or exc}", "unwritable") from None
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as z:
            for name, src in files:
                zi = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = 0o100444 << 16  # a regular read-only file
                if isinstance(src, bytes):
                    z.writestr(zi, src)
                else:
                    with src.open("rb") as inp, z.open(zi, "w") as outp:
                        for chunk in iter(lambda inp=inp: inp.read(1 << 20), b""):
                            outp.write(chunk)
        os.replace(tmp, dest)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)  # no half dossier left beside the folder's files
        if isinstance(exc, OSError):
            raise Refused(f"cannot write {dest}: {exc.strerror or exc}", "unwritable") from None
        raise


def _metadata(info: dict[str, Any], code: str, bureau: str, rows: list[list[Any]], head_seq: int, head_hash: str,
              now: float, actor: str) -> bytes:
    root = ET.Element("dossier", {"format": FORMAT, "version": str(FORMAT_VERSION)})
    case = ET.SubElement(root, "case", {"id": str(info["id"]), "archive_code": code, "stage": info["stage"],
                                        "procedure": info["procedure"]})
    ET.SubElement(case, "bureau").text = bureau
    v = info["violation"]
    ET.SubElement(case, "violation", {"code": v["code"], "legal_basis": v["legal_basis"],
                                      "penalty_basis": v["penalty_basis"]}).text = v["name"]
    p = info["party"]
    ET.SubElement(case, "party", {k: str(p.get(k) or "") for k in ("type", "id_number", "address", "contact",
                                                                    "representative")}).text = p["name"]
    ET.SubElement(case, "facts").text = info.get("facts") or ""
    ET.SubElement(case, "place").text = info.get("place") or ""
    pen = info.get("penalty") or {}
    ET.SubElement(case, "penalty", {k: str(pen.get(k)) for k in ("kind", "amount", "circumstance", "outside_range",
                                                                 "approved_by") if k in pen})
    acts = ET.SubElement(case, "acts")
    for a in info["acts"]:
        ET.SubElement(acts, "act", {"seq": str(a["seq"]), "time": law.iso_utc(a["time"]), "actor": a["actor"],
                                    "step": str(a.get("step") or a["kind"]),
                                    "officers": ",".join(a.get("officers") or [])}).text = a.get("note") or ""
    if info.get("reviews"):  # 行政复议 / 行政诉讼: the outcome recorded after the decision
        revs = ET.SubElement(case, "reviews")
        for r in info["reviews"]:
            ET.SubElement(revs, "review", {"outcome": r["outcome"], "body": r["body"], "date": law.iso_day(r["date"]),
                                           "number": r["number"], "recorded_by": r.get("recorded_by") or ""}
                          ).text = r.get("note") or ""
    dls = ET.SubElement(case, "deadlines")
    for d in info["deadlines"]:
        ET.SubElement(dls, "deadline", {"key": d["key"], "article": d["article"], "due": d["due_day"],
                                        "met": "" if d["met"] is None else str(d["met"]).lower()})
    fl = ET.SubElement(root, "files")
    for r in rows:
        ET.SubElement(fl, "file", dict(zip(("seq", "archive_code", "number", "author", "title", "date", "pages",
                                            "remark", "path", "sha256"), map(str, r), strict=True)))
    ET.SubElement(root, "log", {"head_seq": str(head_seq), "head_hash": head_hash})
    ET.SubElement(root, "export", {"time": law.iso_utc(now), "by": actor})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
