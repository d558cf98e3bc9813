"""What the case widgets share: display names of the procedure's words in the UI language, countdowns, the seat's
role (does it see a party's personal data), and saving a document's PDF off the GUI thread.

The law's tables (dispatch/cases/law.py) carry their Chinese and English names; the other words are English
source strings translated through resources/i18n/zh_CN.json.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.i18n import current_language, t
from console.operations import DispatchOp, seat_actor
from dispatch import ops
from dispatch.cases import law

# the documents (文书) by kind: English source strings, the Chinese in zh_CN.json (the templates' titles)
DOCUMENTS = {
    "filing_approval": "Filing approval form",
    "inquiry_record": "Inquiry record",
    "inspection_record": "Site inspection record",
    "preservation_notice": "Notice of registered preservation of evidence",
    "penalty_notice": "Notice of the proposed penalty",
    "hearing_notice": "Hearing notice",
    "penalty_decision": "Penalty decision",
    "service_receipt": "Service receipt",
    "closing_approval": "Closing approval form",
    "spot_decision": "Decision on the spot",
}
# acts on a case that are not steps of the procedure
OTHER_ACTS = {"opened": "Case opened", "penalty": "Penalty proposed", "penalty_approved": "Penalty approved",
              "evidence": "Evidence added", "document": "Document issued", "overdue": "Deadline missed",
              "review": "Review outcome"}
EVIDENCE_KINDS = {"photo": "Photo", "video": "Video", "still": "Still", "track": "Track", "record": "Written record",
                  "document": "Document", "other": "Other"}
FILTERS = (("open", "Open cases"), ("overdue", "Overdue cases"), ("approval", "Awaiting approval"),
           ("closed", "Closed cases"), ("all", "All cases"))
# what a step asks for besides the officers and the note (the form shows those fields only then)
STEP_ARGS = {"hearing_notice": ("at",), "extension": ("days",), "payment": ("amount",),
             "on_the_spot": ("penalty", "amount")}


def zh() -> bool:
    return current_language() == "zh_CN"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def stage_label(key: str | None) -> str:
    names = law.STAGE_NAMES.get(key or "")
    return (names[0] if zh() else _cap(names[1])) if names else (key or "")


def step_label(key: str | None) -> str:
    s = law.STEP.get(key or "")
    if s is not None:
        return s.zh if zh() else _cap(s.en)
    return t(OTHER_ACTS[key]) if key in OTHER_ACTS else (key or "")


def deadline_label(key: str) -> str:
    zh_name, en_name, _art = law.DEADLINE_NAMES.get(key, (key, key, ""))
    return zh_name if zh() else _cap(en_name)


def review_label(r: dict[str, Any]) -> str:
    body = law.REVIEW_BODIES.get(r.get("body") or "", (r.get("body"), r.get("body")))
    out = law.REVIEW_OUTCOMES.get(r.get("outcome") or "", (r.get("outcome"), r.get("outcome")))
    return f"{body[0]}{out[0]}" if zh() else f"{body[1]}: {out[1]}"


def document_label(kind: str) -> str:
    return t(DOCUMENTS[kind]) if kind in DOCUMENTS else kind


def violation_label(v: dict[str, Any], code: bool = True) -> str:
    name = v.get("name") if zh() or not v.get("name_en") else _cap(v["name_en"])
    return f"{v.get('code', '') if code else ''} {name or ''}".strip()


def link_target(href: str, kind: str) -> int | None:
    """The id of a rich-text link `<a href='KIND:ID'>` (the case header's report, the incident detail's cases), or
    None for a link of another kind or a malformed one."""
    k, _, ident = href.partition(":")
    return int(ident) if k == kind and ident.isdigit() else None


def countdown(remaining_s: float) -> str:
    """'12 d 03:04:05' left, '-2 d 01:00:00' past; under a day 'hh:mm:ss'."""
    sign = "-" if remaining_s < 0 else ""
    s = int(abs(remaining_s))
    days, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    clock = f"{h:02d}:{m:02d}:{sec:02d}"
    return f"{sign}{t('%1 d').replace('%1', str(days))} {clock}" if days else f"{sign}{clock}"


def seat_role(core: Any) -> tuple[str, str]:
    """(role, name) of who works at this seat: the operator logged in at the hub, or on a console of its own
    store its owner, who runs everything a dispatcher does (the hub's table is not checked on a local store)."""
    op = getattr(core, "operator", None)
    if isinstance(op, dict) and op.get("role"):
        return str(op["role"]), str(op.get("name") or "")
    return "dispatcher", seat_actor().split(":", 1)[-1]


def may_reveal(core: Any) -> bool:
    """Whether this seat's role may see a party's personal data: the permission table decides (docs/permissions.md)."""
    from dispatch.accounts.permissions import allowed

    role, name = seat_role(core)
    return allowed(role, "cases", {"reveal": True}, name)[0]


def save_document(parent: Any, case_id: int, number: str, path: str, *, on_done: Callable[[str], None],
                  on_refused: Callable[[str], None]) -> None:
    """Fetch the document's PDF (its hash checked by the core) and write it to `path`, off the GUI thread."""
    from dispatch.errors import Refused

    def work(core: Any) -> str:
        r = ops.call(core, "case.document_file", {"case_id": case_id, "number": number}, actor=seat_actor())
        try:
            Path(path).write_bytes(base64.b64decode(r["data_b64"]))
        except OSError as exc:
            raise Refused(f"cannot write {path}: {exc.strerror or exc}", "unwritable") from None
        return path

    def failed(exc: BaseException) -> None:
        on_refused(str(exc) if isinstance(exc, Refused) else f"{type(exc).__name__}: {exc}")

    DispatchOp(parent=parent, op=work).success(on_done).failure(failed).run_in_background()
