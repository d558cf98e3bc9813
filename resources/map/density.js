/* The incident density layer: cells of the analytics grid shaded by how many incidents fell in them.
 *   ConsoleDensity.attach(map)
 *   ConsoleDensity.update([[south, west, north, east, count], ...])   (an empty list hides it)
 * The cells are computed in Python (dispatch/analytics); this only draws them. */
(function () {
  "use strict";
  var map = null, layer = null, shown = 0;

  function colour(f) {  // light yellow to dark red
    var r = 255, g = Math.round(230 - 200 * f), b = Math.round(120 - 110 * f);
    return "rgb(" + r + "," + g + "," + Math.max(b, 0) + ")";
  }

  window.ConsoleDensity = {
    attach: function (m) { map = m; layer = L.featureGroup(); },
    update: function (cells) {
      if (!layer) return;
      layer.clearLayers();
      shown = 0;
      var max = 1;
      cells.forEach(function (c) { if (c[4] > max) max = c[4]; });
      cells.forEach(function (c) {
        var f = c[4] / max;
        L.rectangle([[c[0], c[1]], [c[2], c[3]]], {
          stroke: false, fillColor: colour(f), fillOpacity: 0.25 + 0.5 * f, interactive: false
        }).addTo(layer);
        shown += 1;
      });
      if (shown && !map.hasLayer(layer)) layer.addTo(map);
      if (!shown && map.hasLayer(layer)) map.removeLayer(layer);
    },
    count: function () { return shown; }
  };
})();
