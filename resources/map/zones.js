/* Zones (sites, route corridors, restricted, patrol and protection areas) and rule alerts on the console map.
   Loaded into the page by console/alerts (window.consoleMap is the Leaflet map); the Python side pushes
   ConsoleZones.update(features) and ConsoleAlerts.update(items). */
(function () {
  "use strict";
  var STYLE = {
    construction_site: {color: "#8d6e63", weight: 2, fillColor: "#bcaaa4", fillOpacity: 0.25},
    disposal_site: {color: "#2e7d32", weight: 2, fillColor: "#a5d6a7", fillOpacity: 0.25},
    route: {color: "#1565c0", weight: 3, opacity: 0.7, dashArray: "6 4"},
    restricted: {color: "#c62828", weight: 2, fillColor: "#ef9a9a", fillOpacity: 0.2, dashArray: "4 3"},
    patrol_area: {color: "#00838f", weight: 2, fillColor: "#80deea", fillOpacity: 0.12},
    protection_zone: {color: "#6a1b9a", weight: 2, fillColor: "#ce93d8", fillOpacity: 0.2}
  };
  var SEVERITY = {high: "#c62828", medium: "#ef6c00", low: "#607d8b"};
  var zoneLayer = null, alertLayer = null;

  function ensure() {
    var m = window.consoleMap;
    if (!m || typeof L === "undefined") return null;
    if (!zoneLayer) {
      zoneLayer = L.featureGroup().addTo(m);
      alertLayer = L.featureGroup().addTo(m);
    }
    return m;
  }

  window.ConsoleZones = {
    update: function (features) {
      if (!ensure()) return 0;
      zoneLayer.clearLayers();
      var routes = [];
      features.forEach(function (f) {
        var p = f.properties || {}, s = STYLE[p.kind] || {color: "#455a64", weight: 2};
        s = L.extend({className: "zone-" + (p.kind || "other")}, s);
        var g = L.geoJSON(f, {style: function () { return s; }});
        g.bindTooltip(p.label || p.name || p.id || "", {sticky: true});
        g.addTo(zoneLayer);
        if (p.kind === "route") routes.push(g);
      });
      // Areas under the city's own layers (their fill must not hide a road or the river); a route's corridor
      // runs along the roads, so above them, or the roads would cover it; the alerts above everything.
      zoneLayer.bringToBack();
      routes.forEach(function (g) { g.bringToFront(); });
      alertLayer.bringToFront();
      return zoneLayer.getLayers().length;
    },
    count: function () { return zoneLayer ? zoneLayer.getLayers().length : 0; }
  };

  window.ConsoleAlerts = {
    update: function (items) {
      if (!ensure()) return 0;
      alertLayer.clearLayers();
      items.forEach(function (a) {
        var c = SEVERITY[a.severity] || "#607d8b";
        L.circleMarker([a.lat, a.lon], {className: "alert-mark", radius: a.active ? 9 : 6, color: c, weight: 3, fill: true,
          fillColor: "#ffffff", fillOpacity: a.active ? 0.9 : 0.4}).bindTooltip(a.label || a.rule).addTo(alertLayer);
      });
      return alertLayer.getLayers().length;
    },
    count: function () { return alertLayer ? alertLayer.getLayers().length : 0; }
  };
})();
