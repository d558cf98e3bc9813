"""Rules figures: every rule on every fix, alone and as a share of ingest.

The city: 500 zones over a 20 km square around Liuzhou (150 construction sites, 100 disposal sites, 100
routes with 60 m corridors and speed limits, 60 restricted areas with hours, 40 patrol areas, 50
protection zones) and 2,000 trucks of 20 companies, each permitted two routes, two sites and hours.
Every truck reports once a second (RMC + GGA, merged into one fix), driving along its first route or
parked, some of them off their routes, in restricted areas, at sites or in fields.

`rules_fixes_per_s`: the engine alone (membership, corridor distances, every check, debounce, alerts
recorded as they are raised) on batches of one second of the fleet.
`rules_ingest_ratio`: the feed path as `ingest_fixes_per_s` measures it (decode, bind, select,
`Dispatch.ingest`, flush into SQLite) with every rule on, divided by the same with the rules off,
alternating in the same run (best of each). Target: at least 0.8.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

from devices.nmea import encode
from devices.transports.base import RawLine, Transport
from dispatch.geo import LocalFrame

T0 = 1796259600.0  # 2026-12-03 09:00 in Liuzhou
FRAME = LocalFrame(24.33, 109.42)
KINDS = [("construction_site", 150), ("disposal_site", 100), ("route", 100), ("restricted", 60),
         ("patrol_area", 40), ("protection_zone", 50)]


def _ll(x: float, y: float) -> list[float]:
    lat, lon = FRAME.to_latlon(x, y)
    return [lon, lat]


def city(rng: random.Random) -> dict[str, Any]:
    feats = []
    n = 0
    for kind, count in KINDS:
        for _ in range(count):
            n += 1
            x, y = rng.uniform(-10_000, 10_000), rng.uniform(-10_000, 10_000)
            props: dict[str, Any] = {"kind": kind, "name": f"{kind}-{n}", "id": f"z{n}"}
            if kind == "route":
                pts = [(x, y)]
                for _ in range(6):
                    x, y = x + rng.uniform(300, 900), y + rng.uniform(-400, 400)
                    pts.append((x, y))
                geom = {"type": "LineString", "coordinates": [_ll(*p) for p in pts]}
                props.update(width_m=60, speed_limit_kmh=50)
            else:
                s = rng.uniform(150, 600)
                geom = {"type": "Polygon", "coordinates": [[_ll(x, y), _ll(x + s, y), _ll(x + s, y + s),
                                                            _ll(x, y + s), _ll(x, y)]]}
                if kind == "restricted":
                    props["hours"] = "07:00-09:30"
                if kind == "patrol_area":
                    props["units"] = [f"boat-{n}"]
            feats.append({"type": "Feature", "properties": props, "geometry": geom})
    return {"type": "FeatureCollection", "features": feats}


def setup(core: Any, trucks: int, rng: random.Random) -> list[tuple[float, float, float, float]]:
    """Zones, companies, permits; returns each truck's (x, y, vx, vy) start in metres and m/s."""
    from dispatch.ops import call

    doc = city(rng)
    call(core, "zones.import", {"geojson": doc}, actor="bench")
    call(core, "companies.import", {"companies": [{"id": f"c{i}", "name": f"c{i}", "valid_to": "2027-12-31"}
                                                  for i in range(20)]}, actor="bench")
    routes = [f for f in doc["features"] if f["properties"]["kind"] == "route"]
    sites = [f["properties"]["id"] for f in doc["features"] if f["properties"]["kind"].endswith("_site")]
    rows, starts = [], []
    for u in range(trucks):
        r = routes[u % len(routes)]
        rows.append({"plate": f"B{u:05d}", "unit_id": f"u{u}", "company": f"c{u % 20}",
                     "routes": f"{r['properties']['id']};{routes[(u + 7) % len(routes)]['properties']['id']}",
                     "sites": f"{sites[u % len(sites)]};{sites[(u * 3) % len(sites)]}",
                     "hours": "06:00-22:00"})
        (lon0, lat0), (lon1, lat1) = r["geometry"]["coordinates"][:2]
        x0, y0 = FRAME.to_xy(lat0, lon0)
        x1, y1 = FRAME.to_xy(lat1, lon1)
        d = max(1.0, ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5)
        v = 0.0 if u % 10 == 0 else rng.uniform(5, 15)  # one in ten parked
        off = 0.0 if u % 7 else rng.uniform(100, 300)  # one in seven off its route
        starts.append((x0 + off, y0, v * (x1 - x0) / d, v * (y1 - y0) / d))
    call(core, "trucks.import", {"trucks": rows}, actor="bench")
    return starts


class _Prefilled(Transport):
    kind = "bench"


def stream(starts: list[tuple[float, float, float, float]], t0: float, seconds: int) -> list[RawLine]:
    out = []
    for s in range(seconds):
        t = t0 + s
        for u, (x, y, vx, vy) in enumerate(starts):
            lat, lon = FRAME.to_latlon(x + vx * s, y + vy * s)
            speed = (vx * vx + vy * vy) ** 0.5
            out.append(RawLine(t, encode.rmc("GN", t, lat, lon, speed, 45.0), f"dev{u}"))
            out.append(RawLine(t, encode.gga("GN", t, lat, lon, 80.0, sats=10, hdop=0.9), f"dev{u}"))
    return out


def _core(d: str, trucks: int) -> tuple[Any, list[tuple[float, float, float, float]]]:
    from dispatch.core import Dispatch
    from dispatch.store import EventStore

    core = Dispatch(EventStore(f"sqlite:///{Path(d) / 'rules.db'}"))
    return core, setup(core, trucks, random.Random(11))


def fixes_per_s(trucks: int, seconds: int) -> tuple[float, int]:
    from dispatch.rules.ops import engine

    with tempfile.TemporaryDirectory() as d:
        core, starts = _core(d, trucks)
        eng = engine(core)
        batches = []
        for s in range(seconds + 1):
            batch = []
            for u, (x, y, vx, vy) in enumerate(starts):
                lat, lon = FRAME.to_latlon(x + vx * s, y + vy * s)
                batch.append((f"u{u}", T0 + s, lat, lon, (vx * vx + vy * vy) ** 0.5, 45.0, "bench"))
            batches.append(batch)
        eng.on_fixes(batches[0], False)  # the index is built on the first batch
        started = time.perf_counter()
        for b in batches[1:]:
            eng.on_fixes(b, False)
        elapsed = time.perf_counter() - started
        n = sum(len(b) for b in batches[1:])
        core.close()
    return n / elapsed, n


def ingest_ratio(trucks: int, seconds: int, rounds: int) -> tuple[float, float, float]:
    """(rate with rules on, rate with rules off, on / off): the feed path, alternating, best of each."""
    from dispatch.feeds.config import FeedSpec
    from dispatch.feeds.manager import FeedManager
    from dispatch.rules.ops import engine
    from dispatch.runtime import tune_runtime

    best = {True: 0.0, False: 0.0}
    with tempfile.TemporaryDirectory() as d:
        core, starts = _core(d, trucks)
        spec = FeedSpec("bench", "tcp-server", tcp_port=0, bind={f"dev{u}": f"u{u}" for u in range(trucks)})
        mgr = FeedManager(core)
        feed = mgr.add(spec, start=False, transport=_Prefilled("bench", queue_size=10_000_000))
        q = feed.transport
        t = T0
        q._push(stream(starts, t, 1))  # warm: decoders, bindings, the index
        while q._queue:
            mgr.pump_once()
        core.flush()
        tune_runtime()
        for r in range(2 * rounds):
            on = r % 2 == 0
            engine(core).enabled = on
            t += 1
            lines = stream(starts, t, seconds)
            t += seconds
            n0 = core.fixes_ingested
            q._push(lines)
            started = time.perf_counter()
            while q._queue:
                mgr.pump_once()
            core.flush()
            rate = (core.fixes_ingested - n0) / (time.perf_counter() - started)
            best[on] = max(best[on], rate)
        core.close()
    return best[True], best[False], best[True] / best[False]


def run(quick: bool) -> dict[str, float | int]:
    trucks = 2000
    rate, n = fixes_per_s(trucks, 5 if quick else 30)
    on, off, ratio = ingest_ratio(trucks, 5 if quick else 15, 2 if quick else 3)
    return {
        "rules_fixes_per_s": round(rate),
        "rules_fixes": n,
        "rules_zones": sum(c for _, c in KINDS),
        "rules_trucks": trucks,
        "rules_ingest_on_fixes_per_s": round(on),
        "rules_ingest_off_fixes_per_s": round(off),
        "rules_ingest_ratio": round(ratio, 3),
    }
