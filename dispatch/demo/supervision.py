"""The demo city's supervision papers: the zones, transport companies and truck permits a bureau keeps on
file, so that the Zones tab, the truck cards and the truck rules have something to show in the demo.

Filed once, through the ordinary operations (`zones.import`, `companies.import`, `trucks.import`), on a
store that has no zones, companies or permits yet. What it holds, and the alerts it makes on the simulated
fleet (a few an hour, not a flood):
- every construction site and disposal site as a site zone, around the place and the road where the
  trucks wait;
- three companies: two with papers valid for a year, one whose transport permit expired five days before
  the demo was first started (its two trucks raise "permit expired");
- a permit for each of the 40 trucks naming its two sites; the first twelve (one per construction site)
  also name their route, a corridor 60 m wide along the roads they drive. Truck 5's permit names the
  route to another disposal site than the one it drives to: it leaves its corridor on every trip;
- truck 9 may drive only at night (22:00-06:00) and truck 21 only by day (06:00-22:00): at any hour one
  of them drives outside its hours;
- two restricted areas: one all day (Jianpan hill's scenic area, crossed by one truck's road) and one at
  school times (the Yaru quarter, crossed by three).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.city.data import City, load_city
from dispatch.demo.fleet import TRUCKS, trip_route, truck_trip
from dispatch.geo import LocalFrame

log = logging.getLogger(__name__)

ROUTED = 12  # trucks 1..12 have their route on their permit
ROUTE_WIDTH_M = 60.0
OFF_ROUTE = 5  # truck-05's permit names another disposal site's route
NIGHT_ONLY, DAY_ONLY = 9, 21
EXPIRED = (39, 40)  # trucks of the company whose permit expired

COMPANIES = (
    ("co-xincheng", "柳州市鑫城渣土运输有限公司", "柳渣准字2026第0107号"),
    ("co-guitong", "柳州市桂通建筑垃圾清运有限公司", "柳渣准字2026第0213号"),
    ("co-shunda", "柳州市顺达土石方工程有限公司", "柳渣准字2025第0988号"),
)
# (patrol zone whose area it lies in, name, hours or None for all day)
RESTRICTED = (
    ("patrol-7", "箭盘山景区渣土车禁行区", None),
    ("patrol-3", "雅儒片区学校周边禁行区", "07:00-08:30,16:30-18:00"),
)


def _box(points: list[tuple[float, float]], margin_m: float) -> dict[str, Any]:
    """A rectangle (GeoJSON Polygon) around (lat, lon) points, `margin_m` beyond them on every side."""
    frame = LocalFrame(*points[0])
    xy = [frame.to_xy(lat, lon) for lat, lon in points]
    x0, x1 = min(p[0] for p in xy) - margin_m, max(p[0] for p in xy) + margin_m
    y0, y1 = min(p[1] for p in xy) - margin_m, max(p[1] for p in xy) + margin_m
    corners = [frame.to_latlon(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))]
    return {"type": "Polygon", "coordinates": [[[round(lon, 6), round(lat, 6)] for lat, lon in corners]]}


def _feature(zid: str, kind: str, name: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"id": zid, "kind": kind, "name": name, **props}, "geometry": geometry}


def _route_id(site: Any, dump: Any) -> str:
    return f"route-{site.id}-{dump.id}"


def permitted_route(city: City, i: int) -> tuple[Any, Any]:
    """The (site, disposal site) whose route truck ``i`` (from 0) has on its permit."""
    site, dump = truck_trip(city, i)
    if i + 1 == OFF_ROUTE:
        dumps = city.disposal_sites
        dump = dumps[(dumps.index(dump) + 1) % len(dumps)]
    return site, dump


def demo_zones(city: City) -> dict[str, Any]:
    """The demo's zones as a FeatureCollection (what `zones.import` takes)."""
    features = []
    for site in city.construction_sites + city.disposal_sites:
        here = (site.geometry.y, site.geometry.x)
        road = city.nearest_road_node(*here)  # where a truck waits: inside the site
        kind = "construction_site" if site in city.construction_sites else "disposal_site"
        features.append(_feature(f"zone-{site.id}", kind, site.name,
                                 _box([here, road], 60.0 if kind == "construction_site" else 120.0)))
    routes: dict[str, Any] = {}
    for i in range(ROUTED):
        site, dump = permitted_route(city, i)
        if _route_id(site, dump) not in routes:
            line = [[round(lon, 6), round(lat, 6)] for lat, lon in trip_route(city, site, dump)]
            routes[_route_id(site, dump)] = _feature(_route_id(site, dump), "route", f"{site.name}至{dump.name}运输线路",
                                                     {"type": "LineString", "coordinates": line},
                                                     width_m=ROUTE_WIDTH_M)
    features += routes.values()
    zones = {z.id: z for z in city.patrol_zones}
    for n, (within, name, hours) in enumerate(RESTRICTED, 1):
        area = zones.get(within)
        if area is None:
            continue
        inner = area.geometry.buffer(-0.0008)  # inside the patrol zone's outline, not on it
        inner = inner if inner.geom_type == "Polygon" and not inner.is_empty else area.geometry
        ring = [[round(x, 6), round(y, 6)] for x, y in inner.exterior.coords]
        props = {"hours": hours} if hours else {}
        features.append(_feature(f"zone-restricted-{n}", "restricted", name,
                                 {"type": "Polygon", "coordinates": [ring]}, **props))
    return {"type": "FeatureCollection", "features": features}


def demo_companies(today: datetime) -> list[dict[str, Any]]:
    """The three transport companies; the third's permit expired five days before `today`."""
    out = []
    for cid, name, permit in COMPANIES:
        expired = cid == COMPANIES[2][0]
        start = today - timedelta(days=370 if expired else 30)
        end = today - timedelta(days=5) if expired else today + timedelta(days=335)
        out.append({"id": cid, "name": name, "permit_no": permit,
                    "valid_from": start.date().isoformat(), "valid_to": end.date().isoformat()})
    return out


def demo_permits(city: City, plates: dict[str, str]) -> list[dict[str, Any]]:
    """A permit for each demo truck registered (`plates`: unit id -> plate)."""
    out = []
    for i in range(TRUCKS):
        uid = f"truck-{i + 1:02d}"
        if uid not in plates:
            continue
        site, dump = truck_trip(city, i)
        company = COMPANIES[2 if i + 1 in EXPIRED else 0 if i < ROUTED else 1][0]
        permit: dict[str, Any] = {"unit_id": uid, "plate": plates[uid], "company": company,
                                  "sites": [f"zone-{site.id}", f"zone-{dump.id}"]}
        if i < ROUTED:
            psite, pdump = permitted_route(city, i)
            permit["routes"] = [_route_id(psite, pdump)]
            permit["sites"] = [f"zone-{psite.id}", f"zone-{pdump.id}"]
        if i + 1 == NIGHT_ONLY:
            permit["hours"] = "22:00-06:00"
        elif i + 1 == DAY_ONLY:
            permit["hours"] = "06:00-22:00"
        out.append(permit)
    return out


def file_demo_supervision(core: Any, city: City | None = None, actor: str = "system:demo") -> bool:
    """File the demo's zones, companies and permits through the ordinary operations, once: only on a store
    with no zone, company or permit yet (the demo restarts on the same store every launch, and a bureau's
    own papers are never mixed with the demo's). Returns whether it filed them."""
    from dispatch import ops
    from dispatch.zones.book import zone_book

    ops.load_features()
    if "zones.import" not in ops.OPERATIONS:
        return False
    with core.lock:
        b = zone_book(core.state)
        if b.zones or b.companies or b.permits:
            return False
        tz = b.tz
        plates = {u.id: u.name for u in core.state.units.values() if u.id.startswith("truck-")}
    city = city or load_city()
    today = datetime.fromtimestamp(core.clock(), ZoneInfo(tz))
    ops.call(core, "zones.import", {"geojson": demo_zones(city), "source": "the demo city"}, actor=actor)
    ops.call(core, "companies.import", {"companies": demo_companies(today)}, actor=actor)
    if plates:
        ops.call(core, "trucks.import", {"trucks": demo_permits(city, plates)}, actor=actor)
    log.info("demo city: supervision zones, companies and permits filed")
    return True
