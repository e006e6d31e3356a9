"""10,000 assets in headless Chromium: time from navigation until every marker is in its
cluster group and the clusters are drawn.

    python -m tests.benchmarks.map_browser [--quick]

value = median ms (performance.now() at "all shown", i.e. since navigation start) for the
maps.builder page; baseline = the same for a naive folium page (one folium.Marker with a
tooltip per asset in a plugins.MarkerCluster, Leaflet/markercluster served locally; no
popups, since folium's popups need jQuery from a CDN); ratio = value / baseline (smaller
is better). Target: value <= 2000 ms. Tiles are off; everything is served from 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

import folium
from folium import plugins

from maps.assets import DEFAULT_STATIC_URL, static_url
from maps.builder import build_map_html
from maps.records import MapRecord
from tests.maps.factory import synthetic_records
from tests.maps.pageserver import serve
from tests.support.browsers import chromium, chromium_path, keep_local

OURS_DONE = """() => {
  const p = window.aedmapPage;
  if (!p || p.shown !== p.items.length || !p.items.length) return false;
  const inGroups = p.cfg.kinds.reduce((a, k) => a + p.groups[k].getLayers().length, 0);
  if (inGroups !== p.shown || !document.querySelector('.marker-cluster')) return false;
  window.__doneAt = performance.now();
  return true;
}"""

NAIVE_DONE = """(expected) => {
  if (typeof L === 'undefined' || !L.MarkerClusterGroup) return false;
  const groups = Object.values(window).filter(v => v instanceof L.MarkerClusterGroup);
  if (!groups.length) return false;
  const n = groups.reduce((a, g) => a + g.getLayers().length, 0);
  if (n !== expected || !document.querySelector('.marker-cluster')) return false;
  window.__doneAt = performance.now();
  return true;
}"""


def naive_page(records: list[MapRecord]) -> str:
    # markercluster needs a map maxZoom, which no tile layer sets here.
    m = folium.Map(location=(31.27, 121.53), zoom_start=14, tiles=None, maxZoom=19)
    m.default_js = [("leaflet", static_url(DEFAULT_STATIC_URL, "vendor/leaflet/leaflet.js"))]
    m.default_css = [("leaflet_css", static_url(DEFAULT_STATIC_URL, "vendor/leaflet/leaflet.css"))]
    cluster = plugins.MarkerCluster()
    cluster.default_js = [("markerclusterjs", static_url(
        DEFAULT_STATIC_URL, "vendor/markercluster/leaflet.markercluster.js"))]
    cluster.default_css = [
        ("markerclustercss", static_url(DEFAULT_STATIC_URL, "vendor/markercluster/MarkerCluster.css")),
        ("markerclusterdefaultcss",
         static_url(DEFAULT_STATIC_URL, "vendor/markercluster/MarkerCluster.Default.css")),
    ]
    cluster.add_to(m)
    for r in records:
        folium.Marker((r.lat, r.lon), tooltip=r.label).add_to(cluster)
    return str(m.get_root().render())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    runs = 2 if args.quick else 5
    path = chromium_path()
    if path is None:
        sys.exit("chromium is not installed")

    recs = synthetic_records(10_000, spread_deg=0.05)
    pages = {
        "/ours": build_map_html(recs, tiles="none", center=(31.27, 121.53), zoom=14),
        "/naive": naive_page(recs),
    }
    results: dict[str, list[float]] = {"/ours": [], "/naive": []}
    outside: list[str] = []
    errors: list[str] = []
    with serve() as server, chromium(path) as browser:
        server.pages.update(pages)
        for _ in range(runs):
            for name in ("/ours", "/naive"):
                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                keep_local(ctx, f"http://127.0.0.1:{server.port}", outside)
                page = ctx.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(server.url(name), wait_until="commit")
                if name == "/ours":
                    page.wait_for_function(OURS_DONE, timeout=120_000)
                else:
                    page.wait_for_function(NAIVE_DONE, arg=len(recs), timeout=120_000)
                results[name].append(float(page.evaluate("window.__doneAt")))
                ctx.close()

    value = statistics.median(results["/ours"])
    baseline = statistics.median(results["/naive"])
    print(f"ours ms: {[round(x) for x in results['/ours']]}; "
          f"naive folium ms: {[round(x) for x in results['/naive']]}")
    print(f"page sizes: ours {len(pages['/ours'].encode()) / 1e6:.2f} MB, "
          f"naive {len(pages['/naive'].encode()) / 1e6:.2f} MB; outside requests {len(outside)}; "
          f"page errors {len(errors)}")
    print(json.dumps({
        "name": "map_browser",
        "value": round(value, 1),
        "unit": "ms from navigation to 10k markers clustered and shown "
                "(ratio = value/baseline, smaller is better)",
        "baseline": round(baseline, 1),
        "ratio": round(value / baseline, 4),
        "target": 2000,
        "ok": value <= 2000 and not outside and not errors,
    }))


if __name__ == "__main__":
    main()
