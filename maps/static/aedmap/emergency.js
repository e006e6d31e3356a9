/* The public map's emergency panel (part of the aed-tracker maps package, not vendored).
 *
 * Someone at a collapse opens the public map on a phone: at the top, one tap calls 120;
 * below it, the nearest AED available now (ready or needing attention, and open) from
 * their position, its distance, where exactly it hangs, and walking navigation in Amap
 * or Baidu Maps. Those are plain links by the apps' URI schemes: no outside script is
 * loaded, and the page works with nothing but our own server.
 *
 * The server answers the search (the nearest API: exact distances, "open now" and
 * readiness from the registry), and gives GCJ-02 positions (map_lat/map_lon), which both
 * navigation apps read (Amap's coordinate=gaode, Baidu's coord_type=gcj02): the registry
 * stores WGS-84 and converts once, in maps/geo.py. Record text goes on the page with
 * textContent and into links through encodeURIComponent, never as HTML.
 *
 * It hooks AedMap.init (aedmap.js) and acts only when the page config has `emergency`.
 */
(function () {
  "use strict";

  if (!window.AedMap) { return; }

  // Statuses a bystander can use: "attention" is a working AED whose pads expire soon.
  var AVAILABLE = "ready,attention";
  var CANDIDATES = 20;

  var el = window.AedDom.el;

  function distanceText(m) {
    return m < 1000 ? Math.round(m) + " m" : (m / 1000).toFixed(1) + " km";
  }

  function amapHref(it, name) {
    return "https://uri.amap.com/navigation?to=" + it.map_lon.toFixed(6) + "," +
      it.map_lat.toFixed(6) + "," + encodeURIComponent(name) +
      "&mode=walk&coordinate=gaode&callnative=1&src=" + encodeURIComponent(window.location.host);
  }

  function baiduHref(it, name) {
    return "baidumap://map/direction?destination=latlng:" + it.map_lat.toFixed(6) + "," +
      it.map_lon.toFixed(6) + "|name:" + encodeURIComponent(name) +
      "&coord_type=gcj02&mode=walking&src=" + encodeURIComponent(window.location.host);
  }

  function Panel(page) {
    this.page = page;
    this.map = page.map;
    this.cfg = page.cfg;
    this.t = page.cfg.emergency;
  }

  Panel.prototype.start = function () {
    this.build();
    this.openNowByDefault();
    this.fitAeds();
    this.locate();
  };

  Panel.prototype.build = function () {
    var self = this, t = this.t;
    var box = this.box = el("section", "aedm-emergency");
    box.setAttribute("aria-label", t.heading);
    var number = /^[0-9]{2,8}$/.test(String(t.call)) ? String(t.call) : "120";
    var call = el("a", "aedm-call", t.call_label);
    call.href = "tel:" + number;
    box.appendChild(call);
    var card = el("div", "aedm-em-card");
    card.appendChild(el("div", "aedm-em-heading", t.heading));
    this.status = el("div", "aedm-em-status", t.locating);
    this.status.setAttribute("role", "status");
    card.appendChild(this.status);
    var result = this.result = el("div", "aedm-em-result");
    result.hidden = true;
    this.name = el("div", "aedm-em-name");
    this.dist = el("div", "aedm-em-distance");
    this.where = el("div", "aedm-em-where");
    var nav = el("div", "aedm-em-nav");
    this.amap = el("a", "aedm-em-amap", t.amap);
    this.baidu = el("a", "aedm-em-baidu", t.baidu);
    nav.appendChild(this.amap);
    nav.appendChild(this.baidu);
    [this.name, this.dist, this.where, nav].forEach(function (n) { result.appendChild(n); });
    card.appendChild(result);
    var retry = el("button", "aedm-em-retry", t.retry);
    retry.type = "button";
    retry.addEventListener("click", function () { self.locate(); });
    card.appendChild(retry);
    box.appendChild(card);
    document.body.insertBefore(box, document.body.firstChild);
    document.body.classList.add("aedm-emergency-page");
    this.resized();
  };

  // The map takes the room the panel leaves (a flex column, see emergency.css).
  Panel.prototype.resized = function () {
    this.map.invalidateSize();
  };

  // Through the filter's own checkbox, so the page's filter and its control agree.
  Panel.prototype.openNowByDefault = function () {
    var cb = this.map.getContainer().querySelector(".aedm-open-now input[type=checkbox]");
    if (cb && !cb.checked) {
      cb.checked = true;
      cb.dispatchEvent(new Event("change"));
    }
  };

  Panel.prototype.fitAeds = function () {
    var points = (this.page.items || []).filter(function (it) { return it.rec.kind === "aed"; })
      .map(function (it) { return [it.rec.lat, it.rec.lon]; });
    if (points.length) {
      // At once, not animated: the first view, and nothing else waits on a moving map.
      this.map.fitBounds(L.latLngBounds(points), { padding: [16, 16], maxZoom: 16, animate: false });
    }
  };

  Panel.prototype.say = function (text) {
    this.status.textContent = text;
    this.status.hidden = !text;
    this.resized();
  };

  Panel.prototype.locate = function () {
    var self = this, t = this.t;
    this.result.hidden = true;
    if (!navigator.geolocation || !this.cfg.nearest_url) { this.say(t.error); return; }
    this.say(t.locating);
    navigator.geolocation.getCurrentPosition(function (pos) {
      var u = new URL(self.cfg.nearest_url, window.location.href);
      u.searchParams.set("lat", pos.coords.latitude.toFixed(6));
      u.searchParams.set("lon", pos.coords.longitude.toFixed(6));
      u.searchParams.set("n", String(CANDIDATES));
      u.searchParams.set("status", AVAILABLE);
      u.searchParams.set("coords", "gcj02");
      fetch(u.href, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (items) { self.show(items); })
        .catch(function () { self.say(t.error); });
    }, function () {
      self.say(t.error);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  };

  Panel.prototype.show = function (items) {
    var t = this.t;
    var best = Array.isArray(items) ? items.filter(function (it) { return it.open_now === true; })[0] : null;
    if (!best || !isFinite(best.map_lat) || !isFinite(best.map_lon)) { this.say(t.none); return; }
    var name = String(best.label || "");
    this.name.textContent = name;
    this.dist.textContent = String(t.distance).replace("{distance}", distanceText(Number(best.distance_m)));
    this.where.textContent = best.location ? t.where + " " + String(best.location) : "";
    this.where.hidden = !best.location;
    this.amap.href = amapHref(best, name);
    this.baidu.href = baiduHref(best, name);
    this.result.hidden = false;
    this.result.setAttribute("data-id", String(best.id));
    this.say("");
  };

  var init = window.AedMap.init;
  window.AedMap.init = function (map, configId, dataId) {
    var page = init.call(this, map, configId, dataId);
    if (page && page.cfg && page.cfg.emergency) {
      page.emergency = new Panel(page);
      page.emergency.start();
    }
    return page;
  };
})();
