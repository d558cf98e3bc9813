/* Incidents, cleaning-task areas, right-click and polygon drawing on the live map.
 *
 * A second layer beside units.js, drawn with ordinary Leaflet objects: a shift has tens or
 * hundreds of open incidents, not thousands, so one marker each is cheap.
 *
 *   ConsoleIncidents.update([{id, lat, lon, priority: "P1".."P4", state, overdue, open, label, pin, task}])
 *     (pin: the label shown all the time, as the field map shows its one assignment; task: a task's place)
 *   ConsoleIncidents.select(id, centre)
 *   ConsoleTasks.update([{id, name, state, coverage (0..1 | null), area (GeoJSON, lon/lat), label}])
 *   ConsoleDraw.start() / cancel(): polygon by clicks, finished by a double-click
 *
 * Events go back to Python through the bridge: incidentClicked(id), mapContextMenu(lat, lon),
 * polygonDrawn(JSON [[lat, lon], ...]).
 */
(function () {
  "use strict";
  var PRIORITY_COLOURS = {P1: "#c62828", P2: "#ef6c00", P3: "#f9a825", P4: "#607d8b"};
  var map = null, bridge = null;
  var incidentLayer = null, taskLayer = null, markers = new Map(), selectedId = null, lastIncidents = [];

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function incidentIcon(it) {
    var cls = "console-incident console-incident-" + esc(it.priority) + " console-state-" + esc(it.state);
    if (it.overdue && it.open) cls += " console-incident-overdue";
    if (!it.open) cls += " console-incident-closed";
    if (it.id === selectedId) cls += " console-incident-selected";
    if (it.task) cls += " console-incident-task";
    var html = '<div class="' + cls + '"><span>' + esc(it.priority) + "</span></div>";
    return L.divIcon({html: html, className: "console-incident-icon", iconSize: [26, 26], iconAnchor: [13, 26]});
  }

  function updateIncidents(list) {
    if (!map) return 0;
    lastIncidents = list;
    var seen = new Set();
    for (var i = 0; i < list.length; i++) {
      var it = list[i], m = markers.get(it.id);
      seen.add(it.id);
      if (!m) {
        m = L.marker([it.lat, it.lon], {icon: incidentIcon(it), keyboard: false, riseOnHover: true});
        (function (id) {
          m.on("click", function () { select(id, false); if (bridge) bridge.incidentClicked(id); });
        })(it.id);
        m.addTo(incidentLayer);
        markers.set(it.id, m);
      } else {
        m.setLatLng([it.lat, it.lon]);
        m.setIcon(incidentIcon(it));
      }
      m.options.consoleItem = it;
      m.unbindTooltip();
      if (it.label) m.bindTooltip(esc(it.label), {direction: "top", offset: [0, -24], permanent: !!it.pin});
      m.setZIndexOffset(it.open ? (5 - parseInt(String(it.priority).slice(1) || "4", 10)) * 100 : -500);
    }
    markers.forEach(function (m, id) {
      if (!seen.has(id)) { incidentLayer.removeLayer(m); markers.delete(id); }
    });
    return markers.size;
  }

  function select(id, centre) {
    selectedId = id;
    markers.forEach(function (m) { m.setIcon(incidentIcon(m.options.consoleItem)); });
    var m = markers.get(id);
    if (m && centre) map.panTo(m.getLatLng());
  }

  /* Coverage 0 -> pale, 1 -> deep green: the dispatcher reads progress at a glance. */
  function coverageFill(c) {
    if (c === null || c === undefined) return "#90a4ae";
    var t = Math.max(0, Math.min(1, c));
    var r = Math.round(255 + (46 - 255) * t), g = Math.round(183 + (125 - 183) * t), b = Math.round(77 + (50 - 77) * t);
    return "rgb(" + r + "," + g + "," + b + ")";
  }

  var taskShapes = new Map();
  function updateTasks(list) {
    if (!map) return 0;
    var seen = new Set();
    for (var i = 0; i < list.length; i++) {
      var t = list[i], s = taskShapes.get(t.id);
      seen.add(t.id);
      var style = {
        color: t.state === "active" ? "#2e7d32" : (t.state === "finished" ? "#1b5e20" : "#546e7a"),
        weight: 2, dashArray: t.state === "active" ? null : "5 4",
        fillColor: coverageFill(t.coverage), fillOpacity: t.coverage === null || t.coverage === undefined ? 0.15 : 0.25 + 0.45 * t.coverage
      };
      if (!s) {
        if (!t.area) continue;
        s = L.geoJSON(t.area, {style: function () { return style; }, interactive: true});
        s.addTo(taskLayer);
        taskShapes.set(t.id, s);
      } else {
        s.setStyle(style);
      }
      s.consoleItem = t;
      s.unbindTooltip();
      if (t.label) s.bindTooltip(esc(t.label), {sticky: true});
    }
    taskShapes.forEach(function (s, id) {
      if (!seen.has(id)) { taskLayer.removeLayer(s); taskShapes.delete(id); }
    });
    return taskShapes.size;
  }

  /* Drawing a polygon: each click adds a corner, a double-click (or clicking the first corner) ends it. */
  var drawing = null;
  function startDraw() {
    cancelDraw();
    drawing = {points: [], line: L.polyline([], {color: "#0d47a1", weight: 2, dashArray: "6 4"}).addTo(map)};
    map.doubleClickZoom.disable();
    map.getContainer().style.cursor = "crosshair";
    map.on("click", drawClick);
    map.on("dblclick", drawDone);
    return true;
  }
  function drawClick(e) {
    if (!drawing) return;
    drawing.points.push([e.latlng.lat, e.latlng.lng]);
    drawing.line.setLatLngs(drawing.points);
  }
  function drawDone(e) {
    if (!drawing) return;
    if (e && e.originalEvent) L.DomEvent.stop(e.originalEvent);
    var pts = drawing.points.slice();
    // a double-click also fired two clicks at (almost) the same spot: drop the repeat
    while (pts.length > 1) {
      var a = pts[pts.length - 1], b = pts[pts.length - 2];
      if (Math.abs(a[0] - b[0]) < 1e-6 && Math.abs(a[1] - b[1]) < 1e-6) pts.pop(); else break;
    }
    cancelDraw();
    if (bridge) bridge.polygonDrawn(JSON.stringify(pts));
    return pts;
  }
  function cancelDraw() {
    if (!drawing) return;
    map.off("click", drawClick);
    map.off("dblclick", drawDone);
    map.removeLayer(drawing.line);
    map.doubleClickZoom.enable();
    map.getContainer().style.cursor = "";
    drawing = null;
  }

  function onContextMenu(e) {
    if (bridge) bridge.mapContextMenu(e.latlng.lat, e.latlng.lng);
  }

  window.ConsoleIncidents = {
    attach: function (m) {
      map = m;
      taskLayer = L.featureGroup().addTo(m);
      incidentLayer = L.featureGroup().addTo(m);
      m.on("contextmenu", onContextMenu);  // a listener also stops the browser's own menu
    },
    setBridge: function (b) { bridge = b; },
    update: updateIncidents,
    select: select,
    count: function () { return markers.size; },
    /* For tests: [id, priority, state, overdue, x, y] of every marker, x/y in container pixels. */
    snapshot: function () {
      var out = [];
      markers.forEach(function (m, id) {
        var p = map.latLngToContainerPoint(m.getLatLng()), it = m.options.consoleItem;
        out.push([id, it.priority, it.state, !!it.overdue, p.x, p.y]);
      });
      return out;
    },
    click: function (id) { var m = markers.get(id); if (m) m.fire("click"); return !!m; },
    contextMenuAt: function (lat, lon) { map.fire("contextmenu", {latlng: L.latLng(lat, lon)}); return true; }
  };
  window.ConsoleTasks = {
    update: updateTasks,
    count: function () { return taskShapes.size; },
    snapshot: function () {
      var out = [];
      taskShapes.forEach(function (s, id) { out.push([id, s.consoleItem.state, s.consoleItem.coverage]); });
      return out;
    }
  };
  window.ConsoleDraw = {
    start: startDraw,
    cancel: cancelDraw,
    active: function () { return drawing !== null; },
    /* For tests and keyboard entry: add a corner, finish. */
    add: function (lat, lon) { drawClick({latlng: L.latLng(lat, lon)}); return drawing ? drawing.points.length : 0; },
    finish: function () { return drawDone(null); }
  };
})();
