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
  // the theme's (console/theme.py, set through setPalette): fills by status then stale, outlines by kind
  var FILLS = ["#009e73", "#f0c000", "#c8102e", "#4a2f8a", "#a8adb2"];
  var STROKES = ["#0b3d91", "#00838f", "#37474f", "#5d4037", "#455a64"];
  var INK = {label: "#1a1a1a", halo: "rgba(255,255,255,0.85)", selected: "#1565c0"};
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
  var trails = new Map();  // id -> [[lat, lon], ..., null (a gap), ...]; only the replay window sets them
  var framesWithUnits = 0; // drawing passes that drew at least one unit

  /* One small pre-drawn image per kind, colour and 10-degree heading step: 5,000 drawImage calls
     cost a fraction of rasterising 5,000 anti-aliased paths on a GPU-less control-room PC. */
  var SPRITE = 20, HALF = 10, SMALL = 12, SMALL_SCALE = 0.55, LOD_UNITS = 1500, sprites = {};
  function sprite(kd, fl, step, dpr, small) {
    var key = (small ? 1000000 : 0) + kd * 10000 + fl * 100 + step, img = sprites[key];
    if (img) return img;
    var size = small ? SMALL : SPRITE, half = size / 2;
    img = document.createElement("canvas");
    img.width = img.height = Math.ceil(size * dpr);
    var g = img.getContext("2d"), shape = SHAPES[kd];
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.translate(half, half);
    if (small) g.scale(SMALL_SCALE, SMALL_SCALE);
    if (ROTATES[kd]) g.rotate(step * 10 * Math.PI / 180);
    g.beginPath();
    if (shape === null) g.arc(0, 0, 5, 0, 2 * Math.PI);
    else { g.moveTo(shape[0][0], shape[0][1]); for (var v = 1; v < shape.length; v++) g.lineTo(shape[v][0], shape[v][1]); g.closePath(); }
    g.fillStyle = FILLS[fl]; g.fill();
    g.lineWidth = small ? 1.6 : 1.2; g.strokeStyle = STROKES[kd]; g.stroke();
    sprites[key] = img;
    return img;
  }

  /* A sprite as the list of its visible pixels: offsets into the frame (for the current frame
     width) and their RGBA values, opaque ones (copied) apart from anti-aliased edges (blended).
     Transparent pixels cost nothing. */
  var spritePixels = {}, spriteWidth = 0;
  function pixels(kd, fl, step, dpr, W, small) {
    if (W !== spriteWidth) { spritePixels = {}; spriteWidth = W; }
    var key = (small ? 1000000 : 0) + kd * 10000 + fl * 100 + step, sp = spritePixels[key];
    if (sp) return sp;
    var img = sprite(kd, fl, step, dpr, small), S = img.width, g = img.getContext("2d");
    var src = new Uint32Array(g.getImageData(0, 0, S, S).data.buffer.slice(0));
    var offs = [], vals = [], eoffs = [], evals = [], dx = [], dy = [], all = [];
    for (var y = 0; y < S; y++) for (var x = 0; x < S; x++) {
      var v = src[y * S + x], a = v >>> 24;
      if (!a) continue;
      if (a === 255) { offs.push(y * W + x); vals.push(v); } else { eoffs.push(y * W + x); evals.push(v); }
      dx.push(x); dy.push(y); all.push(v);
    }
    sp = {offs: new Int32Array(offs), vals: new Uint32Array(vals), eoffs: new Int32Array(eoffs),
          evals: new Uint32Array(evals), dx: new Int32Array(dx), dy: new Int32Array(dy), all: new Uint32Array(all), S: S};
    spritePixels[key] = sp;
    return sp;
  }

  /* Every unit written straight into one ImageData and put on the canvas once: no per-unit
     canvas call at all, which is what keeps 5,000 units inside a frame without a GPU. With
     more than LOD_UNITS units in view they are drawn as compact icons (same shape, colour and
     heading, a third of the pixels): at that density full-size icons would only overlap. */
  var frame = null, frame32 = null;
  function blit(buckets, size, dpr, small) {
    var W = Math.round(size.x * dpr), H = Math.round(size.y * dpr);
    if (!frame || frame.width !== W || frame.height !== H) {
      frame = ctx.createImageData(W, H); frame32 = new Uint32Array(frame.data.buffer);
    } else {
      frame32.fill(0);
    }
    var f32 = frame32, hs = Math.floor(Math.ceil((small ? SMALL : SPRITE) * dpr) / 2);
    for (var b = 0; b < buckets.length; b++) {
      var list = buckets[b];
      if (!list.length) continue;
      var kd = b % NKIND, fl = (b / NKIND) | 0, rot = ROTATES[kd];
      for (var k = 0; k < list.length; k++) {
        var i = list[k], c = course[i];
        var step = (rot && c !== null) ? Math.round((((c % 360) + 360) % 360) / 10) % 36 : 0;
        var sp = pixels(kd, fl, step, dpr, W, small), j, d, v, o;
        var x0 = Math.round(px[i] * dpr) - hs, y0 = Math.round(py[i] * dpr) - hs;
        if (x0 >= 0 && y0 >= 0 && x0 + sp.S <= W && y0 + sp.S <= H) {
          var base = y0 * W + x0, offs = sp.offs, vals = sp.vals, n = offs.length;
          for (j = 0; j < n; j++) f32[base + offs[j]] = vals[j];
          offs = sp.eoffs; vals = sp.evals; n = offs.length;
          for (j = 0; j < n; j++) {
            o = base + offs[j]; v = vals[j]; d = f32[o];
            f32[o] = (d >>> 24) > (v >>> 24) ? ((v & 0x00ffffff) | (d & 0xff000000)) : v;
          }
        } else {  // partly off the canvas: clip pixel by pixel
          var dxs = sp.dx, dys = sp.dy, all = sp.all, m = all.length;
          for (j = 0; j < m; j++) {
            var X = x0 + dxs[j], Y = y0 + dys[j];
            if (X < 0 || Y < 0 || X >= W || Y >= H) continue;
            o = Y * W + X; v = all[j]; d = f32[o];
            f32[o] = (d >>> 24) > (v >>> 24) ? ((v & 0x00ffffff) | (d & 0xff000000)) : v;
          }
        }
      }
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.putImageData(frame, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

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
    if (trails.size) drawTrails();
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
    blit(buckets, size, dpr, visible > LOD_UNITS);
    if (trails.size) drawTrails();  // blit replaced the pixels: the trails go on top, translucent
    if (selected !== null && slotOf.has(selected)) {
      i = slotOf.get(selected);
      ctx.beginPath(); ctx.arc(px[i], py[i], 12, 0, 6.283185307179586);
      ctx.strokeStyle = INK.selected; ctx.lineWidth = 2.5; ctx.stroke();
    }
    if (window.ConsoleLabels) {  // labels thinned by zoom and priority, the hover card (labels.js)
      ConsoleLabels.draw(ctx, {n: n, ids: ids, label: label, px: px, py: py, kind: kind, status: status, stale: stale,
                               course: course, lat: lat, lon: lon, selected: selected, zoom: zoom, W: W, H: H,
                               dense: visible > LOD_UNITS});
    }
    record(visible);
  }

  function drawTrails() {
    ctx.lineWidth = 1.5; ctx.strokeStyle = "rgba(21,101,192,0.55)";
    ctx.beginPath();
    trails.forEach(function (pts) {
      var lift = true;  // a null between two points: the fixes stopped there, no line across the gap
      for (var i = 0; i < pts.length; i++) {
        if (pts[i] === null) { lift = true; continue; }
        var p = map.latLngToContainerPoint(pts[i]);
        if (lift) ctx.moveTo(p.x, p.y); else ctx.lineTo(p.x, p.y);
        lift = false;
      }
    });
    ctx.stroke();
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
        ctx = canvas.getContext("2d", {desynchronized: true, alpha: true});
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

  /* The compact form Python uses for live batches: units are first defined with their slot
     (define([[slot, id, label], ...])), then each batch is base64 of little-endian int32 quintets:
     slot, lat*1e6, lon*1e6, course*10 (-1: none), kind | status << 3 | stale << 5. */
  var bySlot = [], pySlot = new Map();  // Python's slot -> our index; id -> Python's slot
  function define(list) {
    for (var j = 0; j < list.length; j++) {
      var d = list[j], i = slotOf.get(d[1]);
      pySlot.set(d[1], d[0]);
      if (i === undefined) { put([d[1], 0, 0, null, 0, 0, 1, d[2]]); i = slotOf.get(d[1]); }
      else if (d[2] !== null) label[i] = d[2];
      bySlot[d[0]] = i;
    }
    return list.length;
  }
  function updatePacked(b64, sentAtMs) {
    var bytes;
    if (Uint8Array.fromBase64) bytes = Uint8Array.fromBase64(b64);  // native, Chromium 140+
    else {
      var bin = atob(b64), n = bin.length;
      bytes = new Uint8Array(n);
      for (var j = 0; j < n; j++) bytes[j] = bin.charCodeAt(j);
    }
    var q = new Int32Array(bytes.buffer), m = q.length / 5;
    for (var r = 0; r < m; r++) {
      var o = r * 5, i = bySlot[q[o]];
      if (i === undefined) continue;
      var la = q[o + 1] / 1e6, lo = q[o + 2] / 1e6, f = q[o + 4];
      lat[i] = la; lon[i] = lo; mx[i] = mercX(lo); my[i] = mercY(la);
      course[i] = q[o + 3] < 0 ? null : q[o + 3] / 10;
      kind[i] = f & 7; status[i] = (f >> 3) & 3; stale[i] = (f >> 5) & 1;
      fill[i] = stale[i] ? 4 : status[i];
    }
    if (sentAtMs) lastSent = sentAtMs;
    if (map && ctx) draw(); else schedule();
    return m;
  }

  window.ConsoleUnits = {
    define: define,
    updatePacked: updatePacked,
    attach: function (m) { map = m; var UnitLayer = makeLayer(); new UnitLayer().addTo(m); },
    update: applyBatch,
    updateJson: function (text, sentAtMs) { return applyBatch(JSON.parse(text), sentAtMs); },
    remove: function (gone) {
      var keep = new Set(gone), rows = [], slots = pySlot;
      for (var i = 0; i < ids.length; i++) {
        if (!keep.has(ids[i])) rows.push([ids[i], lat[i], lon[i], course[i], kind[i], status[i], stale[i], label[i]]);
      }
      this.clear();
      rows.forEach(put);
      // the packed path keeps working for the units that stay: re-link Python's slots
      rows.forEach(function (r) { if (slots.has(r[0])) { pySlot.set(r[0], slots.get(r[0])); bySlot[slots.get(r[0])] = slotOf.get(r[0]); } });
      schedule();
      return rows.length;
    },
    clear: function () {
      bySlot = []; pySlot = new Map(); slotOf = new Map(); ids = []; lat = []; lon = []; mx = []; my = []; course = []; kind = []; fill = [];
      stale = []; status = []; label = []; schedule();
    },
    select: function (id, centre) {
      selected = id; var i = slotOf.get(id);
      if (i !== undefined && centre) map.panTo([lat[i], lon[i]]);
      schedule();
    },
    setSelectHandler: function (fn) { onSelect = fn; },
    /* The theme's colours (resources/map/theme.js): the pre-drawn icons are made again with them. */
    setPalette: function (p) {
      if (p.fills && p.fills.length === 5) FILLS = p.fills.slice();
      if (p.strokes && p.strokes.length === NKIND) STROKES = p.strokes.slice();
      INK = {label: p.unit_label || INK.label, halo: p.unit_halo || INK.halo, selected: p.selected || INK.selected};
      sprites = {}; spritePixels = {};
      schedule();
      return FILLS.length;
    },
    palette: function () { return {fills: FILLS.slice(), strokes: STROKES.slice(), label: INK.label}; },
    redraw: schedule,
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
    /* Replay: the track of the last minutes per unit, {id: [[lat, lon], ...]}; {} clears them. */
    setTrails: function (byId) {
      trails.clear();
      Object.keys(byId || {}).forEach(function (id) { trails.set(id, byId[id]); });
      schedule();
      return trails.size;
    },
    trailCount: function () { return trails.size; },
    timings: function () { return timings.slice(); },
    framesWithUnits: function () { return framesWithUnits; },
    resetTimings: function () { timings = []; }
  };
})();
