"""Escaping for the few places user text must go into folium-rendered HTML or JS.

Map data never takes this path: it travels as one JSON blob (:func:`json_for_script`)
and is put on the page with ``textContent``. Use :func:`html_and_js_text` only for strings
folium pastes into markup that may also sit inside a JS template literal (e.g. a title).
"""

from __future__ import annotations

import html
import json
from typing import Any

_SCRIPT_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def json_for_script(value: Any) -> str:
    """JSON text that is safe inside ``<script>``: no ``</script>``, no ``<!--``, no
    raw U+2028/2029. Still valid JSON, so ``JSON.parse`` of the element text works."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # The escaped characters can only occur inside JSON strings, where \\uXXXX is legal.
    for raw, esc in _SCRIPT_UNSAFE.items():
        text = text.replace(raw, esc)
    return text


def html_and_js_text(text: str) -> str:
    """Escape for HTML text/attributes, then neutralise JS template-literal specials.

    After HTML escaping, ``\\``, backtick and ``$`` are replaced by numeric character
    references, so the result holds no character that can end or interpolate a JS
    template literal or a JS string, and a browser still shows the original text.
    """
    escaped = html.escape(text, quote=True)
    return escaped.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")
