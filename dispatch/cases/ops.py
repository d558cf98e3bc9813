"""Case operations: open a case, set its party and penalty, advance it step by step, the roster, the settings.

Everything is events through ``core.command``; dispatch/cases/appliers.py derives the case book. Refusals
(dispatch/cases/rules.py) name the article of the Administrative Penalty Law that forbids the step.

Event kinds (entity ``case:<id>``):
  case.opened           {id, incident_id, source, violation (the catalogue entry), party, violation_at, facts, place}
  case.party_set        {id, party, note}
  case.step             {id, step, officers, note, hearing_date?, days?, amount?, late_charge?}
  case.penalty_set      {id, kind, amount, circumstance, repeat, proposal, outside_range, reason, renotify}
  case.penalty_approved {id, note}                       (the shift lead's approval of a penalty outside the range)
  case.evidence_added   {id, sha256, size, name, media_type, kind, note}
  case.document_issued  {id, kind, number, title, sha256, size, pages, supersedes, ...}  (dispatch/cases/documents.py)
  case.overdue          {id, deadline, due, notify="shift_lead"}  (once per deadline)
  case.reviewed         {id, outcome, body, date, number, note}  the outcome of 行政复议 / 行政诉讼 (dispatch/cases/review.py)
  case.catalogue_set / case.config_set / case.templates_set   the bureau's catalogue, settings, templates
  officer.registered    {id, name, certificate, valid_from, valid_until, team};  officer.revoked {id, note}
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from dispatch.cases import catalogue as cat
from dispatch.cases import law
from dispatch.cases.book import (
    CaseBook,
    book,
    case_event,
    counts,
    deadlines,
    detail,
    get,
    open_to,
    parse_id,
    summary,
)
from dispatch.cases.rules import check_officers, check_step_rules, may_approve
from dispatch.errors import Refused
from dispatch.gazetteer.near import near_words
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent


def clean(s: Any, limit: int = 4000) -> str:
    return "" if s is None else str(s).strip()[:limit]


def parse_time(value: Any, what: str) -> float:
    """Epoch seconds, or an ISO date/time (a date alone is midnight China time)."""
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    s = str(value).strip()
    try:
        return float(s)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"bad {what} {value!r}: epoch seconds or an ISO date (2025-03-01, 2025-03-01T09:30)",
                      "bad_time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=law.CST)
    return dt.timestamp()


def _party(party_type: str, name: str, id_number: Any = None, address: Any = None, contact: Any = None,
           representative: Any = None) -> dict[str, Any]:
    pt = law.parse_party_type(party_type)
    nm = clean(name, 200)
    if not nm:
        raise Refused("the party needs a name", "bad_party")
    return {"type": pt, "name": nm, "id_number": clean(id_number, 40), "address": clean(address, 300),
            "contact": clean(contact, 60), "representative": clean(representative, 100)}


def _shown(core: Any, actor: str, case_id: int, reveal: bool = False) -> dict[str, Any]:
    with core.lock:
        b = book(core.state)
        return detail(get(core.state, case_id), b, core.clock(), actor, reveal)


# ------------------------------------------------------------------------------------ officers


@op("officer.add")
def add_officer(core: Any, actor: str, officer_id: str, name: str, certificate: str, valid_until: Any,
                valid_from: Any = None, team: str | None = None) -> dict[str, Any]:
    """Put an officer on the enforcement roster (or renew a certificate): 执法证号 and its validity."""
    oid, nm, cert = clean(officer_id, 60), clean(name, 100), clean(certificate, 60)
    if not oid or not nm or not cert:
        raise Refused("an officer needs an id, a name and an enforcement certificate number", "bad_officer")
    start = parse_time(valid_from, "valid_from") if valid_from is not None else core.clock()
    end = law.end_of_day(law.local_date(parse_time(valid_until, "valid_until")))
    if end < start:
        raise Refused("the certificate's validity ends before it starts", "bad_officer")
    payload = {"id": oid, "name": nm, "certificate": cert, "valid_from": start, "valid_until": end,
               "team": clean(team, 60)}
    core.command(actor, lambda st: [NewEvent("officer.registered", payload, f"officer:{oid}")])
    with core.lock:
        return book(core.state).officers[oid].as_dict(core.clock())


@op("officer.revoke")
def revoke_officer(core: Any, actor: str, officer_id: str, note: str | None = None) -> dict[str, Any]:
    oid = clean(officer_id, 60)

    def decide(st: State) -> list[NewEvent]:
        if oid not in book(st).officers:
            raise Refused(f"unknown officer {oid!r}", "not_found")
        return [NewEvent("officer.revoked", {"id": oid, "note": clean(note)}, f"officer:{oid}")]

    core.command(actor, decide)
    with core.lock:
        return book(core.state).officers[oid].as_dict(core.clock())


@op("officers")
def list_officers(core: Any, actor: str) -> list[dict[str, Any]]:
    core.refresh()
    with core.lock:
        now = core.clock()
        return [o.as_dict(now) for o in sorted(book(core.state).officers.values(), key=lambda o: o.id)]


# --------------------------------------------------------------------------------------- cases


def _near_words(inc: Any) -> str:
    """An incident filed without an address, as a case's place: the named place it was filed near, then its
    coordinates ("中山路中段附近（24.32650, 109.41020）"); the documents are in Chinese."""
    where = f"{inc.lat:.5f}, {inc.lon:.5f}"
    words = near_words(getattr(inc, "near", None))
    return f"{words}（{where}）" if words else where


@op("case.open")
def open_case(core: Any, actor: str, violation: str, party_type: str, party_name: str,
              incident_id: Any = None, id_number: str | None = None, address: str | None = None,
              contact: str | None = None, representative: str | None = None, facts: str | None = None,
              place: str | None = None, violation_at: Any = None, source: str | None = None) -> dict[str, Any]:
    """Open a case (awaiting filing) from an incident, an alert or directly. Returns the case (masked)."""
    party = _party(party_type, party_name, id_number, address, contact, representative)
    when = parse_time(violation_at, "violation_at") if violation_at is not None else None
    made: list[int] = []

    def decide(st: State) -> list[NewEvent]:
        b = book(st)
        v = cat.find(b.catalogue, violation)
        fx, pl, t, iid = clean(facts), clean(place, 300), when, None
        if incident_id is not None and str(incident_id).strip():
            from dispatch.incidents.book import get as get_incident

            inc = get_incident(st, incident_id)
            iid = inc.id
            fx = fx or clean(inc.text)
            pl = pl or clean(inc.address, 300) or _near_words(inc)
            t = t if t is not None else inc.created_at
        src = clean(source, 20) or ("incident" if iid is not None else "direct")
        if src not in ("incident", "alert", "direct"):
            raise Refused("source is incident, alert or direct", "bad_arguments")
        cid = b.next_id
        made.append(cid)
        return [case_event("case.opened", cid, incident_id=iid, source=src, violation=v, party=party,
                           violation_at=t if t is not None else core.clock(), facts=fx, place=pl)]

    core.command(actor, decide)
    return _shown(core, actor, made[0])


@op("case.party")
def set_party(core: Any, actor: str, case_id: Any, party_type: str, party_name: str, id_number: str | None = None,
              address: str | None = None, contact: str | None = None, representative: str | None = None,
              note: str | None = None) -> dict[str, Any]:
    """Correct or complete the party's details (before the decision only)."""
    cid = parse_id(case_id)
    party = _party(party_type, party_name, id_number, address, contact, representative)

    def decide(st: State) -> list[NewEvent]:
        c = get(st, cid)
        if not open_to(c)["party"]:
            raise Refused("the party cannot change after the decision; the decision names it", "decided")
        return [case_event("case.party_set", cid, party=party, note=clean(note))]

    core.command(actor, decide)
    return _shown(core, actor, cid)


@op("case.show")
def show_case(core: Any, actor: str, case_id: Any, reveal: bool = False) -> dict[str, Any]:
    """One case with its acts, deadlines, evidence and documents; personal data only with ``reveal``."""
    core.refresh()
    return _shown(core, actor, parse_id(case_id), reveal)


@op("cases")
def list_cases(core: Any, actor: str, overdue: bool = False, open: bool = False, reveal: bool = False,
               officer: str | None = None, closed: bool = False, awaiting_approval: bool = False,
               incident_id: Any = None) -> list[dict[str, Any]]:
    """The case list: stage, next deadline with its countdown, overdue deadlines, the limitation period (§36).
    ``open``/``overdue``/``closed`` (closed or archived)/``awaiting_approval`` (a penalty outside the benchmark not
    approved yet)/``incident_id`` (the cases opened from that incident) filter it. Personal data masked unless
    ``reveal``."""
    incident = None
    if incident_id is not None and str(incident_id).strip():
        from dispatch.incidents.book import parse_id as parse_incident

        incident = parse_incident(incident_id)
    core.refresh()
    with core.lock:
        b = book(core.state)
        now = core.clock()
        # only open cases have a deadline running: --overdue reads the open ones alone (book.open_ids)
        rows = [summary(c, b, now, actor, reveal)
                for c in b.cases(open_only=open or overdue or awaiting_approval, officer=officer, closed_only=closed,
                                 incident=incident)
                if not awaiting_approval or open_to(c)["approve"]]
    if overdue:
        rows = [r for r in rows if r["overdue"]]
    rows.sort(key=lambda r: (not r["overdue"], r["next_deadline"]["due"] if r["next_deadline"] else math.inf,
                             r["id"]))
    return rows


@op("cases.counts")
def case_counts(core: Any, actor: str) -> dict[str, int]:
    """{cases, open, overdue, closed}: the case list's and the dashboard's figures."""
    core.refresh()
    with core.lock:
        return counts(book(core.state), core.clock())


@op("case.penalty")
def set_penalty(core: Any, actor: str, case_id: Any, circumstance: str, kind: str = "fine", amount: Any = None,
                repeat: bool = False, reason: str | None = None) -> dict[str, Any]:
    """Propose the penalty. The benchmark's range for the circumstance and first/repeat offence is proposed;
    a penalty outside it needs a written reason and then the shift lead's approval (``case.approve``)."""
    cid = parse_id(case_id)
    circ = law.parse_circumstance(circumstance)
    k = str(kind).strip().lower()
    if k not in ("warning", "fine"):
        raise Refused("the penalty is a warning or a fine", "bad_penalty")
    try:
        amt = 0.0 if k == "warning" else float(amount)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise Refused("a fine needs its amount in yuan (--amount)", "bad_penalty") from None
    if not math.isfinite(amt) or amt < 0 or (k == "fine" and amt <= 0):
        raise Refused("a fine is a positive amount in yuan", "bad_penalty")
    amt = round(amt, 2)

    def decide(st: State) -> list[NewEvent]:
        c = get(st, cid)
        if not open_to(c)["penalty"]:
            raise Refused(f"the penalty is proposed after filing and before the decision (stage {c.stage})",
                          "illegal_step")
        prop = cat.propose(c.violation, c.party["type"], circ, bool(repeat))
        outside = not prop.contains(k, amt)
        if outside and len(clean(reason)) < 10:
            lo, hi = prop.as_dict()["min"], prop.as_dict()["max"]
            raise Refused(f"{k} {amt:g} yuan is outside the benchmark's range for a {circ} "
                          f"{'repeated' if repeat else 'first'} offence ({lo:g}-{hi:g} yuan"
                          f"{', or a warning' if prop.warning else ''}): give the written reason (--reason) and "
                          "it goes to the shift lead for approval", "reason_needed")
        return [case_event("case.penalty_set", cid, kind=k, amount=amt, circumstance=circ, repeat=bool(repeat),
                           proposal=prop.as_dict(), outside_range=outside, reason=clean(reason),
                           renotify=c.stage == "notified")]

    core.command(actor, decide)
    return _shown(core, actor, cid)


@op("case.approve")
def approve_penalty(core: Any, actor: str, case_id: Any, note: str | None = None) -> dict[str, Any]:
    """The shift lead approves a penalty outside the benchmark (not the one who proposed it)."""
    cid = parse_id(case_id)

    def decide(st: State) -> list[NewEvent]:
        c = get(st, cid)
        if not open_to(c)["approve"]:
            raise Refused("no penalty awaits approval", "nothing_to_approve")
        if not may_approve(actor, "discretion"):
            raise Refused("only the shift lead approves a penalty outside the benchmark", "not_allowed")
        proposer = next((a["actor"] for a in reversed(c.acts) if a["kind"] == "case.penalty_set"), None)
        if proposer == actor:
            raise Refused("the penalty is approved by someone other than who proposed it", "same_person")
        return [case_event("case.penalty_approved", cid, note=clean(note))]

    core.command(actor, decide)
    return _shown(core, actor, cid)


@op("case.advance")
def advance(core: Any, actor: str, case_id: Any, step: str, officers: list[str] | None = None,
            note: str | None = None, at: Any = None, days: int | None = None, amount: Any = None,
            kind: str | None = None) -> dict[str, Any]:
    """Record the next step of the procedure (law.STEPS). Refused, naming the article, where the law forbids.

    ``officers`` for investigative acts (two with valid certificates, §42/§55); ``at`` the hearing's date for
    hearing_notice; ``days`` for an extension; ``amount`` paid for payment; on_the_spot takes ``kind``
    (warning/fine) and ``amount`` within §51's caps.
    """
    cid = parse_id(case_id)
    s = law.parse_step(step)
    hearing_date = parse_time(at, "hearing date") if at is not None else None

    def decide(st: State) -> list[NewEvent]:
        b = book(st)
        c = get(st, cid)
        now = core.clock()
        if s.key == "decision" and c.stage in ("opened", "filed", "investigating"):
            check_step_rules(c, b, s, now, {})  # says why in the law's words: §62, no decision before the notice
        law.check_step(c.stage, s)
        named = check_officers(b, officers or [], s.officers, now, s)
        args = {"officers": named, "note": note, "hearing_date": hearing_date, "days": days, "amount": amount,
                "actor": actor}
        out: list[NewEvent] = []
        if s.key == "on_the_spot":
            out.append(_spot_penalty(c.party["type"], cid, kind, amount))
        extra = check_step_rules(c, b, s, now, args)
        out.append(case_event("case.step", cid, step=s.key, officers=named, note=clean(note), **extra))
        return out

    core.command(actor, decide)
    return _shown(core, actor, cid)


def _spot_penalty(party_type: str, cid: int, kind: str | None, amount: Any) -> NewEvent:
    k = (kind or "").strip().lower()
    if k not in ("warning", "fine"):
        raise Refused("a penalty on the spot is a warning or a fine (--penalty warning|fine)", "bad_penalty")
    try:
        amt = 0.0 if k == "warning" else float(amount)
    except (TypeError, ValueError):
        raise Refused("a fine needs its amount in yuan (--amount)", "bad_penalty") from None
    cap = law.SPOT_FINE_CAP[party_type]
    if k == "fine" and not 0 < amt <= cap:
        raise Refused(f"on the spot a {party_type} may be fined at most {cap:g} yuan (§51); a larger fine takes "
                      "the ordinary procedure", "over_spot_cap")
    return case_event("case.penalty_set", cid, kind=k, amount=round(amt, 2), circumstance="minor", repeat=False,
                      proposal=None, outside_range=False, reason="", renotify=False)


@op("cases.check_deadlines")
def check_deadlines(core: Any, actor: str, now: float | None = None) -> list[dict[str, Any]]:
    """Record each legal deadline that has passed unmet as ``case.overdue`` (once), for the shift lead."""
    found: list[dict[str, Any]] = []

    def decide(st: State) -> list[NewEvent]:
        b: CaseBook = book(st)
        t = core.clock() if now is None else float(now)
        out = []
        for c in b.cases(open_only=True):  # a closed case has no deadline running
            for d in deadlines(c, b, t):
                if d["overdue"] and d["key"] not in c.overdue:
                    found.append({"id": c.id, "deadline": d["key"], "due": d["due"], "overdue_s": t - d["due"]})
                    out.append(case_event("case.overdue", c.id, deadline=d["key"], due=d["due"],
                                          notify="shift_lead"))
        return out

    core.command(actor, decide)
    return found


# ------------------------------------------------------------------------------ the bureau's settings


@op("case.catalogue")
def show_catalogue(core: Any, actor: str) -> dict[str, Any]:
    core.refresh()
    with core.lock:
        return book(core.state).catalogue


@op("case.catalogue_set")
def set_catalogue(core: Any, actor: str, catalogue: dict[str, Any]) -> dict[str, Any]:
    """Replace the violation catalogue whole (checked first: nothing is recorded if any entry is bad)."""
    checked = cat.validate(catalogue)
    core.command(actor, lambda st: [NewEvent("case.catalogue_set", {"catalogue": checked}, "cases")])
    return {"version": checked["version"], "violations": len(checked["violations"])}


@op("case.config_set")
def set_config(core: Any, actor: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The bureau's settings: ``numbering`` (文号 scheme), ``holidays``/``workdays`` (ISO dates, for §85),
    ``hearing_threshold`` and ``legal_review_threshold`` ({"person": yuan, "organisation": yuan}), ``bureau``."""
    if not isinstance(settings, dict):
        raise Refused("settings are an object", "bad_config")
    out: dict[str, Any] = {}
    for key, val in settings.items():
        if key in ("holidays", "workdays"):
            try:
                out[key] = sorted({datetime.fromisoformat(str(d)).date().isoformat() for d in val})
            except (TypeError, ValueError):
                raise Refused(f"{key} is a list of ISO dates", "bad_config") from None
        elif key in ("hearing_threshold", "legal_review_threshold"):
            try:
                out[key] = {pt: float(val[pt]) for pt in law.PARTY_TYPES}
            except (TypeError, ValueError, KeyError):
                raise Refused(f"{key} needs person and organisation amounts", "bad_config") from None
        elif key == "numbering":
            from dispatch.cases.documents import check_numbering

            out[key] = check_numbering(val)
        elif key == "bureau":
            out[key] = clean(val, 100)
        else:
            raise Refused(f"unknown setting {key!r}; settings: bureau, numbering, holidays, workdays, "
                          "hearing_threshold, legal_review_threshold", "bad_config")

    def decide(st: State) -> list[NewEvent]:
        merged = {**book(st).settings, **out}
        return [NewEvent("case.config_set", {"settings": merged}, "cases")]

    core.command(actor, decide)
    with core.lock:
        return dict(book(core.state).settings)
