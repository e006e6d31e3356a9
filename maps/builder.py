"""Build a folium map page from :class:`maps.records.MapRecord` values.

No per-marker Python objects: the records travel as one compact JSON blob (see
:mod:`maps.payload`) in a ``<script type="application/json">`` element, and the page
script ``static/aedmap/aedmap.js`` draws them into markercluster groups, building popups
with DOM calls and ``textContent`` so nothing a user typed is parsed as HTML or JS.

No data ever becomes template source. branca's ``MacroElement`` turns the output of each
rendered macro into a new Jinja template and renders that again, so whatever a macro
prints is parsed as Jinja a second time (``{{ 7*7 }}`` in a name would show as ``49``).
The page is therefore rendered with opaque placeholders (random ``[a-z0-9]`` tokens,
which no template syntax can be made of) where the config blob, the data blob and the
title go; :meth:`MapPage.render` substitutes the real, already escaped text into the
final HTML string in one pass, after folium has finished. The tile layer is part of the
config blob too (the page script creates it), so folium's templates see only numbers
and generated ids.

With ``nonce=...`` every inline ``<script>`` and ``<style>`` element folium generated
gets ``nonce="..."`` (for a Content-Security-Policy without ``unsafe-inline``). This is
done on the rendered text before the data goes in, so no user text can gain a nonce.

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

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import folium
from branca.element import MacroElement
from jinja2 import Template

from maps.assets import DEFAULT_STATIC_URL, use_local_assets
from maps.escape import html_and_js_text, json_for_script
from maps.geo import wgs84_to_gcj02
from maps.payload import KIND_CODES, Coords, encode
from maps.records import KINDS, MapRecord
from maps.status_style import Legend, legend_config
from maps.tiles import TileProvider, get_provider

Mode = Literal["embed", "bbox"]

#: Yangpu riverside, the default centre when there is nothing to fit.
DEFAULT_CENTER = (31.2600, 121.5300)
DEFAULT_FEATURES_URL = "/api/v1/map-features"
DEFAULT_NEAREST_URL = "/api/v1/nearest"
#: The texts the page script shows (layer names, controls, popup captions). The caller
#: gives them in its reader's language (this library owns no words); a key left out
#: shows as itself.
TEXT_KEYS: tuple[str, ...] = (
    "layer_aed", "layer_station", "layer_gateway", "search", "open_now", "nearest",
    "nearest_busy", "nearest_none", "nearest_error", "pad_expiry", "battery_expiry",
    "last_check", "access_hours", "open", "closed", "hours_unknown", "details", "contact",
    "legend", "too_many", "load_error", "shown",
    # Popup hours: "{time}" and "{day}" are filled in; weekdays are seven names, Monday first.
    "closes_at", "opens_at", "today", "weekdays",
)

#: The emergency panel's texts (``static/aedmap/emergency.js``): ``call`` is the number
#: dialled (120), ``distance`` has "{distance}" filled in.
EMERGENCY_KEYS: tuple[str, ...] = (
    "call", "call_label", "heading", "locating", "none", "error", "retry", "distance",
    "amap", "baidu", "where",
)

#: A CSP nonce is base64 (or base64url) text; anything else could break the attribute.
_NONCE = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
#: Opening tags of script and style elements in folium's rendered page.
_INLINE_TAG = re.compile(r"<(script|style)(\s[^>]*)?>", re.IGNORECASE)
_DATA_BLOCK = re.compile(r"""\btype\s*=\s*["']?application/json""", re.IGNORECASE)


class AedMapLayer(MacroElement):
    """Places the page config, the data blob and the title, and starts the page script.

    The macros print only generated ids and placeholder tokens (see
    :class:`MapPage`); the blobs themselves never pass through a template."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <link rel="icon" href="data:,">
            {% if this.title_slot %}<title>{{ this.title_slot }}</title>{% endif %}
        {% endmacro %}
        {% macro html(this, kwargs) %}
            <script type="application/json" id="{{ this.config_id }}">
            {{- this.config_slot -}}
            </script>
            <script type="application/json" id="{{ this.data_id }}">
            {{- this.data_slot -}}
            </script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            AedMap.init({{ this._parent.get_name() }},
                "{{ this.config_id }}", "{{ this.data_id }}");
        {% endmacro %}
        """
    )

    def __init__(self, token: str, config_slot: str, data_slot: str, title_slot: str) -> None:
        super().__init__()
        self._name = "AedMapLayer"
        self.config_id = f"aedmap-config-{token}"
        self.data_id = f"aedmap-data-{token}"
        self.config_slot = config_slot
        self.data_slot = data_slot
        self.title_slot = title_slot


def add_nonce(html: str, nonce: str) -> str:
    """``nonce="..."`` on every ``<script>`` and ``<style>`` opening tag of ``html``
    except JSON data blocks (never executed). Only for text without user data in it."""
    if not _NONCE.fullmatch(nonce):
        raise ValueError("a CSP nonce must be base64 text")

    def tag(match: re.Match[str]) -> str:
        attrs = match.group(2) or ""
        if _DATA_BLOCK.search(attrs) or re.search(r"\bnonce\s*=", attrs, re.IGNORECASE):
            return match.group(0)
        return f'<{match.group(1)} nonce="{nonce}"{attrs}>'

    return _INLINE_TAG.sub(tag, html)


def fill_slots(html: str, texts: Mapping[str, str]) -> str:
    """Replace each placeholder token (exactly once in ``html``) by its text, in one
    pass: substituted text is never scanned again."""
    for token in texts:
        if html.count(token) != 1:
            raise RuntimeError(f"map page lost or repeated a placeholder ({token})")
    if not texts:
        return html
    pattern = re.compile("|".join(re.escape(t) for t in texts))
    return pattern.sub(lambda m: texts[m.group(0)], html)


@dataclass(frozen=True, eq=False)
class MapPage:
    """A folium Map that holds no data, only placeholders, and the escaped texts that
    replace them. :meth:`render` gives the finished page; rendering ``map`` yourself
    gives a page with the placeholders still in it (no data, no nonce)."""

    map: folium.Map
    texts: Mapping[str, str]
    nonce: str | None = None

    def render(self) -> str:
        html = str(self.map.get_root().render())
        if self.nonce is not None:
            html = add_nonce(html, self.nonce)
        return fill_slots(html, self.texts)


def _center(records: Sequence[MapRecord]) -> tuple[float, float]:
    if not records:
        return DEFAULT_CENTER
    lats = sorted(r.lat for r in records)
    lons = sorted(r.lon for r in records)
    mid = len(records) // 2
    return lats[mid], lons[mid]


def _tile_config(provider: TileProvider) -> dict[str, Any] | None:
    if not provider.url:
        return None
    return {"url": provider.url, "attribution": provider.attribution,
            "subdomains": provider.subdomains, "max_zoom": provider.max_zoom}


def build_map(
    records: Iterable[MapRecord] = (),
    *,
    legend: Legend | None = None,
    text: Mapping[str, str] | None = None,
    tiles: str | TileProvider = "osm",
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
    nonce: str | None = None,
    emergency: Mapping[str, str] | None = None,
) -> MapPage:
    """A :class:`MapPage` ready to render (``page.render()``).

    ``legend`` says how each status looks and what it is called, ``text`` gives the
    :data:`TEXT_KEYS`, both in the reader's language; without them statuses show their
    codes on a neutral marker and texts their keys. ``records`` are WGS-84; for a GCJ-02 provider (``tiles="amap"``) positions are
    converted here. ``public=True`` drops non-public records and private fields.
    ``center`` (WGS-84) defaults to the median record position, else Yangpu.
    ``nearest_url=None`` hides the nearest-AED control. ``nonce`` marks the page's
    inline scripts and styles for a Content-Security-Policy. ``emergency`` (the
    :data:`EMERGENCY_KEYS` texts, and ``call``: the number to dial) adds the emergency
    panel of ``static/aedmap/emergency.js`` (the public map).
    """
    if nonce is not None and not _NONCE.fullmatch(nonce):
        raise ValueError("a CSP nonce must be base64 text")
    provider = get_provider(tiles)
    coords: Coords = "gcj02" if provider.gcj02 else "wgs84"
    recs = list(records)
    if public:
        recs = [r for r in recs if r.public]
    lat, lon = center or _center(recs)
    if coords == "gcj02":
        lat, lon = wgs84_to_gcj02(lat, lon)

    m = folium.Map(
        location=(float(lat), float(lon)), tiles=None, zoom_start=int(zoom),
        control_scale=True,
        # markercluster needs a map maxZoom even when no tile layer sets one.
        maxZoom=int(provider.max_zoom),
    )
    use_local_assets(m, static_url)

    config = {
        "mode": mode,
        "text": {key: (text or {}).get(key, key) for key in TEXT_KEYS},
        "legend": legend_config(legend or {}),
        "kinds": [k for k in KINDS if k in kinds],
        "kind_codes": list(KIND_CODES),
        "coords": coords,
        "tiles": _tile_config(provider),
        "features_url": features_url if mode == "bbox" else "",
        "nearest_url": nearest_url or "",
        "nearest_n": nearest_n,
        "emergency": {key: emergency.get(key, key) for key in EMERGENCY_KEYS}
        if emergency else None,
    }
    data = (
        encode(recs, coords=coords, public=public, show_online_gateways=show_online_gateways)
        if mode == "embed"
        else None
    )
    token = secrets.token_hex(16)
    slot = f"aedmapslot{token}"
    texts = {f"{slot}config": json_for_script(config), f"{slot}data": json_for_script(data)}
    if title:
        texts[f"{slot}title"] = html_and_js_text(title)
    AedMapLayer(secrets.token_hex(6), f"{slot}config", f"{slot}data",
                f"{slot}title" if title else "").add_to(m)
    return MapPage(map=m, texts=texts, nonce=nonce)


def build_map_html(records: Iterable[MapRecord] = (), **options: Any) -> str:
    """The whole page as HTML text; takes the same options as :func:`build_map`."""
    return build_map(records, **options).render()
