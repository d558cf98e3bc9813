/* The live unit layer: every unit drawn on one canvas in a single pass.
 *
 * A marker object per unit costs ~100 ms per update for 5,000 units; one canvas redrawn in one
 * pass, grouped by fill colour, stays within a frame. Python pushes batches with
 * ConsoleUnits.update(batch, sentAtMs); the page is never rebuilt.
 *
 * Batch rows: [id, lat, lon, course|null, kind, status, stale(0/1), label]
 *   kind:   0 patrol boat, 1 cleaning vessel, 2 officer, 3 truck, 4 AIS contact
 *   status: 0 available, 1 assigned, 2 busy, 3 out of service
 */
(function () {
  "use strict";
  var STATUS_COLOURS = ["#2e9d4f", "#e0a100", "#d23c3c", "#6d4c9f"];
  var STALE_COLOUR = "#9aa0a6";
  var KIND_STROKE = ["#0b3d91", "#00838f", "#37474f", "#5d4037", "#455a64"];

  var units = new Map();   // id -> {lat, lon, course, kind, status, stale, label}
  var selected = null;
  var map = null, canvas = null, ctx = null, pending = false;
  var timings = [];        // ms from Python's hand-off to the end of the drawing pass
  var lastSent = null;
  var onSelect = null;     // set by the bridge

  function shape(c, kind, x, y, course) {
    var r = 6;
    c.save();
    c.translate(x, y);
    if (course !== null && course !== undefined && (kind <= 1 || kind === 4)) c.rotate(course * Math.PI / 180);
    switch (kind) {
      case 0: // patrol boat: a pointed hull
        c.moveTo(0, -r - 3); c.lineTo(r, r); c.lineTo(0, r - 3); c.lineTo(-r, r); c.closePath(); break;
      case 1: // cleaning vessel: a wide hull
        c.moveTo(0, -r - 1); c.lineTo(r, -1); c.lineTo(r - 1, r); c.lineTo(-r + 1, r); c.lineTo(-r, -1); c.closePath(); break;
      case 2: // officer: a dot
        c.moveTo(r - 1, 0); c.arc(0, 0, r - 1, 0, Math.PI * 2); break;
      case 3: // truck: a square
        c.rect(-r + 1, -r + 1, 2 * r - 2, 2 * r - 2); break;
      default: // AIS contact: a thin triangle
        c.moveTo(0, -r - 2); c.lineTo(r - 2, r); c.lineTo(-r + 2, r); c.closePath();
    }
    c.restore();
  }

  function draw() {
    pending = false;
    if (!map || !ctx) return;
    var size = map.getSize();
    var dpr = window.devicePixelRatio || 1;
    if (canvas.width !== size.x * dpr || canvas.height !== size.y * dpr) {
      canvas.width = size.x * dpr; canvas.height = size.y * dpr;
      canvas.style.width = size.x + "px"; canvas.style.height = size.y + "px";
    }
    var topLeft = map.containerPointToLayerPoint([0, 0]);
    L.DomUtil.setPosition(canvas, topLeft);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    var zoom = map.getZoom();
    var groups = {};     // fill colour -> [points]
    var visible = [];
    units.forEach(function (u, id) {
      var p = map.latLngToContainerPoint([u.lat, u.lon]);
      if (p.x < -20 || p.y < -20 || p.x > size.x + 20 || p.y > size.y + 20) return;
      u.x = p.x; u.y = p.y;
      var colour = u.stale ? STALE_COLOUR : STATUS_COLOURS[u.status] || STATUS_COLOURS[0];
      var key = colour + "|" + u.kind;
      (groups[key] = groups[key] || []).push(u);
      visible.push(u);
    });
    ctx.lineWidth = 1.2;
    Object.keys(groups).forEach(function (key) {
      var parts = key.split("|"), list = groups[key], kind = +parts[1];
      ctx.beginPath();
      for (var i = 0; i < list.length; i++) shape(ctx, kind, list[i].x, list[i].y, list[i].course);
      ctx.fillStyle = parts[0]; ctx.fill();
      ctx.strokeStyle = KIND_STROKE[kind] || "#333"; ctx.stroke();
    });
    if (selected && units.has(selected)) {
      var s = units.get(selected);
      if (s.x !== undefined) {
        ctx.beginPath(); ctx.arc(s.x, s.y, 12, 0, Math.PI * 2);
        ctx.strokeStyle = "#1565c0"; ctx.lineWidth = 2.5; ctx.stroke();
      }
    }
    if (visible.length <= 400 && zoom >= 13) {
      ctx.font = "11px 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";
      ctx.textBaseline = "middle"; ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.85)";
      ctx.fillStyle = "#1a1a1a";
      for (var j = 0; j < visible.length; j++) {
        var v = visible[j];
        if (!v.label) continue;
        ctx.strokeText(v.label, v.x + 9, v.y); ctx.fillText(v.label, v.x + 9, v.y);
      }
    }
    if (lastSent !== null) {
      timings.push(Date.now() - lastSent);
      if (timings.length > 2000) timings.shift();
      lastSent = null;
    }
  }

  function schedule() {
    if (!pending) { pending = true; window.requestAnimationFrame(draw); }
  }

  /* Built on first attach: this script may load before Leaflet does. */
  function makeLayer() { return L.Layer.extend({
    onAdd: function (m) {
      map = m;
      canvas = L.DomUtil.create("canvas", "console-units leaflet-zoom-animated");
      ctx = canvas.getContext("2d");
      m.getPanes().markerPane.appendChild(canvas);
      m.on("moveend zoomend resize viewreset", schedule);
      m.on("click", onClick);
      schedule();
    },
    onRemove: function (m) {
      L.DomUtil.remove(canvas);
      m.off("moveend zoomend resize viewreset", schedule);
      m.off("click", onClick);
    }
  }); }

  function onClick(e) {
    var best = null, bestD = 12 * 12;
    units.forEach(function (u, id) {
      if (u.x === undefined) return;
      var dx = u.x - e.containerPoint.x, dy = u.y - e.containerPoint.y, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = id; }
    });
    if (best !== null) {
      selected = best; schedule();
      if (onSelect) onSelect(best);
    }
  }

  window.ConsoleUnits = {
    attach: function (m) { map = m; var UnitLayer = makeLayer(); new UnitLayer().addTo(m); },
    update: function (batch, sentAtMs) {
      for (var i = 0; i < batch.length; i++) {
        var r = batch[i];
        var u = units.get(r[0]);
        if (!u) { u = {}; units.set(r[0], u); }
        u.lat = r[1]; u.lon = r[2]; u.course = r[3]; u.kind = r[4]; u.status = r[5]; u.stale = r[6];
        if (r.length > 7 && r[7] !== null) u.label = r[7];
      }
      if (sentAtMs) lastSent = sentAtMs;
      schedule();
      return batch.length;
    },
    remove: function (ids) { ids.forEach(function (id) { units.delete(id); }); schedule(); },
    clear: function () { units.clear(); schedule(); },
    select: function (id, centre) {
      selected = id; var u = units.get(id);
      if (u && centre) map.panTo([u.lat, u.lon]);
      schedule();
    },
    setSelectHandler: function (fn) { onSelect = fn; },
    count: function () { return units.size; },
    /* For tests: [id, lat, lon, stale, x, y] of every unit, x/y in container pixels. */
    snapshot: function () {
      var out = [];
      units.forEach(function (u, id) {
        var p = map.latLngToContainerPoint([u.lat, u.lon]);
        out.push([id, u.lat, u.lon, u.stale, p.x, p.y]);
      });
      return out;
    },
    timings: function () { return timings.slice(); },
    resetTimings: function () { timings = []; }
  };
})();
