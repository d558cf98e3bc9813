"""What issue 13 left: the outcome of a review (行政复议 / 行政诉讼) recorded and counted in supervision; a unit's
track excerpt cut from the stored fixes as GeoJSON and GPX evidence, hashed, in the dossier; one kind's document
template set from a file; the case list read through the book's indexes. Real SQLite stores, ctl as a user runs it."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
from xml.etree import ElementTree as ET

import pytest

from console.cli import main
from dispatch.cases.book import book
from dispatch.cases.verify import verify
from tests.cases.helpers import DAY, T0, Clock, call, make_core, roster
from tests.cases.test_procedure import open_case, refused

TWO = ["wang", "liu"]


@pytest.fixture
def env(tmp_path):
    clock = Clock()
    core = make_core(tmp_path, clock)
    roster(core)
    yield core, clock, tmp_path
    core.close()


def decided(core, clock, officers=TWO, amount=6000):
    cid = open_case(core)["id"]
    call(core, "case.advance", case_id=cid, step="filed")
    call(core, "case.advance", case_id=cid, step="inquiry", officers=officers)
    call(core, "case.penalty", case_id=cid, circumstance="minor", amount=amount)
    call(core, "case.advance", case_id=cid, step="notice", officers=officers)
    call(core, "case.advance", case_id=cid, step="statement")
    call(core, "case.advance", case_id=cid, step="decision")
    return cid


def test_review_outcome_recorded_and_counted_as_overturned(env):
    core, clock, tmp = env
    undecided = open_case(core)["id"]
    assert "no decision" in refused("not_decided", call, core, "case.review", case_id=undecided, outcome="upheld",
                                    body="reconsideration", date="2025-03-03", number="柳政复决〔2025〕1号")
    a = decided(core, clock)
    b = decided(core, clock, officers=["wang", "chen"])
    clock.t += 40 * DAY
    refused("bad_time", call, core, "case.review", case_id=a, outcome="upheld", body="court", date="2025-03-01",
            number="X1")
    refused("bad_time", call, core, "case.review", case_id=a, outcome="upheld", body="court", date="2026-01-01",
            number="X1")
    refused("bad_outcome", call, core, "case.review", case_id=a, outcome="quashed-ish", body="court",
            date="2025-04-01", number="X1")
    refused("bad_arguments", call, core, "case.review", case_id=a, outcome="upheld", body="court",
            date="2025-04-01", number=" ")
    # reconsideration upholds case a, then the court revokes it: the later outcome is in force
    call(core, "case.review", case_id=a, outcome="维持", body="行政复议", date="2025-03-20", number="柳政复决〔2025〕7号")
    c = call(core, "case.review", case_id=a, outcome="revoked", body="court", date="2025-04-08",
             number="（2025）桂0202行初15号", note="认定事实不清")
    assert [r["outcome"] for r in c["reviews"]] == ["upheld", "revoked"] and c["overturned"]
    assert c["acts"][-1]["step"] == "review" and "行政诉讼撤销" in c["acts"][-1]["note"]
    refused("duplicate", call, core, "case.review", case_id=a, outcome="revoked", body="court", date="2025-04-08",
            number="（2025）桂0202行初15号")
    call(core, "case.review", case_id=b, outcome="upheld", body="reconsideration", date="2025-03-25",
         number="柳政复决〔2025〕9号")
    sup = call(core, "cases.supervision")
    by = {o["id"]: o for o in sup["officers"]}
    assert (by["wang"]["reviewed"], by["wang"]["overturned"], by["wang"]["overturned_share"]) == (2, 1, 0.5)
    assert (by["liu"]["reviewed"], by["liu"]["overturned"]) == (1, 1)
    assert (by["chen"]["reviewed"], by["chen"]["overturned"]) == (1, 0)
    assert sup["teams"][0]["overturned"] == 1 and sup["teams"][0]["reviewed"] == 2
    assert sup["overturned_on_review"] == {"reviewed": 2, "overturned": 1, "cases": [a]}
    out = tmp / "a.zip"
    call(core, "case.export", case_id=a, out=str(out))  # the dossier carries the outcomes
    with zipfile.ZipFile(out) as z:
        meta = ET.fromstring(z.read("metadata.xml"))
    assert [(r.get("body"), r.get("outcome"), r.get("date")) for r in meta.iter("review")] == [
        ("reconsideration", "upheld", "2025-03-20"), ("court", "revoked", "2025-04-08")]
    assert verify(out).ok
    assert call(core, "cases")[0]["overturned"] in (True, False)
    # the state is the log's: a fresh core over the same file counts the same
    core.close()
    again = make_core(tmp, clock)
    assert call(again, "cases.supervision")["overturned_on_review"]["cases"] == [a]
    again.close()


def test_review_on_the_spot_penalty_and_with_ctl(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'ctl.db'}"

    def ctl(*args, rc=0):
        code = main(["ctl", "--db", db, *args])
        out, err = capsys.readouterr()
        assert code == rc, (args, out, err)
        return out, err

    ctl("officer", "add", "wang", "--name", "王强", "--certificate", "45020019001", "--valid-until", "2099-12-31",
        "--valid-from", "2020-01-01", "--team", "一中队")
    cid = json.loads(ctl("--json", "case", "open", "--violation", "CSRQ-002", "--party-type", "person",
                         "--party-name", "张三")[0])["id"]
    _, err = ctl("case", "review", str(cid), "--outcome", "upheld", "--body", "court", "--date", "2025-01-01",
                 "--number", "N1", rc=1)
    assert "no decision" in err
    ctl("case", "advance", str(cid), "on_the_spot", "--officer", "wang", "--penalty", "fine", "--amount", "100")
    import time

    from dispatch.cases import law

    today = law.iso_day(time.time())  # the day in China, where the bureau dates its documents
    out, _ = ctl("case", "review", str(cid), "--outcome", "confirmed_illegal", "--body",
                 "reconsideration", "--date", today, "--number", "柳政复决〔2026〕3号", "--lang", "zh_CN")
    assert "行政复议 确认违法" in out and "柳政复决〔2026〕3号" in out
    out, _ = ctl("case", "supervision", "--lang", "en")
    assert "overturned on review: 1" in out


def test_track_excerpt_as_geojson_and_gpx_evidence_in_the_dossier(env):
    core, clock, tmp = env
    cid = open_case(core)["id"]
    call(core, "units.register", units=[{"id": "truck-07", "kind": "truck"}, {"id": "truck-08", "kind": "truck"}])
    fixes = [("truck-07", T0 + i * 10, 24.33 + i * 1e-4, 109.41 + i * 2e-4, 5.0, 90.0, "jt808") for i in range(60)]
    fixes += [("truck-08", T0 + 5, 24.0, 109.0, 1.0, 0.0, "jt808")]
    core.ingest(fixes)  # buffered: the excerpt still sees them (the store is flushed first)
    refused("bad_window", call, core, "case.evidence_track", case_id=cid, unit_id="truck-07",
            start=T0 + 100, end=T0)
    refused("bad_window", call, core, "case.evidence_track", case_id=cid, unit_id="truck-07",
            start=T0, end=T0 + 2 * DAY)
    assert "no such unit" in refused("no_fixes", call, core, "case.evidence_track", case_id=cid, unit_id="ghost",
                                     start=T0, end=T0 + 600)
    r = call(core, "case.evidence_track", case_id=cid, unit_id="truck-07", start="2025-03-03T09:01:00+08:00",
             end="2025-03-03T09:05:00+08:00", format="both", note="倾倒前后轨迹")
    assert r["points"] == 25 and [f["name"].rsplit(".", 1)[1] for f in r["files"]] == ["geojson", "gpx"]
    gj_file, gpx_file = (open(f["path"], "rb").read() for f in r["files"])
    assert hashlib.sha256(gj_file).hexdigest() == r["files"][0]["sha256"]
    gj = json.loads(gj_file)
    line = gj["features"][0]
    assert line["geometry"]["type"] == "LineString" and len(line["geometry"]["coordinates"]) == 25
    # [lon, lat] from 09:01, as stored (1e-7 degree: dispatch/fixblocks.py)
    assert line["geometry"]["coordinates"][0] == [round(109.41 + 6 * 2e-4, 7), round(24.33 + 6 * 1e-4, 7)]
    assert line["properties"]["times"][0] == "2025-03-03T01:01:00Z" and line["properties"]["speeds"][0] == 5.0
    pts = ET.fromstring(gpx_file).findall(".//{http://www.topografix.com/GPX/1/1}trkpt")
    assert len(pts) == 25 and pts[-1].get("lat") == f"{24.33 + 30 * 1e-4:.7f}"
    c = call(core, "case.show", case_id=cid)
    ev = [e for e in c["evidence"] if e["kind"] == "track"]
    assert [e["unit_id"] for e in ev] == ["truck-07", "truck-07"] and ev[1]["media_type"] == "application/gpx+xml"
    out = tmp / "dossier.zip"
    call(core, "case.export", case_id=cid, out=str(out))
    with zipfile.ZipFile(out) as z:
        kept = {n: z.read(n) for n in z.namelist() if n.startswith("evidence/")}
    assert sorted(hashlib.sha256(v).hexdigest() for v in kept.values()) == sorted(f["sha256"] for f in r["files"])
    assert verify(out).ok


def test_track_evidence_with_ctl(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'ctl.db'}"
    core = make_core(tmp_path, Clock(), name="ctl.db")
    cid = open_case(core)["id"]
    call(core, "units.register", units=[{"id": "boat-03", "kind": "patrol_boat"}])
    core.ingest([("boat-03", T0 + i, 24.3, 109.4 + i * 1e-5, 2.0, 45.0, "nmea") for i in range(30)])
    core.close()
    code = main(["ctl", "--db", db, "case", "evidence", str(cid), "--lang", "en", "--track", "boat-03",
                 "--from", "2025-03-03T09:00:00+08:00", "--to", "2025-03-03T09:00:09+08:00", "--format", "gpx"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "track of boat-03" in out and "10 fixes" in out and ".gpx added to case" in out
    code = main(["ctl", "--db", db, "case", "evidence", str(cid), "--track", "boat-03", "--from", "2025-03-03"])
    assert code == 1 and "--track needs --from and --to" in capsys.readouterr().err


def test_one_template_set_from_a_file_with_ctl(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'ctl.db'}"

    def ctl(*args, rc=0):
        code = main(["ctl", "--db", db, *args])
        out, err = capsys.readouterr()
        assert code == rc, (args, out, err)
        return out, err

    out, _ = ctl("case", "templates", "list", "--lang", "en")
    assert "penalty_notice" in out and "行政处罚事先告知书" in out and "as shipped" in out
    tpl = json.loads(ctl("case", "templates", "show", "inquiry_record")[0])
    assert tpl["title"] == json.loads(ctl("--json", "case", "templates", "show", "inquiry_record")[0])["title"]
    tpl["title"] = "询问笔录（2026版）"
    tpl["sections"].append(["告知", "你有如实回答的义务。{note}"])
    f = tmp_path / "inquiry.json"
    f.write_text(json.dumps(tpl, ensure_ascii=False), encoding="utf-8")
    ctl("case", "templates", "set", "inquiry_record", str(f))
    assert json.loads(ctl("case", "templates", "show", "inquiry_record")[0]) == tpl
    out, _ = ctl("case", "templates", "list", "--lang", "zh_CN")
    assert "询问笔录（2026版）" in out
    # another kind is untouched, a bad template changes nothing, an unknown kind is named
    assert json.loads(ctl("case", "templates", "show", "penalty_notice")[0])["title"] == "行政处罚事先告知书"
    tpl["sections"].append(["x", "{no_such_field}"])
    f.write_text(json.dumps(tpl, ensure_ascii=False), encoding="utf-8")
    _, err = ctl("case", "templates", "set", "inquiry_record", str(f), rc=1)
    assert "no_such_field" in err
    assert json.loads(ctl("case", "templates", "show", "inquiry_record")[0])["title"] == "询问笔录（2026版）"
    _, err = ctl("case", "templates", "show", "selfie", rc=1)
    assert "unknown document 'selfie'" in err
    _, err = ctl("case", "templates", "set", "selfie", str(f), rc=1)
    assert "unknown document 'selfie'" in err


def test_list_reads_the_indexes_kept_by_the_appliers(env):
    core, clock, tmp = env
    ids = [open_case(core)["id"] for _ in range(3)]
    call(core, "case.advance", case_id=ids[0], step="filed")
    call(core, "case.advance", case_id=ids[0], step="inquiry", officers=["chen", "liu"])
    cid = ids[1]
    call(core, "case.advance", case_id=cid, step="on_the_spot", officers=["wang"], kind="warning")
    call(core, "case.advance", case_id=cid, step="filed_record")
    call(core, "case.advance", case_id=cid, step="closed")
    b = book(core.state)
    assert b.open_ids == {ids[0], ids[2]} and b.by_officer == {"chen": {ids[0]}, "liu": {ids[0]}, "wang": {cid}}
    assert [r["id"] for r in call(core, "cases", open=True)] == [ids[0], ids[2]]
    assert [r["id"] for r in call(core, "cases", officer="wang")] == [cid]
    assert [r["id"] for r in call(core, "cases", officer="liu", open=True)] == [ids[0]]
    assert sorted(r["id"] for r in call(core, "cases")) == ids
    assert call(core, "cases.counts") == {"cases": 3, "open": 2, "overdue": 0, "closed": 1, "awaiting_approval": 0}
    clock.t += 800 * DAY  # the filed case's decision (§60) and the unfiled one's limitation (§36) are past
    assert call(core, "cases.counts")["overdue"] == 2
    assert [r["overdue"] for r in call(core, "cases", overdue=True)] == [["decision"], ["limitation"]]
    assert call(core, "case.open", violation="CSRQ-001", party_type="person", party_name="李四")["id"] == 4
    core.close()
    again = make_core(tmp, clock)  # rebuilt from the log (or its snapshot): the same indexes
    b2 = book(again.state)
    assert (b2.open_ids, b2.by_officer, b2.last_id) == ({ids[0], ids[2], 4}, b.by_officer, 4)
    again.close()


def test_reveal_in_the_list_is_the_case_handlers_only():
    from dispatch.accounts.permissions import allowed

    assert allowed("viewer", "cases", {}, "v")[0]
    assert not allowed("viewer", "cases", {"reveal": True}, "v")[0]
    assert allowed("dispatcher", "cases", {"reveal": True}, "d")[0]
    assert allowed("shift_lead", "case.review", {}, "s")[0] and not allowed("dispatcher", "case.review", {}, "d")[0]
    assert allowed("dispatcher", "case.evidence_track", {}, "d")[0]


def test_dashboard_counts_open_overdue_and_overturned_cases(env):
    core, clock, _ = env
    a = decided(core, clock)
    open_case(core)
    clock.t += 10 * DAY  # case a's service (7 working days from the decision, §61) is now late
    call(core, "case.review", case_id=a, outcome="varied", body="court", date=clock.t, number="（2025）桂0202行初3号")
    d = call(core, "analytics.dashboard", start=clock.t - 30 * DAY, end=clock.t)
    assert d["cases"] == {"cases": 2, "open": 2, "overdue": 1, "closed": 0, "awaiting_approval": 0, "overturned": 1}


def test_a_damaged_document_is_not_delivered(env):
    core, clock, tmp = env
    cid = open_case(core)["id"]
    call(core, "case.advance", case_id=cid, step="filed")
    doc = call(core, "case.document", case_id=cid, kind="filing_approval")
    got = call(core, "case.document_file", case_id=cid, number=doc["number"])
    assert hashlib.sha256(base64.b64decode(got["data_b64"])).hexdigest() == doc["sha256"] == got["sha256"]
    path = doc["path"]
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        f.seek(100)
        f.write(b"X")
    assert doc["number"] in refused("damaged", call, core, "case.document_file", case_id=cid, number=doc["number"])
    refused("not_found", call, core, "case.document_file", case_id=cid, number="nope")
