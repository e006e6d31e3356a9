"""Tile providers as configuration.

A provider is a URL template plus attribution and whether it draws in GCJ-02 (Chinese
providers do); the builder converts record positions only for those. ``none`` draws no
tiles at all (a plain background), for offline use and tests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TileProvider:
    name: str
    #: Leaflet URL template; empty for no tile layer.
    url: str
    attribution: str
    gcj02: bool = False
    subdomains: str = "abc"
    max_zoom: int = 19


PROVIDERS: dict[str, TileProvider] = {
    "osm": TileProvider(
        name="osm",
        url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution="&copy; OpenStreetMap contributors",
        subdomains="",
    ),
    "amap": TileProvider(
        name="amap",
        url=(
            "https://webrd0{s}.is.autonavi.com/appmaptile"
            "?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
        ),
        attribution="&copy; 高德地图 AutoNavi",
        gcj02=True,
        subdomains="1234",
        max_zoom=18,
    ),
    "none": TileProvider(name="none", url="", attribution="", max_zoom=19),
}

DEFAULT_PROVIDER = "osm"


def get_provider(name_or_provider: str | TileProvider | None) -> TileProvider:
    """Look a provider up by name (default ``osm``), or pass a custom one through."""
    if isinstance(name_or_provider, TileProvider):
        return name_or_provider
    name = name_or_provider or DEFAULT_PROVIDER
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ValueError(f"unknown tile provider {name!r}; known: {sorted(PROVIDERS)}") from None
