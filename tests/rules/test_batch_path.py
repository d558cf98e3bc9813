"""The batch path (dispatch/rules/batch.py: a batch in rounds where no unit repeats, numpy for the per-unit state)
makes the same alerts, in the same order, as the fix-by-fix loop, on a random city where every rule fires."""

from __future__ import annotations

import random

from dispatch.ops import call
from dispatch.rules import bench
from dispatch.rules.alerts import alert_book
from dispatch.rules.ops import engine
from tests.rules.helpers import make_core

START = bench.T0 - 3 * 3600 - 3 * 60  # 05:57 local: trucks driving before their hours begin at 06:00


def _city(core, seed):
    rng = random.Random(seed)
    fleet = bench.setup(core, 150, rng)
    call(core, "companies.import", {"companies": [  # one in five trucks' company ran out of permit
        {"id": f"c{i}", "name": f"c{i}", "valid_to": "2026-06-30" if i % 5 == 0 else "2027-12-31"}
        for i in range(20)]}, actor="t")
    feats = bench.city(random.Random(seed))["features"]  # the city setup() made (its rng's first draws)
    patrol = [f for f in feats if f["properties"]["kind"] == "patrol_area"]
    protected = [f["geometry"]["coordinates"][0][0] for f in feats if f["properties"]["kind"] == "protection_zone"]
    boats = [u for f in patrol for u in f["properties"]["units"]][:6]
    core.register_units("t", [{"id": b, "name": b, "kind": "patrol_boat"} for b in boats])
    call(core, "rules.config_set", {"config": {"dumping_stop_min": 1, "clear_s": 20, "stale_s": 40,
                                               "corridor_deviation_s": 10, "outside_hours_s": 10}}, actor="t")
    return fleet, boats, protected


def _batches(fleet, boats, protected, seed):
    """One second of the fleet per batch; some trucks fall silent for a while, some fixes come late, a jump of
    an hour (everyone silent: stale), AIS contacts through the zones."""
    rng = random.Random(seed)
    out = []
    for part, t0 in enumerate((START, START + 3600)):
        for s in range(150):
            t = t0 + s
            batch = []
            for u, truck in enumerate(fleet):
                if (u + part) % 11 == 0 and 30 <= s < 90:
                    continue  # silent for a minute
                x, y, speed = truck.at(t - bench.T0)
                if u % 13 == 0 and 20 <= s < 100:
                    y += 150.0  # off its corridor for a while, then back
                ts = t - 3 if rng.random() < 0.01 else t  # a late fix now and then
                lat, lon = bench.FRAME.to_latlon(x + rng.uniform(-3, 3), y + rng.uniform(-3, 3))
                v = speed * (1.6 if u % 3 == 0 else 1.0) if rng.random() > 0.02 else None  # some too fast
                batch.append((f"u{u}", ts, lat, lon, v, 45.0, "t"))
            for b in boats:
                lat, lon = bench.FRAME.to_latlon(rng.uniform(-9000, 9000), rng.uniform(-9000, 9000))
                batch.append((b, t, lat, lon, 3.0, 0.0, "t"))
            rng.shuffle(batch)
            contacts = []
            for c, (lon0, lat0) in enumerate(protected[:20]):  # a corner of a protection zone, then inside
                d = 0.0004 if 20 <= s < 80 else -0.002
                lat, lon = lat0 + d, lon0 + d
                contacts.append((f"mmsi:4123{c:05d}", t, lat, lon, 4.0, 0.0, "ais"))
            out.append((batch, contacts))
    merged, i = [], 0
    while i < len(out):  # one to four seconds a batch (a unit repeats in most: the batch path's rounds)
        j = i + rng.randint(1, 4)
        merged.append(([r for b, _ in out[i:j] for r in b], [c for _, cs in out[i:j] for c in cs]))
        i = j
    return merged


def _alerts(core):
    return [{k: v for k, v in a.items() if k != "recorded"} for _, a in sorted(alert_book(core.state).alerts.items())]


def test_the_batch_path_raises_and_clears_what_the_fix_loop_does(tmp_path, monkeypatch):
    """... and so does the batch path reading the columns the feed parsed (dispatch.core.FixRows), and the batch
    path judging each batch in parts (dispatch/rules/engine.py PART: here parts of 97 fixes, batches of 150-630)."""
    from dispatch.core import FixRows
    from dispatch.rules import engine as engine_module

    cores = []
    for name, batch_path, columns in (("loop.db", False, False), ("batch.db", True, False), ("cols.db", True, True),
                                      ("parts.db", True, True)):
        monkeypatch.setattr(engine_module, "PART", 97 if name == "parts.db" else 4096)
        core = make_core(tmp_path, name)
        fleet, boats, protected = _city(core, 5)
        eng = engine(core)
        eng.batch_path = batch_path
        eng.timer_s = 0  # no timer thread: the sweeps come from the fixes' own time only
        for batch, contacts in _batches(fleet, boats, protected, 9):
            core.ingest(FixRows(batch, tuple(map(list, zip(*batch, strict=True)))) if columns else batch)
            core.observe_contacts(contacts)
        cores.append(core)
    loop, fast, cols, parts = (_alerts(c) for c in cores)
    assert cols == fast and parts == fast
    rules = {a["rule"] for a in loop}
    assert rules >= {"corridor_deviation", "suspected_dumping", "permit_expired", "outside_hours", "speeding",
                     "left_patrol_area", "protection_zone_entry", "stale"}, rules
    assert any(not a["active"] for a in loop)  # some cleared too
    assert len(fast) == len(loop)
    assert fast == loop
    for c in cores:
        assert not engine(c).failures
        c.close()


def test_corridor_distances_by_numpy_are_shapelys(tmp_path):
    import numpy as np
    import shapely

    core = make_core(tmp_path)
    doc = bench.city(random.Random(3))
    doc["features"].append({"type": "Feature", "properties": {"kind": "route", "name": "two parts", "width_m": 40},
                            "geometry": {"type": "MultiLineString", "coordinates": [
                                [bench._ll(0, 0), bench._ll(500, 0), bench._ll(500, 0), bench._ll(900, 300)],
                                [bench._ll(-400, -400), bench._ll(-400, 600)]]}})
    call(core, "zones.import", {"geojson": doc}, actor="t")
    idx = engine(core)._prepare()
    routes = np.array(sorted(idx.lines))
    rng = np.random.default_rng(4)
    r = rng.choice(routes, 50_000)
    x, y = rng.uniform(-11_000, 16_000, 50_000), rng.uniform(-11_000, 11_000, 50_000)
    x[:5000] = rng.uniform(-500, 1000, 5000)  # near the two-part route
    y[:5000] = rng.uniform(-500, 700, 5000)
    r[:5000] = routes[-1] if idx.kind[routes[-1]] == "route" else r[:5000]
    want = np.maximum(shapely.distance(shapely.points(x, y), idx.line_arr[r]) - idx.half_width[r], 0.0)
    got = idx.corridor_distance(x, y, r)
    assert (got == 0).any() and (got > 0).any()
    np.testing.assert_array_equal(got, want)
    core.close()


def test_the_grids_membership_is_contains_for_every_zone(tmp_path):
    """Cells wholly inside a zone answer without a test: the pairs are still exactly contains_xy's, on random
    points, on the zones' corners and edges and on the grid's cell borders."""
    import numpy as np
    import shapely

    core = make_core(tmp_path)
    call(core, "zones.import", {"geojson": bench.city(random.Random(8))}, actor="t")
    idx = engine(core)._prepare()
    rng = np.random.default_rng(2)
    corners = shapely.get_coordinates(idx.geoms)
    gx = idx.gx0 + idx.cell * rng.integers(0, idx.ncx, 20_000)
    x = np.concatenate([rng.uniform(-11_000, 11_000, 60_000), corners[:, 0], gx,
                        (corners[:-1, 0] + corners[1:, 0]) / 2])
    y = np.concatenate([rng.uniform(-11_000, 11_000, 60_000), corners[:, 1], rng.uniform(-11_000, 11_000, 20_000),
                        (corners[:-1, 1] + corners[1:, 1]) / 2])
    fi, zi = idx.pairs(x, y)
    inside = shapely.contains_xy(idx.geoms[None, :], x[:, None], y[:, None])
    want_f, want_z = np.nonzero(inside)
    assert len(fi) > 10_000
    np.testing.assert_array_equal(fi, want_f)
    np.testing.assert_array_equal(zi, want_z)
    assert idx.cell_inner.any()
    core.close()
