"""The built-in demo city: the fleet of Liuzhou's bureau, moving along the river and the roads.

8 patrol boats and 6 cleaning vessels on the Liujiang (AIS transponders), 30 officers on foot
in their patrol zones (phones, NMEA), 40 construction-waste trucks between construction sites
and disposal sites (terminals, NMEA). The devices speak real sentences that go through the
same decoding path as a live feed. One truck's terminal drops out for a few minutes, as real
ones do, so the stale marking is visible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from shapely.geometry import LineString, Polygon
from shapely.ops import substring

from devices.sim.fleet import FleetSimulator, SimTrack
from dispatch.city.data import City, load_city

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯邓曹彭"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "军", "杰", "涛", "明", "超", "秀英", "华", "强", "平", "刚",
         "桂兰", "建国", "志强", "海燕", "晓东", "丽", "鹏", "俊", "婷", "斌", "宁", "凯"]
TRUCK_LETTERS = "ABCDEFGHJK"
TRUCKS = 40


@dataclass(frozen=True)
class DemoUnit:
    id: str
    name: str
    kind: str
    callsign: str | None = None
    mmsi: int | None = None
    home: str | None = None
    terminal: str | None = None  # a truck's JT/T 808 terminal number (`simulate --jt808` speaks for it)

    def registration(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "name": self.name, "kind": self.kind}
        if self.callsign:
            d["callsign"] = self.callsign
        if self.mmsi:
            d["mmsi"] = self.mmsi
        if self.home:
            d["home"] = self.home
        d["attributes"] = {"source": f"demo:{self.id}"}
        if self.terminal:
            d["attributes"]["terminal"] = self.terminal
        return d


def _latlon(line: LineString) -> list[tuple[float, float]]:
    return [(c[1], c[0]) for c in line.coords]


def _ring(poly: Polygon, inset_deg: float) -> list[tuple[float, float]]:
    shrunk = poly.buffer(-inset_deg)
    if shrunk.is_empty or shrunk.geom_type != "Polygon":
        shrunk = poly
    return [(c[1], c[0]) for c in shrunk.exterior.coords]


def build_demo(city: City | None = None, *, seed: int = 2026) -> tuple[list[DemoUnit], list[SimTrack]]:
    """The demo fleet: its units (for registration) and one simulated device per unit."""
    city = city or load_city()
    rng = random.Random(seed)
    units: list[DemoUnit] = []
    tracks: list[SimTrack] = []
    river = city.centerline
    docks = city.docks

    for i in range(8):
        uid = f"boat-{i + 1:02d}"
        mmsi = 413_801_000 + i + 1
        start = (i / 8.0) * 0.7
        part = substring(river, start, min(1.0, start + 0.3), normalized=True)
        units.append(DemoUnit(uid, f"巡逻艇{i + 1:02d}", "patrol_boat", f"柳江巡{i + 1:02d}", mmsi,
                              docks[i % len(docks)].id if docks else None))
        tracks.append(SimTrack(f"demo:{uid}", _latlon(part), rng.uniform(4.0, 6.5), protocol="ais", mmsi=mmsi,
                               ais_class="A", shipname=f"LJ XUNLUO {i + 1:02d}", start=rng.random(),
                               interval_s=2.0, jitter_m=2.0))
    segments = city.segments or []
    for i in range(6):
        uid = f"vessel-{i + 1:02d}"
        mmsi = 413_802_000 + i + 1
        if segments:
            line = segments[i % len(segments)].geometry
        else:
            line = substring(river, i / 6.0, (i + 1) / 6.0, normalized=True)
        units.append(DemoUnit(uid, f"保洁船{i + 1:02d}", "cleaning_vessel", f"柳江洁{i + 1:02d}", mmsi,
                              docks[i % len(docks)].id if docks else None))
        tracks.append(SimTrack(f"demo:{uid}", _latlon(line), rng.uniform(1.2, 2.2), protocol="ais", mmsi=mmsi,
                               ais_class="B", shipname=f"LJ BAOJIE {i + 1:02d}", start=rng.random(),
                               interval_s=3.0, jitter_m=2.0))
    zones = city.patrol_zones
    for i in range(30):
        uid = f"officer-{i + 1:02d}"
        name = f"执法队员 {SURNAMES[i % len(SURNAMES)]}{GIVEN[(i * 7) % len(GIVEN)]}"
        zone = zones[i % len(zones)]
        ring = _ring(zone.geometry, 0.0006 + 0.0004 * (i // len(zones)))
        units.append(DemoUnit(uid, name, "officer", f"城管{i + 1:03d}", home=zone.id))
        tracks.append(SimTrack(f"demo:{uid}", ring, rng.uniform(1.1, 1.6), talker=rng.choice(["GN", "GP", "BD"]),
                               pingpong=False, start=rng.random(), interval_s=2.0, jitter_m=4.0))
    for i in range(TRUCKS):
        uid = f"truck-{i + 1:02d}"
        plate = f"桂B·{TRUCK_LETTERS[i % len(TRUCK_LETTERS)]}{rng.randint(1000, 9999)}"
        a, b = truck_trip(city, i)
        route = trip_route(city, a, b)
        units.append(DemoUnit(uid, plate, "truck", plate, home=a.id, terminal=truck_terminal(i + 1)))
        silent = (90.0, 300.0) if i == 7 else None  # one terminal drops out for a while
        tracks.append(SimTrack(f"demo:{uid}", route, rng.uniform(7.0, 11.0), talker=rng.choice(["GP", "BD", "GN"]),
                               start=rng.random(), dwell_s=rng.uniform(30, 90), interval_s=1.0, silent=silent,
                               jitter_m=3.0))
    return units, tracks


def truck_trip(city: City, i: int) -> tuple[Any, Any]:
    """The construction site and the disposal site demo truck ``i`` (from 0) drives between."""
    sites, dumps = city.construction_sites, city.disposal_sites
    return sites[i % len(sites)], dumps[(i * 3 + i // len(sites)) % len(dumps)]


def trip_route(city: City, a: Any, b: Any) -> list[tuple[float, float]]:
    """The road path (lat, lon) a truck takes from place ``a`` to place ``b``."""
    route = city.road_route((a.geometry.y, a.geometry.x), (b.geometry.y, b.geometry.x))
    return route if len(route) >= 2 else [(a.geometry.y, a.geometry.x), (b.geometry.y, b.geometry.x)]


def demo_simulator(city: City | None = None, *, t0: float | None = None,
                   without: tuple[str, ...] = ()) -> tuple[list[DemoUnit], FleetSimulator]:
    """The demo fleet and the simulator of its receivers; the units of the kinds in ``without`` get
    no simulated receiver (trucks, when a JT/T 808 gateway runs: their terminals speak for them)."""
    units, tracks = build_demo(city)
    return units, FleetSimulator([t for u, t in zip(units, tracks, strict=True) if u.kind not in without], t0=t0)


def truck_terminal(i: int) -> str:
    """The JT/T 808 terminal number of demo truck ``i`` (from 1): 0139 0000 00NN, as `simulate --jt808` numbers them."""
    return f"01390000{i:04d}"


@dataclass(frozen=True)
class DemoReport:
    """A report filed when the demo city starts on an empty store, so its queue is not empty."""

    category: str
    priority: str
    lat: float
    lon: float
    text: str
    source: str
    address: str | None = None
    reporter: str | None = None

    def args(self) -> dict[str, Any]:
        """The report as `incident.create`'s arguments."""
        return {"category": self.category, "priority": self.priority, "lat": self.lat, "lon": self.lon,
                "text": self.text, "source": self.source, "address": self.address, "reporter": self.reporter}


def demo_reports(city: City | None = None) -> list[DemoReport]:
    """A few open reports across the city: on the water (for boats and cleaning vessels) and on land
    (for officers and trucks), each where its category happens (water reports on the river, the rest
    beside a site or a patrol zone)."""
    city = city or load_city()
    reports: list[DemoReport] = []
    lat, lon, _ = city.point_along_river(0.32)
    reports.append(DemoReport("floating_garbage", "P2", lat, lon, "江面漂浮垃圾约20平方米，顺流向下游移动",
                              "hotline", segment_name(city, lat, lon), "市民 李先生"))
    lat, lon, _ = city.point_along_river(0.71)
    reports.append(DemoReport("illegal_fishing", "P3", lat, lon, "有人在禁渔区电鱼", "patrol",
                              segment_name(city, lat, lon), "巡逻艇03"))
    if city.construction_sites:
        site = city.construction_sites[0]
        lat, lon = site.geometry.y + 0.0012, site.geometry.x + 0.0008
        if not city.is_water(lat, lon):
            reports.append(DemoReport("construction_waste_spill", "P1", lat, lon, "渣土车沿路抛洒，路面约50米",
                                      "video", f"{site.name}附近", "视频巡查"))
    if city.patrol_zones:
        zone = city.patrol_zones[min(2, len(city.patrol_zones) - 1)]
        c = zone.geometry.centroid
        if not city.is_water(c.y, c.x):
            reports.append(DemoReport("street_vending", "P4", c.y, c.x, "占道经营，影响通行", "web",
                                      zone.name, "张女士"))
    return reports


def segment_name(city: City, lat: float, lon: float) -> str | None:
    """The cleaning segment nearest a point on the river, as the hotline operator would name the place."""
    from shapely.geometry import Point

    p = Point(lon, lat)
    seg = min(city.segments, key=lambda s: s.geometry.distance(p), default=None)
    return seg.name if seg else None


def file_demo_reports(core: Any, city: City | None = None, actor: str = "system:demo", *, after: int = 0) -> list[int]:
    """File `demo_reports` through the ordinary operation, once: only on a store that has no incident numbered
    above `after` yet (the demo is restarted on the same store every launch; `after`: the last of the demo's past
    week, filed just before on a new store: dispatch/demo/week.py). Returns the new incidents' ids."""
    from dispatch import ops
    from dispatch.incidents.book import book

    if any(i > after for i in book(core.state).items):
        return []
    ids = []
    for r in demo_reports(city):
        if r.source == "web" and "citizens.file" in ops.OPERATIONS:  # a citizen on the page: an Open311 request
            fields = citizen_fields(r.category, r.lat, r.lon, r.text, r.address, r.reporter)
            ids.append(int(file_on_page(core, fields)["service_request_id"]))
        else:
            ids.append(ops.call(core, "incident.create", r.args(), actor=actor)["id"])
    return ids


def citizen_fields(category: str, lat: float, lon: float, text: str, address: str | None,
                   name: str | None) -> dict[str, Any]:
    """A demo citizen's report as Open311's POST requests names its fields."""
    return {"service_code": category, "lat": lat, "long": lon, "description": text, "address_string": address,
            "first_name": name, "attributes": {}}


def file_on_page(core: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """File `fields` as the citizen page files a report (its key, source web, actor citizen:web)."""
    from dispatch.citizens.ops import file_request
    from dispatch.citizens.page import PAGE_KEY

    return file_request(core, "citizen:web", fields, key_name=PAGE_KEY, source="web")
