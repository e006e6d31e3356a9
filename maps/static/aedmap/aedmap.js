/* AED map page script (part of the aed-tracker maps package, not vendored).
 *
 * Renders map records client-side into markercluster groups. Every user-typed text is
 * put on the page with textContent or as an attribute value, never parsed as HTML.
 * Data comes from a JSON blob embedded in the page (embed mode) or from the bbox API
 * (bbox mode); both use the payload shape documented in maps/payload.py.
 */
(function () {
  "use strict";

  var KIND_LAYER = { aed: "layer_aed", station: "layer_station", gateway: "layer_gateway" };
  var F = { id: 0, kind: 1, lat: 2, lon: 3, status: 4, label: 5, link: 6, hours: 7,
            pad: 8, battery: 9, checked: 10, desc: 11, contact: 12 };

  var readJson = window.AedDom.readJson;
  var el = window.AedDom.el;

  function field(row, i) {
    var v = row[i];
    return v === undefined || v === null ? "" : v;
  }

  // Only http(s) and same-site relative links; anything else (javascript:, data:) is dropped.
  function safeHref(link) {
    if (!link) { return ""; }
    try {
      var u = new URL(link, window.location.href);
      return (u.protocol === "http:" || u.protocol === "https:") ? u.href : "";
    } catch (e) {
      return "";
    }
  }

  // Asia/Shanghai has had no DST since 1991: local time is UTC+8.
  var SHANGHAI_MS = 8 * 3600000, DAY_MS = 86400000, MINUTE_MS = 60000;

  // One payload hours entry (maps/payload.py: minutes from the window's start) as
  // absolute times, once per distinct value.
  function readHours(entry, win) {
    if (!entry) { return null; }
    function abs(list) {
      return (list || []).map(function (p) { return [win.from + p[0] * MINUTE_MS, win.from + p[1] * MINUTE_MS]; });
    }
    return { text: String(entry[0]), open: entry[1] ? abs(entry[1]) : null, unknown: abs(entry[2]) };
  }

  // Open (true/false/null = unknown) at `ms`, and when that changes, as maps.hours.open_state
  // answers: a change is given only within `win.ahead` minutes and before the window ends.
  function hoursAt(h, win, ms) {
    var unknown = { open: null, opensAt: null, closesAt: null }, i;
    if (!h || !h.open || !win || !(ms >= win.from && ms < win.to)) { return unknown; }
    for (i = 0; i < h.unknown.length; i++) {
      if (h.unknown[i][0] <= ms && ms < h.unknown[i][1]) { return unknown; }
    }
    var limit = Math.min(win.to, ms + win.ahead * MINUTE_MS);
    for (i = 0; i < h.open.length; i++) {
      var iv = h.open[i];
      if (iv[0] <= ms && ms < iv[1]) { return { open: true, opensAt: null, closesAt: iv[1] < limit ? iv[1] : null }; }
      if (iv[0] > ms) { return { open: false, opensAt: iv[0] < limit ? iv[0] : null, closesAt: null }; }
    }
    return { open: false, opensAt: null, closesAt: null };
  }

  // The first moment after `ms` at which hoursAt(h, win, .).open may change.
  function nextHoursChange(h, win, ms) {
    var next = win && win.to > ms ? win.to : Infinity;
    if (!h || !h.open) { return next; }
    [h.open, h.unknown].forEach(function (list) {
      list.forEach(function (iv) {
        if (iv[0] > ms && iv[0] < next) { next = iv[0]; }
        if (iv[1] > ms && iv[1] < next) { next = iv[1]; }
      });
    });
    return next;
  }

  function localDay(ms) { return Math.floor((ms + SHANGHAI_MS) / DAY_MS); }

  function localTime(ms) {
    var m = Math.floor((ms + SHANGHAI_MS - localDay(ms) * DAY_MS) / MINUTE_MS);
    var hh = Math.floor(m / 60), mm = m % 60;
    return (hh < 10 ? "0" : "") + hh + ":" + (mm < 10 ? "0" : "") + mm;
  }

  // "open now · closes 18:00", "closed · opens Mon 08:00", in the caller's words.
  function hoursWords(t, state, ms) {
    if (state.open === true) {
      return state.closesAt === null ? t.open
        : t.open + " · " + t.closes_at.replace("{time}", localTime(state.closesAt));
    }
    if (state.open === false) {
      if (state.opensAt === null) { return t.closed; }
      var day = localDay(state.opensAt);
      var names = String(t.weekdays || "").split(/\s+/);
      var dow = ((day + 3) % 7 + 7) % 7; // 1970-01-01 was a Thursday; Monday = 0
      var when = day === localDay(ms) ? t.today : (names[dow] || "");
      return t.closed + " · " + t.opens_at.replace("{day}", when).replace("{time}", localTime(state.opensAt));
    }
    return t.hours_unknown;
  }

  function styleOf(cfg, kind, status) {
    var list = cfg.legend[kind] || [];
    var unknown = null;
    for (var i = 0; i < list.length; i++) {
      if (list[i].status === status) { return list[i]; }
      if (list[i].status === "unknown") { unknown = list[i]; }
    }
    return unknown || { status: status, label: status, colour: "#999999", ink: "#000000", glyph: "?", shape: "circle" };
  }

  // A Leaflet control at `position`: a box (tag, className) that `fill` fills; clicks on
  // it stay off the map.
  function addControl(map, position, tag, className, fill) {
    var Ctl = L.Control.extend({
      options: { position: position },
      onAdd: function () {
        var box = el(tag, className);
        fill(box);
        L.DomEvent.disableClickPropagation(box);
        return box;
      }
    });
    new Ctl().addTo(map);
  }

  function badge(st) {
    var b = el("span", "aedm-badge aedm-shape-" + st.shape, st.glyph);
    b.style.backgroundColor = st.colour;
    b.style.color = st.ink;
    b.setAttribute("aria-hidden", "true");
    return b;
  }

  var GlyphIcon = L.DivIcon.extend({
    createIcon: function (old) {
      var div = L.DivIcon.prototype.createIcon.call(this, old);
      div.textContent = this.options.glyph;
      div.style.backgroundColor = this.options.colour;
      div.style.color = this.options.ink;
      return div;
    }
  });

  function AedMapPage(map, cfg) {
    this.map = map;
    this.cfg = cfg;
    this.t = cfg.text;
    this.icons = {};
    this.items = [];      // {rec, marker, kind, labelLower, open}
    this.byKey = {};
    this.groups = {};
    this.filter = { q: "", openOnly: false };
    this.hoursWindow = null;
    this.hoursTable = [];
    this.nowMs = function () { return Date.now(); };
    this.fetchCtl = null;
  }

  AedMapPage.prototype.icon = function (kind, status) {
    var key = kind + "/" + status;
    if (!this.icons[key]) {
      var st = styleOf(this.cfg, kind, status);
      this.icons[key] = new GlyphIcon({
        className: "aedm aedm-k-" + kind + " aedm-s-" + st.status + " aedm-shape-" + st.shape,
        html: "", glyph: st.glyph, colour: st.colour, ink: st.ink,
        iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -14]
      });
    }
    return this.icons[key];
  };

  AedMapPage.prototype.setup = function () {
    var self = this, cfg = this.cfg, overlays = {};
    // The tile layer comes with the config (not from folium's templates, see builder.py).
    if (cfg.tiles && cfg.tiles.url) {
      var tileOpts = { attribution: cfg.tiles.attribution || "", maxZoom: cfg.tiles.max_zoom,
                       maxNativeZoom: cfg.tiles.max_zoom };
      if (cfg.tiles.subdomains) { tileOpts.subdomains = cfg.tiles.subdomains; }
      L.tileLayer(cfg.tiles.url, tileOpts).addTo(this.map);
    }
    cfg.kinds.forEach(function (kind) {
      var g = L.markerClusterGroup({
        chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50,
        spiderfyOnMaxZoom: true, removeOutsideVisibleBounds: true
      });
      g.addTo(self.map);
      self.groups[kind] = g;
      overlays[self.t[KIND_LAYER[kind]]] = g;
    });
    L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(this.map);
    this.addFilterControl();
    // On the public map the emergency panel (emergency.js) is the nearest-AED tool.
    if (cfg.nearest_url && !cfg.emergency) { this.addNearestControl(); }
    this.addLegend();
    if (cfg.mode === "bbox") {
      this.map.on("moveend", function () { self.scheduleLoad(); });
      this.map.on("overlayadd overlayremove", function () { self.scheduleLoad(); });
      this.scheduleLoad();
    }
  };

  AedMapPage.prototype.setData = function (payload) {
    var self = this, prefix = payload.link_prefix || "", win = payload.hours_window || null;
    var hours = (payload.hours || []).map(function (e) { return win ? readHours(e, win) : null; });
    this.items = [];
    this.byKey = {};
    this.hoursWindow = win;
    this.hoursTable = hours;
    payload.rows.forEach(function (row) {
      var kind = self.cfg.kind_codes[row[F.kind]];
      var status = String(field(row, F.status));
      var label = String(field(row, F.label));
      var hi = row[F.hours];
      var h = (typeof hi === "number" && hi >= 0) ? hours[hi] : null;
      var rec = {
        id: String(field(row, F.id)), kind: kind, lat: row[F.lat], lon: row[F.lon],
        status: status, label: label,
        link: row[F.link] === undefined ? "" : prefix + row[F.link],
        hoursText: h ? h.text : "", hours: h,
        pad: field(row, F.pad), battery: field(row, F.battery), checked: field(row, F.checked),
        desc: field(row, F.desc), contact: field(row, F.contact)
      };
      var marker = L.marker([rec.lat, rec.lon], {
        icon: self.icon(kind, status), title: label, alt: label, riseOnHover: true
      });
      marker.bindPopup(function () { return self.popup(rec); }, { maxWidth: 280, minWidth: 180 });
      var item = { rec: rec, marker: marker, labelLower: label.toLowerCase() };
      self.items.push(item);
      self.byKey[kind + "/" + rec.id] = item;
    });
    this.notice(payload.truncated ? this.t.too_many : "");
    this.applyFilter();
  };

  AedMapPage.prototype.applyFilter = function () {
    var self = this, q = this.filter.q, openOnly = this.filter.openOnly;
    var perKind = {}, shown = 0, now = this.nowMs();
    this.cfg.kinds.forEach(function (k) { perKind[k] = []; });
    this.items.forEach(function (it) {
      if (q && it.labelLower.indexOf(q) < 0) { return; }
      // Evaluated now, not at load: a page may stay open across opening times.
      if (openOnly && self.hoursAt(it.rec, now).open !== true) { return; }
      if (perKind[it.rec.kind]) { perKind[it.rec.kind].push(it.marker); shown++; }
    });
    this.scheduleRefilter(now);
    this.cfg.kinds.forEach(function (k) {
      self.groups[k].clearLayers();
      self.groups[k].addLayers(perKind[k]);
    });
    if (this.countEl) { this.countEl.textContent = this.t.shown + ": " + shown; }
    this.shown = shown;
  };

  AedMapPage.prototype.hoursAt = function (rec, ms) {
    return hoursAt(rec.hours, this.hoursWindow, ms);
  };

  // With "open now" on, the filter runs again when the first place opens or closes.
  AedMapPage.prototype.scheduleRefilter = function (now) {
    var self = this, next = Infinity;
    clearTimeout(this.refilterTimer);
    this.refreshAt = null;
    if (!this.filter.openOnly) { return; }
    this.hoursTable.forEach(function (h) { next = Math.min(next, nextHoursChange(h, self.hoursWindow, now)); });
    if (next === Infinity) { return; }
    this.refreshAt = next;
    // A little past the change: the timer's clock and Date.now() may disagree by a few ms.
    this.refilterTimer = setTimeout(function () { self.applyFilter(); }, Math.max(0, next - now) + 250);
  };

  AedMapPage.prototype.popup = function (rec) {
    var t = this.t, st = styleOf(this.cfg, rec.kind, rec.status);
    var box = el("div", "aedm-popup");
    box.appendChild(el("div", "aedm-popup-title", rec.label));
    var status = el("div", "aedm-popup-status aedm-s-" + st.status);
    status.appendChild(badge(st));
    status.appendChild(el("span", "aedm-status-text", st.label));
    box.appendChild(status);
    var dl = el("dl", "aedm-popup-facts");
    function fact(caption, value, cls) {
      if (!value) { return; }
      dl.appendChild(el("dt", null, caption));
      dl.appendChild(el("dd", cls || null, value));
    }
    fact(t.pad_expiry, rec.pad, "aedm-pad");
    fact(t.battery_expiry, rec.battery, "aedm-battery");
    fact(t.last_check, rec.checked, "aedm-checked");
    if (rec.hoursText) {
      var now = this.nowMs();
      fact(t.access_hours, rec.hoursText + " (" + hoursWords(t, this.hoursAt(rec, now), now) + ")", "aedm-hours");
    }
    fact(t.contact, rec.contact, "aedm-contact");
    if (dl.childNodes.length) { box.appendChild(dl); }
    if (rec.desc) { box.appendChild(el("p", "aedm-popup-desc", rec.desc)); }
    var href = safeHref(rec.link);
    if (href) {
      var a = el("a", "aedm-popup-link", t.details);
      a.href = href;
      box.appendChild(a);
    }
    return box;
  };

  AedMapPage.prototype.addFilterControl = function () {
    var self = this, t = this.t;
    addControl(this.map, "topleft", "div", "leaflet-bar aedm-panel aedm-filter", function (box) {
      var input = el("input", "aedm-search");
      input.type = "search";
      input.placeholder = t.search;
      input.setAttribute("aria-label", t.search);
      var lab = el("label", "aedm-open-now");
      var cb = el("input");
      cb.type = "checkbox";
      lab.appendChild(cb);
      lab.appendChild(el("span", null, t.open_now));
      self.countEl = el("div", "aedm-count");
      self.noticeEl = el("div", "aedm-notice");
      self.noticeEl.setAttribute("role", "status");
      box.appendChild(input);
      box.appendChild(lab);
      box.appendChild(self.countEl);
      box.appendChild(self.noticeEl);
      var timer = null;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          self.filter.q = input.value.trim().toLowerCase();
          self.applyFilter();
        }, 150);
      });
      cb.addEventListener("change", function () {
        self.filter.openOnly = cb.checked;
        self.applyFilter();
      });
      L.DomEvent.disableScrollPropagation(box);
    });
  };

  AedMapPage.prototype.notice = function (text) {
    if (this.noticeEl) { this.noticeEl.textContent = text || ""; }
  };

  AedMapPage.prototype.addLegend = function () {
    var self = this, t = this.t;
    addControl(this.map, "bottomright", "details", "aedm-panel aedm-legend", function (box) {
      box.appendChild(el("summary", null, t.legend));
      self.cfg.kinds.forEach(function (kind) {
        box.appendChild(el("div", "aedm-legend-kind", t[KIND_LAYER[kind]]));
        (self.cfg.legend[kind] || []).forEach(function (st) {
          var row = el("div", "aedm-legend-row aedm-s-" + st.status);
          row.appendChild(badge(st));
          row.appendChild(el("span", null, st.label));
          box.appendChild(row);
        });
      });
    });
  };

  AedMapPage.prototype.addNearestControl = function () {
    var self = this, t = this.t;
    addControl(this.map, "topleft", "div", "leaflet-bar aedm-panel aedm-nearest", function (box) {
      var btn = el("button", "aedm-nearest-btn", t.nearest);
      btn.type = "button";
      var status = el("div", "aedm-nearest-status");
      status.setAttribute("role", "status");
      var list = el("ol", "aedm-nearest-list");
      box.appendChild(btn);
      box.appendChild(status);
      box.appendChild(list);
      btn.addEventListener("click", function () { self.findNearest(status, list); });
    });
  };

  AedMapPage.prototype.findNearest = function (status, list) {
    var self = this, t = this.t, cfg = this.cfg;
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!navigator.geolocation) { status.textContent = t.nearest_error; return; }
    status.textContent = t.nearest_busy;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var u = new URL(cfg.nearest_url, window.location.href);
      u.searchParams.set("lat", pos.coords.latitude.toFixed(6));
      u.searchParams.set("lon", pos.coords.longitude.toFixed(6));
      u.searchParams.set("n", String(cfg.nearest_n));
      u.searchParams.set("status", "ready");
      if (cfg.coords === "gcj02") { u.searchParams.set("coords", "gcj02"); }
      fetch(u.href, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (items) { self.showNearest(items, status, list, pos); })
        .catch(function () { status.textContent = t.nearest_error; });
    }, function () {
      status.textContent = t.nearest_error;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  };

  AedMapPage.prototype.showNearest = function (items, status, list, pos) {
    var self = this, t = this.t;
    if (!Array.isArray(items) || !items.length) { status.textContent = t.nearest_none; return; }
    status.textContent = "";
    if (this.cfg.coords !== "gcj02") {
      if (this.hereMarker) { this.hereMarker.remove(); }
      this.hereMarker = L.circleMarker([pos.coords.latitude, pos.coords.longitude],
        { radius: 8, color: "#0072B2", fillOpacity: 0.6 }).addTo(this.map);
    }
    items.forEach(function (it) {
      var li = el("li", "aedm-nearest-item");
      var d = Number(it.distance_m);
      var dist = isFinite(d) ? (d < 1000 ? Math.round(d) + " m" : (d / 1000).toFixed(1) + " km") : "";
      var st = styleOf(self.cfg, "aed", String(it.status || "unknown"));
      var show = el("button", "aedm-nearest-show");
      show.type = "button";
      show.appendChild(badge(st));
      show.appendChild(el("span", "aedm-nearest-label", String(it.label || "")));
      show.appendChild(el("span", "aedm-nearest-dist", dist));
      var open = it.open_now === true ? t.open : (it.open_now === false ? t.closed : t.hours_unknown);
      show.appendChild(el("span", "aedm-nearest-open", open));
      show.addEventListener("click", function () { self.focus(it); });
      li.appendChild(show);
      var href = safeHref(it.link);
      if (href) {
        var a = el("a", "aedm-nearest-link", t.details);
        a.href = href;
        li.appendChild(a);
      }
      list.appendChild(li);
    });
  };

  AedMapPage.prototype.focus = function (it) {
    var item = this.byKey["aed/" + String(it.id)];
    if (item) {
      this.groups.aed.zoomToShowLayer(item.marker, function () { item.marker.openPopup(); });
      return;
    }
    var lat = it.map_lat !== undefined ? it.map_lat : it.lat;
    var lon = it.map_lon !== undefined ? it.map_lon : it.lon;
    if (isFinite(lat) && isFinite(lon)) { this.map.setView([lat, lon], Math.max(this.map.getZoom(), 17)); }
  };

  AedMapPage.prototype.scheduleLoad = function () {
    var self = this;
    clearTimeout(this.loadTimer);
    this.loadTimer = setTimeout(function () { self.load(); }, 200);
  };

  AedMapPage.prototype.load = function () {
    var self = this, cfg = this.cfg;
    var kinds = cfg.kinds.filter(function (k) { return self.map.hasLayer(self.groups[k]); });
    if (this.fetchCtl) { this.fetchCtl.abort(); }
    var ctl = this.fetchCtl = new AbortController();
    var b = this.map.getBounds().pad(0.1);
    var u = new URL(cfg.features_url, window.location.href);
    u.searchParams.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map(function (x) { return x.toFixed(6); }).join(","));
    u.searchParams.set("kind", kinds.join(","));
    u.searchParams.set("zoom", String(this.map.getZoom()));
    if (cfg.coords === "gcj02") { u.searchParams.set("coords", "gcj02"); }
    fetch(u.href, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: ctl.signal })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (payload) { if (ctl === self.fetchCtl) { self.setData(payload); self.loaded = (self.loaded || 0) + 1; } })
      .catch(function (e) { if (e && e.name !== "AbortError") { self.notice(self.t.load_error); } });
  };

  window.AedMap = {
    init: function (map, configId, dataId) {
      var page = new AedMapPage(map, readJson(configId));
      page.setup();
      if (page.cfg.mode !== "bbox") {
        var data = readJson(dataId);
        if (data) { page.setData(data); }
      }
      map.aedmap = page;
      window.aedmapPage = page;
      return page;
    },
    hoursAt: hoursAt,
    hoursWords: hoursWords
  };
})();
