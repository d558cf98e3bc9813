/* The map's theme (day or night), applied without reloading the page: console/theme.py map_palette().
 *
 *   ConsoleTheme.apply({name, page, background, label, label_halo, water_label, note_fg, note_bg, tile_filter,
 *                       pin_border, overdue_ring, selected, priority: {P1..P4}, pin_text: {P1..P4},
 *                       layers: {district: {...Leaflet path style}, ...}, points: {dock: colour, ...}, site_fill,
 *                       fills: [available, assigned, busy, out_of_service, stale], strokes: [by kind],
 *                       unit_label, unit_halo})
 *
 * CSS variables carry the labels, pins and background; the schematic layers are restyled in place (each
 * feature knows its layer); the unit canvas gets its colours through ConsoleUnits.setPalette.
 */
(function () {
  "use strict";
  var current = null;

  function cssVars(p) {
    var s = document.documentElement.style, set = function (k, v) { if (v !== undefined && v !== null) s.setProperty(k, v); };
    set("--map-page", p.page); set("--map-bg", p.background); set("--map-label", p.label);
    set("--map-halo", p.label_halo); set("--map-water-label", p.water_label); set("--map-note-fg", p.note_fg);
    set("--map-note-bg", p.note_bg); set("--map-tile-filter", p.tile_filter); set("--pin-border", p.pin_border);
    set("--overdue-ring", p.overdue_ring); set("--selected", p.selected);
    set("--card-bg", p.card_bg); set("--card-fg", p.card_fg); set("--card-border", p.card_border); set("--card-key", p.card_key);
    ["P1", "P2", "P3", "P4"].forEach(function (k) {
      if (p.priority) set("--" + k.toLowerCase(), p.priority[k]);
      if (p.pin_text) set("--" + k.toLowerCase() + "-text", p.pin_text[k]);
    });
    document.documentElement.classList.toggle("console-dark", p.name === "dark");
  }

  function restyle(map, p) {
    map.eachLayer(function (l) {
      var layer = l.feature && l.feature.properties && l.feature.properties.layer;
      if (layer && p.layers && p.layers[layer] && l.setStyle) { l.setStyle(p.layers[layer]); return; }
      var kind = l.options && l.options.className, m = /^console-point-(\w+)$/.exec(kind || "");
      if (m && p.points && p.points[m[1]] && l.setStyle) l.setStyle({color: p.points[m[1]], fillColor: p.site_fill});
    });
  }

  function apply(p) {
    current = p;
    cssVars(p);
    if (window.consoleMap) restyle(window.consoleMap, p);
    if (window.ConsoleLabels && ConsoleLabels.setStyle) ConsoleLabels.setStyle({fill: p.unit_label, halo: p.unit_halo});
    if (window.ConsoleUnits && ConsoleUnits.setPalette) ConsoleUnits.setPalette(p);
    if (window.ConsoleZones && ConsoleZones.setPalette) ConsoleZones.setPalette(p);
    return p.name;
  }

  /* The whole city in view, in quarter zoom steps (the wall: a large map fills its screen). */
  function fitCity() {
    var map = window.consoleMap, b = null;
    if (!map) return false;
    map.eachLayer(function (l) {
      if (l.feature && l.feature.properties && l.feature.properties.layer === "district" && l.getBounds) {
        b = b ? b.extend(l.getBounds()) : L.latLngBounds(l.getBounds().getSouthWest(), l.getBounds().getNorthEast());
      }
    });
    if (!b) return false;
    map.options.zoomSnap = 0.25;
    map.fitBounds(b, {padding: [12, 12], animate: false});
    return map.getZoom();
  }

  window.ConsoleTheme = {
    fitCity: fitCity,
    apply: apply,
    attach: function () { if (current) apply(current); },
    name: function () { return current ? current.name : null; }
  };
})();
