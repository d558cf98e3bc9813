"""Documents (文书): each step's document from the bureau's template, numbered (文号), as PDF, never edited.

A document is rendered from the template in force (resources/cases/templates.json unless the bureau set its
own, ``case.templates_set``), numbered by the bureau's scheme (``numbering`` in ``case.config_set``:
a pattern with {code} the template's code, {year}, {seq} the running number of that kind in that year, and
{case}), kept as a blob (dispatch/blobs.py) and recorded as ``case.document_issued`` with its SHA-256.
Issuing again supersedes the current one (a new number, ``supersedes`` naming the old); nothing is edited.
"""

from __future__ import annotations

import json
import shutil
import string
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from dispatch.blobs import attachments_dir, blob_path, store_blob
from dispatch.cases import law
from dispatch.cases.book import Case, CaseBook, book, case_event, get, parse_id
from dispatch.cases.pdf import render
from dispatch.errors import Refused
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "resources" / "cases" / "templates.json"
DEFAULT_NUMBERING = "柳城管{code}〔{year}〕{seq:03d}号"
DEFAULT_BUREAU = "柳州市城市管理行政执法局"
# kind -> the step that must have been recorded first (None: from opening)
NEEDS_STEP: dict[str, str | None] = {
    "filing_approval": None, "inquiry_record": "inquiry", "inspection_record": "inspection",
    "preservation_notice": "preservation", "penalty_notice": "notice", "hearing_notice": "hearing_notice",
    "penalty_decision": "decision", "service_receipt": "service", "closing_approval": "decision",
    "spot_decision": "on_the_spot",
}
FIELDS = ("bureau", "number", "case_id", "source", "party_type_zh", "party_name", "party_id_number",
          "party_address", "party_contact", "party_representative", "violation_code", "violation_name",
          "legal_basis", "penalty_basis", "facts", "place", "violation_date", "opened_date", "filed_date",
          "act_date", "officers", "penalty_text", "circumstance_zh", "hearing_right", "notice_date", "hearing_date",
          "decision_date", "decision_number", "served_documents", "execution_text", "evidence_list", "note",
          "issue_date", "actor")


def load_default() -> dict[str, Any]:
    return check_templates(json.loads(DEFAULT_FILE.read_text(encoding="utf-8")))


def check_templates(data: Any) -> dict[str, Any]:
    """Validate a whole template set: every kind present, sections [label, text], only known {fields}."""
    def bad(msg: str) -> Refused:
        return Refused(f"bad document templates: {msg}", "bad_templates")

    if not isinstance(data, Mapping) or not isinstance(data.get("templates"), Mapping):
        raise bad("an object with 'templates' {kind: {title, code, sections}} is needed")
    out: dict[str, Any] = {}
    for kind in NEEDS_STEP:
        t = data["templates"].get(kind)
        if not isinstance(t, Mapping):
            raise bad(f"no template for {kind}")
        if not str(t.get("title") or "").strip() or not str(t.get("code") or "").strip():
            raise bad(f"{kind} needs a title and a code")
        secs = t.get("sections")
        if not isinstance(secs, list) or not secs:
            raise bad(f"{kind} has no sections")
        norm = []
        for s in secs:
            if not (isinstance(s, list | tuple) and len(s) == 2 and all(isinstance(x, str) for x in s)):
                raise bad(f"{kind}: each section is [label, text]")
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(s[1]) if f is not None}
            except ValueError as exc:
                raise bad(f"{kind}: {exc}") from None
            unknown = names - set(FIELDS)
            if unknown:
                raise bad(f"{kind} uses unknown fields {', '.join(sorted(unknown))}; fields: {', '.join(FIELDS)}")
            norm.append([s[0], s[1]])
        out[kind] = {"title": str(t["title"]).strip(), "code": str(t["code"]).strip(), "sections": norm}
    return {"version": str(data.get("version") or ""), "templates": out}


def check_numbering(pattern: Any) -> str:
    p = str(pattern or "")
    try:
        p.format(code="X", year=2025, seq=1, case=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise Refused(f"bad numbering pattern {pattern!r}: {exc}; fields are code, year, seq, case",
                      "bad_config") from None
    if "{seq" not in p:
        raise Refused("the numbering pattern needs {seq} (e.g. 柳城管{code}〔{year}〕{seq:03d}号)", "bad_config")
    return p


def templates_of(b: CaseBook) -> dict[str, Any]:
    return b.templates or _default()


_DEFAULT: dict[str, Any] = {}


def _default() -> dict[str, Any]:
    if not _DEFAULT:
        _DEFAULT.update(load_default())
    return _DEFAULT


def _money(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def fields(c: Case, b: CaseBook, kind: str, number: str, now: float, actor: str, note: str | None) -> dict[str, Any]:
    """Every template field for this case and document (the party's data in full: the document is served)."""
    p, v, pen, at = c.party, c.violation, c.penalty or {}, c.at
    step = NEEDS_STEP[kind]
    act = next((a for a in reversed(c.acts) if step and a.get("step") == step), None)
    names = {o.id: f"{o.name}（执法证号 {o.certificate}）" for o in b.officers.values()}
    officers = "、".join(names.get(o, o) for o in (act or {}).get("officers") or []) or "—"
    if pen.get("kind") == "warning":
        ptext = "警告"
    elif pen:
        ptext = f"罚款人民币{_money(float(pen['amount']))}元"
    else:
        ptext = "—"
    decisions = [d for d in c.current_documents() if d["kind"] in ("penalty_decision", "spot_decision")]
    served = [f"{d['title']}（{d['number']}）" for d in c.current_documents() if d["kind"] == "penalty_decision"]
    paid = c.paid or {}
    hearing = ("本案拟作出的处罚属于《中华人民共和国行政处罚法》第六十三条规定的情形，你（单位）有权在收到本告知书之日起"
               "五个工作日内要求听证。") if pen.get("kind") == "fine" and float(pen.get("amount") or 0) >= float(
        (b.settings.get("hearing_threshold") or law.HEARING_THRESHOLD)[p["type"]]) else ""
    return {
        "bureau": b.settings.get("bureau") or DEFAULT_BUREAU, "number": number, "case_id": c.id,
        "source": {"incident": f"事件 {c.incident_id} 转办", "alert": "自动告警",
                   "direct": "执法人员发现"}.get(c.source, c.source),
        "party_type_zh": "个人" if p["type"] == "person" else "单位", "party_name": p["name"],
        "party_id_number": p.get("id_number") or "—", "party_address": p.get("address") or "—",
        "party_contact": p.get("contact") or "—",
        "party_representative": f"法定代表人：{p['representative']}" if p.get("representative") else "",
        "violation_code": v["code"], "violation_name": v["name"], "legal_basis": v["legal_basis"],
        "penalty_basis": v["penalty_basis"], "facts": c.facts or "—", "place": c.place or "—",
        "violation_date": law.iso_day(c.violation_at), "opened_date": law.iso_day(c.opened_at),
        "filed_date": law.iso_day(at.get("filed")), "act_date": law.iso_day(act["time"]) if act else "—",
        "officers": officers, "penalty_text": ptext,
        "circumstance_zh": law.CIRCUMSTANCE_NAMES.get(pen.get("circumstance") or "", ("—", ""))[0],
        "hearing_right": hearing, "notice_date": law.iso_day(at.get("notice")) or "—",
        "hearing_date": law.iso_day(c.hearing_date) or "—", "decision_date": law.iso_day(at.get("decision")) or "—",
        "decision_number": decisions[-1]["number"] if decisions else "—",
        "served_documents": "、".join(served) or "—",
        "execution_text": (f"当事人已于{law.iso_day(paid.get('time'))}缴纳罚款{_money(float(paid.get('amount') or 0))}元"
                           f"（含加处罚款{_money(float(paid.get('late_charge') or 0))}元）") if paid else
        ("警告已执行" if pen.get("kind") == "warning" else "—"),
        "evidence_list": "、".join(f"{e['name']}（SHA-256 {e['sha256'][:16]}…）" for e in c.evidence) or "现场检查笔录、询问笔录",
        "note": (note or (act or {}).get("note") or "").strip(), "issue_date": law.iso_day(now), "actor": actor,
    }


def _compose(tpl: dict[str, Any], values: dict[str, Any]) -> list[tuple[str, str]]:
    class Safe(dict):  # type: ignore[type-arg]
        def __missing__(self, key: str) -> str:
            return ""

    return [(label, text.format_map(Safe(values))) for label, text in tpl["sections"]]


@op("case.document")
def issue_document(core: Any, actor: str, case_id: Any, kind: str, out: str | None = None, reissue: bool = False,
                   note: str | None = None) -> dict[str, Any]:
    """The case's document of this kind as PDF: the current one, or a new one (first issue, or ``reissue`` to
    supersede the current). ``out``: also copy it to this path. Refused before the step it records."""
    cid = parse_id(case_id)
    k = str(kind).strip().lower()
    if k not in NEEDS_STEP:
        raise Refused(f"unknown document {kind!r}; kinds: {', '.join(NEEDS_STEP)}", "bad_kind")
    folder = attachments_dir(core)
    for _attempt in range(5):
        core.refresh()
        with core.lock:
            b = book(core.state)
            c = get(core.state, cid)
            current = next((d for d in c.current_documents() if d["kind"] == k), None)
            if current is not None and not reissue:
                return _deliver(current, cid, folder, out)
            _check_may_issue(c, k)
            tpl = templates_of(b)["templates"][k]
            now = core.clock()
            year = law.local_date(now).year
            seq_key = f"{k}:{year}"
            seq = b.doc_seq.get(seq_key, 0) + 1
            pattern = b.settings.get("numbering") or DEFAULT_NUMBERING
            number = pattern.format(code=tpl["code"], year=year, seq=seq, case=cid)
            sections = _compose(tpl, fields(c, b, k, number, now, actor, note))
            bureau = b.settings.get("bureau") or DEFAULT_BUREAU
        data, pages = render(bureau, tpl["title"], number, sections, f"案件 {cid}  {number}",
                             datetime.fromtimestamp(now, law.CST), bureau)
        sha, size = store_blob(folder, [data])
        payload = {"kind": k, "title": tpl["title"], "number": number, "seq_key": seq_key, "seq_no": seq,
                   "sha256": sha, "size": size, "pages": pages, "media_type": "application/pdf",
                   "name": f"{k}-{seq:03d}-{year}.pdf", "supersedes": current["number"] if current else None,
                   "note": (note or "").strip()[:2000]}

        def decide(st: State, payload: dict[str, Any] = payload, seq_key: str = seq_key, seq: int = seq
                   ) -> list[NewEvent]:
            if book(st).doc_seq.get(seq_key, 0) + 1 != seq:
                return []  # another seat took this number meanwhile: render again with the next one
            cc = get(st, cid)
            sup = next((d for d in cc.current_documents() if d["kind"] == k), None)
            if (sup["number"] if sup else None) != payload["supersedes"]:
                return []
            return [case_event("case.document_issued", cid, **payload)]

        ch = core.command(actor, decide)
        if ch.events:
            return _deliver({**payload, "issued_at": now}, cid, folder, out)
    raise Refused("could not number the document: other seats kept issuing the same kind; try again", "busy")


def _check_may_issue(c: Case, kind: str) -> None:
    step = NEEDS_STEP[kind]
    if c.stage == "archived":
        raise Refused(f"case {c.id} is archived: its documents are final", "archived")
    if step is not None and step not in c.at:
        s = law.STEP[step]
        raise Refused(f"the {kind} records the step {step} ({s.zh}), not yet recorded on case {c.id}",
                      "step_not_recorded")


def _deliver(doc: dict[str, Any], cid: int, folder: Path, out: str | None) -> dict[str, Any]:
    src = blob_path(folder, doc["sha256"])
    res = {"id": cid, **{k: doc.get(k) for k in ("kind", "title", "number", "sha256", "size", "pages", "supersedes",
                                                 "issued_at")}, "path": str(src), "out": None}
    if out:
        dest = Path(out).expanduser()
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        except OSError as exc:
            raise Refused(f"cannot write {out}: {exc.strerror or exc}", "unwritable") from None
        res["out"] = str(dest)
    return res


@op("case.document_file")
def document_file(core: Any, actor: str, case_id: Any, number: str) -> dict[str, Any]:
    """One issued document's PDF (current or superseded) by its number: {number, name, sha256, size, data_b64},
    for a seat that saves it where it runs (a console attached to a hub has no blobs of its own). Refused if
    the kept file no longer has its recorded hash."""
    import base64
    import hashlib

    cid = parse_id(case_id)
    core.refresh()
    with core.lock:
        c = get(core.state, cid)
        doc = next((dict(d) for d in c.documents if d["number"] == str(number).strip()), None)
    if doc is None:
        raise Refused(f"case {cid} has no document numbered {number!r}", "not_found")
    try:
        data = blob_path(attachments_dir(core), doc["sha256"]).read_bytes()
    except OSError as exc:
        raise Refused(f"the file of {doc['number']} cannot be read: {exc.strerror or exc}", "missing") from None
    if hashlib.sha256(data).hexdigest() != doc["sha256"]:
        raise Refused(f"the file of {doc['number']} no longer has its recorded SHA-256: not delivered", "damaged")
    return {"number": doc["number"], "name": doc.get("name") or f"{doc['kind']}.pdf", "sha256": doc["sha256"],
            "size": len(data), "data_b64": base64.b64encode(data).decode("ascii")}


@op("case.templates")
def show_templates(core: Any, actor: str) -> dict[str, Any]:
    """The template set in force: {version, templates: {kind: {title, code, sections}}, source: bureau|shipped}."""
    core.refresh()
    with core.lock:
        b = book(core.state)
        return {**templates_of(b), "source": "shipped" if b.templates is None else "bureau"}


@op("case.templates_set")
def set_templates(core: Any, actor: str, templates: dict[str, Any] | None = None, kind: str | None = None,
                  template: dict[str, Any] | None = None) -> dict[str, Any]:
    """Replace the template set whole (``templates``), or one kind's template (``kind`` + ``template``
    {title, code, sections}) in the set in force. Checked first: nothing is recorded if any template is bad.
    Documents already issued stay as they were."""
    if kind is not None:
        k = str(kind).strip().lower()
        if k not in NEEDS_STEP:
            raise Refused(f"unknown document {kind!r}; kinds: {', '.join(NEEDS_STEP)}", "bad_kind")
        if not isinstance(template, Mapping):
            raise Refused(f"the template of {k} is an object {{title, code, sections}}", "bad_templates")
    elif not isinstance(templates, Mapping):
        raise Refused("give the whole template set (templates) or one kind and its template", "bad_arguments")
    done: list[dict[str, Any]] = []

    def decide(st: State) -> list[NewEvent]:
        if kind is None:
            checked = check_templates(templates)
        else:  # merged here, under the write transaction: another seat's edit of another kind is kept
            cur = templates_of(book(st))
            checked = check_templates({"version": cur.get("version"),
                                       "templates": {**cur["templates"], k: dict(template or {})}})
        done[:] = [checked]
        return [NewEvent("case.templates_set", {"templates": checked}, "cases")]

    core.command(actor, decide)
    return {"version": done[0]["version"], "kinds": sorted(done[0]["templates"]), "kind": kind}
