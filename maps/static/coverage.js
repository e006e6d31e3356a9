/* AED coverage layer (part of the aed-tracker maps package, not vendored).
 *
 * Cells coloured covered / not covered at a chosen hour, with a slider over the typical
 * week. The page's config blob (maps/coverage_layer.py) says where to fetch the cells;
 * each answer is compact (app/coverage/payload.py): a raster (south-west corner, steps,
 * rows, columns), the area's cells as runs of raster indices, and one bit per cell.
 * The cells are painted on canvas tiles (an L.GridLayer): no DOM node per cell. Words
 * come from the config and are set with textContent.
 */
(function () {
  "use strict";

  var COVERED = "rgba(0, 158, 115, 0.40)";   // Okabe-Ito bluish green
  var UNCOVERED = "rgba(213, 94, 0, 0.40)";  // Okabe-Ito vermillion
  var HOURS = 168;

  var readJson = window.AedDom.readJson;
  var el = window.AedDom.el;

  function pct(share) {
    return (Math.round(share * 1000) / 10).toFixed(1) + " %";
  }

  // One byte per raster cell: 0 outside the area, 1 not covered, 2 covered.
  function decode(payload) {
    var g = payload.grid, state = new Uint8Array(g.rows * g.cols);
    var raw = atob(payload.covered_bits), runs = payload.runs, k = 0;
    for (var i = 0; i < runs.length; i += 2) {
      for (var j = 0; j < runs[i + 1]; j++, k++) {
        var bit = (raw.charCodeAt(k >> 3) >> (7 - (k & 7))) & 1;
        state[runs[i] + j] = bit ? 2 : 1;
      }
    }
    return state;
  }

  var CellLayer = L.GridLayer.extend({
    options: { zIndex: 350, updateWhenZooming: false },

    setCells: function (grid, state) {
      this._grid = grid;
      this._state = state;
      this.redraw();
    },

    createTile: function (coords) {
      var tile = document.createElement("canvas"), size = this.getTileSize();
      tile.width = size.x;
      tile.height = size.y;
      var g = this._grid, state = this._state;
      if (!g || !state) { return tile; }
      var map = this._map, z = coords.z;
      var origin = coords.scaleBy(size);
      var nw = map.unproject(origin, z), se = map.unproject(origin.add(size), z);
      var r0 = Math.max(0, Math.floor((se.lat - g.lat0) / g.dlat));
      var r1 = Math.min(g.rows - 1, Math.floor((nw.lat - g.lat0) / g.dlat));
      var c0 = Math.max(0, Math.floor((nw.lng - g.lon0) / g.dlon));
      var c1 = Math.min(g.cols - 1, Math.floor((se.lng - g.lon0) / g.dlon));
      if (r0 > r1 || c0 > c1) { return tile; }
      var ctx = tile.getContext("2d");
      var xs = [], c, r;
      for (c = c0; c <= c1 + 1; c++) {
        xs.push(map.project([g.lat0, g.lon0 + c * g.dlon], z).x - origin.x);
      }
      for (r = r0; r <= r1; r++) {
        var top = map.project([g.lat0 + (r + 1) * g.dlat, g.lon0], z).y - origin.y;
        var bottom = map.project([g.lat0 + r * g.dlat, g.lon0], z).y - origin.y;
        var h = Math.max(1, bottom - top), base = r * g.cols;
        for (c = c0; c <= c1; c++) {
          var s = state[base + c];
          if (!s) { continue; }
          ctx.fillStyle = s === 2 ? COVERED : UNCOVERED;
          ctx.fillRect(xs[c - c0], top, Math.max(1, xs[c - c0 + 1] - xs[c - c0]), h);
        }
      }
      return tile;
    }
  });

  function Coverage(map, cfg) {
    this.map = map;
    this.cfg = cfg;
    this.t = cfg.text || {};
    this.days = String(this.t.weekdays || "").split(" ");
    this.cache = {};
    this.layer = new CellLayer();
    this.hour = null;       // null: now; else an hour of the typical week
    this.on = false;
    this.seq = 0;
    this.timer = null;
    this.state = { drawn: 0, share: null, error: null, cells: 0 };
  }

  Coverage.prototype.hourLabel = function (h) {
    var hh = h % 24;
    return (this.days[Math.floor(h / 24) % 7] || "") + " " + (hh < 10 ? "0" : "") + hh + ":00";
  };

  Coverage.prototype.atOf = function (h) {
    return new Date(Date.parse(this.cfg.week_starts_at) + (h * 3600 + 1800) * 1000).toISOString();
  };

  Coverage.prototype.setup = function () {
    var self = this, t = this.t, Ctl = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var box = el("div", "leaflet-bar aedm-panel aedcov-panel");
        box.style.padding = "6px 8px";
        box.style.maxWidth = "260px";
        var lab = el("label", "aedcov-toggle");
        var cb = el("input");
        cb.type = "checkbox";
        cb.id = "aedcov-on";
        lab.appendChild(cb);
        lab.appendChild(el("span", null, " " + t.layer));
        box.appendChild(lab);
        var row = el("div", "aedcov-hours");
        var slider = el("input", "aedcov-slider");
        slider.type = "range";
        slider.min = "0";
        slider.max = String(HOURS - 1);
        slider.step = "1";
        slider.value = String(self.cfg.now_hour || 0);
        slider.setAttribute("aria-label", t.hour || "hour");
        slider.style.width = "100%";
        slider.disabled = !self.cfg.week_starts_at;
        var now = el("button", "aedcov-now", t.now);
        now.type = "button";
        row.appendChild(slider);
        row.appendChild(now);
        box.appendChild(row);
        var label = el("div", "aedcov-label");
        label.setAttribute("aria-live", "polite");
        box.appendChild(label);
        var legend = el("div", "aedcov-legend");
        [[COVERED, t.covered], [UNCOVERED, t.uncovered]].forEach(function (pair) {
          var sw = el("span", "aedcov-swatch");
          sw.style.display = "inline-block";
          sw.style.width = "12px";
          sw.style.height = "12px";
          sw.style.marginRight = "4px";
          sw.style.backgroundColor = pair[0];
          var item = el("span", null);
          item.style.marginRight = "8px";
          item.appendChild(sw);
          item.appendChild(document.createTextNode(pair[1]));
          legend.appendChild(item);
        });
        box.appendChild(legend);
        self.label = label;
        self.slider = slider;
        cb.addEventListener("change", function () { self.toggle(cb.checked); });
        slider.addEventListener("input", function () { self.pick(Number(slider.value)); });
        now.addEventListener("click", function () {
          slider.value = String(self.cfg.now_hour || 0);
          self.pick(null);
        });
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        self.checkbox = cb;
        return box;
      }
    });
    new Ctl().addTo(this.map);
    this.layer.on("load", function () {
      if (!self.layer._state) { return; }  // the empty tiles shown before the first answer
      self.state.drawn++;
      window.__coverageDrawnAt = performance.now();
    });
    if (/coverage/.test(window.location.hash)) {
      this.checkbox.checked = true;
      this.toggle(true);
    }
  };

  Coverage.prototype.toggle = function (on) {
    this.on = on;
    if (on) {
      this.layer.addTo(this.map);
      this.load();
    } else {
      this.map.removeLayer(this.layer);
      this.show("");
    }
  };

  Coverage.prototype.pick = function (hour) {
    var self = this;
    this.hour = hour;
    var stored = hour === null ? null : this.cfg.hours[hour];
    this.show((hour === null ? this.t.now : this.hourLabel(hour)) +
              (typeof stored === "number" ? " · " + this.t.share + " " + pct(stored) : ""));
    if (!this.on) { return; }
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.load(); }, 150);
  };

  Coverage.prototype.show = function (text) {
    if (this.label) { this.label.textContent = text; }
  };

  Coverage.prototype.load = function () {
    var self = this, hour = this.hour, key = hour === null ? "now" : String(hour);
    var seq = ++this.seq;
    if (this.cache[key]) { this.draw(this.cache[key], hour); return; }
    this.show(this.t.loading);
    var url = this.cfg.url + "?coords=" + encodeURIComponent(this.cfg.coords || "wgs84");
    if (hour !== null) { url += "&at=" + encodeURIComponent(this.atOf(hour)); }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (payload) {
        var entry = { payload: payload, state: decode(payload) };
        if (hour !== null) { self.cache[key] = entry; }
        if (seq === self.seq) { self.draw(entry, hour); }
      })
      .catch(function (e) {
        self.state.error = String(e && e.message || e);
        if (seq === self.seq) { self.show(self.t.error); }
      });
  };

  Coverage.prototype.draw = function (entry, hour) {
    var p = entry.payload;
    this.state.share = p.share;
    this.state.cells = p.cells;
    this.state.hour = hour;
    this.layer.setCells(p.grid, entry.state);
    this.show((hour === null ? this.t.now : this.hourLabel(hour)) + " · " + this.t.share +
              " " + pct(p.share));
  };

  window.AedCoverage = {
    init: function (map, configId) {
      var cfg = readJson(configId);
      if (!cfg) { return null; }
      var page = new Coverage(map, cfg);
      page.setup();
      window.aedCoverage = page;
      return page;
    }
  };
})();
