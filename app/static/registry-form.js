/* The registry editor's form (app/templates/registry/): the position map and the
   access-hours check. Without JavaScript the form still works: latitude and longitude
   are typed by hand and the hours are checked when the form is saved.

   - The map (Leaflet, from the maps' own static files) shows the marker at the typed
     position; tapping the map or dragging the marker writes the position into the
     latitude and longitude fields (WGS-84, 6 decimals: about 10 cm). Typing into them
     moves the marker. Choosing another site moves an empty position to the site's.
   - With GCJ-02 tiles (MAP_TILES=amap) the marker is drawn shifted as those tiles need
     and the tapped point is shifted back: the fields always hold WGS-84.
   - Access hours are sent to GET /api/v1/hours/check as they are typed (after a short
     pause); its line ("Open now, closes 21:00", or why the value is not understood)
     replaces the one beside the field. */
(function () {
  "use strict";

  // --- GCJ-02 (as maps/geo.py) --------------------------------------------------------
  var A = 6378245.0, EE = 0.00669342162296594323;
  function inChina(lat, lon) { return lat >= 0.8293 && lat <= 55.8271 && lon >= 72.004 && lon <= 137.8347; }
  function offLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
    return r;
  }
  function offLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
    return r;
  }
  function toGcj(lat, lon) {
    if (!inChina(lat, lon)) { return [lat, lon]; }
    var x = lon - 105, y = lat - 35, rad = lat / 180 * Math.PI;
    var magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    var dlat = offLat(x, y) * 180 / ((A * (1 - EE)) / (magic * sq) * Math.PI);
    var dlon = offLon(x, y) * 180 / (A / sq * Math.cos(rad) * Math.PI);
    return [lat + dlat, lon + dlon];
  }
  function toWgs(lat, lon) {
    var w = [lat, lon];
    for (var i = 0; i < 30; i++) {
      var g = toGcj(w[0], w[1]), dlat = g[0] - lat, dlon = g[1] - lon;
      w = [w[0] - dlat, w[1] - dlon];
      if (Math.abs(dlat) < 1e-10 && Math.abs(dlon) < 1e-10) { break; }
    }
    return w;
  }

  // --- the position map ---------------------------------------------------------------
  function number(input) {
    var v = parseFloat((input.value || "").trim());
    return isFinite(v) ? v : null;
  }

  function setUpMap() {
    var box = document.getElementById("position-map");
    var latInput = document.getElementById("lat"), lonInput = document.getElementById("lon");
    if (!box || !latInput || !lonInput || typeof L === "undefined") { return; }
    var gcj = box.dataset.gcj02 === "1";
    var shown = gcj ? toGcj : function (a, b) { return [a, b]; };
    var real = gcj ? toWgs : function (a, b) { return [a, b]; };
    var start = shown(parseFloat(box.dataset.lat), parseFloat(box.dataset.lon));
    var maxZoom = parseInt(box.dataset.maxZoom, 10) || 19;
    box.classList.add("ready");  // shown only with a script to run it: it has its size now
    var map = L.map(box, { zoomControl: true, maxZoom: maxZoom }).setView(start, 17);
    if (box.dataset.tilesUrl) {
      L.tileLayer(box.dataset.tilesUrl, {
        attribution: box.dataset.attribution, subdomains: box.dataset.subdomains || "abc",
        maxZoom: maxZoom
      }).addTo(map);
    }
    var marker = null;

    function place(lat, lon, pan) {
      var at = shown(lat, lon);
      if (marker === null) {
        marker = L.marker(at, { draggable: true, autoPan: true, keyboard: true,
                                title: latInput.labels[0] ? latInput.labels[0].textContent : "" });
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          write(real(p.lat, p.lng));
        });
        marker.addTo(map);
        box.dataset.marker = "1";
      } else {
        marker.setLatLng(at);
      }
      if (pan) { map.setView(at, map.getZoom(), { animate: false }); }
    }

    function write(wgs) {
      latInput.value = wgs[0].toFixed(6);
      lonInput.value = wgs[1].toFixed(6);
      latInput.dispatchEvent(new Event("change", { bubbles: true }));
      box.dataset.lat = latInput.value;
      box.dataset.lon = lonInput.value;
    }

    map.on("click", function (e) {
      var wgs = real(e.latlng.lat, e.latlng.lng);
      write(wgs);
      place(wgs[0], wgs[1], false);
    });

    function typed() {
      var lat = number(latInput), lon = number(lonInput);
      if (lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
        place(lat, lon, true);
      }
    }
    latInput.addEventListener("input", typed);
    lonInput.addEventListener("input", typed);
    if (number(latInput) !== null && number(lonInput) !== null) { typed(); }

    var site = document.getElementById("site_id");
    if (site && site.dataset.sitePositions) {
      var positions = JSON.parse(site.dataset.sitePositions);
      site.addEventListener("change", function () {
        var p = positions[site.value];
        if (!p) { return; }
        if (number(latInput) === null || number(lonInput) === null) {
          write(p);
          place(p[0], p[1], true);
        } else if (marker === null) {
          map.setView(shown(p[0], p[1]), map.getZoom(), { animate: false });
        }
      });
    }
    // The page may still be laying out (fonts) on a phone: keep the same centre.
    window.addEventListener("resize", function () { map.invalidateSize({ pan: false }); });
    window.registryMap = { map: map, place: place };
  }

  // --- the access-hours check ---------------------------------------------------------
  function setUpHours(input) {
    var output = document.getElementById(input.dataset.hoursOutput);
    if (!output) { return; }
    var timer = null, asked = 0;
    function show(answer) {
      output.textContent = answer.text;
      output.classList.remove("hours-ok", "hours-bad", "hours-none");
      output.classList.add(!answer.valid ? "hours-bad" : (answer.open === null ? "hours-none" : "hours-ok"));
      output.dataset.valid = answer.valid ? "1" : "0";
    }
    function ask() {
      var mine = ++asked;
      var url = input.dataset.hoursCheck + "?value=" + encodeURIComponent(input.value.slice(0, 200));
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) { if (answer && mine === asked) { show(answer); } })
        .catch(function () { /* offline: the save checks it again */ });
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 300);
    });
  }

  function start() {
    setUpMap();
    var fields = document.querySelectorAll("input[data-hours-check]");
    for (var i = 0; i < fields.length; i++) { setUpHours(fields[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
