"""The coverage layer of a map page: cells drawn in the browser from compact data.

:func:`add_coverage` adds ``static/coverage.js`` to a :class:`maps.builder.MapPage` and
a JSON config blob (where to fetch cells, the week's shares, words). The cells
themselves are fetched by the page (``config["url"]?at=...``, the app's compact arrays:
a raster, runs of cells, one bit each) and painted on a canvas layer: no Python or
folium object per cell. Like the page's own blobs, the config goes in through a
placeholder filled after rendering, never through a template.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from typing import Any

from branca.element import MacroElement
from jinja2 import Template

from maps.assets import STATIC_DIR, static_url
from maps.builder import MapPage
from maps.escape import json_for_script

SCRIPT = "coverage.js"


class CoverageLayer(MacroElement):
    _template = Template(
        """
        {% macro html(this, kwargs) %}
            <script type="application/json" id="{{ this.config_id }}">
            {{- this.config_slot -}}
            </script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            AedCoverage.init({{ this._parent.get_name() }}, "{{ this.config_id }}");
        {% endmacro %}
        """
    )

    def __init__(self, token: str, config_slot: str) -> None:
        super().__init__()
        self._name = "CoverageLayer"
        self.config_id = f"aedcoverage-config-{token}"
        self.config_slot = config_slot


@lru_cache(maxsize=1)
def script_version() -> str:
    return hashlib.sha256((STATIC_DIR / SCRIPT).read_bytes()).hexdigest()[:12]


def add_coverage(page: MapPage, config: dict[str, Any], static_prefix: str) -> MapPage:
    """``page`` with the coverage layer; ``static_prefix`` serves maps/static."""
    page.map.default_js = [*page.map.default_js,
                           ("aedcoverage",
                            f"{static_url(static_prefix, SCRIPT)}?v={script_version()}")]
    token = secrets.token_hex(16)
    slot = f"aedcoverageslot{token}"
    CoverageLayer(secrets.token_hex(6), slot).add_to(page.map)
    return MapPage(map=page.map, texts={**page.texts, slot: json_for_script(config)},
                   nonce=page.nonce)
