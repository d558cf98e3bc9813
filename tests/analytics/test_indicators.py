"""The indicators against the incident records: a small month of incidents walked through their lifecycle on
a real store with an injected clock, the figures recomputed here straight from the stored events."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch import ops
from dispatch.analytics.facts import Facts
from dispatch.analytics.indicators import stats
from dispatch.incidents.book import book
from tests.dispatch.incident_helpers import Clock, add_unit, make_core, river_point

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_760_000_000.0
LAT, LON = river_point(0.3)
LAND = (24.33, 109.41)


def call(core, name, actor="dispatcher:wang", **args):
    return ops.call(core, name, args, actor=actor)


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def core(tmp_path, clock):
    c = make_core(tmp_path, clock)
    add_unit(c, "boat-01", "patrol_boat", LAT, LON, name="巡逻艇01")
    add_unit(c, "boat-02", "patrol_boat", *river_point(0.5))
    add_unit(c, "officer-01", "officer", *LAND)
    yield c
    c.close()


def walk(core, clock, iid, unit, *, to="closed", step=300.0, satisfaction=None, verify=True):
    """reported -> ... -> `to`, `step` seconds apart."""
    if verify:
        clock.t += step
        call(core, "incident.transition", incident_id=iid, state="verified")
    clock.t += step
    call(core, "incident.assign", incident_id=iid, unit_id=unit)
    for s in ("accepted", "en_route", "on_scene", "resolved", "closed"):
        clock.t += step
        call(core, "incident.transition", incident_id=iid, state=s)
        if s == to:
            break
    if satisfaction is not None:
        clock.t += step
        call(core, "incident.evaluate", incident_id=iid, satisfaction=satisfaction)


def month(core, clock):
    """Nine incidents: closed with ratings, one late, one reworked, one rejected, two left open."""
    ids = {}
    for name, cat, where, unit in (("a", "floating_garbage", (LAT, LON), "boat-01"),
                                   ("b", "floating_garbage", river_point(0.5), "boat-02"),
                                   ("c", "street_vending", LAND, "officer-01"),
                                   ("d", "street_vending", LAND, "officer-01"),
                                   ("e", "floating_garbage", (LAT, LON), "boat-01"),
                                   ("f", "water_pollution", river_point(0.5), "boat-02"),
                                   ("g", "street_vending", LAND, None),
                                   ("h", "floating_garbage", (LAT, LON), None),
                                   ("i", "damaged_facility", LAND, None)):  # i: still waiting for verification
        clock.t += 3600
        ids[name] = call(core, "incident.create", category=cat, priority="P3", lat=where[0], lon=where[1],
                         text=name)["id"]
        if unit:
            walk(core, clock, ids[name], unit, satisfaction={"a": 5, "b": 3, "c": 4}.get(name),
                 to="closed" if name != "f" else "en_route")
    # d: reopened after closing and closed again (rework)
    clock.t += 600
    call(core, "incident.transition", incident_id=ids["d"], state="reopened")
    walk(core, clock, ids["d"], "officer-01", verify=False)
    # g: rejected as invalid
    call(core, "incident.transition", incident_id=ids["g"], state="rejected", reason="invalid")
    # h: left to run late, then closed
    clock.t += 5 * 86400
    call(core, "incidents.check_deadlines")
    walk(core, clock, ids["h"], "boat-01")
    clock.t += 60
    return ids


def expected_from_events(core, t1, t2, cat=None):
    """The figures recomputed from the raw log, not from the analytics code."""
    evs = list(core.store.events())
    created, rejected, closed_at, reopened_after_close, overdue_at, sat = {}, set(), {}, {}, {}, {}
    verified = set()
    cats = {}
    for e in evs:
        p = e.payload
        if e.kind == "incident.created":
            created[p["id"]] = e.ts
            cats[p["id"]] = p["category"]
        elif e.kind == "incident.assigned":
            verified.add(p["id"])
        elif e.kind == "incident.transitioned":
            i = p["id"]
            if p["to"] == "verified":
                verified.add(i)
            if p["to"] == "rejected":
                rejected.add(i)
            elif p["to"] == "closed":
                closed_at[i] = e.ts
            elif p["to"] == "evaluated":
                sat[i] = p["satisfaction"]
            elif p["to"] == "reopened":
                closed_at.pop(i, None)
                if p["from"] in ("resolved", "closed", "evaluated"):
                    reopened_after_close[i] = reopened_after_close.get(i, 0) + 1
        elif e.kind == "incident.overdue":
            overdue_at.setdefault(p["id"], []).append(e.ts)
    cohort = [i for i, t in created.items() if t1 <= t < t2 and (cat is None or cats[i] == cat)]
    filed = [i for i in cohort if i in verified and i not in rejected]
    closed = [i for i in filed if i in closed_at and closed_at[i] < t2]
    on_time = [i for i in closed if not any(t <= closed_at[i] for t in overdue_at.get(i, []))]
    sats = [sat[i] for i in filed if i in sat]
    return {"filed": len(filed), "closed": len(closed), "closed_on_time": len(on_time),
            "reworked": sum(1 for i in filed if reopened_after_close.get(i)), "extended": 0,
            "satisfaction_mean": round(statistics.mean(sats), 2) if sats else None}


KEYS = ("filed", "closed", "closed_on_time", "reworked", "extended", "satisfaction_mean")


def test_stats_agree_with_the_event_log(core, clock):
    month(core, clock)
    t1, t2 = T0, clock.t
    f = Facts()
    f.refresh(book(core.state).items)
    got = stats(f, t1, t2, by="category")
    want = expected_from_events(core, t1, t2)
    assert {k: got["total"][k] for k in KEYS} == want
    assert want == {"filed": 7, "closed": 6, "closed_on_time": 5, "reworked": 1, "extended": 0, "satisfaction_mean": 4.0}
    for row in got["rows"]:
        assert {k: row[k] for k in KEYS} == expected_from_events(core, t1, t2, row["category"])
    assert got["total"]["closure_rate"] == round(6 / 7, 4)
    assert got["total"]["rework_rate"] == round(1 / 6, 4)
    # a period that ends before the last closing counts it open
    mid = clock.t - 86400
    early = stats(f, t1, mid)["total"]
    assert early["closed"] == expected_from_events(core, t1, mid)["closed"] == 5


def test_a_rating_does_not_move_the_closing(core, clock):
    """The reporter's rating a day after the closing leaves the case closed when it was closed: the response
    time (reported to closed) is the bureau's, not the wait for the citizen."""
    iid = call(core, "incident.create", category="floating_garbage", priority="P3", lat=LAT, lon=LON)["id"]
    walk(core, clock, iid, "boat-01")
    closed = clock.t
    clock.t += 86400
    call(core, "incident.evaluate", incident_id=iid, satisfaction=4)
    f = Facts()
    f.refresh(book(core.state).items)
    assert f.row(iid).closed == closed
    got = stats(f, T0, clock.t + 1)["total"]
    assert got["closed"] == 1 and got["satisfaction_mean"] == 4.0


def test_facts_follow_changes_incrementally(core, clock):
    ids = month(core, clock)
    f = Facts()
    assert f.refresh(book(core.state).items) == 9
    assert f.refresh(book(core.state).items) == 0
    clock.t += 60
    call(core, "incident.transition", incident_id=ids["f"], state="on_scene")
    assert f.refresh(book(core.state).items) == 1
    assert f.row(ids["f"]).on_scene == clock.t


def test_ctl_stats_by_unit_and_team_and_refusals(core, clock, tmp_path):
    month(core, clock)
    core.flush()
    url = core.store.url
    env_t = {"from": "2025-10-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}

    def ctl(*args):
        return subprocess.run([sys.executable, str(ROOT / "main.py"), "ctl", "--db", url, *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=60)

    p = ctl("--json", "stats", "--from", env_t["from"], "--to", env_t["to"], "--by", "unit")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    rows = {row["unit"]: row for row in r["rows"]}
    assert rows["officer-01"]["filed"] == 2 and rows["officer-01"]["reworked"] == 1
    assert rows["boat-01"]["closed"] == 3 and rows["boat-01"]["closed_on_time"] == 2  # a, e; h ran late
    assert rows["boat-01"]["unit_name"] == "巡逻艇01" and rows["officer-01"]["unit_name"] == "officer-01"
    assert {k: r["total"][k] for k in KEYS}["filed"] == 7
    p = ctl("stats", "--from", env_t["from"], "--to", env_t["to"], "--by", "team")
    assert p.returncode == 0 and "patrol_boat" in p.stdout and "officer" in p.stdout and "结案" in p.stdout
    # the evaluation table leaves the console as CSV and XLSX with the same figures
    p = ctl("stats", "--from", env_t["from"], "--to", env_t["to"], "--by", "unit", "--out", str(tmp_path / "e.xlsx"))
    assert p.returncode == 0, p.stderr
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "e.xlsx").active
    sheet = [[c.value for c in row] for row in ws.iter_rows()]
    assert sheet[0][:3] == ["单位", "立案数", "结案数"]
    by_name = {row[0]: row for row in sheet[1:]}
    assert by_name["officer-01"][1] == rows["officer-01"]["filed"] and by_name["合计"][1] == 7
    assert by_name["巡逻艇01"][2] == 3  # a unit by the name a shift lead knows it by
    col = sheet[0].index("派遣用时中位数（分钟）")  # in minutes, as the dashboard and the shift report give them
    assert by_name["巡逻艇01"][col] == round(rows["boat-01"]["dispatch_s_median"] / 60, 1) > 0
    assert "（未派遣）" in by_name and None not in by_name  # the reports no unit was sent to, named as such
    p = ctl("stats", "--from", env_t["from"], "--to", env_t["to"], "--by", "category", "--out", str(tmp_path / "e.csv"),
            "--lang", "en")
    assert p.returncode == 0, p.stderr
    import csv

    with (tmp_path / "e.csv").open(encoding="utf-8-sig") as fh:
        table = list(csv.reader(fh))
    assert table[0][:3] == ["Category", "Filed", "Closed"] and table[-1][0] == "Total" and table[-1][1] == "7"
    assert {row[0] for row in table[1:-1]} >= {"Floating garbage", "Street vending"}  # named, not floating_garbage
    p = ctl("stats", "--out", str(tmp_path / "e.txt"))
    assert p.returncode == 1 and ".csv or .xlsx" in p.stderr
    p = ctl("stats", "--from", env_t["to"], "--to", env_t["from"])
    assert p.returncode == 1 and "ends before it starts" in p.stderr
