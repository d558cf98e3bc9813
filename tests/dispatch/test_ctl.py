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


def test_the_fleet_roster_is_registered_from_ctl(capsys, db, tmp_path):
    """A site with no demo registers its fleet: one unit, or a roster file (CSV or JSON), again without harm."""
    roster = tmp_path / "roster.csv"
    roster.write_text("\ufeffid,kind,name,mmsi,home\nboat-09,patrol_boat,巡逻艇09,413801009,\n"
                      "officer-31,officer,执法队员 新人,,\n", encoding="utf-8")
    out, _ = ctl(capsys, db, "unit", "import", str(roster))
    assert "registered 2 unit(s): boat-09, officer-31" in out
    out, _ = ctl(capsys, db, "unit", "import", str(roster))  # the same roster again: nothing changes
    assert "registered 0 unit(s)" in out and "boat-09, officer-31" in out
    js_roster = tmp_path / "roster.json"
    js_roster.write_text(json.dumps([{"id": "truck-41", "kind": "truck", "name": "桂B·Z1234"}]), encoding="utf-8")
    assert js(capsys, db, "unit", "import", str(js_roster)) == {"registered": ["truck-41"], "existing": []}
    ctl(capsys, db, "unit", "add", "vessel-07", "--kind", "cleaning_vessel", "--name", "保洁船07")
    units = {u["id"]: u for u in js(capsys, db, "units")}
    assert units["boat-09"]["name"] == "巡逻艇09" and units["boat-09"]["mmsi"] == 413801009
    assert units["vessel-07"]["kind"] == "cleaning_vessel" and units["truck-41"]["name"] == "桂B·Z1234"
    # refused whole, naming the row: nothing of a bad roster is stored
    bad = tmp_path / "bad.csv"
    bad.write_text("id,kind\nboat-11,patrol_boat\nboat-12,submarine\n", encoding="utf-8")
    _, err = ctl(capsys, db, "unit", "import", str(bad), rc=1)
    assert "unit 2 (boat-12): kind must be one of" in err
    _, err = ctl(capsys, db, "unit", "add", "boat-13", "--kind", "patrol_boat", "--mmsi", "413801009", rc=1)
    assert "already belongs to boat-09" in err
    _, err = ctl(capsys, db, "unit", "import", str(tmp_path / "missing.csv"), rc=1)
    assert "cannot read the roster" in err
    assert not {"boat-11", "boat-12", "boat-13"} & {u["id"] for u in js(capsys, db, "units")}


def test_a_late_dispatch_is_named_beside_the_arrival_deadline_ahead(capsys, db):
    """Issue 19, item 6 (ctl's list and show): which stage is late, not only a '!' beside the state."""
    import time

    inc = js(capsys, db, "incident", "create", "--category", "floating_garbage", "--priority", "P1",
             "--lat", str(BOAT[0]), "--lon", str(BOAT[1]))
    out, _ = ctl(capsys, db, "incident", "check-deadlines", "--now", str(time.time() + 3600))
    assert f"incident {inc['id']}: dispatch overdue" in out
    js(capsys, db, "assign", str(inc["id"]), "boat-01")
    row = next(line for line in ctl(capsys, db, "incidents")[0].splitlines() if line.split()[0] == str(inc["id"]))
    assert "dispatch late, arrive 0:" in row and "arrive -" not in row
    assert "deadline: dispatch late, arrive 0:" in ctl(capsys, db, "incident", "show", str(inc["id"]))[0]
    # the shift lead's alert, until acknowledged (issue 19, item 2)
    alerts = js(capsys, db, "incident", "alerts")
    assert [(a["incident_id"], a["stage"]) for a in alerts] == [(inc["id"], "dispatch")]
    assert "dispatch" in ctl(capsys, db, "incident", "alerts")[0]
    out, _ = ctl(capsys, db, "incident", "acknowledge", str(alerts[0]["seq"]))
    assert "1 alert(s) acknowledged" in out
    assert ctl(capsys, db, "incident", "alerts")[0].strip() == "no alerts"
    from console.session import login_name

    assert f"ctl:{login_name()}" in ctl(capsys, db, "incident", "alerts", "--all")[0]  # who ran it, as the OS knows


def test_a_typed_actor_is_refused_and_nothing_is_recorded(capsys, db):
    """The log names who acts as the system knows them: `--actor dispatcher:wang` on the command line is a name
    anyone can type, so it is refused (with --db as with --hub), and the store is left as it was."""
    from dispatch.store import EventStore

    before = EventStore(db)
    head = before.last_seq()
    before.close()
    _, err = ctl(capsys, db, "--actor", "dispatcher:wang", "incident", "create", "--category", "floating_garbage",
                 "--priority", "P2", "--lat", str(BOAT[0]), "--lon", str(BOAT[1]), rc=2)
    assert "--actor is not accepted" in err and "ctl:<login>" in err
    after = EventStore(db)
    try:
        assert after.last_seq() == head
    finally:
        after.close()


def test_the_list_and_the_detail_say_where_as_the_queue_does(capsys, db):
    """The list's "where" is the report's address (coordinates only for a report without one); the detail
    gives the address and who reported it beside the coordinates."""
    named = js(capsys, db, "incident", "create", "--category", "floating_garbage", "--priority", "P2",
               "--lat", str(BOAT[0]), "--lon", str(BOAT[1]), "--text", "foam", "--source", "hotline",
               "--address", "柳江第3段 文惠桥下游", "--reporter", "市民 李先生")
    bare = js(capsys, db, "incident", "create", "--category", "floating_garbage", "--priority", "P3",
              "--lat", str(BOAT[0]), "--lon", str(BOAT[1]), "--text", "bottles")
    rows = {line.split()[0]: line for line in ctl(capsys, db, "incidents")[0].splitlines()[2:]}
    assert "柳江第3段 文惠桥下游" in rows[str(named["id"])] and f"{BOAT[0]:.5f}" not in rows[str(named["id"])]
    assert f"{BOAT[0]:.5f},{BOAT[1]:.5f}" in rows[str(bare["id"])]
    text, _ = ctl(capsys, db, "incident", "show", str(named["id"]))
    assert "  where: 柳江第3段 文惠桥下游" in text.splitlines() and "  reported by: 市民 李先生 (hotline)" in text.splitlines()
    assert f"{BOAT[0]:.6f},{BOAT[1]:.6f}" in text.splitlines()[0]
