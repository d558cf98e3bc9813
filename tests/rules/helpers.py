"""Zones, permits and tracks shared by the rules tests: a small made-up district east of Liuzhou's centre."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dispatch.core import Dispatch
from dispatch.geo import LocalFrame
from dispatch.store import EventStore

SHANGHAI = ZoneInfo("Asia/Shanghai")
FRAME = LocalFrame(24.30, 109.40)  # x east, y north, metres


def ll(x: float, y: float) -> list[float]:
    """[lon, lat] of a point x m east and y m north of the frame's origin (GeoJSON order)."""
    lat, lon = FRAME.to_latlon(x, y)
    return [round(lon, 7), round(lat, 7)]


def box(x0: float, y0: float, x1: float, y1: float) -> list[list[list[float]]]:
    return [[ll(x0, y0), ll(x1, y0), ll(x1, y1), ll(x0, y1), ll(x0, y0)]]


def feature(kind: str, name: str, geometry: dict, **props: object) -> dict:
    return {"type": "Feature", "properties": {"kind": kind, "name": name, **props}, "geometry": geometry}


def polygon(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": box(x0, y0, x1, y1)}


def city_zones() -> dict:
    """A construction site, a disposal site, a route between them along y=0, a restricted school area,
    a patrol area for boat-01 and a protection zone; a speed limit on the route."""
    return {"type": "FeatureCollection", "features": [
        feature("construction_site", "工地A", polygon(-300, -100, -100, 100), id="cs-a"),
        feature("disposal_site", "东环消纳场", polygon(3000, -150, 3300, 150), id="ds-east"),
        feature("route", "A到消纳场", {"type": "LineString", "coordinates": [ll(-100, 0), ll(3000, 0)]},
                id="r-1", width_m=60, speed_limit_kmh=40),
        feature("restricted", "实验小学", polygon(1000, 500, 1400, 900), id="rx-school", hours="07:00-09:00"),
        feature("restricted", "夜间禁行区", polygon(1000, -900, 1400, -500), id="rx-night", hours="22:00-06:00"),
        feature("patrol_area", "柳江段一", polygon(-2000, 2000, 0, 3000), id="pa-1", units=["boat-01"]),
        feature("protection_zone", "水源保护区", polygon(1000, 2000, 2000, 3000), id="pz-1"),
    ]}


def local_ts(text: str) -> float:
    """Epoch of a Shanghai wall-clock time "2026-12-03 10:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).timestamp()


def make_core(tmp_path: Path, name: str = "rules.db", **kw: object) -> Dispatch:
    return Dispatch(EventStore(f"sqlite:///{tmp_path / name}"), **kw)  # type: ignore[arg-type]


def write_json(path: Path, doc: object) -> str:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(path)


def setup_city(core: Dispatch) -> None:
    """The city's zones, two companies (one whose permit ran out) and the trucks and boats of the tests."""
    from dispatch.ops import call

    call(core, "zones.import", {"geojson": city_zones()}, actor="t")
    call(core, "companies.import", {"companies": [
        {"id": "c-ok", "name": "柳州渣土运输公司", "permit_no": "ZT-1", "valid_from": "2026-01-01",
         "valid_to": "2027-12-31"},
        {"id": "c-old", "name": "过期运输公司", "permit_no": "ZT-0", "valid_to": "2026-06-30"},
    ]}, actor="t")
    call(core, "trucks.import", {"trucks": [
        {"plate": "桂B00001", "unit_id": "truck-01", "company": "c-ok", "sites": "cs-a;ds-east"},  # no route
        {"plate": "桂B00002", "unit_id": "truck-02", "company": "c-ok", "routes": "r-1", "sites": "cs-a;ds-east"},
        {"plate": "桂B00003", "unit_id": "truck-03", "company": "c-ok", "hours": "22:00-06:00"},
        {"plate": "桂B00004", "unit_id": "truck-04", "company": "c-old"},
        {"plate": "桂B00005", "unit_id": "truck-05", "company": "c-ok", "valid_to": "2026-12-02"},
    ]}, actor="t")
    core.register_units("t", [{"id": "truck-09", "name": "桂B00009", "kind": "truck"},
                              {"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"},
                              {"id": "boat-02", "name": "巡逻艇02", "kind": "patrol_boat"}])


def rows(uid: str, points: list[tuple[float, float, float, float | None]]) -> list[tuple]:
    """Ingest rows from (ts, x, y, speed m/s) in the test frame."""
    out = []
    for ts, x, y, speed in points:
        lat, lon = FRAME.to_latlon(x, y)
        out.append((uid, ts, lat, lon, speed, 90.0, "test"))
    return out


def line(t0: float, a: tuple[float, float], b: tuple[float, float], speed: float) -> list[tuple]:
    """Points once a second from a to b at `speed` m/s, starting at t0 (a included, b excluded)."""
    import math

    d = math.dist(a, b)
    n = max(1, int(d / speed))
    return [(t0 + i, a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n, speed) for i in range(n)]


def stay(t0: float, at: tuple[float, float], seconds: int, jitter: float = 4.0) -> list[tuple]:
    """Stopped at `at` for `seconds`, the fix wandering a few metres as a parked receiver's does."""
    import math

    return [(t0 + i, at[0] + jitter * math.sin(i * 0.7), at[1] + jitter * math.cos(i * 1.3), 0.1)
            for i in range(seconds)]


def alerts(core: Dispatch, **kw: object) -> list[dict]:
    from dispatch.ops import call

    return call(core, "alerts", dict(kw), actor="t")  # type: ignore[no-any-return]
