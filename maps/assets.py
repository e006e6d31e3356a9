"""Local static assets: the page loads Leaflet, markercluster and its own script from the
app, never from a CDN.

The app serves the directory :data:`STATIC_DIR` at a URL prefix (default
``/static/maps/``) and passes the same prefix to the builder. :func:`use_local_assets`
points a folium Map's JS/CSS lists at those files instead of folium's CDN defaults.
"""

from __future__ import annotations

from pathlib import Path

import folium

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_STATIC_URL = "/static/maps/"

#: (name, path under STATIC_DIR), in load order.
JS_FILES: tuple[tuple[str, str], ...] = (
    ("leaflet", "vendor/leaflet/leaflet.js"),
    ("markercluster", "vendor/markercluster/leaflet.markercluster.js"),
    ("aedmap_dom", "aedmap/dom.js"),
    ("aedmap", "aedmap/aedmap.js"),
    ("aedmap_emergency", "aedmap/emergency.js"),
)
CSS_FILES: tuple[tuple[str, str], ...] = (
    ("leaflet_css", "vendor/leaflet/leaflet.css"),
    ("markercluster_css", "vendor/markercluster/MarkerCluster.css"),
    ("markercluster_default_css", "vendor/markercluster/MarkerCluster.Default.css"),
    ("aedmap_css", "aedmap/aedmap.css"),
    ("aedmap_emergency_css", "aedmap/emergency.css"),
)


def static_url(prefix: str, rel_path: str) -> str:
    return prefix.rstrip("/") + "/" + rel_path


def use_local_assets(m: folium.Map, static_prefix: str = DEFAULT_STATIC_URL) -> None:
    """Replace the map's CDN asset lists (set on the instance: folium's class-level
    defaults stay untouched for other code)."""
    m.default_js = [(name, static_url(static_prefix, p)) for name, p in JS_FILES]
    m.default_css = [(name, static_url(static_prefix, p)) for name, p in CSS_FILES]


def missing_assets() -> list[str]:
    """Vendored files that are not on disk (an install check for the app)."""
    return [p for _, p in (*JS_FILES, *CSS_FILES) if not (STATIC_DIR / p).is_file()]
