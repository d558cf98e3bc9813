"""The case book: cases, the officers' roster and the bureau's settings as the appliers build them.

Lives in ``state.ext["cases"]``; dispatch/cases/appliers.py keeps it up to date from the events and
dispatch/cases/ops.py decides which events to record. What the law says is in dispatch/cases/law.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dispatch.cases import law
from dispatch.cases.catalogue import load_default
from dispatch.errors import NotFound, Refused
from dispatch.state import State
from dispatch.store import NewEvent

EXT = "cases"
PERSONAL_FIELDS = ("id_number", "address", "contact")


@dataclass
class Officer:
    id: str
    name: str
    certificate: str
    valid_from: float
    valid_until: float
    team: str = ""
    revoked: bool = False

    def valid_at(self, ts: float) -> bool:
        return not self.revoked and self.valid_from <= ts <= self.valid_until

    def as_dict(self, now: float) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "certificate": self.certificate, "team": self.team,
                "valid_from": law.iso_day(self.valid_from), "valid_until": law.iso_day(self.valid_until),
                "revoked": self.revoked, "valid": self.valid_at(now)}


@dataclass
class Case:
    id: int
    violation: dict[str, Any]  # the catalogue entry as it was at opening
    party: dict[str, Any]
    opened_at: float
    opened_by: str
    violation_at: float
    incident_id: int | None = None
    source: str = "direct"  # incident, alert, direct
    facts: str = ""
    place: str = ""
    stage: str = "opened"
    procedure: str = "ordinary"
    acts: list[dict[str, Any]] = field(default_factory=list)  # every step and event on the case, in order
    at: dict[str, float] = field(default_factory=dict)  # step -> when it was (last) recorded
    penalty: dict[str, Any] | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    extended_days: int = 0
    hearing_date: float | None = None
    paid: dict[str, Any] | None = None
    overdue: list[str] = field(default_factory=list)  # deadlines alerted as overdue (once each)
    officers: list[str] = field(default_factory=list)  # every officer named on an act, in order
    reviews: list[dict[str, Any]] = field(default_factory=list)  # 行政复议 / 行政诉讼 outcomes, as recorded

    @property
    def open(self) -> bool:
        return self.stage not in ("closed", "archived")

    def current_documents(self) -> list[dict[str, Any]]:
        return [d for d in self.documents if not d.get("superseded_by")]

    @property
    def review(self) -> dict[str, Any] | None:
        """The review outcome in force: the latest by its date (a court's judgment after a reconsideration)."""
        return max(self.reviews, key=lambda r: (r["date"], r["seq"])) if self.reviews else None

    @property
    def overturned(self) -> bool:
        """The decision was varied, revoked or confirmed illegal on review (行政复议 or 行政诉讼)."""
        r = self.review
        return r is not None and r["outcome"] in law.OVERTURNED


@dataclass
class CaseBook:
    items: dict[int, Case] = field(default_factory=dict)
    officers: dict[str, Officer] = field(default_factory=dict)
    catalogue: dict[str, Any] = field(default_factory=load_default)
    settings: dict[str, Any] = field(default_factory=dict)  # numbering, holidays, thresholds (case.config_set)
    templates: dict[str, Any] | None = None  # None: the shipped templates (case.templates_set replaces)
    doc_seq: dict[str, int] = field(default_factory=dict)  # "kind:year" -> last number issued
    # indexes the appliers keep, so that no listing walks every case ever opened (issue 21)
    last_id: int = 0
    open_ids: set[int] = field(default_factory=set)  # cases neither closed nor archived
    by_officer: dict[str, set[int]] = field(default_factory=dict)  # officer id -> cases they acted on
    by_incident: dict[int, set[int]] = field(default_factory=dict)  # incident id -> cases opened from it

    @property
    def next_id(self) -> int:
        return self.last_id + 1

    def index(self, c: Case) -> None:
        """Keep the indexes in step with case `c` (called by the appliers after every change to it)."""
        self.last_id = max(self.last_id, c.id)
        if c.open:
            self.open_ids.add(c.id)
        else:
            self.open_ids.discard(c.id)
        for o in c.officers:
            self.by_officer.setdefault(o, set()).add(c.id)
        if c.incident_id is not None:
            self.by_incident.setdefault(c.incident_id, set()).add(c.id)

    def cases(self, open_only: bool = False, officer: str | None = None, closed_only: bool = False,
              incident: int | None = None) -> list[Case]:
        """The cases asked for, by id, read through the indexes."""
        ids: set[int] | None = None
        if open_only:
            ids = self.open_ids
        elif closed_only:
            ids = self.items.keys() - self.open_ids
        if officer is not None:
            mine = self.by_officer.get(officer, set())
            ids = mine if ids is None else ids & mine
        if incident is not None:
            theirs = self.by_incident.get(incident, set())
            ids = theirs if ids is None else ids & theirs
        if ids is None:
            return [self.items[i] for i in sorted(self.items)]
        return [self.items[i] for i in sorted(ids)]

    def holidays(self) -> tuple[frozenset[str], frozenset[str]]:
        return frozenset(self.settings.get("holidays") or ()), frozenset(self.settings.get("workdays") or ())


def book(state: State) -> CaseBook:
    b = state.ext.get(EXT)
    if b is None:
        b = state.ext[EXT] = CaseBook()
    return b


def parse_id(value: Any) -> int:
    try:
        return int(str(value).strip().removeprefix("case:"))
    except (TypeError, ValueError):
        raise Refused(f"bad case id {value!r}: a whole number", "bad_id") from None


def get(state: State, case_id: Any) -> Case:
    cid = parse_id(case_id)
    c = book(state).items.get(cid)
    if c is None:
        raise NotFound(f"unknown case {cid}")
    return c


def case_event(kind: str, case_id: int, /, **payload: Any) -> NewEvent:
    return NewEvent(kind, {"id": case_id, **payload}, f"case:{case_id}")


# ------------------------------------------------------------------------------ personal data


def may_see_personal(actor: str) -> bool:
    """Whether `actor` may see a party's personal data when asking for it. The one place that decides:
    roles (issue 10) plug in here; until they exist every identified actor that asks explicitly may."""
    return bool(actor)


def _mask(value: str, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return value[:1] + "*" * max(len(value) - 1, 0)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + (value[-keep_end:] if keep_end else "")


def party_view(party: dict[str, Any], actor: str, reveal: bool = False) -> dict[str, Any]:
    """The party as `actor` may see it: personal data masked unless asked for (`reveal`) and allowed.

    A person's name keeps its first character (张**); an organisation's name and credit code are public,
    its legal representative's personal data is not. ``masked`` says which view this is.
    """
    out = dict(party)
    if reveal and may_see_personal(actor):
        out["masked"] = False
        return out
    for key in PERSONAL_FIELDS:
        v = out.get(key)
        if v:
            out[key] = _mask(str(v), 3, 4) if key != "address" else _mask(str(v), 6, 0)
    if out.get("type") == "person" and out.get("name"):
        out["name"] = _mask(str(out["name"]), 1, 0)
    out["masked"] = True
    return out


# ---------------------------------------------------------------------------------- deadlines


def deadlines(c: Case, b: CaseBook, now: float) -> list[dict[str, Any]]:
    """The legal deadlines running or met on the case: name, article, due, done, remaining, overdue."""
    hol, work = b.holidays()
    out: list[dict[str, Any]] = []

    def add(key: str, due: float, done: float | None) -> None:
        zh, en, art = law.DEADLINE_NAMES[key]
        met = None if done is None else done <= due
        out.append({"key": key, "zh": zh, "en": en, "article": art, "due": due, "due_day": law.iso_day(due),
                    "done": done, "met": met, "remaining_s": None if done is not None else due - now,
                    "overdue": done is None and now > due})

    at = c.at
    # §36: nobody may be penalised for an act not discovered within two years: the case must be filed by then
    if c.procedure == "ordinary":
        add("limitation", law.add_days(c.violation_at, law.LIMITATION_DAYS), at.get("filed"))
    if "preservation" in at:
        add("preservation", law.add_workdays(at["preservation"], law.PRESERVATION_WORKDAYS, hol, work),
            at.get("preservation_decision") if at.get("preservation_decision", 0) >= at["preservation"] else None)
    if "notice" in at and hearing_available(c, b):
        add("hearing_request", law.add_workdays(at["notice"], law.HEARING_REQUEST_WORKDAYS, hol, work),
            at.get("hearing_request") or at.get("decision"))
    if "filed" in at:
        add("decision", decision_due(c), at.get("decision"))
    if "decision" in at:
        add("service", law.add_workdays(at["decision"], law.SERVICE_WORKDAYS, hol, work), at.get("service"))
    if "service" in at and c.penalty and c.penalty.get("kind") == "fine" and c.penalty.get("amount", 0) > 0:
        add("payment", payment_due(c), at.get("payment"))
    if not c.open:
        for d in out:
            d["remaining_s"] = None
            d["overdue"] = False
    return out


def counts(b: CaseBook, now: float) -> dict[str, int]:
    """How many cases are open, how many of them have a legal deadline passed unmet or a penalty waiting for the
    shift lead's approval, how many are closed: the case list's header and the dashboard. Reads the open cases
    only."""
    overdue = sum(1 for i in b.open_ids if any(d["overdue"] for d in deadlines(b.items[i], b, now)))
    approval = sum(1 for i in b.open_ids if open_to(b.items[i])["approve"])
    return {"cases": len(b.items), "open": len(b.open_ids), "overdue": overdue,
            "closed": len(b.items) - len(b.open_ids), "awaiting_approval": approval}


def decision_due(c: Case) -> float:
    return law.add_days(c.at["filed"], law.DECISION_DAYS + c.extended_days)


def payment_due(c: Case) -> float:
    return law.add_days(c.at["service"], law.PAYMENT_DAYS)


def threshold(b: CaseBook, name: str, party_type: str) -> float:
    table = b.settings.get(name) or getattr(law, name.upper())
    return float(table.get(party_type, getattr(law, name.upper())[party_type]))


def hearing_available(c: Case, b: CaseBook) -> bool:
    """§63: the party may ask for a hearing on a large fine (the bureau's threshold), among others."""
    p = c.penalty or {}
    return p.get("kind") == "fine" and float(p.get("amount") or 0) >= threshold(b, "hearing_threshold",
                                                                                c.party["type"])


def legal_review_required(c: Case, b: CaseBook) -> bool:
    """§58: before the decision, a legal review where a hearing was held, the case is serious, or the fine
    reaches the bureau's threshold."""
    p = c.penalty or {}
    return ("hearing" in c.at or p.get("circumstance") == "serious"
            or float(p.get("amount") or 0) >= threshold(b, "legal_review_threshold", c.party["type"]))


def collective_required(c: Case) -> bool:
    """§57: complex or serious cases are decided by the organ's leaders collectively."""
    return (c.penalty or {}).get("circumstance") == "serious"


def amount_due(c: Case, now: float) -> dict[str, float]:
    """What the party owes now: the fine, the late charge (§72) and the total."""
    p = c.penalty or {}
    fine = float(p.get("amount") or 0) if p.get("kind") == "fine" else 0.0
    late = law.late_charge(fine, payment_due(c), now) if "service" in c.at and fine else 0.0
    return {"fine": fine, "late_charge": late, "total": round(fine + late, 2)}


# ------------------------------------------------------------------------------------- views


def summary(c: Case, b: CaseBook, now: float, actor: str, reveal: bool = False) -> dict[str, Any]:
    dls = deadlines(c, b, now)
    running = [d for d in dls if d["done"] is None]
    nxt = min(running, key=lambda d: d["due"]) if running and c.open else None
    return {
        "id": c.id, "entity": f"case:{c.id}", "incident_id": c.incident_id, "stage": c.stage, "source": c.source,
        "stage_zh": law.STAGE_NAMES[c.stage][0], "procedure": c.procedure,
        "violation": {k: c.violation[k] for k in ("code", "name", "name_en", "legal_basis", "penalty_basis")},
        "party": party_view(c.party, actor, reveal), "opened_at": c.opened_at, "opened_by": c.opened_by,
        "violation_at": c.violation_at, "open": c.open, "penalty": dict(c.penalty) if c.penalty else None,
        "overdue": [d["key"] for d in dls if d["overdue"]], "next_deadline": nxt,
        "allowed": law.allowed_steps(c.stage), "officers": list(c.officers),
        "limitation": next((d for d in dls if d["key"] == "limitation"), None),
        "review": dict(c.review) if c.review else None, "overturned": c.overturned,
    }


PENALTY_STAGES = ("filed", "investigating", "notified")  # a penalty is proposed after filing, before the decision


def decided_at(c: Case) -> float | None:
    """When the case's decision was made (the ordinary decision, or the penalty on the spot); None if not yet."""
    return c.at.get("decision") or c.at.get("on_the_spot")


def open_to(c: Case) -> dict[str, bool]:
    """What the case takes now, by the tests its operations refuse by (the console greys its buttons by it):
    its party (before the decision), a penalty (PENALTY_STAGES), an approval (a penalty outside the benchmark not
    approved yet), evidence (until archived), a review's outcome (once decided)."""
    return {"party": decided_at(c) is None and c.procedure != "simple", "penalty": c.stage in PENALTY_STAGES,
            "approve": c.penalty is not None and not c.penalty.get("approved"), "evidence": c.stage != "archived",
            "review": decided_at(c) is not None}


def detail(c: Case, b: CaseBook, now: float, actor: str, reveal: bool = False) -> dict[str, Any]:
    d = summary(c, b, now, actor, reveal)
    d.update(
        facts=c.facts, place=c.place, deadlines=deadlines(c, b, now), acts=[dict(a) for a in c.acts],
        evidence=[dict(e) for e in c.evidence], documents=[dict(x) for x in c.documents],
        reviews=[dict(r) for r in c.reviews],
        hearing_date=c.hearing_date, extended_days=c.extended_days, paid=dict(c.paid) if c.paid else None,
        hearing_available=hearing_available(c, b), legal_review_required=legal_review_required(c, b),
        collective_required=collective_required(c),
        amount_due=amount_due(c, now) if c.penalty else None,
        benchmark=c.violation.get("benchmark"),  # the discretion benchmark as the case was opened under it
        open_to=open_to(c),
    )
    return d
