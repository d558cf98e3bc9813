/* The cameras layer: each camera a dot with its view cone (computed in Python, dispatch/evidence/footage.py).
 *   ConsoleCameras.attach(map)
 *   ConsoleCameras.update([{id, name, kind, lat, lon, cone: [[lat, lon], ...], down}, ...])  (empty: hidden)
 *   ConsoleCameras.setClickHandler(fn(id))
 * A camera marked down (its stream unreachable) is drawn grey with a dashed cone. */
(function () {
  "use strict";
  var map = null, layer = null, shown = 0, onClick = null;

  window.ConsoleCameras = {
    attach: function (m) { map = m; layer = L.featureGroup(); },
    setClickHandler: function (fn) { onClick = fn; },
    update: function (items) {
      if (!layer) return;
      layer.clearLayers();
      shown = 0;
      items.forEach(function (c) {
        var colour = c.down ? "#78909c" : (c.kind === "mobile" ? "#6a1b9a" : "#00838f");
        L.polygon(c.cone, {
          color: colour, weight: 1, dashArray: c.down ? "4 4" : null, fillColor: colour, fillOpacity: 0.15,
          interactive: false
        }).addTo(layer);
        var dot = L.circleMarker([c.lat, c.lon], {radius: 5, color: "#fff", weight: 1, fillColor: colour,
                                                  fillOpacity: 1});
        dot.bindTooltip(c.name || c.id);
        dot.on("click", function () { if (onClick) onClick(c.id); });
        dot.addTo(layer);
        shown += 1;
      });
      if (shown && !map.hasLayer(layer)) layer.addTo(map);
      if (!shown && map.hasLayer(layer)) map.removeLayer(layer);
    },
    count: function () { return shown; }
  };
})();
