"""The enforcement cases in the shift report: what the shift did (cases opened, steps), the penalties outside the
benchmark waiting for approval, and the legal deadlines passed or falling due, in both languages, parties masked."""

from __future__ import annotations

from dispatch import ops
from dispatch.analytics.report import report_data
from tests.dispatch.incident_helpers import Clock, make_core

T0 = 1_780_000_000.0
DAY = 86400.0


def test_the_shift_report_says_what_waits_on_the_cases(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from console.report.html import render

    clock = Clock(T0)
    core = make_core(tmp_path, clock)
    try:
        def call(name, args, actor="dispatcher:wu"):  # type: ignore[no-untyped-def]
            return ops.call(core, name, args, actor=actor)

        for oid, name in (("wangqiang", "王强"), ("lina", "李娜")):
            call("officer.add", {"officer_id": oid, "name": name, "certificate": f"4502{oid}", "valid_until": "2099-12-31",
                                 "valid_from": "2020-01-01"}, actor="ctl:test")
        cid = call("case.open", {"violation": "CSRQ-002", "party_type": "person", "party_name": "张三丰"})["id"]
        call("case.advance", {"case_id": cid, "step": "filed"})
        call("case.advance", {"case_id": cid, "step": "inquiry", "officers": ["wangqiang", "lina"]})
        call("case.penalty", {"case_id": cid, "circumstance": "minor", "amount": 2900,
                              "reason": "多次劝导不改，占道面积大，从重"})
        call("case.open", {"violation": "CSRQ-001", "party_type": "organisation", "party_name": "柳州某运输公司"})

        e = report_data(core, T0 - 3600, T0 + 3600)["enforcement"]
        assert (e["opened"], e["steps"], e["open_total"]) == (2, 2, 2)  # filed, inquiry (the penalty is no step)
        [waiting] = e["approval"]
        assert (waiting["id"], waiting["amount"], waiting["party"]) == (cid, 2900, "张**")  # a person's name masked
        assert waiting["officers"] == ["王强", "李娜"] and e["overdue"] == [] and e["due_soon"] == []
        before = report_data(core, T0 - 7200, T0 - 3600)["enforcement"]  # a period before the cases were opened
        assert (before["approval"], before["open_total"]) == ([], 0)

        clock.t = T0 + 95 * DAY  # the decision (§60: 90 days from filing) not made
        data = report_data(core, T0 + 94 * DAY, clock.t)
        e = data["enforcement"]
        assert [(r["id"], r["key"]) for r in e["overdue"]] == [(cid, "decision")]
        assert (e["opened"], e["steps"]) == (0, 0)
        en, zh = render(data, lang="en"), render(data, lang="zh_CN")
        assert "Penalties awaiting approval (1)" in en and "2900 yuan" in en and "王强, 李娜" in en
        assert "Legal deadlines passed (1)" in en and "decision (§60)" in en
        assert "待审批的处罚 (1)" in zh and "已超过法定期限 (1)" in zh and "作出决定 (§60)" in zh and "张三丰" not in zh

        soon = report_data(core, T0, T0 + 88 * DAY)["enforcement"]["due_soon"]
        assert [(r["id"], r["key"]) for r in soon] == [(cid, "decision")]
    finally:
        core.close()
