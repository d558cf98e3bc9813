"""The gazetteer's places and operations: the city's named features, the intersections of its named roads,
and the bureau's imported places (GeoJSON points or CSV rows), searched by `places.search`.

Event kinds (entity "places"): place.imported {places: [{id, name, name_en, kind, lat, lon, aliases}]}.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import threading
from typing import Any

from dispatch.changes import Changes
from dispatch.errors import Refused
from dispatch.gazetteer.search import Entry, keys_of, search
from dispatch.ops import op
from dispatch.state import State, applies
from dispatch.store import Event, NewEvent

EXT = "places"
KINDS_OF_LAYER = {"river_segment": "segment", "bridge": "bridge", "road": "road", "district": "district",
                  "construction_site": "site", "disposal_site": "site", "dock": "dock", "patrol_zone": "patrol_zone"}
MAX_IMPORT = 50_000

_city_lock = threading.Lock()
_city_entries: list[Entry] | None = None


def city_entries() -> list[Entry]:
    """The demo city's named features and its road intersections (built once)."""
    global _city_entries
    with _city_lock:
        if _city_entries is None:
            _city_entries = _build_city()
        return _city_entries


def _build_city() -> list[Entry]:
    from dispatch.city.data import load_city

    city = load_city()
    out: list[Entry] = []
    for f in city.raw.get("features", []):
        p = f.get("properties") or {}
        kind = KINDS_OF_LAYER.get(p.get("layer", ""))
        if kind is None or not p.get("name"):
            continue
        place = city.place(p["id"]) if p.get("id") else None
        if place is None:
            continue
        lat, lon = place.latlon
        out.append(Entry(p["id"], p["name"], kind, lat, lon, p.get("name_en", ""), "city",
                         keys_of(p["name"], p.get("name_en", ""))))
    for ident, name, en, lat, lon, aliases in road_crossings():
        out.append(Entry(ident, name, "intersection", lat, lon, en, "city", keys_of(name, en, aliases)))
    return out


@functools.cache
def road_crossings() -> list[tuple[str, str, str, float, float, tuple[str, ...]]]:
    """The crossings of the city's named roads, each pair of streets once: (id, "X与Y交叉口", "X & Y", lat, lon,
    the other spellings searched). Built once; no search keys (pypinyin is slow to load: near.py needs only these)."""
    from shapely.geometry import Point

    from dispatch.city.data import load_city

    city = load_city()
    roads = [(p.id, p.name, p.name_en, p.geometry) for p in city.road_places if p.name]
    seen: set[tuple[str, str]] = set()
    out = []
    for i, (ida, na, ea, ga) in enumerate(roads):
        for idb, nb, eb, gb in roads[i + 1:]:
            base_a, base_b = _street(na), _street(nb)
            if base_a == base_b or (base_a, base_b) in seen:
                continue
            x = ga.intersection(gb)
            if x.is_empty:
                continue
            pt = x if isinstance(x, Point) else x.representative_point()
            seen.add((base_a, base_b))
            out.append((f"x-{ida}-{idb}", f"{base_a}与{base_b}交叉口", f"{_street_en(ea)} & {_street_en(eb)}", pt.y, pt.x,
                        (f"{base_a}{base_b}", f"{base_b}{base_a}")))
    return out


def _street(name: str) -> str:
    """A road's street name without its section (五一路中段 -> 五一路)."""
    for suffix in ("东段", "西段", "南段", "北段", "中段"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _street_en(name: str) -> str:
    return name.split(" (")[0]


def entries(state: State) -> list[Entry]:
    return city_entries() + list(state.ext.get(EXT, {}).values())


# ------------------------------------------------------------------ operations
@op("places.search")
def search_op(core: Any, actor: str, q: str, limit: int = 10, kind: str | None = None) -> list[dict[str, Any]]:
    """Places matching `q` (Chinese, pinyin, initials or English), best first, with their position."""
    if len(str(q)) > 200:
        raise Refused("a place name of at most 200 characters", "bad_arguments")
    with core.lock:
        pool = entries(core.state)
    return search(pool, q, limit=max(1, min(int(limit), 100)), kind=kind)


@op("places")
def list_places(core: Any, actor: str, source: str | None = None) -> list[dict[str, Any]]:
    with core.lock:
        pool = entries(core.state)
    return [e.as_dict() for e in pool if source is None or e.source == source]


def parse_places(text: str, name: str = "") -> list[dict[str, Any]]:
    """Places from GeoJSON (Point features with properties name, kind, name_en, aliases) or CSV with a header
    (name,lat,lon[,kind,name_en,aliases]). Raises Refused naming the first bad feature or row."""
    text = text.lstrip("\ufeff")
    rows: list[dict[str, Any]] = []
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise Refused(f"{name or 'the file'} is not GeoJSON: {exc}", "bad_file") from None
        feats = doc.get("features") if isinstance(doc, dict) else None
        if not isinstance(feats, list):
            raise Refused(f"{name or 'the file'} is not a GeoJSON FeatureCollection", "bad_file")
        for i, f in enumerate(feats, start=1):
            g, p = (f or {}).get("geometry") or {}, (f or {}).get("properties") or {}
            if g.get("type") != "Point":
                raise Refused(f"feature {i}: a place is a Point, not {g.get('type')!r}", "bad_file")
            lon, lat = (g.get("coordinates") or [None, None])[:2]
            rows.append({"name": p.get("name"), "lat": lat, "lon": lon, "kind": p.get("kind"),
                         "name_en": p.get("name_en"), "aliases": p.get("aliases"), "_where": f"feature {i}"})
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not {"name", "lat", "lon"} <= set(reader.fieldnames):
            raise Refused("a CSV of places needs a header with name,lat,lon (and kind,name_en,aliases)", "bad_file")
        for i, r in enumerate(reader, start=2):
            rows.append({**r, "_where": f"line {i}"})
    if len(rows) > MAX_IMPORT:
        raise Refused(f"at most {MAX_IMPORT} places in one import", "bad_file")
    out = []
    for r in rows:
        where = r.pop("_where")
        nm = str(r.get("name") or "").strip()
        if not nm:
            raise Refused(f"{where}: a place needs a name", "bad_file")
        try:
            lat, lon = float(r["lat"]), float(r["lon"])
        except (TypeError, ValueError, KeyError):
            raise Refused(f"{where} ({nm}): lat and lon must be numbers", "bad_file") from None
        if abs(lat) > 90 and abs(lon) <= 90:
            raise Refused(f"{where} ({nm}): lat {lat} and lon {lon} look swapped (GeoJSON is [lon, lat])", "bad_file")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise Refused(f"{where} ({nm}): coordinates out of range", "bad_file")
        aliases = r.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [a.strip() for a in aliases.replace("；", ";").split(";") if a.strip()]
        out.append({"name": nm[:200], "lat": lat, "lon": lon, "kind": str(r.get("kind") or "place")[:40],
                    "name_en": str(r.get("name_en") or "")[:200], "aliases": [str(a)[:200] for a in aliases][:10]})
    return out


@op("places.import")
def import_places(core: Any, actor: str, places: list[dict[str, Any]] | None = None, text: str | None = None,
                  name: str = "") -> dict[str, Any]:
    """Add the bureau's own places (all or nothing); the same name at the same spot again is left as it is."""
    rows = parse_places(text, name) if text is not None else parse_places(json.dumps(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.get("lon"), p.get("lat")]},
             "properties": p} for p in (places or [])]}))
    added: list[dict[str, Any]] = []

    def decide(st: State) -> list[NewEvent]:
        have = st.ext.get(EXT, {})
        known = {(e.name, round(e.lat, 5), round(e.lon, 5)) for e in have.values()}
        n = len(have)
        added.clear()
        for r in rows:
            if (r["name"], round(r["lat"], 5), round(r["lon"], 5)) in known:
                continue
            n += 1
            added.append({"id": f"place-{n}", **r})
        return [NewEvent("place.imported", {"places": added}, "places")] if added else []

    core.command(actor, decide)
    return {"added": len(added), "given": len(rows)}


@applies("place.imported")
def _imported(state: State, ev: Event, ch: Changes) -> None:
    book = state.ext.setdefault(EXT, {})
    for p in ev.payload.get("places") or []:
        book[p["id"]] = Entry(p["id"], p["name"], p.get("kind") or "place", float(p["lat"]), float(p["lon"]),
                              p.get("name_en") or "", "bureau", keys_of(p["name"], p.get("name_en") or "",
                                                                         tuple(p.get("aliases") or ())))
