"""The case procedure on a real SQLite store: the ordinary procedure walked through, every refusal the law
makes (naming its article), discretion and its approval, the simple procedure's caps, deadlines and the
late charge, personal data masked, the catalogue replaced, and the state rebuilt from the log."""

from __future__ import annotations

import hashlib
import json

import pytest

from dispatch.cases import law
from dispatch.errors import NotFound, Refused
from tests.cases.helpers import DAY, Clock, call, incident, make_core, roster

TWO = ["wang", "liu"]


@pytest.fixture
def env(tmp_path):
    clock = Clock()
    core = make_core(tmp_path, clock)
    roster(core)
    yield core, clock, tmp_path
    core.close()


def open_case(core, party_type="organisation", violation="CSRQ-001", **extra):
    return call(core, "case.open", incident_id=incident(core), violation=violation, party_type=party_type,
                party_name="柳州市某某运输有限公司" if party_type == "organisation" else "张三丰",
                id_number="450202199001011234", address="柳州市城中区文惠路12号", contact="13807721234", **extra)


def refused(code, fn, *args, **kw):
    with pytest.raises(Refused) as e:
        fn(*args, **kw)
    assert e.value.code == code, (e.value.code, str(e.value))
    return str(e.value)


def test_ordinary_procedure_with_hearing_review_and_collective_discussion(env):
    core, clock, _ = env
    c = open_case(core)
    cid = c["id"]
    assert c["stage"] == "opened" and c["incident_id"] and "倾倒建筑垃圾" in c["facts"]
    assert c["violation"]["penalty_basis"] == "《城市建筑垃圾管理规定》第二十六条"
    call(core, "case.advance", case_id=cid, step="立案")
    call(core, "case.advance", case_id=cid, step="inspection", officers=TWO, note="现场检查")
    call(core, "case.advance", case_id=cid, step="inquiry", officers=["wang", "chen"], note="询问驾驶员")
    c = call(core, "case.penalty", case_id=cid, circumstance="serious", amount=45000, repeat=True)
    assert c["penalty"]["proposal"] == {"min": 40000.0, "max": 50000.0, "warning": False}
    assert c["penalty"]["approved"] and c["collective_required"] and c["legal_review_required"]
    call(core, "case.config_set", settings={"hearing_threshold": {"person": 10000, "organisation": 40000}})
    call(core, "case.advance", case_id=cid, step="notice", officers=TWO)
    clock.t += 2 * DAY
    call(core, "case.advance", case_id=cid, step="hearing_request", note="当事人书面申请听证")
    msg = refused("hearing_notice_late", call, core, "case.advance", case_id=cid, step="hearing_notice",
                  at=clock.t + 3 * DAY)
    assert "§64(2)" in msg
    hearing_day = clock.t + 12 * DAY
    call(core, "case.advance", case_id=cid, step="hearing_notice", at=hearing_day)
    assert "§64" in refused("hearing_pending", call, core, "case.advance", case_id=cid, step="decision")
    refused("hearing_not_yet", call, core, "case.advance", case_id=cid, step="hearing", officers=["chen", "wang"])
    clock.t = hearing_day
    msg = refused("chair_investigated", call, core, "case.advance", case_id=cid, step="hearing",
                  officers=["wang", "chen"])
    assert "§64(4)" in msg
    call(core, "officer.add", officer_id="huang", name="黄立", certificate="45020019009", valid_until="2030-01-01",
         valid_from="2020-01-01")
    call(core, "case.advance", case_id=cid, step="hearing", officers=["huang", "liu"], note="听证笔录")
    assert "§58" in refused("legal_review_needed", call, core, "case.advance", case_id=cid, step="decision")
    call(core, "case.advance", case_id=cid, step="legal_review", note="法制审核通过")
    assert "§57" in refused("collective_needed", call, core, "case.advance", case_id=cid, step="decision")
    call(core, "case.advance", case_id=cid, step="collective", note="集体讨论决定")
    call(core, "case.advance", case_id=cid, step="decision")
    refused("illegal_step", call, core, "case.penalty", case_id=cid, circumstance="minor", amount=5000)
    clock.t += DAY
    call(core, "case.advance", case_id=cid, step="service")
    assert "§67" in refused("not_executed", call, core, "case.advance", case_id=cid, step="closed")
    refused("underpaid", call, core, "case.advance", case_id=cid, step="payment", amount=100)
    call(core, "case.advance", case_id=cid, step="payment", amount=45000)
    call(core, "case.advance", case_id=cid, step="closed")
    c = call(core, "case.advance", case_id=cid, step="archived")
    assert c["stage"] == "archived" and not c["open"]
    steps = [a.get("step") for a in c["acts"] if a["kind"] == "case.step"]
    assert steps == ["filed", "inspection", "inquiry", "notice", "hearing_request", "hearing_notice", "hearing",
                     "legal_review", "collective", "decision", "service", "payment", "closed", "archived"]
    assert [d["met"] for d in c["deadlines"]] == [True] * len(c["deadlines"])
    assert {"wang", "liu", "chen", "huang"} == set(c["officers"])
    refused("illegal_step", call, core, "case.advance", case_id=cid, step="notice", officers=TWO)


def test_decision_before_notice_is_refused_citing_62(env):
    core, clock, _ = env
    cid = open_case(core)["id"]
    call(core, "case.advance", case_id=cid, step="filed")
    call(core, "case.advance", case_id=cid, step="inquiry", officers=TWO)
    msg = refused("no_notice", call, core, "case.advance", case_id=cid, step="decision")
    assert "§62" in msg
    call(core, "case.penalty", case_id=cid, circumstance="ordinary", amount=15000)
    call(core, "case.advance", case_id=cid, step="notice", officers=TWO)
    assert "§62" in refused("statement_not_heard", call, core, "case.advance", case_id=cid, step="decision")
    clock.t += 8 * DAY  # Monday + 8 days: past the 5 working days of §64(1) with no statement
    call(core, "case.advance", case_id=cid, step="decision")


def test_investigative_acts_need_two_officers_with_valid_certificates(env):
    core, _, _ = env
    cid = open_case(core)["id"]
    call(core, "case.advance", case_id=cid, step="filed")
    msg = refused("too_few_officers", call, core, "case.advance", case_id=cid, step="inquiry", officers=["wang"])
    assert "§42" in msg
    refused("too_few_officers", call, core, "case.advance", case_id=cid, step="inquiry", officers=["wang", "wang"])
    assert "§55" in refused("certificate_invalid", call, core, "case.advance", case_id=cid, step="inspection",
                            officers=["wang", "zhou"])
    with pytest.raises(NotFound):
        call(core, "case.advance", case_id=cid, step="preservation", officers=["wang", "nobody"])
    call(core, "officer.revoke", officer_id="liu", note="调离")
    refused("certificate_invalid", call, core, "case.advance", case_id=cid, step="inquiry", officers=TWO)
    c = call(core, "case.show", case_id=cid)
    assert c["stage"] == "filed" and not any(a.get("step") == "inquiry" for a in c["acts"])


def test_penalty_outside_the_benchmark_needs_a_reason_and_another_persons_approval(env):
    core, _, _ = env
    cid = open_case(core)["id"]
    call(core, "case.advance", case_id=cid, step="filed")
    call(core, "case.advance", case_id=cid, step="inquiry", officers=TWO)
    msg = refused("reason_needed", call, core, "case.penalty", case_id=cid, circumstance="ordinary", amount=5000)
    assert "10000-30000" in msg
    c = call(core, "case.penalty", case_id=cid, circumstance="ordinary", amount=5000,
             reason="当事人主动消除违法后果，减轻处罚", actor="ctl:li")
    assert c["penalty"]["outside_range"] and not c["penalty"]["approved"]
    refused("approval_pending", call, core, "case.advance", case_id=cid, step="notice", officers=TWO)
    refused("same_person", call, core, "case.approve", case_id=cid, actor="ctl:li")
    c = call(core, "case.approve", case_id=cid, note="同意", actor="dispatcher:shift-lead")
    assert c["penalty"]["approved_by"] == "dispatcher:shift-lead"
    call(core, "case.advance", case_id=cid, step="notice", officers=TWO)
    # a changed penalty after the notice is a new proposal: the party is told again
    c = call(core, "case.penalty", case_id=cid, circumstance="ordinary", amount=12000)
    assert c["stage"] == "investigating"
    refused("no_notice", call, core, "case.advance", case_id=cid, step="decision")


def test_simple_procedure_caps_and_filing(env):
    core, _, _ = env
    cid = open_case(core, party_type="person", violation="CSRQ-002")["id"]
    assert "§51" in refused("over_spot_cap", call, core, "case.advance", case_id=cid, step="on_the_spot",
                            officers=["wang"], kind="fine", amount=300)
    refused("too_few_officers", call, core, "case.advance", case_id=cid, step="on_the_spot", kind="warning")
    c = call(core, "case.advance", case_id=cid, step="当场处罚", officers=["wang"], kind="fine", amount=200)
    assert c["procedure"] == "simple" and c["stage"] == "decided_on_spot" and c["penalty"]["amount"] == 200
    assert "§52" in refused("not_filed", call, core, "case.advance", case_id=cid, step="closed")
    call(core, "case.advance", case_id=cid, step="filed_record")
    assert call(core, "case.advance", case_id=cid, step="closed")["stage"] == "closed"
    org = open_case(core)["id"]
    refused("over_spot_cap", call, core, "case.advance", case_id=org, step="on_the_spot", officers=["wang"],
            kind="fine", amount=3000.01)
    call(core, "case.advance", case_id=org, step="on_the_spot", officers=["wang"], kind="fine", amount=3000)


def test_deadlines_overdue_once_late_charge_capped_and_limitation(env):
    core, clock, _ = env
    cid = open_case(core)["id"]
    call(core, "case.advance", case_id=cid, step="filed")
    call(core, "case.advance", case_id=cid, step="preservation", officers=TWO)
    c = call(core, "case.show", case_id=cid)
    pres = next(d for d in c["deadlines"] if d["key"] == "preservation")
    assert pres["due_day"] == "2025-03-12"  # 7 working days after Monday 3 March (§56, §85)
    clock.t += 10 * DAY
    found = call(core, "cases.check_deadlines")
    assert [(f["id"], f["deadline"]) for f in found] == [(cid, "preservation")]
    assert call(core, "cases.check_deadlines") == []
    assert [r["id"] for r in call(core, "cases", overdue=True)] == [cid]
    call(core, "case.advance", case_id=cid, step="preservation_decision", officers=TWO)
    call(core, "case.penalty", case_id=cid, circumstance="minor", amount=6000)
    call(core, "case.advance", case_id=cid, step="notice", officers=TWO)
    call(core, "case.advance", case_id=cid, step="statement")
    call(core, "case.advance", case_id=cid, step="decision")
    call(core, "case.advance", case_id=cid, step="service")
    clock.t += 200 * DAY
    c = call(core, "case.show", case_id=cid)
    assert c["amount_due"] == {"fine": 6000.0, "late_charge": 6000.0, "total": 12000.0}  # §72: at most the fine
    assert law.late_charge(1000, 0.0, 2 * DAY + 1) == 60.0
    old = open_case(core, violation_at=clock.t - 3 * 365 * DAY)["id"]
    assert "§36" in refused("limitation_expired", call, core, "case.advance", case_id=old, step="filed")


def test_personal_data_masked_unless_asked_and_state_rebuilt_from_the_log(env):
    core, clock, tmp = env
    cid = open_case(core, party_type="person")["id"]
    row = call(core, "cases")[0]
    assert row["party"]["masked"] and row["party"]["name"] == "张**"
    assert row["party"]["id_number"] == "450***********1234" and row["party"]["contact"] == "138****1234"
    assert "12号" not in row["party"]["address"]
    full = call(core, "case.show", case_id=cid, reveal=True)["party"]
    assert full["id_number"] == "450202199001011234" and not full["masked"]
    photo = tmp / "scene.jpg"
    photo.write_bytes(b"\xff\xd8 truck at the crossing")
    ev = call(core, "case.evidence", case_id=cid, path=str(photo), kind="photo", note="现场照片")
    assert ev["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    refused("bad_kind", call, core, "case.evidence", case_id=cid, path=str(photo), kind="selfie")
    before = call(core, "case.show", case_id=cid, reveal=True)
    core.close()
    again = make_core(tmp, clock)
    after = call(again, "case.show", case_id=cid, reveal=True)
    assert json.dumps(after, sort_keys=True, default=str) == json.dumps(before, sort_keys=True, default=str)
    again.close()


def test_catalogue_replaced_whole_or_not_at_all(env):
    core, _, _ = env
    cat = call(core, "case.catalogue")
    assert {v["code"] for v in cat["violations"]} >= {"CSRQ-001", "HDCS-001"}
    bad = json.loads(json.dumps(cat))
    bad["violations"][1]["benchmark"]["person"]["minor"]["first"] = [500, 100]
    assert "CSRQ-002" in refused("bad_catalogue", call, core, "case.catalogue_set", catalogue=bad)
    new = {"version": "2026", "violations": [dict(cat["violations"][0], code="X-1")]}
    assert call(core, "case.catalogue_set", catalogue=new) == {"version": "2026", "violations": 1}
    with pytest.raises(NotFound) as e:
        open_case(core)
    assert "X-1" in str(e.value)
    assert open_case(core, violation="x-1")["violation"]["code"] == "X-1"


def test_supervision_per_officer_and_team(env, capsys):
    core, clock, _ = env
    cid = open_case(core)["id"]
    call(core, "case.advance", case_id=cid, step="filed")
    call(core, "case.advance", case_id=cid, step="inquiry", officers=TWO)
    clock.t += 3 * DAY
    call(core, "case.penalty", case_id=cid, circumstance="ordinary", amount=15000)
    call(core, "case.advance", case_id=cid, step="notice", officers=TWO)
    other = open_case(core)["id"]
    call(core, "case.advance", case_id=other, step="filed")
    call(core, "case.advance", case_id=other, step="preservation", officers=["wang", "chen"])
    clock.t += 12 * DAY  # the preservation decision (7 working days) is now missed
    sup = call(core, "cases.supervision")
    by = {o["id"]: o for o in sup["officers"]}
    assert by["wang"]["cases"] == 2 and by["liu"]["cases"] == 1 and by["chen"]["cases"] == 1
    assert by["liu"]["days"]["investigation"] == 3.0 and by["wang"]["overdue_now"] >= 1
    assert by["chen"]["overdue_now"] == 1 and by["liu"]["overdue_now"] == 0
    assert sup["teams"] == [dict(sup["teams"][0], team="一中队", cases=2)]
