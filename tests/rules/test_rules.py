"""Every rule with crafted tracks through `Dispatch.ingest` (the path every feed takes): raised once its
condition held, debounced at borders, closed by itself when the condition clears; time windows across
midnight in the bureau's time zone, expired permits; a failing rule never stops the others."""

from __future__ import annotations

import pytest

from dispatch.ops import call
from dispatch.store import NewEvent
from tests.rules.helpers import FRAME, alerts, line, local_ts, make_core, rows, setup_city, stay


@pytest.fixture
def core(tmp_path):
    c = make_core(tmp_path)
    setup_city(c)
    yield c
    c.close()


def drive(core, uid, points, batch=50):
    r = rows(uid, points)
    for i in range(0, len(r), batch):
        core.ingest(r[i:i + batch])


def only(core, rule):
    found = alerts(core)
    assert [a["rule"] for a in found] == [rule] * len(found), found
    return found


def test_a_stop_in_a_field_is_suspected_dumping_once_and_a_stop_at_a_site_is_not(core):
    t = local_ts("2026-12-03 10:00")
    pts = stay(t, (-200, 0), 20 * 60)  # loading at the construction site: allowed
    t += 20 * 60
    pts += line(t, (-200, 0), (1500, 700), 10.0)  # into a field off the road (truck-01 has no route)
    t = pts[-1][0] + 1
    stop_at = t
    pts += stay(t, (1500, 700), 20 * 60)
    t += 20 * 60
    pts += line(t, (1500, 700), (3100, 0), 10.0)
    t = pts[-1][0] + 1
    pts += stay(t, (3100, 0), 25 * 60)  # unloading at the disposal site: allowed
    t += 25 * 60
    pts += line(t, (3100, 0), (3100, 1000), 10.0)
    drive(core, "truck-01", pts)
    [a] = only(core, "suspected_dumping")
    x, y = FRAME.to_xy(a["lat"], a["lon"])
    assert (x - 1500) ** 2 + (y - 700) ** 2 < 40**2  # where it stopped (within the stop radius)
    assert stop_at + 14 * 60 <= a["ts"] <= stop_at + 20 * 60  # (the stop begins as it brakes)
    assert a["unit_id"] == "truck-01" and a["severity"] == "high"
    assert a["state"] == "cleared"  # it drove on: the alert closed itself and says so
    shown = call(core, "alert.show", {"alert_id": a["id"]}, actor="t")
    assert shown["cleared_reason"].startswith("moved on") and shown["since"] == pytest.approx(stop_at, abs=2)


def test_the_threshold_is_the_bureaus(core):
    call(core, "rules.config_set", {"config": {"dumping_stop_min": 30}}, actor="t")
    t = local_ts("2026-12-03 10:00")
    drive(core, "truck-01", stay(t, (1500, 700), 25 * 60))
    assert alerts(core) == []
    with pytest.raises(Exception, match="unknown threshold 'dumping_minutes'"):
        call(core, "rules.config_set", {"config": {"dumping_minutes": 3}}, actor="t")


def test_a_track_zigzagging_across_the_corridor_edge_raises_one_alert(core):
    t = local_ts("2026-12-03 23:00")
    pts, x = [], 0.0
    for _ in range(6):  # a minute and a half far outside (y=130: 100 m beyond the edge), 20 s back in
        pts += [(t + i, x + 4 * i, 130.0, 4.0) for i in range(90)]
        t, x = t + 90, x + 360
        pts += [(t + i, x, 0.0, 4.0) for i in range(20)]
        t += 20
    drive(core, "truck-02", pts)
    [a] = only(core, "corridor_deviation")
    assert a["state"] == "open" and "outside the corridor of A到消纳场" in call(
        core, "alert.show", {"alert_id": a["id"]}, actor="t")["detail"]
    drive(core, "truck-02", [(t + i, x + i, 0.0, 10.0) for i in range(120)])  # back in for two minutes
    [a] = alerts(core)
    assert a["state"] == "cleared"


def test_gps_jitter_at_the_corridor_edge_is_no_deviation(core):
    t = local_ts("2026-12-03 23:00")
    drive(core, "truck-02", [(t + i, 10.0 * i, 30.0 + (15 if i % 2 else -15), 10.0) for i in range(300)])
    assert alerts(core) == []


@pytest.mark.parametrize(("when", "where", "expected"), [
    ("2026-12-03 08:00", (1200, 700), 1),  # the school area in its hours
    ("2026-12-03 10:00", (1200, 700), 0),  # ... outside them
    ("2026-12-03 23:30", (1200, -700), 1),  # the night area, before midnight
    ("2026-12-04 05:50", (1200, -700), 1),  # ... after midnight
    ("2026-12-04 06:10", (1200, -700), 0),  # ... once its window closed
])
def test_restricted_entry_in_the_areas_hours_across_midnight(core, when, where, expected):
    t = local_ts(when)
    drive(core, "truck-09", [(t + i, where[0] + 3 * i, where[1], 3.0) for i in range(40)])
    assert [a["rule"] for a in alerts(core)] == ["restricted_entry"] * expected


def test_jitter_across_a_restricted_border_raises_one_alert(core):
    t = local_ts("2026-12-03 08:00")
    drive(core, "truck-09", [(t + i, 1000.0 + (8 if i % 3 else -8), 700.0, 2.0) for i in range(300)])
    assert len(only(core, "restricted_entry")) == 1


@pytest.mark.parametrize(("when", "speed", "expected"), [
    ("2026-12-03 10:00", 8.0, 1),  # a night-only truck driving by day
    ("2026-12-03 23:00", 8.0, 0),
    ("2026-12-04 05:58", 8.0, 0),  # the window runs across midnight
    ("2026-12-03 10:00", 0.2, 0),  # parked by day is allowed
])
def test_outside_hours(core, when, speed, expected):
    t = local_ts(when)
    drive(core, "truck-03", [(t + i, -2000.0 + speed * i, -2000.0, speed) for i in range(90)])
    assert [a["rule"] for a in alerts(core)] == ["outside_hours"] * expected


def test_permit_expired_company_and_truck(core):
    t = local_ts("2026-12-03 00:30")
    drive(core, "truck-04", [(t + i, -2000.0 + 8 * i, -2000.0, 8.0) for i in range(10)])
    drive(core, "truck-05", [(t + i, -2000.0 + 8 * i, -2100.0, 8.0) for i in range(10)])
    drive(core, "truck-01", [(t + i, -2000.0 + 8 * i, -2200.0, 8.0) for i in range(10)])
    got = {a["unit_id"]: a for a in alerts(core)}
    assert set(got) == {"truck-04", "truck-05"} and {a["rule"] for a in got.values()} == {"permit_expired"}
    assert "company permit expired 2026-06-30" in got["truck-04"]["detail"]
    assert "permit expired 2026-12-02" in got["truck-05"]["detail"]
    t0 = local_ts("2026-12-02 23:50")  # the last day of the truck's permit still counts
    c2 = call(core, "alerts", {"unit_id": "truck-05"}, actor="t")
    assert len(c2) == 1 and c2[0]["ts"] >= t0


def test_speeding_per_zone(core):
    t = local_ts("2026-12-03 23:00")
    drive(core, "truck-02", [(t + i, 11.0 * i, 0.0, 11.0) for i in range(30)])  # 39.6 km/h on a 40 road
    assert alerts(core) == []
    drive(core, "truck-02", [(t + 40 + i, 400 + 15.0 * i, 0.0, 15.0) for i in range(30)])  # 54 km/h
    [a] = only(core, "speeding")
    assert a["detail"].startswith("54 km/h where 40 km/h is the limit")


def test_stale_across_a_gap_and_on_the_sweep(core):
    t = local_ts("2026-12-03 10:00")
    drive(core, "boat-02", [(t + i, -1000.0, 2500.0, 0.5) for i in range(10)])
    drive(core, "boat-02", [(t + 900 + i, -1000.0, 2500.0, 0.5) for i in range(10)])  # 15 min of silence
    [a] = only(core, "stale")
    assert a["state"] == "cleared" and a["ts"] == pytest.approx(t + 9 + 300)
    assert call(core, "rules.sweep", {"now": t + 2000}, actor="t") == {"recorded": 1}
    assert call(core, "rules.sweep", {"now": t + 2100}, actor="t") == {"recorded": 0}  # once, not every sweep
    assert [a["state"] for a in alerts(core)] == ["open", "cleared"]


def test_a_truck_parked_through_a_silence_is_no_stop_until_it_is_seen_stopping(core):
    """Silent overnight with its terminal off, found in the morning where it was: the night is not a stop (the
    silence is the stale rule's); a stop counts from the first fix after it."""
    call(core, "rules.config_set", {"config": {"stale": False}}, actor="t")
    t = local_ts("2026-12-03 18:00")
    drive(core, "truck-01", stay(t, (1500, 700), 5 * 60))  # parked in a field, then silent for the night
    morning = local_ts("2026-12-04 07:00")
    drive(core, "truck-01", stay(morning, (1500, 700), 10 * 60))
    assert alerts(core) == []
    drive(core, "truck-01", stay(morning + 10 * 60, (1500, 700), 15 * 60))  # 25 min seen standing: a stop
    [a] = only(core, "suspected_dumping")
    assert morning + 14 * 60 <= a["ts"] <= morning + 21 * 60


def test_a_boat_leaving_its_patrol_area(core):
    t = local_ts("2026-12-03 10:00")
    drive(core, "boat-01", [(t + i, -1000.0, 2500.0, 2.0) for i in range(60)])
    drive(core, "boat-02", [(t + i, -1000.0, 3500.0, 2.0) for i in range(90)])  # no patrol area of its own
    assert alerts(core) == []
    drive(core, "boat-01", [(t + 60 + i, -1000.0 + 5 * i, 3100.0, 5.0) for i in range(90)])
    [a] = only(core, "left_patrol_area")
    assert a["unit_id"] == "boat-01" and a["state"] == "open"
    drive(core, "boat-01", [(t + 150 + i, -1000.0, 2500.0, 2.0) for i in range(90)])
    assert alerts(core)[0]["state"] == "cleared"


def test_a_strange_vessel_in_a_protection_zone(core):
    t = local_ts("2026-12-03 10:00")
    core.observe_contacts([(r[0], *r[1:]) for r in rows("mmsi:412345678", [(t + i, 1500.0, 2500.0 + i, 1.0)
                                                                             for i in range(30)])])
    drive(core, "boat-01", [(t + i, 1500.0, 2500.0, 2.0) for i in range(30)])  # ours: no alert (but it left pa-1)
    found = alerts(core, rule="protection_zone_entry")
    assert [(a["unit_id"], a["severity"]) for a in found] == [("mmsi:412345678", "high")]


def test_one_failing_rule_never_stops_the_others(core):
    # a permit in the log whose hours are garbage (the log is the truth, even when a writer erred)
    core.record("t", [NewEvent("truck.permit_saved", {"unit_id": "truck-02", "plate": "桂B00002", "company": "c-ok",
                                                      "routes": ["r-1"], "sites": [], "hours": "?",
                                                      "windows": [["x", None]]}, "unit:truck-02")])
    t = local_ts("2026-12-03 23:00")
    drive(core, "truck-02", [(t + i, 15.0 * i, 0.0, 15.0) for i in range(30)])
    assert [a["rule"] for a in alerts(core)] == ["speeding"]
    assert core.ext["rules"].failures["outside_hours"] >= 1  # counted (and logged), never raised


def test_alerts_acknowledged_and_made_incidents_with_the_track_as_evidence(core, tmp_path):
    from dispatch.blobs import attachments_dir, blob_path
    from dispatch.store import NewEvent

    t = local_ts("2026-12-03 10:00")
    card = {"unit": "truck-01", "terminal": "013900000001", "read": "ok", "name": "韦建华",
            "certificate": "450200197001011234", "agency": "柳州市交通运输局", "valid_until": "2028-06-30"}
    core.record("system:jt808", [  # the truck's terminal read two drivers' cards that morning (JT/T 808 0x0702)
        NewEvent("jt808.driver_identity", {**card, "card": "inserted", "time": t - 3600, "name": "覃志强"}, "unit:truck-01"),
        NewEvent("jt808.driver_identity", {**card, "card": "removed", "time": t - 1800}, "unit:truck-01"),
        NewEvent("jt808.driver_identity", {**card, "card": "inserted", "time": t - 600}, "unit:truck-01")])
    from dispatch.blobs import store_blob

    photo = {"unit": "truck-01", "terminal": "013900000001", "media_type": "image", "format": "jpeg",
             "mime": "image/jpeg", "event": "platform_command", "channel": 1, "lat": None, "lon": None, "request": None}
    shots = [store_blob(attachments_dir(core), [b"\xff\xd8 photo %d \xff\xd9" % i]) for i in range(2)]
    core.record("system:jt808", [  # its camera: one photo an hour before (not evidence), one during the alert
        NewEvent("jt808.media_received", {**photo, "media_id": i + 1, "time": when, "sha256": sha, "size": size,
                                          "name": f"truck-01-ch1-{i + 1}.jpg"}, "unit:truck-01")
        for i, ((sha, size), when) in enumerate(zip(shots, (t - 3600, t + 120), strict=True))])
    drive(core, "truck-01", line(t, (-200, 0), (1500, 700), 10.0) + stay(t + 200, (1500, 700), 20 * 60))
    [a] = alerts(core)
    acked = call(core, "alert.acknowledge", {"alert_id": a["id"], "note": "看到了"}, actor="dispatcher:wang")
    assert acked["state"] == "acknowledged" and acked["ack_note"] == "看到了"
    with pytest.raises(Exception, match="acknowledged already"):
        call(core, "alert.acknowledge", {"alert_id": a["id"]}, actor="dispatcher:wang")
    made = call(core, "alert.incident", {"alert_id": a["id"], "minutes": 5}, actor="dispatcher:wang")
    inc = call(core, "incident.show", {"incident_id": made["incident_id"]}, actor="t")
    assert inc["category"] == "illegal_dumping" and inc["source"] == "alert" and inc["priority"] == "P1"
    assert (inc["lat"], inc["lon"]) == (a["lat"], a["lon"]) and "truck-01" in inc["text"]
    assert inc["address"] is None and inc["near"]["name"] == "城中区"  # off every zone: the place it was at
    att, shot = inc["attachments"]  # the track, and the photo its camera took then
    assert att["media_type"] == "application/geo+json" and made["evidence"]["points"] >= 600
    assert (shot["sha256"], shot["media_type"]) == (shots[1][0], "image/jpeg") and "camera 1" in shot["note"]
    assert [p["sha256"] for p in made["photos"]] == [shots[1][0]]
    import json

    doc = json.loads(blob_path(attachments_dir(core), att["sha256"]).read_bytes())
    said = doc["features"][0]["properties"]["driver"]  # who was at the wheel then, as evidence
    assert (said["name"], said["certificate"], said["time"]) == ("韦建华", "450200197001011234", t - 600)
    assert made["driver"] == said
    assert [p["sha256"] for p in doc["features"][0]["properties"]["photos"]] == [shots[1][0]]
    track = doc["features"][1]
    assert len(track["geometry"]["coordinates"]) == made["evidence"]["points"]
    assert min(track["properties"]["times"]) >= a["since"] - 5 * 60 - 1
    assert made["alert"]["state"] == "incident" and made["alert"]["incident_id"] == made["incident_id"]
    with pytest.raises(Exception, match="already"):
        call(core, "alert.incident", {"alert_id": a["id"]}, actor="dispatcher:wang")


def test_open_alerts_survive_a_restart_and_close_when_the_condition_clears(tmp_path):
    c = make_core(tmp_path)
    setup_city(c)
    t = local_ts("2026-12-03 10:00")
    drive(c, "boat-01", [(t + i, -1000.0 + 5 * i, 3100.0, 5.0) for i in range(90)])
    c.flush()
    c.close()
    c = make_core(tmp_path)
    drive(c, "boat-01", [(t + 90 + i, -1000.0, 3100.0, 5.0) for i in range(30)])  # still out: no second alert
    drive(c, "boat-01", [(t + 120 + i, -1000.0, 2500.0, 2.0) for i in range(90)])
    assert [(a["rule"], a["state"]) for a in alerts(c)] == [("left_patrol_area", "cleared")]
    c.close()


def test_vessels_gone_quiet_leave_no_row_behind_and_the_units_keep_their_state(core, monkeypatch):
    """Every subject heard has a row in the engine's arrays (dispatch/rules/batch.py); an AIS contact gone quiet
    is forgotten, and once many are, the rows are numbered again: the river's vessels of years do not pile up,
    and a unit's newest fix and stop, and a contact's open alert, carry over."""
    from dispatch.rules import engine as engine_module

    monkeypatch.setattr(engine_module, "COMPACT_AFTER", 50)
    call(core, "rules.config_set", {"config": {"stale_s": 40}}, actor="t")
    eng = core.ext["rules"]
    eng.timer_s = 0
    t = local_ts("2026-12-03 10:00")
    drive(core, "truck-02", [(t + i, 600.0, 0.0, 0.0) for i in range(5)])  # parked on its route: a stop begins
    stop = eng.stop_of("truck-02")
    assert stop is not None
    for k in range(4):  # 4 x 60 vessels passing, each heard once, then quiet; the truck's fixes drive the sweeps
        core.observe_contacts([(f"mmsi:41200{k}{c:03d}", t + 100 * k + 50, 24.2, 109.3, 3.0, 0.0, "ais")
                               for c in range(60)])
        drive(core, "truck-02", [(t + i, 600.0, 0.0, 0.0) for i in range(max(5, 100 * k), 100 * k + 100)])
    assert eng.last_ts_of("mmsi:412000001") is None  # forgotten
    lat, lon = FRAME.to_latlon(1500.0, 2500.0)  # one more, in the protection zone: its alert open while heard
    core.observe_contacts([("mmsi:412999999", t + 400 + i, lat, lon, 1.0, 0.0, "ais") for i in range(30)])
    [a] = alerts(core, rule="protection_zone_entry")
    assert a["state"] == "open" and a["unit_id"] == "mmsi:412999999"
    assert len(eng._uids) < 100, len(eng._uids)  # 242 subjects heard: the quiet vessels' rows dropped
    assert eng.stop_of("truck-02") == stop and eng.last_ts_of("truck-02") == t + 399  # carried over
    assert eng.last_ts_of("mmsi:412999999") == t + 429
    core.observe_contacts([("mmsi:412000001", t + 430, 24.2, 109.3, 3.0, 0.0, "ais")])  # a vessel back: a new row
    assert eng.last_ts_of("mmsi:412000001") == t + 430
