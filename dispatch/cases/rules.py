"""The checks the law makes before a step is recorded: each refusal names the article.

Pure functions of the case book and the time; dispatch/cases/ops.py calls them inside its decide functions
(under the write transaction), so what is checked is what is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dispatch.cases import law
from dispatch.cases.book import (
    Case,
    CaseBook,
    amount_due,
    collective_required,
    hearing_available,
    legal_review_required,
)
from dispatch.errors import NotFound, Refused


def may_approve(actor: str, what: str) -> bool:
    """Whether `actor` may give the approval `what` ("discretion", "extension", "filing", "closing").
    Roles (issue 10) plug in here: the shift lead for discretion, the organ's head for an extension."""
    return bool(actor) and what in ("discretion", "extension", "filing", "closing")


def check_officers(b: CaseBook, officers: Sequence[str], need: int, now: float, step: law.Step) -> list[str]:
    """§42/§55: at least `need` distinct officers, each on the roster with a certificate valid now."""
    ids: list[str] = []
    for o in officers:
        o = str(o).strip()
        if o and o not in ids:
            ids.append(o)
    for o in ids:
        off = b.officers.get(o)
        if off is None:
            raise NotFound(f"unknown officer {o!r}: not on the enforcement roster (ctl officer add)")
        if not off.valid_at(now):
            why = "revoked" if off.revoked else f"valid {law.iso_day(off.valid_from)} to {law.iso_day(off.valid_until)}"
            raise Refused(f"officer {o} ({off.name}) has no valid enforcement certificate ({off.certificate}, {why}); "
                          f"§55: officers show a valid certificate", "certificate_invalid")
    if len(ids) < need:
        art = "§52" if step.key == "on_the_spot" else "§42"
        raise Refused(f"{step.key} ({step.zh}) needs at least {need} officers with valid enforcement certificates; "
                      f"{len(ids)} named ({art}: 执法人员不得少于两人 / no fewer than two officers; §55)",
                      "too_few_officers")
    return ids


def check_step_rules(c: Case, b: CaseBook, step: law.Step, now: float, args: dict[str, Any]) -> dict[str, Any]:
    """Refuse what the law forbids at this step. Returns extra payload for the event (hearing date, amounts)."""
    hol, work = b.holidays()
    at = c.at
    extra: dict[str, Any] = {}
    k = step.key
    if k == "filed":
        limit = law.add_days(c.violation_at, law.LIMITATION_DAYS)
        if now > limit:
            raise Refused(f"the act of {law.iso_day(c.violation_at)} is past the two-year limitation period "
                          f"(ended {law.iso_day(limit)}): §36 不再给予行政处罚 / no penalty may be given",
                          "limitation_expired")
    elif k == "preservation_decision":
        if "preservation" not in at:
            raise Refused("no evidence is under registered preservation (§56)", "nothing_preserved")
    elif k == "notice":
        if c.penalty is None:
            raise Refused("the notice states the proposed penalty (§44): set it first (case penalty)",
                          "no_penalty")
        if not c.penalty.get("approved"):
            raise Refused("the proposed penalty is outside the discretion benchmark and not yet approved by the "
                          "shift lead (case approve)", "approval_pending")
    elif k == "hearing_request":
        if not hearing_available(c, b):
            raise Refused("this penalty gives no right to a hearing (§63: large fines, licence revocation, "
                          "closure...)", "no_hearing_right")
        due = law.add_workdays(at["notice"], law.HEARING_REQUEST_WORKDAYS, hol, work)
        if now > due:
            raise Refused(f"a hearing must be asked for within 5 working days of the notice (§64(1)); that period "
                          f"ended {law.iso_day(due)}", "hearing_request_late")
    elif k == "hearing_notice":
        if "hearing_request" not in at:
            raise Refused("no hearing was asked for (§64(1))", "no_hearing_request")
        hd = args.get("hearing_date")
        if hd is None:
            raise Refused("the hearing notice needs the hearing's date (--at)", "bad_arguments")
        earliest = law.add_workdays(now, law.HEARING_NOTICE_WORKDAYS, hol, work)
        if law.local_date(float(hd)) < law.local_date(earliest):
            raise Refused(f"the party must be told of the hearing 7 days before it (§64(2)): the hearing can be "
                          f"on {law.iso_day(earliest)} at the earliest", "hearing_notice_late")
        extra["hearing_date"] = float(hd)
    elif k == "hearing":
        if c.hearing_date is None:
            raise Refused("no hearing has been notified (§64(2))", "no_hearing_notice")
        if law.local_date(now) < law.local_date(c.hearing_date):
            raise Refused(f"the hearing is set for {law.iso_day(c.hearing_date)}", "hearing_not_yet")
        chair = [o for o in args.get("officers") or ()][:1]
        investigators = {o for a in c.acts if a.get("step") in ("inquiry", "inspection", "preservation")
                         for o in a.get("officers") or ()}
        if chair and chair[0] in investigators:
            raise Refused(f"the hearing is chaired by an officer who did not investigate the case (§64(4)); "
                          f"{chair[0]} investigated it: name the chair first", "chair_investigated")
    elif k == "extension":
        if not (args.get("note") or "").strip():
            raise Refused("an extension of the decision period needs its reason (--note) and approval (§60)",
                          "reason_needed")
        if not may_approve(args["actor"], "extension"):
            raise Refused("only the organ's head may approve an extension (§60)", "not_allowed")
        days = int(args.get("days") or law.EXTENSION_DAYS)
        if not 1 <= days <= 90:
            raise Refused("an extension is 1 to 90 days", "bad_arguments")
        extra["days"] = days
    elif k == "decision":
        _check_decision(c, b, now, hol, work)
    elif k == "payment":
        owed = amount_due(c, now)
        amt = args.get("amount")
        paid = owed["total"] if amt is None else float(amt)
        if paid + 0.005 < owed["total"]:
            raise Refused(f"{paid:.2f} yuan is less than what is owed: fine {owed['fine']:.2f} + late charge "
                          f"{owed['late_charge']:.2f} (§72: 3 % a day, at most the fine) = {owed['total']:.2f}",
                          "underpaid")
        if owed["fine"] <= 0:
            raise Refused("the decision imposes no fine: nothing to pay", "nothing_to_pay")
        extra.update(amount=paid, late_charge=owed["late_charge"])
    elif k == "closed":
        p = c.penalty or {}
        if c.stage == "served" and p.get("kind") == "fine" and float(p.get("amount") or 0) > 0:
            raise Refused("the fine is not paid yet (§67): record the payment (execution) first", "not_executed")
        if c.stage == "decided_on_spot" and "filed_record" not in at:
            raise Refused("a penalty on the spot is filed with the bureau before the case closes (§52)",
                          "not_filed")
    return extra


def _check_decision(c: Case, b: CaseBook, now: float, hol: frozenset[str], work: frozenset[str]) -> None:
    at = c.at
    if "notice" not in at:
        raise Refused("no decision before the party is told of the proposed penalty, its facts, grounds and "
                      "basis, and of the rights to state, defend and ask for a hearing (§62, §44)", "no_notice")
    if "hearing_request" in at and "hearing" not in at:
        raise Refused("the party asked for a hearing: it is held before the decision (§64, §65)", "hearing_pending")
    period = law.add_workdays(at["notice"], law.HEARING_REQUEST_WORKDAYS, hol, work)
    if "statement" not in at and "hearing" not in at and now <= period:
        raise Refused(f"no decision before the party's statement and defence are heard (§62, §45): record the "
                      f"statement (or its waiver), or wait until the period ends on {law.iso_day(period)}",
                      "statement_not_heard")
    if legal_review_required(c, b) and at.get("legal_review", 0) < at["notice"]:
        raise Refused("this case needs the legal review before the decision (§58: hearing held, serious "
                      "circumstance or large fine)", "legal_review_needed")
    if collective_required(c) and "collective" not in at:
        raise Refused("a serious case is decided by the organ's leaders collectively (§57)", "collective_needed")
    if not (c.penalty or {}).get("approved"):
        raise Refused("the penalty outside the discretion benchmark is not approved", "approval_pending")
