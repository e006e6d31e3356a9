"""Build a folium map page from :class:`maps.records.MapRecord` values.

No per-marker Python objects: the records travel as one compact JSON blob (see
:mod:`maps.payload`) in a ``<script type="application/json">`` element, and the page
script ``static/aedmap/aedmap.js`` draws them into markercluster groups, building popups
with DOM calls and ``textContent`` so nothing a user typed is parsed as HTML or JS.

Two modes:

- ``mode="embed"`` (default): the records are embedded, about 120 bytes per record, so
  10,000 assets make a page well under 1.5 MB.
- ``mode="bbox"``: the page embeds no records and, on every pan or zoom, fetches
  ``features_url?bbox=minLon,minLat,maxLon,maxLat&kind=aed,station,gateway&zoom=Z``
  (plus ``&coords=gcj02`` for GCJ-02 tiles); the app answers with
  :func:`maps.payload.features_payload`. For 100,000 assets and more.

The page loads every script and stylesheet from ``static_url`` (the app serves
``maps/static`` there); the only other URLs in it are the tile template's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import folium
from branca.element import MacroElement
from jinja2 import Template

from maps.assets import DEFAULT_STATIC_URL, use_local_assets
from maps.escape import html_and_js_text, json_for_script
from maps.payload import KIND_CODES, Coords, encode
from maps.records import KINDS, MapRecord
from maps.status_style import UI_TEXT, legend, normalise_locale
from maps.tiles import TileProvider, get_provider

Mode = Literal["embed", "bbox"]

#: Yangpu riverside, the default centre when there is nothing to fit.
DEFAULT_CENTER = (31.2600, 121.5300)
DEFAULT_FEATURES_URL = "/api/v1/map-features"
DEFAULT_NEAREST_URL = "/api/v1/nearest"


class AedMapLayer(MacroElement):
    """Carries the page config and data blob and starts the page script.

    Both blobs are JSON escaped for a script element (:func:`json_for_script`); the
    inline script contains only generated element ids."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <link rel="icon" href="data:,">
            {% if this.title %}<title>{{ this.title }}</title>{% endif %}
        {% endmacro %}
        {% macro html(this, kwargs) %}
            <script type="application/json" id="{{ this.config_id }}">
            {{- this.config_json -}}
            </script>
            <script type="application/json" id="{{ this.data_id }}">
            {{- this.data_json -}}
            </script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            AedMap.init({{ this._parent.get_name() }},
                "{{ this.config_id }}", "{{ this.data_id }}");
        {% endmacro %}
        """
    )

    def __init__(self, config: dict[str, Any], data: dict[str, Any] | None, title: str) -> None:
        super().__init__()
        self._name = "AedMapLayer"
        token = uuid.uuid4().hex[:12]
        self.config_id = f"aedmap-config-{token}"
        self.data_id = f"aedmap-data-{token}"
        self.config_json = json_for_script(config)
        self.data_json = json_for_script(data)
        self.title = html_and_js_text(title) if title else ""


def _center(records: Sequence[MapRecord]) -> tuple[float, float]:
    if not records:
        return DEFAULT_CENTER
    lats = sorted(r.lat for r in records)
    lons = sorted(r.lon for r in records)
    mid = len(records) // 2
    return lats[mid], lons[mid]


def build_map(
    records: Iterable[MapRecord] = (),
    *,
    tiles: str | TileProvider = "osm",
    locale: str | None = None,
    static_url: str = DEFAULT_STATIC_URL,
    mode: Mode = "embed",
    features_url: str = DEFAULT_FEATURES_URL,
    nearest_url: str | None = DEFAULT_NEAREST_URL,
    nearest_n: int = 3,
    public: bool = False,
    show_online_gateways: bool = False,
    center: tuple[float, float] | None = None,
    zoom: int = 15,
    title: str = "",
    kinds: Sequence[str] = KINDS,
) -> folium.Map:
    """A folium Map ready to render (``m.get_root().render()``).

    ``records`` are WGS-84; for a GCJ-02 provider (``tiles="amap"``) positions are
    converted here. ``public=True`` drops non-public records and private fields.
    ``center`` (WGS-84) defaults to the median record position, else Yangpu.
    ``nearest_url=None`` hides the nearest-AED control.
    """
    provider = get_provider(tiles)
    loc = normalise_locale(locale)
    coords: Coords = "gcj02" if provider.gcj02 else "wgs84"
    recs = list(records)
    if public:
        recs = [r for r in recs if r.public]
    lat, lon = center or _center(recs)
    if coords == "gcj02":
        from maps.geo import wgs84_to_gcj02

        lat, lon = wgs84_to_gcj02(lat, lon)

    m = folium.Map(
        location=(lat, lon), tiles=None, zoom_start=zoom, control_scale=True,
        # markercluster needs a map maxZoom even when no tile layer sets one.
        maxZoom=provider.max_zoom,
    )
    use_local_assets(m, static_url)
    if provider.url:
        layer_kwargs: dict[str, Any] = {"max_zoom": provider.max_zoom}
        if provider.subdomains:
            layer_kwargs["subdomains"] = provider.subdomains
        folium.TileLayer(
            tiles=provider.url, attr=provider.attribution, name=provider.name,
            control=False, **layer_kwargs,
        ).add_to(m)

    config = {
        "mode": mode,
        "locale": loc,
        "text": UI_TEXT[loc],
        "legend": legend(loc),
        "kinds": [k for k in KINDS if k in kinds],
        "kind_codes": list(KIND_CODES),
        "coords": coords,
        "features_url": features_url if mode == "bbox" else "",
        "nearest_url": nearest_url or "",
        "nearest_n": nearest_n,
    }
    data = (
        encode(recs, coords=coords, public=public, show_online_gateways=show_online_gateways)
        if mode == "embed"
        else None
    )
    AedMapLayer(config, data, title).add_to(m)
    return m


def build_map_html(records: Iterable[MapRecord] = (), **options: Any) -> str:
    """The whole page as HTML text; takes the same options as :func:`build_map`."""
    return str(build_map(records, **options).get_root().render())
