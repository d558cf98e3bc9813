"""Composes the map page once with folium: the demo city's layers, local Leaflet, our unit layer.

The page is built once per session and never regenerated for updates: live positions go
through ConsoleUnits.update() (resources/map/units.js).
"""

from __future__ import annotations

import json
from typing import Any

from console.map.scheme import url

LAYER_ORDER = ["district", "patrol_zone", "river", "river_segment", "road", "bridge"]

LAYER_TITLES = {
    "zh_CN": {
        "district": "行政区",
        "patrol_zone": "巡查片区",
        "river": "柳江水域",
        "river_segment": "保洁河段",
        "road": "道路",
        "bridge": "桥梁",
        "construction_site": "建筑工地",
        "disposal_site": "消纳场",
        "dock": "码头",
    },
    "en": {
        "district": "Districts",
        "patrol_zone": "Patrol zones",
        "river": "Liujiang river",
        "river_segment": "Cleaning segments",
        "road": "Roads",
        "bridge": "Bridges",
        "construction_site": "Construction sites",
        "disposal_site": "Disposal sites",
        "dock": "Docks",
    },
}

POINT_RADIUS = {"construction_site": 6, "disposal_site": 7, "dock": 5}


CARD_KINDS = ("patrol_boat", "cleaning_vessel", "officer", "truck", "ais")  # the kind numbers of units.js
CARD_STATUSES = ("available", "assigned", "busy", "out_of_service")  # ... and its status numbers


def label_words(lang: str) -> dict[str, Any]:
    """The unit card's words (labels.js) in the page's language, from the console's catalogue."""
    from console.i18n import KINDS, STATUSES, load_catalogue

    cat = load_catalogue("zh_CN") if lang.startswith("zh") else {}

    def tr(s: str) -> str:
        return cat.get(s, s)

    return {"kinds": [tr(KINDS[k]) for k in CARD_KINDS], "statuses": [tr(STATUSES[k]) for k in CARD_STATUSES],
            "stale": tr("no recent fix"), "fresh": tr("reporting"), "heading": tr("Heading"),
            "position": tr("Position"), "id": tr("ID")}


def _features(collection: dict[str, Any], layer: str) -> list[dict[str, Any]]:
    return [f for f in collection.get("features", []) if f.get("properties", {}).get("layer") == layer]


def build_map_html(city_geojson: dict[str, Any], *, lang: str = "zh_CN", tiles_url: str | None = None,
                   basemap: Any = None, theme: dict[str, Any] | None = None) -> str:
    """The whole map page as HTML. `tiles_url` (optional, online) adds a tile layer under the city; `basemap`
    (a console.map.basemap.BaseMap) adds the offline base map, served by app://, chosen in the layers control;
    `theme`: console.theme.map_palette() (day by default), changed later by ConsoleTheme.apply without a reload.
    (console/map/pagecache.py keeps the page between runs: folium's import alone is half a second of start-up.)"""
    import folium
    from branca.element import Element, JavascriptLink

    from dispatch.city.leaflet import add_metric_scale

    if theme is None:
        from console.theme import map_palette

        theme = map_palette()
    titles = LAYER_TITLES.get(lang, LAYER_TITLES["en"])
    name_key = "name" if lang.startswith("zh") else "name_en"
    lats, lons = [], []
    for f in _features(city_geojson, "river"):
        for ring in _rings(f["geometry"]):
            lons.extend(p[0] for p in ring)
            lats.extend(p[1] for p in ring)
    centre = [sum(lats) / len(lats), sum(lons) / len(lons)] if lats else [24.33, 109.41]
    # open on the middle of the city (the districts' extent), where the work is
    dl, dn = [], []
    for f in _features(city_geojson, "district"):
        for ring in _rings(f["geometry"]):
            dn.extend(p[0] for p in ring)
            dl.extend(p[1] for p in ring)
    if dl:
        centre = [(min(dl) + max(dl)) / 2, (min(dn) + max(dn)) / 2]

    m = folium.Map(
        location=centre,
        zoom_start=13,
        tiles=None,
        control_scale=False,  # folium's has miles too: add_metric_scale below
        prefer_canvas=True,
        attribution_control=False,
        max_zoom=19,
        min_zoom=10,
    )
    # Leaflet from the xstatic-leaflet package, served by app://: no CDN, no jQuery/Bootstrap.
    add_metric_scale(m)
    m.default_js = [("leaflet", url("leaflet/leaflet.js"))]
    m.default_css = [("leaflet_css", url("leaflet/leaflet.css"))]
    root = m.get_root()
    root.header.add_child(Element(f'<link rel="stylesheet" href="{url("res/map/map.css")}"/>'))
    root.header.add_child(JavascriptLink(url("qwebchannel.js")))
    root.header.add_child(JavascriptLink(url("res/map/units.js")))
    root.header.add_child(JavascriptLink(url("res/map/incidents.js")))
    root.header.add_child(JavascriptLink(url("res/map/density.js")))
    root.header.add_child(JavascriptLink(url("res/map/cameras.js")))
    root.header.add_child(JavascriptLink(url("res/map/theme.js")))
    # unit labels thinned by zoom and priority, the unit card on hover or selection (labels.js), in the page's language
    root.header.add_child(Element(f"<script>window.ConsoleLabelWords = {json.dumps(label_words(lang), ensure_ascii=False)};</script>"))
    root.header.add_child(JavascriptLink(url("res/map/labels.js")))

    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr="online tiles", name="tiles", max_zoom=19).add_to(m)
    if basemap is not None:
        folium.TileLayer(tiles=url("tiles/{z}/{x}/{y}"), attr=basemap.attribution or basemap.name,
                         name=("底图：" if lang.startswith("zh") else "Base map: ") + basemap.name, overlay=True,
                         control=True, max_zoom=19, max_native_zoom=basemap.maxzoom, min_zoom=10).add_to(m)

    for layer in LAYER_ORDER:
        feats = _features(city_geojson, layer)
        if not feats:
            continue
        style = theme["layers"][layer]
        tooltip = folium.GeoJsonTooltip(fields=[name_key], labels=False) if layer != "road" else None
        folium.GeoJson(
            {"type": "FeatureCollection", "features": feats},
            name=titles[layer],
            style_function=lambda _f, s=style: s,
            tooltip=tooltip,
            control=True,
        ).add_to(m)

    for layer, radius in POINT_RADIUS.items():
        colour = theme["points"][layer]
        group = folium.FeatureGroup(name=titles[layer])
        for f in _features(city_geojson, layer):
            lon, lat = f["geometry"]["coordinates"][:2]
            folium.CircleMarker(
                [lat, lon],
                radius=radius,
                color=colour,
                weight=2,
                fill=True,
                fill_color=theme["site_fill"],
                fill_opacity=0.9,
                className=f"console-point-{layer}",  # how theme.js finds it (no effect on the canvas)
                tooltip=f["properties"].get(name_key, ""),
            ).add_to(group)
        group.add_to(m)

    # Permanent labels for districts and the river: divIcons, no image requests.
    labels = folium.FeatureGroup(name="labels", control=False)
    for layer, css in (("district", "console-label"), ("river_segment", "console-label console-label-water")):
        for f in _features(city_geojson, layer):
            lat, lon = _label_point(f["geometry"])
            text = f["properties"].get(name_key, "")
            folium.Marker(
                [lat, lon],
                # under the unit canvas and the incident pins (map.css): a label never hides a priority marker
                icon=folium.DivIcon(html=f'<div class="{css}">{text}</div>', icon_size=(120, 16), icon_anchor=(0, 8),
                                    class_name="console-label-icon"),
            ).add_to(labels)
    labels.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)


    schematic = "示意地图，非测绘成果" if lang.startswith("zh") else "Schematic map, not survey data"
    root.html.add_child(
        Element(f'<div class="console-schematic-note">{schematic}</div>')
    )
    map_name = m.get_name()
    root.script.add_child(
        Element(
            # runs after folium's own script has created the map
            f"ConsoleTheme.apply({json.dumps(theme)});"  # the labels and pins' colours before the first paint
            'window.addEventListener("load", function () {'
            f"window.consoleMap = {map_name}; ConsoleTheme.attach(); ConsoleUnits.attach({map_name}); ConsoleIncidents.attach({map_name});"
            f"ConsoleDensity.attach({map_name}); ConsoleCameras.attach({map_name}); ConsoleLabels.attach({map_name});"
            "if (window.qt && window.QWebChannel) { new QWebChannel(qt.webChannelTransport, function (ch) {"
            " window.consoleBridge = ch.objects.bridge;"
            " ConsoleUnits.setSelectHandler(function (id) { if (window.consoleBridge) consoleBridge.unitClicked(id); });"
            " ConsoleIncidents.setBridge(ch.objects.bridge);"
            " if (window.consoleBridge) consoleBridge.pageReady(); }); }"
            "window.consoleReady = true; });"
        )
    )
    return root.render()


def _rings(geom: dict[str, Any]) -> list[list[list[float]]]:
    if geom["type"] == "Polygon":
        return [geom["coordinates"][0]]
    if geom["type"] == "MultiPolygon":
        return [poly[0] for poly in geom["coordinates"]]
    return []


def _label_point(geom: dict[str, Any]) -> tuple[float, float]:
    if geom["type"] == "Point":
        lon, lat = geom["coordinates"][:2]
        return lat, lon
    if geom["type"] == "LineString":
        c = geom["coordinates"]
        lon, lat = c[len(c) // 2][:2]
        return lat, lon
    ring = _rings(geom)[0]
    return sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring)
