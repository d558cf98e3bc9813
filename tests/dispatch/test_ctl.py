"""`main.py ctl` for the dispatcher's workflow, run in-process on a real SQLite store: create on the river,
recommend, assign, refuse a jump, walk to evaluated, attach, merge, tasks; exit codes and messages."""

from __future__ import annotations

import hashlib
import json

import pytest

from console.cli import main
from tests.dispatch.incident_helpers import add_unit, make_core, river_point

BOAT = river_point(0.3)


@pytest.fixture
def db(tmp_path):
    core = make_core(tmp_path, name="ctl.db")
    add_unit(core, "boat-01", "patrol_boat", *river_point(0.32))
    add_unit(core, "vessel-01", "cleaning_vessel", *BOAT)
    add_unit(core, "officer-01", "officer", *BOAT)
    core.flush()
    core.close()
    return f"sqlite:///{tmp_path / 'ctl.db'}"


def ctl(capsys, db, *args, rc=0):
    code = main(["ctl", "--db", db, *args])
    out, err = capsys.readouterr()
    assert code == rc, (args, out, err)
    return out, err


def js(capsys, db, *args):
    return json.loads(ctl(capsys, db, *args, "--json")[0])


def test_workflow_end_to_end(capsys, db, tmp_path):
    inc = js(capsys, db, "incident", "create", "--category", "floating_garbage", "--priority", "P2",
             "--lat", str(BOAT[0]), "--lon", str(BOAT[1]), "--text", "foam and bottles", "--source", "app")
    iid = str(inc["id"])
    assert inc["state"] == "reported"
    rec = js(capsys, db, "recommend", iid)
    assert [r["unit_id"] for r in rec] == ["vessel-01", "boat-01"] and rec[0]["eta_s"] < rec[1]["eta_s"]
    js(capsys, db, "assign", iid, "vessel-01")
    out, err = ctl(capsys, db, "transition", iid, "closed", rc=1)
    assert "cannot go from dispatched to closed" in err and "accepted" in err
    for s in ("accepted", "en-route", "on_scene", "resolved", "closed"):
        ctl(capsys, db, "transition", iid, s, "--note", "ok")
    ctl(capsys, db, "evaluate", iid, "--satisfaction", "5", "--note", "quick")
    photo = tmp_path / "after.jpg"
    photo.write_bytes(b"jpeg bytes")
    att = js(capsys, db, "attach", iid, str(photo))
    assert att["sha256"] == hashlib.sha256(b"jpeg bytes").hexdigest()
    show = js(capsys, db, "incident", "show", iid)
    assert show["state"] == "evaluated" and show["satisfaction"] == 5
    assert [h["to"] for h in show["history"] if h["to"]][-3:] == ["resolved", "closed", "evaluated"]
    assert len(show["history"]) >= 10
    text, _ = ctl(capsys, db, "incident", "show", iid)
    assert "evaluated" in text and "after.jpg" in text
    assert js(capsys, db, "incidents", "--open") == []
    assert [r["id"] for r in js(capsys, db, "incidents", "--state", "evaluated")] == [int(iid)]


def test_refusals_exit_nonzero_with_message(capsys, db):
    _, err = ctl(capsys, db, "incident", "create", "--category", "ufo", "--priority", "P2", "--lat", "24.3",
                 "--lon", "109.4", rc=1)
    assert "unknown category" in err and "floating_garbage" in err
    _, err = ctl(capsys, db, "incident", "create", "--category", "other", "--priority", "P2", "--lat", "124.3",
                 "--lon", "109.4", rc=1)
    assert "out of range" in err
    ctl(capsys, db, "incident", "create", "--category", "other", "--priority", "P3", "--lat", "24.33", "--lon", "109.41")
    _, err = ctl(capsys, db, "assign", "1", "truck-99", rc=1)
    assert "unknown unit" in err
    _, err = ctl(capsys, db, "assign", "7", "boat-01", rc=1)
    assert "unknown incident 7" in err
    _, err = ctl(capsys, db, "attach", "1", "/nonexistent/file.jpg", rc=1)
    assert "cannot read attachment" in err
    out, _ = ctl(capsys, db, "transition", "1", "flying", "--json", rc=1)
    assert json.loads(out)["code"] == "bad_state"


def test_duplicate_flag_and_merge(capsys, db):
    a = js(capsys, db, "incident", "create", "--category", "illegal_dumping", "--priority", "P3",
           "--lat", "24.33", "--lon", "109.41")
    b = js(capsys, db, "incident", "create", "--category", "illegal_dumping", "--priority", "P3",
           "--lat", "24.3301", "--lon", "109.4101", "--reporter", "Mr Wu")
    assert b["possible_duplicates"] == [a["id"]]
    kept = js(capsys, db, "merge", str(a["id"]), str(b["id"]))
    assert kept["merged"] == [b["id"]] and kept["reports"][0]["reporter"] == "Mr Wu"


def test_tasks_commands(capsys, db):
    t = js(capsys, db, "task", "create", "--segment", "segment-3", "--units", "vessel-01", "--sweep-width", "15")
    assert t["state"] == "active" and t["units"] == ["vessel-01"] and t["sweep_width_m"] == 15
    r = js(capsys, db, "task", "create", "--segment", "segment-3", "--every-day", "07:00")
    assert r["state"] == "recurring"
    js(capsys, db, "task", "assign", str(r["id"]), "vessel-01,boat-01")
    rows = js(capsys, db, "tasks")
    assert {x["id"] for x in rows} == {t["id"], r["id"]}
    text, _ = ctl(capsys, db, "tasks")
    assert "segment-3" in text
    _, err = ctl(capsys, db, "task", "create", "--polygon", "24.33 109.41; 24.331 109.41; 24.331 109.411", rc=1)
    assert "land" in err
