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
