/* Drawing and editing zones on the console map: a small drawing mode, no plugin.
 *
 * It only reports geometry; the zone's kind, name and the rest come from the console's form, and the core
 * checks and records it (`zone.save`), or refuses it with its reason. Loaded into the page by
 * console/alerts/zone_editor.py (window.consoleMap is the Leaflet map, window.consoleBridge the channel).
 *
 *   ConsoleZoneEdit.draw("polygon" | "line")  clicks add corners; a double-click, Enter or a click on the
 *                                             first corner ends it; Backspace takes the last back; Esc cancels
 *   ConsoleZoneEdit.edit(feature)             corners of an existing zone as handles: drag to move, a
 *                                             midpoint handle adds a corner, right-click removes one
 *   ConsoleZoneEdit.geometry()                the shape being edited as GeoJSON ([lon, lat]), or null
 *   ConsoleZoneEdit.cancel()
 *
 * To Python, through consoleBridge.zoneEvent(JSON): {type: "drawn", geometry}, {type: "changed", geometry},
 * {type: "cancelled"}, {type: "picked", id} (a zone clicked on the map while nothing is being drawn and
 * picking is on: ConsoleZoneEdit.pick(true), with the zones given by ConsoleZoneEdit.setZones(features)).
 */
(function () {
  "use strict";
  var COLOUR = "#d81b60";
  var map = null, layer = null, state = null;  // state: {mode, kind: "polygon"|"line", pts: [L.LatLng], ...}

  var CSS = ".console-vertex{background:#fff;border:2px solid " + COLOUR + ";border-radius:2px;box-sizing:border-box}" +
    ".console-vertex-first{background:" + COLOUR + "}.console-vertex-mid{border-style:dotted;border-radius:50%}";

  function ensure() {
    map = window.consoleMap || null;
    if (!map || typeof L === "undefined") return false;
    if (!layer) {
      layer = L.featureGroup().addTo(map);
      var style = document.createElement("style");
      style.textContent = CSS;
      document.head.appendChild(style);
    }
    return true;
  }

  function tell(msg) {
    if (window.consoleBridge && window.consoleBridge.zoneEvent) window.consoleBridge.zoneEvent(JSON.stringify(msg));
  }

  function round(v) { return Math.round(v * 1e7) / 1e7; }

  function geometry() {
    if (!state || state.pts.length === 0) return null;
    var c = state.pts.map(function (p) { return [round(p.lng), round(p.lat)]; });
    if (state.kind === "line") return {type: "LineString", coordinates: c};
    c.push(c[0].slice());
    return {type: "Polygon", coordinates: [c]};
  }

  function clear() {
    if (layer) layer.clearLayers();
    if (map) {
      map.off("click", onClick);
      map.off("dblclick", onDblClick);
      map.off("mousemove", onMove);
      map.getContainer().style.cursor = "";
      map.doubleClickZoom.enable();
    }
    document.removeEventListener("keydown", onKey, true);
    state = null;
  }

  function shape() {
    var opts = {color: COLOUR, weight: 3, dashArray: state.mode === "draw" ? "6 4" : null, fillOpacity: 0.12};
    if (state.kind === "polygon" && state.mode === "edit") return L.polygon(state.pts, opts);
    return L.polyline(state.pts, opts);
  }

  function vertexIcon(first) {
    return L.divIcon({className: "console-vertex" + (first ? " console-vertex-first" : ""), iconSize: [12, 12]});
  }

  function render() {
    layer.clearLayers();
    if (!state) return;
    var pts = state.pts;
    if (state.mode === "draw") {
      var trail = pts.slice();
      if (state.hover) trail.push(state.hover);
      if (trail.length > 1) L.polyline(trail, {color: COLOUR, weight: 2, dashArray: "6 4", interactive: false}).addTo(layer);
      pts.forEach(function (p, i) {
        var m = L.marker(p, {icon: vertexIcon(i === 0), keyboard: false, interactive: i === 0});
        if (i === 0) m.on("click", function (e) { if (e.originalEvent) L.DomEvent.stop(e.originalEvent); finishDraw(); });
        m.addTo(layer);
      });
      return;
    }
    shape().addTo(layer);
    pts.forEach(function (p, i) {
      var m = L.marker(p, {icon: vertexIcon(false), draggable: true, keyboard: false, zIndexOffset: 1000});
      m.on("drag", function (e) { state.pts[i] = e.target.getLatLng(); renderShapeOnly(); });
      m.on("dragend", function () { render(); tell({type: "changed", geometry: geometry()}); });
      m.on("contextmenu", function (e) {
        if (e.originalEvent) L.DomEvent.stop(e.originalEvent);
        if (state.pts.length > (state.kind === "polygon" ? 3 : 2)) {
          state.pts.splice(i, 1);
          render();
          tell({type: "changed", geometry: geometry()});
        }
      });
      m.addTo(layer);
    });
    var n = pts.length, last = state.kind === "polygon" ? n : n - 1;
    for (var i = 0; i < last; i++) {
      (function (i) {
        var a = pts[i], b = pts[(i + 1) % n];
        var mid = L.latLng((a.lat + b.lat) / 2, (a.lng + b.lng) / 2);
        var h = L.marker(mid, {icon: L.divIcon({className: "console-vertex console-vertex-mid", iconSize: [10, 10]}),
          draggable: true, keyboard: false, opacity: 0.7});
        h.on("dragstart", function () { state.pts.splice(i + 1, 0, h.getLatLng()); state.dragging = i + 1; });
        h.on("drag", function (e) { state.pts[state.dragging] = e.target.getLatLng(); renderShapeOnly(); });
        h.on("dragend", function () { render(); tell({type: "changed", geometry: geometry()}); });
        h.addTo(layer);
      })(i);
    }
  }

  function renderShapeOnly() {
    // while a handle moves, only the outline is redrawn (the handles stay where the pointer put them)
    var outline = null;
    layer.eachLayer(function (l) { if (l instanceof L.Path) outline = l; });
    if (outline) outline.setLatLngs(state.pts);
  }

  function onClick(e) {
    if (!state || state.mode !== "draw") return;
    state.pts.push(e.latlng);
    render();
  }
  function onMove(e) {
    if (!state || state.mode !== "draw") return;
    state.hover = e.latlng;
    render();
  }
  function onDblClick(e) {
    if (e && e.originalEvent) L.DomEvent.stop(e.originalEvent);
    finishDraw();
  }
  function onKey(e) {
    if (!state) return;
    if (e.key === "Escape") { cancel(); e.preventDefault(); }
    else if (state.mode === "draw" && e.key === "Enter") { finishDraw(); e.preventDefault(); }
    else if (state.mode === "draw" && e.key === "Backspace") { state.pts.pop(); render(); e.preventDefault(); }
  }

  function finishDraw() {
    if (!state || state.mode !== "draw") return null;
    var pts = state.pts;
    // a double-click also fired two clicks at (almost) the same spot: drop the repeats
    while (pts.length > 1 && pts[pts.length - 1].distanceTo(pts[pts.length - 2]) < 0.5) pts.pop();
    var need = state.kind === "polygon" ? 3 : 2;
    if (pts.length < need) return null;  // keep drawing: not a shape yet
    map.off("click", onClick);
    map.off("dblclick", onDblClick);
    map.off("mousemove", onMove);
    map.getContainer().style.cursor = "";
    setTimeout(function () { if (map) map.doubleClickZoom.enable(); }, 0);
    state.mode = "edit";
    state.hover = null;
    render();
    var g = geometry();
    tell({type: "drawn", geometry: g});
    return g;
  }

  function draw(kind) {
    if (!ensure()) return false;
    clear();
    state = {mode: "draw", kind: kind === "line" ? "line" : "polygon", pts: [], hover: null};
    map.doubleClickZoom.disable();
    map.getContainer().style.cursor = "crosshair";
    map.on("click", onClick);
    map.on("dblclick", onDblClick);
    map.on("mousemove", onMove);
    document.addEventListener("keydown", onKey, true);
    return true;
  }

  function edit(feature) {
    if (!ensure()) return false;
    clear();
    var g = feature.geometry || feature, kind, coords;
    if (g.type === "LineString") { kind = "line"; coords = g.coordinates; }
    else if (g.type === "Polygon") { kind = "polygon"; coords = g.coordinates[0].slice(0, -1); }
    else if (g.type === "MultiLineString") { kind = "line"; coords = g.coordinates[0]; }
    else if (g.type === "MultiPolygon") { kind = "polygon"; coords = g.coordinates[0][0].slice(0, -1); }
    else return false;
    state = {mode: "edit", kind: kind, pts: coords.map(function (c) { return L.latLng(c[1], c[0]); })};
    document.addEventListener("keydown", onKey, true);
    render();
    var b = L.latLngBounds(state.pts);
    if (!map.getBounds().contains(b)) map.fitBounds(b.pad(0.3));
    return true;
  }

  function cancel() {
    var had = state !== null;
    clear();
    if (had) tell({type: "cancelled"});
    return had;
  }

  /* Picking a zone by a click on the map: hit-tested here against the zones' geometry, whatever lies on top
     of them (district fills, other layers); the smallest area containing the point wins, a route within a
     few pixels of its line before any area. Only while the console's Zones tab is open. */
  var zones = [], picking = false;
  function inRing(lat, lng, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lng < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function polygons(g) {
    return g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
  }
  function lines(g) {
    return g.type === "LineString" ? [g.coordinates] : g.type === "MultiLineString" ? g.coordinates : [];
  }
  function ringArea(ring) {
    var a = 0;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j][0] + ring[i][0]) * (ring[j][1] - ring[i][1]);
    return Math.abs(a / 2);
  }
  function zoneAt(latlng) {
    var best = null, bestArea = Infinity, p = map.latLngToLayerPoint(latlng);
    for (var z = 0; z < zones.length; z++) {
      var f = zones[z], g = f.geometry || {};
      var ls = lines(g);
      for (var l = 0; l < ls.length; l++) {
        for (var i = 1; i < ls[l].length; i++) {
          var a = map.latLngToLayerPoint([ls[l][i - 1][1], ls[l][i - 1][0]]);
          var b = map.latLngToLayerPoint([ls[l][i][1], ls[l][i][0]]);
          if (L.LineUtil.pointToSegmentDistance(p, a, b) <= 6) return f.id;
        }
      }
      var ps = polygons(g);
      for (var k = 0; k < ps.length; k++) {
        var outer = ps[k][0], holes = ps[k].slice(1);
        if (inRing(latlng.lat, latlng.lng, outer) && !holes.some(function (h) { return inRing(latlng.lat, latlng.lng, h); })) {
          var area = ringArea(outer);
          if (area < bestArea) { best = f.id; bestArea = area; }
        }
      }
    }
    return best;
  }
  function onPick(e) {
    if (state || !picking) return;
    var id = zoneAt(e.latlng);
    if (id !== null) tell({type: "picked", id: id});
  }

  window.ConsoleZoneEdit = {
    setZones: function (features) { zones = features || []; return zones.length; },
    pick: function (on) {
      if (!ensure()) return false;
      map.off("click", onPick);
      picking = !!on;
      if (picking) map.on("click", onPick);
      return picking;
    },
    zoneAt: function (lat, lon) { return ensure() ? zoneAt(L.latLng(lat, lon)) : null; },
    draw: draw,
    edit: edit,
    cancel: cancel,
    geometry: geometry,
    active: function () { return state ? state.mode : null; },
    picked: function (id) { if (!state) tell({type: "picked", id: id}); },  // as a click on the zone would
    /* For tests and keyboard users: what a click, a drag and a double-click would do. */
    click: function (lat, lon) { onClick({latlng: L.latLng(lat, lon)}); return state ? state.pts.length : 0; },
    finish: finishDraw,
    moveVertex: function (i, lat, lon) {
      if (!state || state.mode !== "edit" || i < 0 || i >= state.pts.length) return false;
      state.pts[i] = L.latLng(lat, lon);
      render();
      tell({type: "changed", geometry: geometry()});
      return true;
    },
    /* [x, y] container pixels of each corner handle (tests drive real mouse events with them). */
    handles: function () {
      return state ? state.pts.map(function (p) { var q = map.latLngToContainerPoint(p); return [q.x, q.y]; }) : [];
    }
  };
})();
