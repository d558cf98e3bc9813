"""The review of a decision (行政复议 / 行政诉讼): its outcome recorded on the case.

A party may ask for administrative reconsideration (《行政复议法》) or sue (《行政诉讼法》); the body upholds the
decision, varies it, revokes it, or confirms it illegal. The outcome is a ``case.reviewed`` event
{id, outcome, body, date, number, note} on a decided case; more than one may come (a reconsideration, then a
court), and the latest by its date is in force. Supervision (dispatch/cases/supervision.py) counts the
decisions overturned (varied, revoked, confirmed illegal) per officer and team.
"""

from __future__ import annotations

from typing import Any

from dispatch.cases import law
from dispatch.cases.book import book, case_event, decided_at, detail, get, parse_id
from dispatch.cases.ops import clean, parse_time
from dispatch.errors import Refused
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent


@op("case.review")
def record_review(core: Any, actor: str, case_id: Any, outcome: str, body: str, date: Any,
                  number: str | None = None, note: str | None = None) -> dict[str, Any]:
    """Record the outcome of a reconsideration or a lawsuit on a decided case: ``outcome`` upheld, varied,
    revoked or confirmed_illegal; ``body`` reconsideration or court; ``date`` of the review decision or judgment
    (ISO date); ``number`` its document number (e.g. 柳政复决〔2025〕12号). Refused before the decision, for a date
    before it or in the future, or without the document number."""
    cid = parse_id(case_id)
    o, b = law.parse_review(outcome, body)
    when = parse_time(date, "review date")
    num = clean(number, 100)
    if not num:
        raise Refused("the review's decision or judgment is cited by its document number (--number)",
                      "bad_arguments")

    def decide(st: State) -> list[NewEvent]:
        c = get(st, cid)
        dec = decided_at(c)
        if dec is None:
            raise Refused(f"case {cid} has no decision yet: only a decision is reviewed (stage {c.stage})",
                          "not_decided")
        if law.local_date(when) < law.local_date(dec):
            raise Refused(f"the review cannot be dated {law.iso_day(when)}, before the decision of "
                          f"{law.iso_day(dec)}", "bad_time")
        if law.local_date(when) > law.local_date(core.clock()):
            raise Refused(f"the review's date {law.iso_day(when)} is in the future", "bad_time")
        if any(r["number"] == num for r in c.reviews):
            raise Refused(f"the review {num} is recorded on case {cid} already", "duplicate")
        return [case_event("case.reviewed", cid, outcome=o, body=b, date=when, number=num, note=clean(note))]

    core.command(actor, decide)
    with core.lock:
        return detail(get(core.state, cid), book(core.state), core.clock(), actor)
