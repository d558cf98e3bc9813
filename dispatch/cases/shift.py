"""The enforcement cases in a shift report: what the shift did on them and what the next shift must not miss.

For [t1, t2): the cases opened and the procedure's steps recorded in it (not a penalty proposed, evidence added or
a document issued); at t2: the cases open, the penalties outside the benchmark waiting for the shift lead's
approval, the legal deadlines passed unmet, and those falling due within `SOON_S`. Parties as anyone may see them (a person's name masked): the report is a file that travels.
"""

from __future__ import annotations

from typing import Any

from dispatch.cases.book import CaseBook, deadlines, open_to, party_view

SOON_S = 3 * 86400  # a deadline this close is the next shift's to keep
MAX_ROWS = 200


def _row(c: Any, b: CaseBook) -> dict[str, Any]:
    return {"id": c.id, "stage": c.stage, "violation": c.violation["code"], "violation_name": c.violation["name"],
            "violation_name_en": c.violation.get("name_en") or "",
            "party": party_view(c.party, "report", reveal=False)["name"],
            "officers": [b.officers[o].name if o in b.officers else o for o in c.officers]}


def shift_cases(b: CaseBook, t1: float, t2: float) -> dict[str, Any]:
    """{opened, steps, open_total, approval: [...], overdue: [...], due_soon: [...]}: rows of {id, stage,
    violation, violation_name(_en), party, officers} with the penalty (approval) or the deadline (key, zh, en,
    article, due, due_day); the lists up to MAX_ROWS, oldest due first."""
    opened = steps = 0
    for c in b.items.values():
        opened += t1 <= c.opened_at < t2
        steps += sum(1 for a in c.acts if t1 <= a["time"] < t2 and a["kind"] == "case.step")  # the procedure's
    approval, overdue, soon = [], [], []
    open_total = 0
    for cid in sorted(b.open_ids):
        c = b.items[cid]
        if c.opened_at >= t2:  # a report of an earlier period: not yet there
            continue
        open_total += 1
        if open_to(c)["approve"]:
            p = c.penalty or {}
            approval.append({**_row(c, b), "kind": p.get("kind"), "amount": p.get("amount"),
                             "reason": p.get("reason") or "", "range": p.get("proposal")})
        for d in deadlines(c, b, t2):
            if d["done"] is not None:
                continue
            keep = {k: d[k] for k in ("key", "zh", "en", "article", "due", "due_day")}
            if d["overdue"]:
                overdue.append({**_row(c, b), **keep})
            elif d["due"] - t2 <= SOON_S:
                soon.append({**_row(c, b), **keep})
    overdue.sort(key=lambda r: r["due"])
    soon.sort(key=lambda r: r["due"])
    return {"opened": opened, "steps": steps, "open_total": open_total, "approval": approval[:MAX_ROWS],
            "overdue": overdue[:MAX_ROWS], "overdue_total": len(overdue), "due_soon": soon[:MAX_ROWS]}
