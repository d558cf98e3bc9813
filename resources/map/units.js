/* The live unit layer: every unit drawn on one canvas in a single pass.
 *
 * A marker object per unit costs ~100 ms per update for 5,000 units; one canvas redrawn in one
 * pass, grouped by fill colour, stays within a frame. Python pushes batches with
 * ConsoleUnits.update(batch, sentAtMs) (or updateJson(text, sentAtMs)); the page is never rebuilt.
 * A batch is drawn at once, in the same task, so the frame that follows shows it; map moves
 * redraw on the next animation frame.
 *
 * Batch rows: [id, lat, lon, course|null, kind, status, stale(0/1), label|null]
 *   kind:   0 patrol boat, 1 cleaning vessel, 2 officer, 3 truck, 4 AIS contact
 *   status: 0 available, 1 assigned, 2 busy, 3 out of service
 */
(function () {
  "use strict";
  var FILLS = ["#2e9d4f", "#e0a100", "#d23c3c", "#6d4c9f", "#9aa0a6"]; // statuses, then stale
  var STROKES = ["#0b3d91", "#00838f", "#37474f", "#5d4037", "#455a64"]; // by kind
  var NKIND = 5;
  // Outline of each kind, pointing north, in pixels (null: a circle)
  var SHAPES = [
    [[0, -9], [6, 6], [0, 3], [-6, 6]],            // patrol boat: a pointed hull
    [[0, -7], [6, -1], [5, 6], [-5, 6], [-6, -1]], // cleaning vessel: a wide hull
    null,                                          // officer: a dot
    [[-5, -5], [5, -5], [5, 5], [-5, 5]],          // truck: a square
    [[0, -8], [4, 6], [-4, 6]]                     // AIS contact: a thin triangle
  ];
  var ROTATES = [true, true, false, false, true];

  // Parallel arrays indexed by slot; ids map to slots.
  var slotOf = new Map(), ids = [], lat = [], lon = [], mx = [], my = [], course = [], kind = [], fill = [],
      stale = [], status = [], label = [], px = new Float64Array(0), py = new Float64Array(0);
  var selected = null;
  var map = null, canvas = null, ctx = null, pending = false;
  var timings = [];        // ms from Python's hand-off to the end of the drawing pass
  var lastSent = null;
  var onSelect = null;     // set by the bridge
  var framesWithUnits = 0; // drawing passes that drew at least one unit

  function mercX(lo) { return (lo + 180) / 360; }
  function mercY(la) {
    var s = Math.sin(la * Math.PI / 180);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }

  function put(r) {
    var id = r[0], i = slotOf.get(id);
    if (i === undefined) {
      i = ids.length; slotOf.set(id, i); ids.push(id);
      lat.push(0); lon.push(0); mx.push(0); my.push(0); course.push(null); kind.push(0); fill.push(0);
      stale.push(0); status.push(0); label.push(null);
    }
    lat[i] = r[1]; lon[i] = r[2]; mx[i] = mercX(r[2]); my[i] = mercY(r[1]);
    course[i] = r[3]; kind[i] = r[4] | 0; status[i] = r[5] | 0; stale[i] = r[6] ? 1 : 0;
    fill[i] = stale[i] ? 4 : status[i];
    if (r.length > 7 && r[7] !== null) label[i] = r[7];
  }

  function draw() {
    pending = false;
    if (!map || !ctx) return;
    var size = map.getSize(), n = ids.length;
    var dpr = window.devicePixelRatio || 1;
    if (canvas.width !== size.x * dpr || canvas.height !== size.y * dpr) {
      canvas.width = size.x * dpr; canvas.height = size.y * dpr;
      canvas.style.width = size.x + "px"; canvas.style.height = size.y + "px";
    }
    L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    if (n === 0) { record(0); return; }
    // Web Mercator by hand: one reference point through Leaflet, the rest by arithmetic.
    var centre = map.getCenter(), zoom = map.getZoom(), scale = 256 * Math.pow(2, zoom);
    var ref = map.latLngToContainerPoint(centre);
    var ox = mercX(centre.lng) * scale - ref.x, oy = mercY(centre.lat) * scale - ref.y;
    if (px.length < n) { px = new Float64Array(n * 2); py = new Float64Array(n * 2); }
    var buckets = [], b, i, k, visible = 0, W = size.x + 20, H = size.y + 20;
    for (b = 0; b < 5 * NKIND; b++) buckets.push([]);
    for (i = 0; i < n; i++) {
      var x = mx[i] * scale - ox, y = my[i] * scale - oy;
      px[i] = x; py[i] = y;
      if (x < -20 || y < -20 || x > W || y > H) continue;
      buckets[fill[i] * NKIND + kind[i]].push(i);
      visible++;
    }
    ctx.lineWidth = 1.2;
    for (b = 0; b < buckets.length; b++) {
      var list = buckets[b];
      if (!list.length) continue;
      var kd = b % NKIND, shape = SHAPES[kd], rot = ROTATES[kd];
      ctx.beginPath();
      for (k = 0; k < list.length; k++) {
        i = list[k];
        var cx = px[i], cy = py[i];
        if (shape === null) { ctx.moveTo(cx + 5, cy); ctx.arc(cx, cy, 5, 0, 6.283185307179586); continue; }
        var c = course[i], cs = 1, sn = 0;
        if (rot && c !== null) { var a = c * 0.017453292519943295; cs = Math.cos(a); sn = Math.sin(a); }
        for (var v = 0; v < shape.length; v++) {
          var sx = shape[v][0], sy = shape[v][1];
          var X = cx + sx * cs - sy * sn, Y = cy + sx * sn + sy * cs;
          if (v === 0) ctx.moveTo(X, Y); else ctx.lineTo(X, Y);
        }
        ctx.closePath();
      }
      ctx.fillStyle = FILLS[(b / NKIND) | 0]; ctx.fill();
      ctx.strokeStyle = STROKES[kd]; ctx.stroke();
    }
    if (selected !== null && slotOf.has(selected)) {
      i = slotOf.get(selected);
      ctx.beginPath(); ctx.arc(px[i], py[i], 12, 0, 6.283185307179586);
      ctx.strokeStyle = "#1565c0"; ctx.lineWidth = 2.5; ctx.stroke();
    }
    if (visible <= 400 && zoom >= 13) {
      ctx.font = "11px 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";
      ctx.textBaseline = "middle"; ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.85)";
      ctx.fillStyle = "#1a1a1a";
      for (i = 0; i < n; i++) {
        if (!label[i] || px[i] < -20 || py[i] < -20 || px[i] > W || py[i] > H) continue;
        ctx.strokeText(label[i], px[i] + 9, py[i]); ctx.fillText(label[i], px[i] + 9, py[i]);
      }
    }
    record(visible);
  }

  function record(visible) {
    if (visible) framesWithUnits++;
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
  function makeLayer() {
    return L.Layer.extend({
      onAdd: function (m) {
        map = m;
        canvas = L.DomUtil.create("canvas", "console-units");
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
    });
  }

  function onClick(e) {
    var best = null, bestD = 12 * 12;
    for (var i = 0; i < ids.length && i < px.length; i++) {
      var dx = px[i] - e.containerPoint.x, dy = py[i] - e.containerPoint.y, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = ids[i]; }
    }
    if (best !== null) {
      selected = best; schedule();
      if (onSelect) onSelect(best);
    }
  }

  function applyBatch(batch, sentAtMs) {
    for (var i = 0; i < batch.length; i++) put(batch[i]);
    if (sentAtMs) lastSent = sentAtMs;
    if (map && ctx) draw(); else schedule();
    return batch.length;
  }

  window.ConsoleUnits = {
    attach: function (m) { map = m; var UnitLayer = makeLayer(); new UnitLayer().addTo(m); },
    update: applyBatch,
    updateJson: function (text, sentAtMs) { return applyBatch(JSON.parse(text), sentAtMs); },
    remove: function (gone) {
      var keep = new Set(gone), rows = [];
      for (var i = 0; i < ids.length; i++) {
        if (!keep.has(ids[i])) rows.push([ids[i], lat[i], lon[i], course[i], kind[i], status[i], stale[i], label[i]]);
      }
      this.clear(); rows.forEach(put); schedule();
    },
    clear: function () {
      slotOf = new Map(); ids = []; lat = []; lon = []; mx = []; my = []; course = []; kind = []; fill = [];
      stale = []; status = []; label = []; schedule();
    },
    select: function (id, centre) {
      selected = id; var i = slotOf.get(id);
      if (i !== undefined && centre) map.panTo([lat[i], lon[i]]);
      schedule();
    },
    setSelectHandler: function (fn) { onSelect = fn; },
    count: function () { return ids.length; },
    /* For tests: [id, lat, lon, stale, x, y] of every unit, x/y in container pixels. */
    snapshot: function () {
      var out = [];
      for (var i = 0; i < ids.length; i++) {
        var p = map.latLngToContainerPoint([lat[i], lon[i]]);
        out.push([ids[i], lat[i], lon[i], stale[i], p.x, p.y]);
      }
      return out;
    },
    timings: function () { return timings.slice(); },
    framesWithUnits: function () { return framesWithUnits; },
    resetTimings: function () { timings = []; }
  };
})();
