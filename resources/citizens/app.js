// The citizen page: report (with a photo and a place picked on the map), follow by number, rate, nearby
// facilities. Everything comes from this server (Leaflet included); nothing is fetched from elsewhere.
(function () {
  "use strict";
  var T = {
    zh_CN: {
      title: "柳州城管 · 市民随手拍", tab_report: "我要报告", tab_follow: "进展查询", tab_nearby: "便民服务",
      map_hint: "点击地图选择问题位置", service: "问题类型", description: "问题描述", address: "地址（可选）",
      photo: "照片（可选）", share: "保留照片中的位置信息", contact: "联系方式（可选，仅执法局可见，不会公开）",
      name_ph: "姓名", phone_ph: "电话", submit: "提交", filed: "已受理，编号", number: "诉求编号", look: "查询",
      rate: "评价处置结果", comment: "意见（可选）", token: "评价码", send_rating: "提交评价", thanks: "感谢您的评价",
      find_nearby: "查找地图中心附近的公厕、停车场等", open: "办理中", closed: "已办结", pick: "请先在地图上点选位置",
      none_near: "附近没有找到便民设施", other_lang: "English", metres: "米", keep_token: "请保存评价码："
    },
    en: {
      title: "Liuzhou city reports", tab_report: "Report", tab_follow: "Follow", tab_nearby: "Nearby",
      map_hint: "Tap the map where the problem is", service: "Problem", description: "What is wrong",
      address: "Address (optional)", photo: "Photo (optional)", share: "Keep the location stored in the photo",
      contact: "Contact (optional; only the bureau sees it, never published)", name_ph: "Name", phone_ph: "Phone",
      submit: "Send", filed: "Received, number", number: "Request number", look: "Look up",
      rate: "Rate the result", comment: "Comment (optional)", token: "Rating code", send_rating: "Send rating",
      thanks: "Thank you for your rating", find_nearby: "Find toilets, parking and more near the map centre",
      open: "In progress", closed: "Closed", pick: "Tap the map to choose the place first",
      none_near: "Nothing found nearby", other_lang: "中文", metres: "m", keep_token: "Keep your rating code: "
    }
  };
  var lang = localStorage.getItem("o311.lang") || "zh_CN";
  var $ = function (id) { return document.getElementById(id); };
  var api = "v2/";

  function tr(key) { return T[lang][key] || key; }
  function applyLang() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    document.querySelectorAll("[data-t]").forEach(function (el) { el.textContent = tr(el.dataset.t); });
    document.querySelectorAll("[data-ph]").forEach(function (el) { el.placeholder = tr(el.dataset.ph); });
    document.title = tr("title");
    $("lang").textContent = tr("other_lang");
    loadServices();
  }
  function errorText(body, status) {
    if (Array.isArray(body) && body[0] && body[0].description) { return body[0].description; }
    return "HTTP " + status;
  }
  function show(el, text) { el.textContent = text; el.hidden = false; }

  // ---- map: the city's river, roads, bridges and districts from this server (only those), no tiles needed
  var map = L.map("map", { zoomControl: true }).setView([24.326, 109.415], 13);
  fetch("page/city.geojson").then(function (r) { return r.json(); }).then(function (gj) {
    L.geoJSON(gj, {
      interactive: false,
      style: function (f) {
        return f.properties.layer === "river" ? { color: "#4a90d9", weight: 1, fillColor: "#8ec1ea", fillOpacity: 0.7 }
                                              : { color: "#9aa5b1", weight: 2, fillOpacity: 0.05 };
      }
    }).addTo(map);
  }).catch(function () { /* the map still takes taps without the base layer */ });
  var marker = null;
  map.on("click", function (e) {
    $("lat").value = e.latlng.lat.toFixed(6);
    $("long").value = e.latlng.lng.toFixed(6);
    if (marker) { marker.setLatLng(e.latlng); } else { marker = L.marker(e.latlng).addTo(map); }
  });

  // ---- tabs and language
  document.querySelectorAll("nav .tab").forEach(function (b) {
    b.addEventListener("click", function () {
      document.querySelectorAll("nav .tab").forEach(function (x) { x.classList.toggle("on", x === b); });
      document.querySelectorAll(".panel").forEach(function (p) { p.classList.toggle("on", p.id === b.dataset.tab); });
    });
  });
  $("lang").addEventListener("click", function () {
    lang = lang === "en" ? "zh_CN" : "en";
    localStorage.setItem("o311.lang", lang);
    applyLang();
  });

  function loadServices() {
    var keep = $("service").value;
    fetch(api + "services.json?lang=" + lang).then(function (r) { return r.json(); }).then(function (list) {
      var sel = $("service");
      sel.innerHTML = "";
      list.forEach(function (s) {
        var o = document.createElement("option");
        o.value = s.service_code; o.textContent = s.group + " · " + s.service_name;
        sel.appendChild(o);
      });
      if (keep) { sel.value = keep; }
      sel.dataset.loaded = "1";
    });
  }

  // ---- report
  $("report-form").addEventListener("submit", function (e) {
    e.preventDefault();
    $("report-error").hidden = true;
    if (!$("lat").value) { show($("report-error"), tr("pick")); return; }
    var fd = new FormData($("report-form"));
    if (!$("photo").files.length) { fd.delete("media"); }
    if ($("share").checked) { fd.append("attribute[photo_location]", "share"); }
    $("submit").disabled = true;
    fetch("page/report?lang=" + lang, { method: "POST", body: fd }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
    }).then(function (res) {
      $("submit").disabled = false;
      if (!res.ok) { show($("report-error"), errorText(res.body, res.status)); return; }
      var got = res.body[0];
      var mine = JSON.parse(localStorage.getItem("o311.mine") || "{}");
      mine[got.service_request_id] = got.rating_token;
      localStorage.setItem("o311.mine", JSON.stringify(mine));
      $("result-id").textContent = got.service_request_id;
      $("report-result").hidden = false;
      $("follow-id").value = got.service_request_id;
      $("report-form").reset();
    }).catch(function (err) { $("submit").disabled = false; show($("report-error"), String(err)); });
  });

  // ---- follow and rate
  function follow(id) {
    $("follow-error").hidden = true;
    fetch(api + "requests/" + encodeURIComponent(id) + ".json?lang=" + lang).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
    }).then(function (res) {
      if (!res.ok) { $("follow-result").hidden = true; show($("follow-error"), errorText(res.body, res.status)); return; }
      var q = res.body[0];
      $("status").textContent = tr(q.status);
      $("status").dataset.status = q.status;
      $("service-name").textContent = q.service_name;
      $("status-notes").textContent = q.status_notes || "";
      var ol = $("notes");
      ol.innerHTML = "";
      (q.notes || []).forEach(function (n) {
        var li = document.createElement("li");
        var t = document.createElement("time");
        t.textContent = n.datetime.replace("T", " ").slice(0, 16);
        li.appendChild(t);
        li.appendChild(document.createTextNode(n.description));
        ol.appendChild(li);
      });
      var token = JSON.parse(localStorage.getItem("o311.mine") || "{}")[q.service_request_id];
      $("token").value = token || "";
      $("token-row").hidden = !!token;
      var rateable = q.status === "closed" && q.rating === null && !q.duplicate_of;
      $("rate-form").hidden = !rateable;
      $("rated").hidden = q.rating === null;
      if (q.lat && q.long) { map.setView([q.lat, q.long], 15); }
      $("follow-result").hidden = false;
    });
  }
  $("follow-form").addEventListener("submit", function (e) { e.preventDefault(); follow($("follow-id").value.trim()); });
  $("rate-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var id = $("follow-id").value.trim();
    var fd = new URLSearchParams({ rating: $("rating").value, comment: $("comment").value, rating_token: $("token").value });
    fetch(api + "requests/" + encodeURIComponent(id) + "/rating.json", { method: "POST", body: fd }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
    }).then(function (res) {
      if (!res.ok) { show($("follow-error"), errorText(res.body, res.status)); return; }
      follow(id);
    });
  });

  // ---- nearby facilities
  var facilityLayer = L.layerGroup().addTo(map);
  $("nearby-go").addEventListener("click", function () {
    var c = map.getCenter();
    fetch(api + "facilities.json?radius=3000&lat=" + c.lat + "&long=" + c.lng).then(function (r) { return r.json(); })
      .then(function (gj) {
        facilityLayer.clearLayers();
        var ul = $("facilities");
        ul.innerHTML = "";
        if (!gj.features || !gj.features.length) { var li0 = document.createElement("li"); li0.textContent = tr("none_near"); ul.appendChild(li0); return; }
        gj.features.forEach(function (f) {
          var p = f.properties, name = (lang === "en" && p.name_en) || p.name;
          var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
          L.circleMarker(ll, { radius: 7, color: "#137333" }).bindPopup(name).addTo(facilityLayer);
          var li = document.createElement("li");
          li.textContent = name + " · " + p.distance_m + " " + tr("metres");
          ul.appendChild(li);
        });
      });
  });

  applyLang();
}());
