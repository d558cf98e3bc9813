"""The demo city's case file: a small enforcement roster and three penalty cases at different stages, so that a
case officer opening the console on the demo city finds a case file to work in. Filed through the ordinary
operations, once, on a store that has neither a case nor an officer (a bureau's own roster and cases are never
mixed with the demo's; and the demo runs only on a console with no feeds configured). It issues no document, so
no 文号 of the bureau's sequences is taken. Every name, number and address in it is invented (the addresses say so).

- A construction-waste spill (the demo's truck report) against the transport company whose permit expired:
  filed, inspected and inquired into by two officers, the penalty proposed within the benchmark. Next: the notice.
- A stall on the road (the demo's street-vending report) against a person: opened, awaiting the filing approval.
- Garbage dumped into the Liujiang from a boat (the demo's floating-garbage report): warned on the spot by one
  officer and filed with the bureau afterwards (the simple procedure, §51-§52).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.demo.supervision import COMPANIES

log = logging.getLogger(__name__)

TEAM = "柳州市城市管理综合执法支队一大队"
# (id, name, certificate number): invented, as every name in the demo
OFFICERS = (
    ("wangqiang", "王强", "45020019001"),
    ("lina", "李娜", "45020019002"),
    ("zhoubin", "周斌", "45020019003"),
)


def file_demo_cases(core: Any, incidents: list[int] | None = None, actor: str = "system:demo") -> list[int]:
    """File the demo's roster and cases (see the module's docstring) on a store with no case and no officer;
    `incidents`: the demo reports' ids, to open the cases from (the first of the category; without them the store's
    incidents; with no incident of the category the case is opened directly). Returns the new cases' ids ([] when
    nothing was filed)."""
    from dispatch import ops

    ops.load_features()
    if "case.open" not in ops.OPERATIONS:
        return []
    from dispatch.cases.book import book
    from dispatch.incidents.book import book as incident_book

    with core.lock:
        b = book(core.state)
        if b.items or b.officers:
            return []
        reports = incident_book(core.state).items
        pool = [i for i in incidents or sorted(reports) if i in reports]  # a store the demo filed reports on before
        by_category: dict[str, int] = {}
        for i in pool:
            by_category.setdefault(str(reports[i].category), i)

    def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
        return ops.call(core, name, args, actor=actor)  # type: ignore[no-any-return]

    today = datetime.fromtimestamp(core.clock(), ZoneInfo("Asia/Shanghai")).date()
    for oid, name, cert in OFFICERS:
        call("officer.add", {"officer_id": oid, "name": name, "certificate": cert, "team": TEAM,
                             "valid_from": (today - timedelta(days=400)).isoformat(),
                             "valid_until": (today + timedelta(days=1430)).isoformat()})
    two = [OFFICERS[0][0], OFFICERS[1][0]]
    made = []

    company = COMPANIES[2]  # its permit expired five days ago (dispatch/demo/supervision.py)
    spill = call("case.open", {
        "violation": "CSRQ-001", "party_type": "organisation", "party_name": company[1],
        "representative": "陈某", "id_number": "91450200MA5DEMO01X", "address": "柳州市柳南区（演示地址）",
        "incident_id": by_category.get("construction_waste_spill"),
        "facts": "渣土运输车辆未采取密闭措施，沿路抛洒建筑垃圾约50米，影响道路通行与市容；该公司渣土运输核准已过期。",
        "place": None if "construction_waste_spill" in by_category else "柳州市城中区（演示地点）"})
    made.append(spill["id"])
    call("case.advance", {"case_id": spill["id"], "step": "filed", "note": "大队长批准立案"})
    call("case.advance", {"case_id": spill["id"], "step": "inspection", "officers": two,
                          "note": "现场勘验，抛洒路段约50米，拍照取证"})
    call("case.advance", {"case_id": spill["id"], "step": "inquiry", "officers": two,
                          "note": "询问驾驶员及公司负责人，承认未密闭运输"})
    call("case.penalty", {"case_id": spill["id"], "circumstance": "ordinary", "kind": "fine",
                          "amount": _within(core, spill["id"])})

    stall = call("case.open", {
        "violation": "CSRQ-002", "party_type": "person", "party_name": "刘某",
        "incident_id": by_category.get("street_vending"),
        "facts": "在人行道上摆摊经营水果，占用道路约6平方米，经劝导未改正。",
        "place": None if "street_vending" in by_category else "柳州市鱼峰区（演示地点）"})
    made.append(stall["id"])

    river = call("case.open", {
        "violation": "SWHJ-001", "party_type": "person", "party_name": "黄某",
        "incident_id": by_category.get("floating_garbage"),
        "facts": "从停靠船只向柳江倾倒生活垃圾两袋，当场被巡逻艇执法人员发现，已责令打捞清理。",
        "place": None if "floating_garbage" in by_category else "柳江（演示地点）"})
    made.append(river["id"])
    call("case.advance", {"case_id": river["id"], "step": "on_the_spot", "officers": [OFFICERS[2][0]],
                          "kind": "warning", "note": "情节轻微，当场警告并责令清理"})
    call("case.advance", {"case_id": river["id"], "step": "filed_record", "note": "报所属大队备案"})
    log.info("demo city: %d officers and %d cases filed", len(OFFICERS), len(made))
    return made


def _within(core: Any, case_id: int) -> float:
    """The middle of the benchmark's range for the case's ordinary first offence, to the hundred yuan."""
    from dispatch.cases import catalogue as cat
    from dispatch.cases.book import get

    with core.lock:
        c = get(core.state, case_id)
        p = cat.propose(c.violation, c.party["type"], "ordinary", False)
    return float(round((p.low + p.high) / 2 / 100) * 100)
