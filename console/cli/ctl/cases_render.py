"""Human output of the case commands, in zh_CN or en.

The strings are English source strings translated through resources/i18n/zh_CN.json, the console's own
catalogue, read through console/catalogue.py without Qt (ctl never loads Qt). Step, stage and deadline names
come from the law's tables (dispatch/cases/law.py), which carry both languages.
"""

from __future__ import annotations

import functools
from typing import Any

from console.catalogue import load_catalogue, system_language
from console.cli.ctl import table
from dispatch.cases import law

STEP_KEYS = [s.key for s in law.STEPS]
DOC_KINDS = ["filing_approval", "inquiry_record", "inspection_record", "preservation_notice", "penalty_notice",
             "hearing_notice", "penalty_decision", "service_receipt", "closing_approval", "spot_decision"]

OTHER_ACTS = {"opened": ("受理", "opened"), "penalty": ("拟处罚", "penalty proposed"),
              "penalty_approved": ("裁量审批", "penalty approved"), "evidence": ("证据", "evidence"),
              "document": ("文书", "document"), "overdue": ("超期", "overdue"), "review": ("复议/诉讼", "review")}


@functools.cache
def _catalogue() -> dict[str, str]:
    try:
        return load_catalogue("zh_CN")
    except (OSError, ValueError):
        return {}


def lang_of(args: Any) -> str:
    """--lang, else the language the environment asks for, as the console takes it (console/catalogue.py:
    Chinese under the C locale or none)."""
    return getattr(args, "lang", None) or system_language()


class T:
    """The translator of one command's output."""

    def __init__(self, args: Any) -> None:
        self.zh = lang_of(args) == "zh_CN"

    def __call__(self, text: str, *values: Any) -> str:
        s = _catalogue().get(text, text) if self.zh else text
        for i, v in enumerate(values, 1):
            s = s.replace(f"%{i}", str(v))
        return s

    def stage(self, key: str) -> str:
        zh, en = law.STAGE_NAMES.get(key, (key, key))
        return zh if self.zh else en

    def step(self, key: str | None) -> str:
        s = law.STEP.get(key or "")
        if s is None:
            zh, en = OTHER_ACTS.get(key or "", (key or "", key or ""))
            return zh if self.zh else en
        return s.zh if self.zh else s.en

    def deadline(self, key: str) -> str:
        zh, en, _ = law.DEADLINE_NAMES[key]
        return zh if self.zh else en

    def review(self, r: dict[str, Any]) -> str:
        body = law.REVIEW_BODIES.get(r["body"], (r["body"], r["body"]))
        out = law.REVIEW_OUTCOMES.get(r["outcome"], (r["outcome"], r["outcome"]))
        return f"{body[0]} {out[0]}" if self.zh else f"{body[1]}: {out[1]}"

    def party_type(self, key: str) -> str:
        return self("person") if key == "person" else self("organisation")


def countdown(t: T, d: dict[str, Any] | None, named: bool = True) -> str:
    if not d:
        return ""
    head = f"{t.deadline(d['key'])} {d['due_day']} " if named else ""
    r = d.get("remaining_s")
    if r is None:
        return head.strip()
    days, rest = divmod(abs(r), law.DAY)
    left = t("%1 d %2 h", int(days), int(rest // 3600))
    return head + (t("overdue by %1", left) if r < 0 else t("%1 left", left))


def _penalty(t: T, p: dict[str, Any] | None) -> str:
    if not p:
        return "-"
    text = t("warning") if p.get("kind") == "warning" else t("fine %1 yuan", f"{p.get('amount'):g}")
    if p.get("outside_range"):
        text += " (" + (t("outside the benchmark, approved by %1", p.get("approved_by")) if p.get("approved")
                        else t("outside the benchmark, awaiting approval")) + ")"
    return text


def render_list(rows: list[dict[str, Any]], args: Any) -> str:
    t = T(args)
    if not rows:
        return t("no cases")
    return table([[r["id"], t.stage(r["stage"]), r["violation"]["code"], r["party"]["name"],
                   _penalty(t, r.get("penalty")), countdown(t, r.get("next_deadline")),
                   ", ".join(t.deadline(k) for k in r["overdue"])] for r in rows],
                 [t("case"), t("stage"), t("violation"), t("party"), t("penalty"), t("next deadline"),
                  t("overdue")])


def render_detail(r: dict[str, Any], args: Any) -> str:
    t = T(args)
    v, p = r["violation"], r["party"]
    lines = [
        f"{t('case')} {r['id']}  {t.stage(r['stage'])}  "
        f"({t('simple procedure') if r['procedure'] == 'simple' else t('ordinary procedure')})",
        f"  {t('violation')}: {v['code']} {v['name'] if t.zh or not v.get('name_en') else v['name_en']}",
        f"  {t('legal basis')}: {v['legal_basis']}   {t('penalty basis')}: {v['penalty_basis']}",
        f"  {t('party')}: {t.party_type(p['type'])} {p['name']}  {p.get('id_number') or ''}  "
        f"{p.get('address') or ''}  {p.get('contact') or ''}" + (f"  ({t('masked')})" if p.get("masked") else ""),
    ]
    if r.get("incident_id"):
        lines.append(f"  {t('from incident')} {r['incident_id']}")
    if r.get("facts"):
        lines.append(f"  {t('facts')}: {r['facts']}")
    lines.append(f"  {t('penalty')}: {_penalty(t, r.get('penalty'))}")
    if r.get("amount_due") and r["amount_due"]["fine"]:
        a = r["amount_due"]
        lines.append(f"  {t('owed')}: {a['fine']:.2f} + {t('late charge')} {a['late_charge']:.2f} = {a['total']:.2f}")
    for d in r.get("deadlines") or []:
        state = (t("met") if d["met"] else t("missed")) if d["done"] is not None else countdown(t, d, named=False)
        lines.append(f"  {t('deadline')} {t.deadline(d['key'])} ({d['article']}): {d['due_day']}  {state}")
    lines.append(f"  {t('allowed next')}: {', '.join(f'{k} {t.step(k)}' for k in r.get('allowed') or []) or '-'}")
    for e in r.get("evidence") or []:
        lines.append(f"  {t('evidence')} {e['kind']} {e['name']} {e['size']} B sha256 {e['sha256']}")
    for rv in r.get("reviews") or []:
        lines.append(f"  {t('review')}: {t.review(rv)}  {law.iso_day(rv['date'])}  {rv['number']}"
                     + (f"  {rv['note']}" if rv.get("note") else ""))
    if r.get("overturned"):
        lines.append(f"  {t('the decision was overturned on review')}")
    for d in r.get("documents") or []:
        sup = f"  ({t('superseded by %1', d['superseded_by'])})" if d.get("superseded_by") else ""
        lines.append(f"  {t('document')} {d['number']} {d['title']} sha256 {d['sha256']}{sup}")
    if r.get("acts"):
        lines.append(table([[law.iso_day(a["time"]) + " " + _clock(a["time"]), a["actor"],
                             t.step(a.get("step")) or a["kind"], ", ".join(a.get("officers") or []),
                             (a.get("note") or "")[:60]] for a in r["acts"]],
                           [t("time"), t("actor"), t("step"), t("officers"), t("note")]))
    return "\n".join(lines)


def _clock(ts: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts, law.CST).strftime("%H:%M")


def render_evidence(r: dict[str, Any], args: Any) -> str:
    t = T(args)
    files = r["files"] if "files" in r else [r]  # a track excerpt may be kept as two files
    head = [t("track of %1 from %2 to %3: %4 fixes", r["unit_id"], law.iso_utc(r["from"]), law.iso_utc(r["to"]),
              r["points"])] if "files" in r else []
    return "\n".join(head + [t("evidence %1 added to case %2: %3 bytes, sha256 %4", f["name"], r["id"], f["size"],
                                f["sha256"]) for f in files])


def render_templates(r: dict[str, Any], args: Any) -> str:
    t = T(args)
    src = t("the bureau's own") if r.get("source") == "bureau" else t("as shipped")
    return table([[k, v["title"], v["code"], len(v["sections"])] for k, v in sorted(r["templates"].items())],
                 [t("kind"), t("title"), t("code"), t("sections")]) + "\n" + t("templates: %1", src)


def render_templates_set(r: dict[str, Any], args: Any) -> str:
    t = T(args)
    return t("template of %1 set; it applies to documents issued from now on", r.get("kind"))


def render_document(r: dict[str, Any], args: Any) -> str:
    t = T(args)
    return t("%1 %2 (%3 pages) written to %4, sha256 %5", r["number"], r["title"], r["pages"], r.get("out"),
             r["sha256"])


def render_export(r: dict[str, Any], args: Any) -> str:
    t = T(args)
    return t("dossier of case %1 written to %2: %3 files, log head %4", r["id"], r["out"], r["files"],
             r["head_hash"][:16])


def render_catalogue(r: dict[str, Any], args: Any) -> str:
    t = T(args)
    if "violations" in r and isinstance(r["violations"], int):
        return t("catalogue %1 set: %2 violations", r["version"], r["violations"])
    return table([[v["code"], v["name"] if t.zh or not v.get("name_en") else v["name_en"], v["legal_basis"],
                   v["penalty_basis"]] for v in r["violations"]],
                 [t("code"), t("violation"), t("legal basis"), t("penalty basis")])


def render_officers(rows: list[dict[str, Any]], args: Any) -> str:
    t = T(args)
    return table([[o["id"], o["name"], o["certificate"], o["team"], f"{o['valid_from']} - {o['valid_until']}",
                   t("valid") if o["valid"] else (t("revoked") if o["revoked"] else t("expired"))] for o in rows],
                 [t("officer"), t("name"), t("certificate"), t("team"), t("validity"), t("status")])


def render_overdue(rows: list[dict[str, Any]], args: Any) -> str:
    t = T(args)
    return "\n".join(t("case %1: %2 overdue since %3", x["id"], t.deadline(x["deadline"]), law.iso_day(x["due"]))
                     for x in rows) or t("nothing overdue")


def render_supervision(r: dict[str, Any], args: Any) -> str:
    t = T(args)

    def days(v: Any) -> str:
        return "" if v is None else f"{v:.1f}"

    def rows(items: list[dict[str, Any]], key: str) -> list[list[Any]]:
        return [[x[key], x.get("name", ""), x["cases"], x["open"], x["deadlines_met"], x["deadlines_missed"],
                 x["overdue_now"], days(x["days"]["investigation"]), days(x["days"]["notice_to_decision"]),
                 days(x["days"]["whole"]), x.get("reviewed", 0), x.get("overturned", 0)] for x in items]

    head = [t("officer"), t("name"), t("cases"), t("open"), t("met"), t("missed"), t("overdue"),
            t("investigation (d)"), t("notice to decision (d)"), t("filing to closing (d)"), t("reviewed"),
            t("overturned")]
    parts = [table(rows(r["officers"], "id"), head), table(rows(r["teams"], "team"), [t("team"), *head[1:]])]
    total = r.get("overturned_on_review")
    if total:
        parts.append(t("decisions reviewed: %1, overturned on review: %2", total["reviewed"], total["overturned"]))
    return "\n\n".join(parts)
