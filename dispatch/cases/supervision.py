"""Supervision of officers (人员效能监督): per officer and per team, the cases they acted on, how long each
stage of the procedure took, and how many legal deadlines were met or missed. For the shift lead and analytics.

A case counts for every officer named on any of its acts, and for each of their teams once. Durations are
between the steps that open and close a stage (filing to notice, notice to decision, decision to service,
service to payment), in days, over the cases where both steps are recorded.

Decisions reviewed (行政复议 / 行政诉讼, dispatch/cases/review.py) and overturned on review (the outcome in force
varied, revoked or confirmed illegal) count for the officers of the case as well, with their share of the
decisions reviewed (the bureau's 纠错率).
"""

from __future__ import annotations

from statistics import mean
from typing import Any

from dispatch.cases import law
from dispatch.cases.book import book, deadlines
from dispatch.ops import op

SPANS = (("investigation", "filed", "notice"), ("notice_to_decision", "notice", "decision"),
         ("service", "decision", "service"), ("execution", "service", "payment"), ("whole", "filed", "closed"))


def _blank() -> dict[str, Any]:
    return {"cases": 0, "open": 0, "closed": 0, "deadlines_met": 0, "deadlines_missed": 0, "overdue_now": 0,
            "reviewed": 0, "overturned": 0, "_spans": {k: [] for k, _, _ in SPANS}}


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    spans = row.pop("_spans")
    row["days"] = {k: round(mean(v), 2) if v else None for k, v in spans.items()}
    done = row["deadlines_met"] + row["deadlines_missed"]
    row["deadlines_met_share"] = round(row["deadlines_met"] / done, 3) if done else None
    row["overturned_share"] = round(row["overturned"] / row["reviewed"], 3) if row["reviewed"] else None
    return row


@op("cases.supervision")
def supervision(core: Any, actor: str) -> dict[str, Any]:
    """{"officers": [{id, name, team, cases, open, closed, deadlines_met, deadlines_missed, overdue_now,
    deadlines_met_share, reviewed, overturned, overturned_share, days: {stage: mean days}}],
    "teams": [...same, keyed by team], "overturned_on_review": {reviewed, overturned, cases: [ids]}} (every case)."""
    core.refresh()
    with core.lock:
        b = book(core.state)
        now = core.clock()
        per_officer: dict[str, dict[str, Any]] = {}
        per_team: dict[str, dict[str, Any]] = {}
        reviewed, overturned = 0, []
        for c in b.items.values():
            reviewed += bool(c.reviews)
            if c.overturned:
                overturned.append(c.id)
            dls = deadlines(c, b, now)
            teams = {b.officers[o].team or "-" for o in c.officers if o in b.officers}
            for row in [per_officer.setdefault(o, _blank()) for o in c.officers] + \
                       [per_team.setdefault(t, _blank()) for t in teams]:
                row["cases"] += 1
                row["open" if c.open else "closed"] += 1
                row["deadlines_met"] += sum(1 for d in dls if d["met"] is True)
                row["deadlines_missed"] += sum(1 for d in dls if d["met"] is False)
                row["overdue_now"] += sum(1 for d in dls if d["overdue"])
                row["reviewed"] += bool(c.reviews)
                row["overturned"] += c.overturned
                for key, a, z in SPANS:
                    if a in c.at and z in c.at and c.at[z] >= c.at[a]:
                        row["_spans"][key].append((c.at[z] - c.at[a]) / law.DAY)
        officers = []
        for oid, row in sorted(per_officer.items()):
            o = b.officers.get(oid)
            officers.append({"id": oid, "name": o.name if o else oid, "team": (o.team if o else "") or "-",
                             **_finish(row)})
        teams = [{"team": t, **_finish(row)} for t, row in sorted(per_team.items())]
    return {"officers": officers, "teams": teams,
            "overturned_on_review": {"reviewed": reviewed, "overturned": len(overturned), "cases": overturned}}
