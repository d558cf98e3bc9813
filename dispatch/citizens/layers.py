"""The convenience layer (便民服务): public toilets, parking and the like, from GeoJSON the bureau imports.

``ctl citizens layer-import NAME FILE`` records the layer's points as one event (a layer is replaced whole);
the page asks ``v2/facilities.json?lat=&long=&radius=`` for those near the citizen, nearest first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dispatch.citizens.book import cbook
from dispatch.errors import Refused
from dispatch.geo import haversine_m
from dispatch.incidents.book import check_latlon
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent

MAX_FEATURES = 20_000
MAX_RADIUS_M = 20_000.0


def parse_layer(doc: Any) -> list[dict[str, Any]]:
    """A GeoJSON FeatureCollection of Points -> [{name, name_en, lat, lon, props}]; refuses anything else."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise Refused("a layer is a GeoJSON FeatureCollection", "bad_layer")
    if len(doc["features"]) > MAX_FEATURES:
        raise Refused(f"a layer holds at most {MAX_FEATURES} features", "bad_layer")
    out = []
    for i, f in enumerate(doc["features"]):
        geom = (f or {}).get("geometry") or {}
        if geom.get("type") != "Point" or not isinstance(geom.get("coordinates"), list) or len(geom["coordinates"]) < 2:
            raise Refused(f"feature {i}: only Point geometries are accepted", "bad_layer")
        lat, lon = check_latlon(geom["coordinates"][1], geom["coordinates"][0])
        props = f.get("properties") or {}
        name = str(props.get("name") or props.get("name_zh") or "").strip()[:200]
        if not name:
            raise Refused(f"feature {i} has no name property", "bad_layer")
        out.append({"name": name, "name_en": str(props.get("name_en") or "")[:200] or None, "lat": lat, "lon": lon,
                    "note": str(props.get("note") or "")[:500] or None})
    return out


@op("citizens.layer_import")
def layer_import(core: Any, actor: str, layer: str, path: str | None = None,
                 geojson: dict[str, Any] | None = None) -> dict[str, Any]:
    """Replace a convenience layer (``layer``: e.g. toilets, parking) from a GeoJSON file or document."""
    name = str(layer).strip().lower()
    if not name.replace("_", "").isalnum() or len(name) > 40:
        raise Refused(f"bad layer name {layer!r}: letters, digits and _", "bad_layer")
    if path is not None:
        try:
            geojson = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise Refused(f"cannot read {path}: {exc}", "bad_layer") from None
    feats = parse_layer(geojson)
    core.command(actor, lambda _s: [NewEvent("citizens.layer_imported", {"layer": name, "features": feats},
                                             f"layer:{name}")])
    return {"layer": name, "features": len(feats)}


def near(state: State, params: dict[str, Any]) -> dict[str, Any]:
    """GeoJSON of the facilities within ``radius`` metres (default 2 km) of lat/long, nearest first (max 200)."""
    layers = cbook(state).layers
    want = [x for x in str(params.get("layer") or "").split(",") if x] or list(layers)
    try:
        lat, lon = check_latlon(params.get("lat"), params.get("long"))
        radius = float(params.get("radius") or 2000.0)
    except (Refused, ValueError):
        raise Refused("facilities needs lat and long in decimal degrees, and radius in metres", "bad_location") from None
    if not 0 < radius <= MAX_RADIUS_M:
        raise Refused(f"radius takes 1 to {int(MAX_RADIUS_M)} metres", "bad_radius")
    found = []
    for name in want:
        for f in layers.get(name, ()):
            d = haversine_m(lat, lon, f["lat"], f["lon"])
            if d <= radius:
                found.append((d, name, f))
    found.sort(key=lambda t: t[0])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [f["lon"], f["lat"]]},
         "properties": {"layer": name, "name": f["name"], "name_en": f["name_en"], "note": f["note"],
                        "distance_m": round(d)}} for d, name, f in found[:200]]}


@op("citizens.layers")
def layers_op(core: Any, actor: str) -> dict[str, int]:
    core.refresh()
    with core.lock:
        return {k: len(v) for k, v in cbook(core.state).layers.items()}
