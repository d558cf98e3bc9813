/* Unit labels that do not pile up, and the unit card (issue 17).
 *
 * units.js calls ConsoleLabels.draw(ctx, view) at the end of each drawing pass. Labels are placed
 * greedily by priority: the selected and the hovered unit first, then units at work (busy, assigned),
 * then available ones, then out-of-service and stale ones; a label whose box would cover a label
 * already placed, the icon of a unit already labelled or an incident pin is left out. Zoom thins them
 * too: below zoom 12 only the selected and hovered units are named, at 12 only units at work, from 13
 * every unit that finds room. Pans, zooms and new positions redraw, so the choice follows the view.
 *
 * Hovering a unit, or selecting it, shows its full card (name, id, kind, status, heading, position,
 * age of the fix), in the page's language (window.ConsoleLabelWords, set by console/map/page.py).
 */
(function () {
  "use strict";
  var FONT = "11px 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";
  var style = {fill: "#1a1a1a", halo: "rgba(255,255,255,0.85)"};
  var LABEL_H = 14, GAP = 2, DX = 9, ICON = 8, CELL = 64;
  var STATUS_RANK = [100, 250, 300, 20];  // available, assigned, busy, out of service
  var KIND_RANK = [30, 20, 10, 0, 0];      // patrol boat, cleaning vessel, officer, truck, AIS contact
  var widths = new Map(), placed = [], shownIds = [], view = null, hover = null, card = null, map = null;

  function words() {
    return window.ConsoleLabelWords || {
      kinds: ["Patrol boat", "Cleaning vessel", "Officer", "Waste truck", "AIS contact"],
      statuses: ["Available", "Assigned", "Busy", "Out of service"],
      stale: "no recent fix", fresh: "reporting", heading: "Heading", position: "Position", id: "ID"
    };
  }

  function width(ctx, text) {
    var w = widths.get(text);
    if (w === undefined) {
      w = ctx.measureText(text).width;
      if (widths.size > 20000) widths.clear();
      widths.set(text, w);
    }
    return w;
  }

  function priority(v, i) {
    if (v.ids[i] === v.selected) return 100000;
    if (i === hover) return 90000;
    return STATUS_RANK[v.status[i]] + KIND_RANK[v.kind[i]] - (v.stale[i] ? 150 : 0);
  }

  function zoomAllows(pr, zoom) {
    if (pr >= 90000) return true;
    if (zoom < 12) return false;
    if (zoom < 13) return pr >= STATUS_RANK[1];
    return true;
  }

  /* A grid of the boxes placed so far: a box is checked against the few cells it covers. */
  var grid = new Map();
  function cells(b, fn) {
    for (var cx = Math.floor(b[0] / CELL); cx <= Math.floor((b[0] + b[2]) / CELL); cx++)
      for (var cy = Math.floor(b[1] / CELL); cy <= Math.floor((b[1] + b[3]) / CELL); cy++)
        if (fn(cx * 100003 + cy) === false) return false;
    return true;
  }
  function overlaps(a, b) {
    return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
  }
  function free(b) {
    return cells(b, function (key) {
      var list = grid.get(key);
      if (!list) return true;
      for (var k = 0; k < list.length; k++) if (overlaps(b, list[k])) return false;
      return true;
    });
  }
  function take(b) {
    cells(b, function (key) { var list = grid.get(key); if (!list) grid.set(key, list = []); list.push(b); });
  }

  function obstacles() {  // the incident pins: a label never hides a priority marker
    if (!window.ConsoleIncidents || !ConsoleIncidents.snapshot) return;
    try {
      var pins = ConsoleIncidents.snapshot();
      for (var k = 0; k < pins.length; k++) take([pins[k][4] - 13, pins[k][5] - 26, 26, 26]);
    } catch (e) { /* the incident layer is not attached yet */ }
  }

  /* view: {n, ids, label, px, py, kind, status, stale, course, lat, lon, selected, zoom, W, H, dense} */
  function draw(ctx, v) {
    view = v;
    grid = new Map(); placed = []; shownIds = [];
    var cand = [], i;
    for (i = 0; i < v.n; i++) {
      if (!v.label[i] || v.px[i] < -20 || v.py[i] < -20 || v.px[i] > v.W || v.py[i] > v.H) continue;
      var pr = priority(v, i);
      if (v.dense && pr < 90000) continue;  // thousands in view: icons only, the chosen ones named
      if (zoomAllows(pr, v.zoom)) cand.push(i);
    }
    cand.sort(function (a, b) { return priority(v, b) - priority(v, a) || a - b; });
    ctx.font = FONT;
    obstacles();
    for (var c = 0; c < cand.length; c++) {
      i = cand[c];
      var w = width(ctx, v.label[i]), x = v.px[i], y = v.py[i];
      var icon = [x - ICON, y - ICON, 2 * ICON, 2 * ICON];
      var box = [x + DX - GAP, y - LABEL_H / 2 - GAP, w + 2 * GAP, LABEL_H + 2 * GAP];
      if (priority(v, i) < 90000 && !free(box)) continue;
      take(box); take(icon);
      placed.push([i, box]); shownIds.push(v.ids[i]);
    }
    ctx.textBaseline = "middle"; ctx.lineWidth = 3; ctx.strokeStyle = style.halo; ctx.fillStyle = style.fill;
    for (var p = 0; p < placed.length; p++) {
      i = placed[p][0];
      ctx.strokeText(v.label[i], v.px[i] + DX, v.py[i]); ctx.fillText(v.label[i], v.px[i] + DX, v.py[i]);
    }
    showCard();
    return placed.length;
  }

  // ------------------------------------------------------------------ the card
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function cardIndex() {
    if (!view) return null;
    if (hover !== null && hover < view.n) return hover;
    if (view.selected === null || view.selected === undefined) return null;
    var i = view.ids.indexOf(view.selected);
    return i < 0 ? null : i;
  }

  function showCard() {
    if (!map) return;
    var i = cardIndex();
    if (i === null || view.px[i] < 0 || view.py[i] < 0 || view.px[i] > view.W - 20 || view.py[i] > view.H - 20) {
      if (card) card.style.display = "none";
      return;
    }
    if (!card) {
      card = L.DomUtil.create("div", "console-unit-card", map.getContainer());
      L.DomEvent.disableClickPropagation(card);
    }
    var wd = words(), c = view.course[i];
    var rows = [
      [wd.id, view.ids[i]],
      [wd.kinds[view.kind[i]] || "", (wd.statuses[view.status[i]] || "") + " · " + (view.stale[i] ? wd.stale : wd.fresh)],
      [wd.heading, c === null ? "—" : Math.round(c) + "°"],
      [wd.position, view.lat[i].toFixed(5) + ", " + view.lon[i].toFixed(5)]
    ];
    var html = '<div class="console-unit-card-title">' + esc(view.label[i] || view.ids[i]) + "</div>";
    for (var r = 0; r < rows.length; r++)
      html += '<div><span class="console-unit-card-key">' + esc(rows[r][0]) + "</span> " + esc(rows[r][1]) + "</div>";
    card.innerHTML = html;
    card.className = "console-unit-card" + (view.stale[i] ? " console-unit-card-stale" : "");
    card.style.display = "block";
    var size = map.getSize(), cw = card.offsetWidth, ch = card.offsetHeight;
    var left = view.px[i] + 14, top = view.py[i] + 12;
    if (left + cw > size.x - 4) left = view.px[i] - 14 - cw;
    if (top + ch > size.y - 4) top = view.py[i] - 12 - ch;
    card.style.left = Math.max(4, left) + "px"; card.style.top = Math.max(4, top) + "px";
    card.setAttribute("data-unit", view.ids[i]);
  }

  function nearest(x, y) {
    if (!view) return null;
    var best = null, bestD = 12 * 12;
    for (var i = 0; i < view.n; i++) {
      var dx = view.px[i] - x, dy = view.py[i] - y, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  function hoverAt(x, y) {
    var i = nearest(x, y);
    if (i !== hover) {
      hover = i;
      if (window.ConsoleUnits && ConsoleUnits.redraw) ConsoleUnits.redraw(); else showCard();
    }
    return i === null ? null : view.ids[i];
  }

  window.ConsoleLabels = {
    draw: draw,
    attach: function (m) {
      map = m;
      m.on("mousemove", function (e) { hoverAt(e.containerPoint.x, e.containerPoint.y); });
      m.on("mouseout", function () { hoverAt(-1e6, -1e6); });
    },
    setStyle: function (s) { if (s.fill) style.fill = s.fill; if (s.halo) style.halo = s.halo; },
    hoverAt: hoverAt,
    /* For tests: the ids labelled in the last pass, and their boxes [x, y, w, h] in container pixels. */
    shown: function () { return shownIds.slice(); },
    drawnAtZoom: function () { return view ? view.zoom : null; },
    boxes: function () { return placed.map(function (p) { return p[1]; }); },
    card: function () {
      return card && card.style.display !== "none" ? {unit: card.getAttribute("data-unit"), text: card.innerText} : null;
    }
  };
})();
