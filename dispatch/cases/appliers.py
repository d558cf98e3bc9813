"""State appliers of the case and officer events: the case book in ``state.ext["cases"]`` derived from the log."""

from __future__ import annotations

from typing import Any

from dispatch.cases import law
from dispatch.cases.book import Case, Officer, book
from dispatch.changes import Changes
from dispatch.state import State, applies
from dispatch.store import Event


def _act(c: Case, ev: Event, **extra: Any) -> None:
    a = {"seq": ev.seq, "time": ev.ts, "actor": ev.actor, "kind": ev.kind}
    a.update({k: v for k, v in extra.items() if v is not None})
    c.acts.append(a)


def _touch(ch: Changes, case_id: int, alerts: bool = False) -> None:
    ch.entities.add(f"case:{case_id}")
    if alerts:
        ch.alerts = True


def _case(state: State, ev: Event) -> Case | None:
    return book(state).items.get(int(ev.payload["id"]))


@applies("case.opened")
def _opened(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    c = Case(id=int(p["id"]), violation=dict(p["violation"]), party=dict(p["party"]), opened_at=ev.ts,
             opened_by=ev.actor, violation_at=float(p.get("violation_at") or ev.ts),
             incident_id=p.get("incident_id"), source=p.get("source") or "direct", facts=p.get("facts") or "", place=p.get("place") or "")
    b = book(state)
    b.items[c.id] = c
    b.index(c)
    _act(c, ev, step="opened", note=p.get("facts"))
    _touch(ch, c.id)


@applies("case.party_set")
def _party(state: State, ev: Event, ch: Changes) -> None:
    c = _case(state, ev)
    if c is not None:
        c.party = dict(ev.payload["party"])
        _act(c, ev, note=ev.payload.get("note"))
        _touch(ch, c.id)


@applies("case.step")
def _step(state: State, ev: Event, ch: Changes) -> None:
    c = _case(state, ev)
    if c is None:
        return
    p = ev.payload
    step = law.STEP.get(p["step"])
    if step is None:
        return
    c.at[step.key] = ev.ts
    if step.to:
        c.stage = step.to
    if step.key == "on_the_spot":
        c.procedure = "simple"
    if step.key == "extension":
        c.extended_days += int(p.get("days") or 0)
    if step.key == "hearing_notice" and p.get("hearing_date") is not None:
        c.hearing_date = float(p["hearing_date"])
    if step.key == "payment":
        c.paid = {"amount": p.get("amount"), "late_charge": p.get("late_charge"), "time": ev.ts}
    for o in p.get("officers") or ():
        if o not in c.officers:
            c.officers.append(o)
    book(state).index(c)
    _act(c, ev, step=step.key, to=step.to, officers=list(p.get("officers") or []) or None, note=p.get("note"),
         hearing_date=p.get("hearing_date"), days=p.get("days"), amount=p.get("amount"))
    _touch(ch, c.id)


@applies("case.reviewed")
def _reviewed(state: State, ev: Event, ch: Changes) -> None:
    c = _case(state, ev)
    if c is None:
        return
    p = ev.payload
    r = {k: p.get(k) for k in ("outcome", "body", "date", "number", "note")}
    r.update(seq=ev.seq, recorded_at=ev.ts, recorded_by=ev.actor)
    c.reviews.append(r)
    zh = law.REVIEW_BODIES.get(p["body"], (p["body"],))[0] + law.REVIEW_OUTCOMES.get(p["outcome"], (p["outcome"],))[0]
    _act(c, ev, step="review", note=f"{zh} {p.get('number') or ''}".strip())
    _touch(ch, c.id)


@applies("case.penalty_set")
def _penalty(state: State, ev: Event, ch: Changes) -> None:
    c = _case(state, ev)
    if c is None:
        return
    p = ev.payload
    c.penalty = {k: p.get(k) for k in ("kind", "amount", "circumstance", "repeat", "proposal", "outside_range",
                                       "reason")}
    c.penalty["approved"] = not p.get("outside_range")
    c.penalty["approved_by"] = None
    if p.get("renotify") and c.stage == "notified":
        c.stage = "investigating"  # a changed penalty is a new proposal: the party must be told again (§44)
        c.at.pop("notice", None)
    _act(c, ev, step="penalty", note=p.get("reason"), amount=p.get("amount"))
    _touch(ch, c.id)


@applies("case.penalty_approved")
def _approved(state: State, ev: Event, ch: Changes) -> None:
    c = _case(state, ev)
    if c is None or c.penalty is None:
        return
    c.penalty["approved"] = True
    c.penalty["approved_by"] = ev.actor
    _act(c, ev, step="penalty_approved", note=ev.payload.get("note"))
    _touch(ch, c.id)


@applies("case.evidence_added")
def _evidence(state: State, ev: Event, ch: Changes) -> None:
    c = _case(state, ev)
    if c is None:
        return
    e = {k: v for k, v in ev.payload.items() if k != "id"}
    e["seq"] = ev.seq
    e["added_by"] = ev.actor
    c.evidence.append(e)
    _act(c, ev, step="evidence", note=f"{e.get('kind')}: {e.get('name')} sha256 {str(e.get('sha256'))[:12]}")
    _touch(ch, c.id)


@applies("case.document_issued")
def _document(state: State, ev: Event, ch: Changes) -> None:
    c = _case(state, ev)
    if c is None:
        return
    p = ev.payload
    b = book(state)
    d = {k: v for k, v in p.items() if k != "id"}
    d.update(seq=ev.seq, issued_at=ev.ts, issued_by=ev.actor, superseded_by=None)
    for old in c.documents:
        if old["number"] == p.get("supersedes"):
            old["superseded_by"] = p["number"]
    c.documents.append(d)
    if p.get("seq_key"):
        b.doc_seq[p["seq_key"]] = max(b.doc_seq.get(p["seq_key"], 0), int(p.get("seq_no") or 0))
    _act(c, ev, step="document", note=f"{p.get('title')} {p.get('number')}")
    _touch(ch, c.id)


@applies("case.overdue")
def _overdue(state: State, ev: Event, ch: Changes) -> None:
    c = _case(state, ev)
    if c is None:
        return
    if ev.payload["deadline"] not in c.overdue:
        c.overdue.append(ev.payload["deadline"])
    _act(c, ev, step="overdue", note=ev.payload["deadline"])
    _touch(ch, c.id, alerts=True)


@applies("case.catalogue_set")
def _catalogue(state: State, ev: Event, ch: Changes) -> None:
    book(state).catalogue = ev.payload["catalogue"]
    ch.entities.add("cases:catalogue")


@applies("case.config_set")
def _config(state: State, ev: Event, ch: Changes) -> None:
    book(state).settings = dict(ev.payload["settings"])
    ch.entities.add("cases:config")


@applies("case.templates_set")
def _templates(state: State, ev: Event, ch: Changes) -> None:
    book(state).templates = ev.payload["templates"]
    ch.entities.add("cases:templates")


@applies("officer.registered")
def _officer(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    book(state).officers[p["id"]] = Officer(id=p["id"], name=p["name"], certificate=p["certificate"],
                                            valid_from=float(p["valid_from"]), valid_until=float(p["valid_until"]),
                                            team=p.get("team") or "")
    ch.entities.add(f"officer:{p['id']}")


@applies("officer.revoked")
def _revoked(state: State, ev: Event, ch: Changes) -> None:
    o = book(state).officers.get(ev.payload["id"])
    if o is not None:
        o.revoked = True
        ch.entities.add(f"officer:{o.id}")
