"""The demo city's case file: a small enforcement roster and three penalty cases at different stages, so that a
case officer opening the console on the demo city finds a case file to work in. Filed through the ordinary
operations, once, on a store that has neither a case nor an officer (a bureau's own roster and cases are never
mixed with the demo's; and the demo runs only on a console with no feeds configured). It issues no document, so
no 文号 of the bureau's sequences is taken. Every name, number and address in it is invented (the addresses say so).

Each case is opened from a report of its own that was handled before it: verified, a unit sent, on scene, resolved
with what the unit found, and closed, as a case follows the report its officers went out to (on a new store, days
before, in the demo's past week: dispatch/demo/week.py). The demo's open reports
(dispatch/demo/fleet.py) stay in the queue for the dispatcher, with no case behind them. The handled reports are at
other places than the open ones, so neither is taken for a duplicate of the other.

- A construction-waste spill beside a building site, against the transport company whose permit expired: filed,
  inspected and inquired into by two officers, the penalty proposed within the benchmark. Next: the notice.
- A stall on the pavement against a person, who kept on after being told to stop: opened, awaiting the filing
  approval.
- Garbage dumped into the Liujiang from a moored boat, found by a patrol boat: warned on the spot by one officer and
  filed with the bureau afterwards (the simple procedure, §51-§52).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from dispatch.bureautime import bureau_tz
from dispatch.city.data import City, load_city
from dispatch.demo.fleet import DemoReport, segment_name
from dispatch.demo.supervision import COMPANIES

log = logging.getLogger(__name__)

TEAM = "柳州市城市管理综合执法支队一大队"
# (id, name, certificate number): invented, as every name in the demo
OFFICERS = (
    ("wangqiang", "王强", "45020019001"),
    ("lina", "李娜", "45020019002"),
    ("zhoubin", "周斌", "45020019003"),
)


def handled_reports(city: City | None = None) -> dict[str, DemoReport]:
    """The reports the demo's cases follow, by violation code, each where its category happens and away from the
    open reports of the same category (dispatch/demo/fleet.py: `demo_reports`); one whose place the city lacks
    is left out (its case is then opened without a report)."""
    city = city or load_city()
    out: dict[str, DemoReport] = {}
    if len(city.construction_sites) > 1:
        site = city.construction_sites[1]  # the open spill report is beside the first
        lat, lon = site.geometry.y + 0.0010, site.geometry.x - 0.0009
        if not city.is_water(lat, lon):
            out["CSRQ-001"] = DemoReport("construction_waste_spill", "P2", lat, lon,
                                         "渣土车未密闭运输，沿路抛洒建筑垃圾约50米", "video", f"{site.name}附近",
                                         "视频巡查")
    if city.patrol_zones:
        c = city.patrol_zones[0].geometry.centroid  # the open stall report is in the third
        if not city.is_water(c.y, c.x):
            out["CSRQ-002"] = DemoReport("street_vending", "P4", c.y, c.x, "人行道上摆摊经营水果，占道约6平方米",
                                         "patrol", city.patrol_zones[0].name, "执法队员巡查")
    lat, lon, _ = city.point_along_river(0.55)  # in Yufeng district; the open water reports are at 0.32 and 0.71
    out["SWHJ-001"] = DemoReport("floating_garbage", "P3", lat, lon, "有人从停靠船只向江中倾倒生活垃圾",
                                 "patrol", segment_name(city, lat, lon), "巡逻艇巡查")
    return out


# what the unit sent found, as it recorded the report resolved: (unit kind, note)
HANDLING = {
    "CSRQ-001": ("officer", "现场核实：渣土车未密闭，抛洒路段约50米，已拍照取证并责令清扫；转立案调查"),
    "CSRQ-002": ("officer", "现场劝导后仍继续经营，已告知将依法处理；报请立案"),
    "SWHJ-001": ("patrol_boat", "当事人承认倾倒，已责令打捞清理；当场警告"),
}


def file_demo_cases(core: Any, city: City | None = None, actor: str = "system:demo") -> list[int]:
    """File the demo's roster, the reports its cases follow and the cases (see the module's docstring) on a store
    with no case and no officer, all at once. Returns the new cases' ids ([] when nothing was filed). On a new
    store the demo's past week has filed them already, each at its moment (dispatch/demo/week.py)."""
    from dispatch import ops

    if not cases_wanted(core):
        return []

    def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
        return ops.call(core, name, args, actor=actor)  # type: ignore[no-any-return]

    file_roster(core, call)
    reports = {code: _handled(core, call, r, *HANDLING[code]) for code, r in handled_reports(city).items()}
    made: list[int] = []
    for code in CASE_ORDER:
        for _ in case_steps(core, call, code, reports.get(code), made):
            pass  # no time passes between the steps here
    log.info("demo city: %d officers, %d handled reports and %d cases filed", len(OFFICERS),
             sum(1 for i in reports.values() if i is not None), len(made))
    return made


CASE_ORDER = ("CSRQ-001", "CSRQ-002", "SWHJ-001")


def cases_wanted(core: Any) -> bool:
    """The case feature is installed and the store has neither a case nor an officer (a bureau's own roster and
    cases are never mixed with the demo's)."""
    from dispatch import ops

    ops.load_features()
    if "case.open" not in ops.OPERATIONS:
        return False
    from dispatch.cases.book import book

    with core.lock:
        b = book(core.state)
        return not (b.items or b.officers)


def file_roster(core: Any, call: Any) -> None:
    """The demo's enforcement officers, their certificates valid from 400 days before today."""
    today = datetime.fromtimestamp(core.clock(), bureau_tz()).date()
    for oid, name, cert in OFFICERS:
        call("officer.add", {"officer_id": oid, "name": name, "certificate": cert, "team": TEAM,
                             "valid_from": (today - timedelta(days=400)).isoformat(),
                             "valid_until": (today + timedelta(days=1430)).isoformat()})


def case_steps(core: Any, call: Any, code: str, incident_id: int | None,
               made: list[int]) -> Iterator[tuple[int, float]]:
    """The demo's case of violation `code`, opened from report `incident_id` (None: a place instead), step by
    step; before each step after the first it yields when the officers take it: (days later, hour of the day),
    office hours (the past week runs each step at its moment; `file_demo_cases` runs them at once). The new
    case's id is appended to `made`."""
    two = [OFFICERS[0][0], OFFICERS[1][0]]
    if code == "CSRQ-001":
        company = COMPANIES[2]  # its permit expired five days ago (dispatch/demo/supervision.py)
        spill = call("case.open", {
            "violation": "CSRQ-001", "party_type": "organisation", "party_name": company[1],
            "representative": "陈某", "id_number": "91450200MA5DEMO01X", "address": "柳州市柳南区（演示地址）",
            "incident_id": incident_id,
            "facts": "渣土运输车辆未采取密闭措施，沿路抛洒建筑垃圾约50米，影响道路通行与市容；该公司渣土运输核准已过期。",
            "place": None if incident_id else "柳州市城中区（演示地点）"})
        made.append(spill["id"])
        yield 1, 9.5
        call("case.advance", {"case_id": spill["id"], "step": "filed", "note": "大队长批准立案"})
        yield 0, 10.5
        call("case.advance", {"case_id": spill["id"], "step": "inspection", "officers": two,
                              "note": "现场勘验，抛洒路段约50米，拍照取证"})
        yield 1, 15.0
        call("case.advance", {"case_id": spill["id"], "step": "inquiry", "officers": two,
                              "note": "询问驾驶员及公司负责人，承认未密闭运输"})
        yield 0, 16.5
        call("case.penalty", {"case_id": spill["id"], "circumstance": "ordinary", "kind": "fine",
                              "amount": _within(core, spill["id"])})
    elif code == "CSRQ-002":
        made.append(_against_person(call, code, "刘某", incident_id, "柳州市鱼峰区（演示地点）",
                                    "在人行道上摆摊经营水果，占用道路约6平方米，经劝导未改正。"))
    elif code == "SWHJ-001":
        river = _against_person(call, code, "黄某", incident_id, "柳江（演示地点）",
                                "从停靠船只向柳江倾倒生活垃圾两袋，当场被巡逻艇执法人员发现，已责令打捞清理。")
        made.append(river)
        yield 0, 13.0
        call("case.advance", {"case_id": river, "step": "on_the_spot", "officers": [OFFICERS[2][0]],
                              "kind": "warning", "note": "情节轻微，当场警告并责令清理"})
        yield 1, 9.0
        call("case.advance", {"case_id": river, "step": "filed_record", "note": "报所属大队备案"})


def _against_person(call: Any, code: str, party: str, incident_id: int | None, place: str, facts: str) -> int:
    """Open the demo's case of `code` against a person (`place` only when there is no report to take it from)."""
    return int(call("case.open", {"violation": code, "party_type": "person", "party_name": party,
                                  "incident_id": incident_id, "facts": facts,
                                  "place": None if incident_id else place})["id"])


def _handled(core: Any, call: Any, r: DemoReport, kind: str, found: str) -> int | None:
    """File report `r` and walk it to closed: verified, the first free unit of `kind` sent, on scene, resolved
    with what it found. None (and nothing filed) when the demo has no such unit free (a store without the fleet)."""
    with core.lock:
        unit = next((u.id for _, u in sorted(core.state.units.items())
                     if u.kind.value == kind and u.status.value == "available"), None)
    if unit is None:
        return None
    iid = call("incident.create", {**r.args(), "verified": True})["id"]
    call("incident.assign", {"incident_id": iid, "unit_id": unit})
    for state, note in (("accepted", None), ("on_scene", None), ("resolved", found), ("closed", None)):
        call("incident.transition", {"incident_id": iid, "state": state, "note": note})
    return int(iid)


def _within(core: Any, case_id: int) -> float:
    """The middle of the benchmark's range for the case's ordinary first offence, to the hundred yuan."""
    from dispatch.cases import catalogue as cat
    from dispatch.cases.book import get

    with core.lock:
        c = get(core.state, case_id)
        p = cat.propose(c.violation, c.party["type"], "ordinary", False)
    return float(round((p.low + p.high) / 2 / 100) * 100)
