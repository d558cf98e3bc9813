"""`archive verify`: the four checks of Chinese archive practice (DA/T 70's 真实性, 完整性, 可用性, 安全性) on a
dossier written by dispatch/cases/archive.py. Needs nothing but the ZIP; names every file that fails.

- security (安全性): the ZIP itself is safe to open: no absolute or climbing paths, no links, no encrypted
  entries, no executable content, sizes within bounds; no PDF carries scripts, launch actions or embedded files.
- integrity (完整性): the manifest has its recorded hash; every file it lists is present with its size and
  SHA-256; nothing else is in the ZIP; the catalogue lists every document and evidence file.
- authenticity (真实性): every event in events.jsonl still hashes to its stored hash (the log's own chain
  link), none is after the head the manifest records, and each document and evidence file is the one those
  events recorded (same SHA-256).
- usability (可用性): every PDF opens and has the catalogue's page count; the XML and CSV parse; images and
  videos start as their type says.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from dispatch.store import event_hash

CHECKS = ("security", "integrity", "authenticity", "usability")
MAX_TOTAL = 8 * 1024**3  # an uncompressed dossier above this is refused as a zip bomb
MAX_RATIO = 200
FIXED = ("catalogue.csv", "metadata.xml", "events.jsonl", "manifest.json", "manifest.sha256")
EXECUTABLE = (".exe", ".dll", ".bat", ".cmd", ".com", ".sh", ".js", ".vbs", ".ps1", ".jar", ".msi", ".scr", ".py")
PDF_ACTIVE = (b"/JavaScript", b"/JS ", b"/JS(", b"/JS<", b"/Launch", b"/EmbeddedFile", b"/RichMedia")
MAGIC = {".jpg": (b"\xff\xd8",), ".jpeg": (b"\xff\xd8",), ".png": (b"\x89PNG\r\n\x1a\n",), ".pdf": (b"%PDF-",),
         ".gif": (b"GIF87a", b"GIF89a"), ".mp4": None, ".xml": (b"<?xml", b"\xef\xbb\xbf<?xml")}


@dataclass
class Report:
    path: str
    problems: dict[str, list[dict[str, str]]] = field(default_factory=lambda: {c: [] for c in CHECKS})
    files: int = 0
    case: Any = None
    head_hash: str = ""

    def fail(self, check: str, file: str, message: str) -> None:
        self.problems[check].append({"file": file, "message": message})

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    @property
    def failed_files(self) -> list[str]:
        seen: list[str] = []
        for c in CHECKS:
            for p in self.problems[c]:
                if p["file"] and p["file"] not in seen:
                    seen.append(p["file"])
        return seen

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "ok": self.ok, "case": self.case, "files": self.files, "head_hash": self.head_hash,
                "checks": {c: {"ok": not self.problems[c], "problems": self.problems[c]} for c in CHECKS},
                "failed_files": self.failed_files}


def verify(path: str | Path) -> Report:
    rep = Report(str(path))
    try:
        z = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        rep.fail("usability", str(path), f"not a readable ZIP: {exc}")
        return rep
    with z:
        infos = _security(z, rep)
        data: dict[str, bytes] = {}
        for name, zi in infos.items():
            try:
                data[name] = z.read(zi)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:  # a CRC error is a changed byte too
                rep.fail("integrity", name, f"cannot be read back: {exc}")
        rep.files = len(data)
        manifest = _integrity(data, rep)
        if manifest is not None:
            rep.case = manifest.get("case")
            rep.head_hash = str(manifest.get("head_hash") or "")
            _authenticity(data, manifest, rep)
        _usability(data, rep)
    return rep


def _security(z: zipfile.ZipFile, rep: Report) -> dict[str, zipfile.ZipInfo]:
    ok: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for zi in z.infolist():
        name = zi.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
            rep.fail("security", name, "path outside the dossier (absolute or with ..)")
            continue
        mode = zi.external_attr >> 16
        if stat.S_ISLNK(mode):
            rep.fail("security", name, "a symbolic link")
            continue
        if zi.is_dir():
            continue
        if zi.flag_bits & 0x1:
            rep.fail("security", name, "encrypted: an archive must be readable without a key")
            continue
        if mode & 0o111:
            rep.fail("security", name, "marked executable")
        if name.lower().endswith(EXECUTABLE):
            rep.fail("security", name, "executable content has no place in a dossier")
        total += zi.file_size
        if zi.compress_size and zi.file_size / max(zi.compress_size, 1) > MAX_RATIO and zi.file_size > 1 << 20:
            rep.fail("security", name, "compression ratio of a zip bomb")
            continue
        if name in ok:
            rep.fail("security", name, "appears twice in the ZIP")
        ok[name] = zi
    if total > MAX_TOTAL:
        rep.fail("security", rep.path, f"unpacks to {total} bytes, over {MAX_TOTAL}")
        return {}
    return ok


def _integrity(data: dict[str, bytes], rep: Report) -> dict[str, Any] | None:
    for name in FIXED:
        if name not in data:
            rep.fail("integrity", name, "missing")
    mbytes = data.get("manifest.json")
    if mbytes is None:
        return None
    seal = data.get("manifest.sha256", b"").decode("utf-8", "replace").split()
    if seal and seal[0] != hashlib.sha256(mbytes).hexdigest():
        rep.fail("integrity", "manifest.json", "does not have the SHA-256 in manifest.sha256 (changed)")
    try:
        manifest = json.loads(mbytes)
        listed = {f["path"]: f for f in manifest["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        rep.fail("integrity", "manifest.json", f"unreadable: {exc}")
        return None
    for name, f in listed.items():
        if name not in data:
            rep.fail("integrity", name, "listed in the manifest but missing")
            continue
        b = data[name]
        if len(b) != f.get("size"):
            rep.fail("integrity", name, f"size {len(b)}, manifest says {f.get('size')}")
        elif hashlib.sha256(b).hexdigest() != f.get("sha256"):
            rep.fail("integrity", name, "SHA-256 differs from the manifest's (changed)")
    for name in data:
        if name not in listed and name not in ("manifest.json", "manifest.sha256"):
            rep.fail("integrity", name, "not in the manifest (added)")
    rows = _catalogue_rows(data, rep)
    in_cat = {r.get("文件") for r in rows}
    for name in listed:
        if name.startswith(("documents/", "evidence/")) and name not in in_cat:
            rep.fail("integrity", name, "not in the catalogue")
    return manifest


def _catalogue_rows(data: dict[str, bytes], rep: Report) -> list[dict[str, str]]:
    raw = data.get("catalogue.csv")
    if raw is None:
        return []
    try:
        return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        return []


def _authenticity(data: dict[str, bytes], manifest: dict[str, Any], rep: Report) -> None:
    raw = data.get("events.jsonl")
    if raw is None:
        return
    recorded: dict[str, str] = {}  # sha256 -> the event that recorded it
    head = int(manifest.get("head_seq") or 0)
    for n, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        try:
            e = json.loads(line)
            h = event_hash(e["prev_hash"], int(e["seq"]), float(e["ts"]), e["actor"], e["kind"], e["entity"],
                           e["payload"])
            payload = json.loads(e["payload"])
        except (ValueError, KeyError, TypeError) as exc:
            rep.fail("authenticity", "events.jsonl", f"line {n} unreadable: {exc}")
            continue
        if h != e["hash"]:
            rep.fail("authenticity", "events.jsonl", f"event {e['seq']} ({e['kind']}) does not hash to its stored hash")
        if int(e["seq"]) > head:
            rep.fail("authenticity", "events.jsonl", f"event {e['seq']} is after the head {head} of the export")
        if e["kind"] in ("case.document_issued", "case.evidence_added") and payload.get("sha256"):
            recorded[payload["sha256"]] = f"event {e['seq']}"
        if str(e.get("entity")) != f"case:{manifest.get('case')}":
            rep.fail("authenticity", "events.jsonl", f"event {e['seq']} is about {e.get('entity')}, not this case")
    for name, b in data.items():
        if name.startswith(("documents/", "evidence/")) and hashlib.sha256(b).hexdigest() not in recorded:
            rep.fail("authenticity", name, "not the file the case's events recorded (no event has its SHA-256)")
    missing = set(recorded) - {hashlib.sha256(b).hexdigest() for n, b in data.items()
                               if n.startswith(("documents/", "evidence/"))}
    for sha in sorted(missing):
        rep.fail("authenticity", recorded[sha], f"records a file (sha256 {sha[:16]}…) the dossier does not hold")


def _usability(data: dict[str, bytes], rep: Report) -> None:
    pages = {r.get("文件"): r.get("页数") for r in _catalogue_rows(data, rep)}
    if "catalogue.csv" in data:
        rows = _catalogue_rows(data, rep)
        head = next(csv.reader(io.StringIO(data["catalogue.csv"].decode("utf-8-sig", "replace"))), [])
        if head[:8] != ["序号", "档号", "文号", "责任者", "题名", "日期", "页数", "备注"] or not isinstance(rows, list):
            rep.fail("usability", "catalogue.csv", "not the catalogue's columns (序号, 档号, 文号, 责任者, 题名, 日期, 页数, 备注)")
    if "metadata.xml" in data:
        try:
            ET.fromstring(data["metadata.xml"])
        except ET.ParseError as exc:
            rep.fail("usability", "metadata.xml", f"not well-formed XML: {exc}")
    for name, b in data.items():
        ext = Path(name).suffix.lower()
        if ext == ".pdf":
            _pdf(name, b, pages.get(name), rep)
        elif MAGIC.get(ext) and not b.startswith(MAGIC[ext]):
            rep.fail("usability", name, f"does not start as a {ext[1:].upper()} file does")


def _pdf(name: str, b: bytes, want_pages: str | None, rep: Report) -> None:
    for marker in PDF_ACTIVE:
        if marker in b:
            rep.fail("security", name, f"carries active content ({marker.decode().strip()})")
    try:
        from pypdf import PdfReader

        n = len(PdfReader(io.BytesIO(b), strict=False).pages)
    except Exception as exc:  # any parser failure is the finding: the PDF does not open
        rep.fail("usability", name, f"does not open as PDF: {type(exc).__name__}: {exc}")
        return
    if want_pages and want_pages.isdigit() and int(want_pages) != n:
        rep.fail("usability", name, f"has {n} pages, the catalogue says {want_pages}")
