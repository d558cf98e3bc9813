"""`main.py ctl` alone walks a case through the ordinary procedure on a real SQLite store: a decision before
the notice and an inquiry by one officer are refused with the article; every document is a PDF whose text
holds the case's facts in Chinese, its SHA-256 the one recorded in the log; human output in zh_CN and en."""

from __future__ import annotations

import hashlib
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from console.cli import main

FACTS = "一辆重型货车在柳江路与文惠路交叉口倾倒建筑垃圾约三立方米"


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'ctl.db'}"


def ctl(capsys, db, *args, rc=0):
    code = main(["ctl", "--db", db, *args])
    out, err = capsys.readouterr()
    assert code == rc, (args, out, err)
    return out, err


def js(capsys, db, *args):
    return json.loads(ctl(capsys, db, "--json", *args)[0])


def pdf_text(path):
    return "".join(p.extract_text() for p in PdfReader(str(path)).pages).replace("\n", "")


def test_ordinary_procedure_with_ctl_alone(capsys, db, tmp_path):
    inc = js(capsys, db, "incident", "create", "--category", "construction_waste_spill", "--priority", "P2",
             "--lat", "24.33", "--lon", "109.41", "--text", FACTS, "--address", "柳州市城中区柳江路与文惠路交叉口")
    for oid, name, cert in (("wang", "王强", "45020019001"), ("liu", "刘敏", "45020019002")):
        ctl(capsys, db, "officer", "add", oid, "--name", name, "--certificate", cert, "--valid-until", "2099-12-31",
            "--valid-from", "2020-01-01", "--team", "一中队")
    c = js(capsys, db, "case", "open", "--incident", str(inc["id"]), "--violation", "CSRQ-001",
           "--party-type", "organisation", "--party-name", "柳州市某某渣土运输有限公司",
           "--id-number", "91450200MA5K000001", "--address", "柳州市城中区五一路8号", "--contact", "13907720000")
    cid = str(c["id"])
    assert c["stage"] == "opened" and c["party"]["masked"] and c["party"]["contact"] == "139****0000"
    docs = tmp_path / "docs"

    def doc(kind, *extra):
        out = docs / f"{kind}.pdf"
        r = js(capsys, db, "case", "document", cid, kind, "--out", str(out), *extra)
        assert out.read_bytes()[:5] == b"%PDF-" and hashlib.sha256(out.read_bytes()).hexdigest() == r["sha256"]
        return out, r

    ctl(capsys, db, "case", "advance", cid, "filed")
    out, r = doc("filing_approval")
    assert r["number"].startswith("柳城管立〔") and r["number"].endswith("〕001号")
    body = pdf_text(out)
    for want in ("立案审批表", FACTS, "柳州市某某渣土运输有限公司", "91450200MA5K000001", "《城市建筑垃圾管理规定》第十五条"):
        assert want in body, want
    _, err = ctl(capsys, db, "case", "advance", cid, "inquiry", "--officer", "wang", rc=1)
    assert "§42" in err and "2" in err
    ctl(capsys, db, "case", "advance", cid, "inquiry", "--officer", "wang", "--officer", "liu",
        "--note", "问：车辆属于谁？答：属于本公司，司机为张某。")
    out, _ = doc("inquiry_record")
    body = pdf_text(out)
    assert "问：车辆属于谁？答：属于本公司，司机为张某。" in body and "王强（执法证号 45020019001）" in body
    _, err = ctl(capsys, db, "case", "advance", cid, "decision", rc=1)
    assert "§62" in err
    ctl(capsys, db, "case", "penalty", cid, "--circumstance", "ordinary", "--amount", "20000")
    ctl(capsys, db, "case", "advance", cid, "notice", "--officer", "wang", "--officer", "liu")
    out, _ = doc("penalty_notice")
    body = pdf_text(out)
    assert "罚款人民币20000元" in body and "第四十四条" in body and "违法情节一般" in body
    ctl(capsys, db, "case", "advance", cid, "statement", "--note", "当事人放弃陈述申辩")
    ctl(capsys, db, "case", "advance", cid, "决定")
    out, dec = doc("penalty_decision")
    body = pdf_text(out)
    for want in ("行政处罚决定书", FACTS, "《城市建筑垃圾管理规定》第二十六条", "罚款人民币20000元", "百分之三"):
        assert want in body, want
    ctl(capsys, db, "case", "advance", cid, "service", "--officer", "wang")
    out, _ = doc("service_receipt")
    assert dec["number"] in pdf_text(out)
    ctl(capsys, db, "case", "advance", cid, "payment", "--amount", "20000")
    ctl(capsys, db, "case", "advance", cid, "closed")
    out, _ = doc("closing_approval")
    assert "缴纳罚款20000元" in pdf_text(out)
    # a document is never edited: issuing again supersedes it with a new number
    _, again = doc("penalty_decision", "--reissue")
    assert again["number"].endswith("〕002号") and again["supersedes"] == dec["number"]
    ctl(capsys, db, "case", "advance", cid, "archived")
    show = js(capsys, db, "case", "show", cid)
    assert show["stage"] == "archived"
    assert [d["superseded_by"] for d in show["documents"] if d["kind"] == "penalty_decision"] == [again["number"], None]
    # every document's hash is in the event log
    engine = create_engine(db)
    with engine.connect() as conn:
        payloads = [json.loads(p) for (p,) in conn.execute(text(
            "SELECT payload FROM events WHERE kind = 'case.document_issued'"))]
    engine.dispose()
    assert {p["sha256"] for p in payloads} == {d["sha256"] for d in show["documents"]}
    zh, _ = ctl(capsys, db, "case", "show", cid, "--lang", "zh_CN")
    assert "已归档" in zh and "询问" in zh and "行政处罚决定书" in zh
    en, _ = ctl(capsys, db, "cases", "--lang", "en")
    assert "archived" in en and "柳**" not in en
    zh, _ = ctl(capsys, db, "officers", "--lang", "zh_CN")
    assert "执法证号" in zh and "有效" in zh
    assert js(capsys, db, "cases", "--overdue") == []


def test_document_before_its_step_is_refused(capsys, db):
    c = js(capsys, db, "case", "open", "--violation", "CSRQ-002", "--party-type", "person", "--party-name", "李四",
           "--facts", "在人行道上摆摊售卖水果", "--place", "柳州市鱼峰区龙城路")
    _, err = ctl(capsys, db, "case", "document", str(c["id"]), "penalty_decision", "--out", "/tmp/x.pdf", rc=1)
    assert "decision" in err and "决定" in err
    _, err = ctl(capsys, db, "case", "document", str(c["id"]), "receipt", "--out", "/tmp/x.pdf", rc=1)
    assert "unknown document" in err


@pytest.mark.parametrize(("env", "said"), [({"LANG": "C.UTF-8"}, "无案件"), ({}, "无案件"),
                                           ({"LANG": "en_GB.UTF-8"}, "no cases"), ({"LC_ALL": "zh_CN.UTF-8"}, "无案件")])
def test_without_lang_the_output_speaks_as_the_console_would(capsys, db, monkeypatch, env, said):
    """No --lang: the environment's language as the console takes it, Chinese under the C locale or none."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    out, _ = ctl(capsys, db, "cases")
    assert out.strip() == said


def test_the_cases_opened_from_an_incident(capsys, db):
    """`cases --incident N` (the incident detail's line of its cases): read through an index the appliers keep (each ctl
    run builds it again from the store); an incident with no case lists none; a bad id is refused."""
    made = []
    for _ in range(2):
        inc = js(capsys, db, "incident", "create", "--category", "construction_waste_spill", "--priority", "P2",
                 "--lat", "24.33", "--lon", "109.41", "--text", FACTS)
        made.append(inc["id"])
    first, second = made
    opened = [js(capsys, db, "case", "open", "--incident", str(first), "--violation", v, "--party-type", "person",
                 "--party-name", "张三")["id"] for v in ("CSRQ-001", "CSRQ-002")]
    js(capsys, db, "case", "open", "--violation", "CSRQ-001", "--party-type", "person", "--party-name", "李四",
       "--place", "柳州市城中区")  # opened directly: no incident
    assert sorted(r["id"] for r in js(capsys, db, "cases", "--incident", str(first))) == sorted(opened)
    assert js(capsys, db, "cases", "--incident", f"incident:{first}", "--open") != []
    assert js(capsys, db, "cases", "--incident", str(second)) == []
    _out, err = ctl(capsys, db, "cases", "--incident", "x", rc=1)
    assert "bad incident id" in err
