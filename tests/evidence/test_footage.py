"""ctl evidence footage / attach: for an incident (or an alert's place and time), the cameras whose view cone
covered that place at that time (fixed: position, direction, field of view, range; mobile: the unit's stored
fix and course) and their clips overlapping those minutes; one operation attaches a clip to the incident."""

from __future__ import annotations

from datetime import UTC, datetime

from dispatch.evidence.footage import angle_off, view_covers
from dispatch.store import EventStore, FixRow
from tests.evidence.clipmaker import make_clip
from tests.evidence.helpers import ctl, js

P = (24.3301, 109.4110)  # the incident's place
CAMS = """id,kind,lat,lon,direction,fov,range_m,unit
cam-east,fixed,24.3301,109.4102,90,60,150,
cam-west,fixed,24.3301,109.4102,270,60,150,
cam-far,fixed,24.3401,109.4110,180,60,150,
cam-dome,fixed,24.3305,109.4110,,360,100,
cam-boat01,mobile,,,0,90,200,boat-01
cam-boat02,mobile,,,0,90,200,boat-02
"""


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def test_view_cone_geometry():
    assert angle_off(350, 10) == 20 and angle_off(90, 270) == 180
    assert view_covers(24.3301, 109.4102, 90, 60, 150, *P)[0]  # ~81 m due east, looking east
    assert not view_covers(24.3301, 109.4102, 270, 60, 150, *P)[0]  # looking the other way
    assert not view_covers(24.3301, 109.4102, 90, 60, 50, *P)[0]  # out of range
    assert not view_covers(24.3301, 109.4102, 125, 60, 150, *P)[0]  # 35° off a 60° cone
    assert view_covers(24.3301, 109.4102, 115, 60, 150, *P)[0]  # 25° off: inside
    assert view_covers(24.3301, 109.4102, None, 360, 150, *P)[0]
    assert not view_covers(24.3301, 109.4102, None, 90, 150, *P)[0]  # heading unknown


def test_footage_of_an_incident_and_attach(capsys, db, tmp_path):
    for u in ("boat-01", "boat-02"):
        ctl(capsys, db, "unit", "add", u, "--kind", "patrol_boat")
    f = tmp_path / "cams.csv"
    f.write_text(CAMS, encoding="utf-8")
    ctl(capsys, db, "cameras", "import", str(f))
    inc = js(capsys, db, "incident", "create", "--category", "illegal_dumping", "--priority", "P2",
             "--lat", str(P[0]), "--lon", str(P[1]), "--source", "video")
    other = js(capsys, db, "incident", "create", "--category", "other", "--priority", "P4",
               "--lat", "24.40", "--lon", "109.50")
    t = float(inc["created_at"])
    store = EventStore(db)
    store.add_fixes([FixRow("boat-01", t - 30, 24.3290, 109.4110, 2.0, 0.0, "test"),  # ~122 m south, heading north
                     FixRow("boat-02", t - 30, 24.3290, 109.4110, 2.0, 180.0, "test")])  # heading away
    store.flush()
    store.close()
    clip = make_clip(tmp_path / "c.mp4")

    def add(cam: str, start: float) -> int:
        return js(capsys, db, "evidence", "add", str(clip), "--incident", str(other["id"]), "--camera", cam,
                  "--start", iso(start))["id"]

    east_now, east_old = add("cam-east", t - 60), add("cam-east", t - 3600)
    west_now, boat_now, boat2_now = add("cam-west", t - 60), add("cam-boat01", t + 120), add("cam-boat02", t)
    r = js(capsys, db, "evidence", "footage", "--incident", str(inc["id"]))
    seen = {c["camera"]["id"]: c for c in r["cameras"]}
    assert set(seen) == {"cam-east", "cam-dome", "cam-boat01"}
    assert [c["id"] for c in seen["cam-east"]["clips"]] == [east_now]
    assert [c["id"] for c in seen["cam-boat01"]["clips"]] == [boat_now]
    assert seen["cam-dome"]["clips"] == [] and 40 < seen["cam-dome"]["distance_m"] < 50
    assert (seen["cam-boat01"]["lat"], seen["cam-boat01"]["lon"]) == (24.3290, 109.4110)
    assert seen["cam-boat01"]["clips"][0]["lat"] is None  # its start fix is too old for the clip's place
    assert west_now and boat2_now and east_old
    # narrower minutes: the boat's clip (starting 2 min after) drops out
    r = js(capsys, db, "evidence", "footage", "--incident", str(inc["id"]), "--minutes", "1")
    assert {c["camera"]["id"]: [k["id"] for k in c["clips"]] for c in r["cameras"]}["cam-boat01"] == []
    # an alert's place and time, no incident
    r = js(capsys, db, "evidence", "footage", "--lat", str(P[0]), "--lon", str(P[1]), "--at", iso(t - 3590))
    assert {c["camera"]["id"]: [k["id"] for k in c["clips"]] for c in r["cameras"]} == {
        "cam-east": [east_old], "cam-dome": []}  # no fix of the boats then
    # one operation attaches the found clip
    a = js(capsys, db, "evidence", "attach", str(east_now), "--incident", str(inc["id"]))
    assert a["incidents"] == [other["id"], inc["id"]]
    assert [c["id"] for c in js(capsys, db, "evidence", "list", "--incident", str(inc["id"]))] == [east_now]
    r = js(capsys, db, "evidence", "footage", "--incident", str(inc["id"]))
    assert {c["camera"]["id"]: c for c in r["cameras"]}["cam-east"]["clips"][0]["attached"] is True
    _o, err = ctl(capsys, db, "evidence", "attach", str(east_now), "--incident", str(inc["id"]), rc=1)
    assert "already evidence of incident" in err
    out, _ = ctl(capsys, db, "evidence", "footage", "--incident", str(inc["id"]))
    assert "3 camera(s) saw it" in out and "(attached)" in out
    _o, err = ctl(capsys, db, "evidence", "footage", "--lat", "24.3", rc=1)
    assert "give an incident, or a place and a time" in err
