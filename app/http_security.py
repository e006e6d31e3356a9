"""Response headers that make the browser refuse what our pages never do.

Every page gets a Content-Security-Policy with a per-request nonce: a page may run
only our own script files and the inline blocks we marked with the nonce (folium's map
set-up is generated inline, so the map page passes the nonce to the map builder). No
``unsafe-inline``, no ``unsafe-eval``: text a user typed that somehow reached markup
still cannot run. Tile images come from the configured tile provider only. Answers that
are data (JSON, CSV, images) get a policy that allows nothing at all.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from app.extensions import get_settings
from maps.tiles import get_provider

#: One year, the usual HSTS lifetime; sent only on responses served over TLS.
HSTS_MAX_AGE_S = 365 * 24 * 3600


def csp_nonce() -> str:
    """This request's nonce (made on first use)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return str(nonce)


def tile_sources(tiles: str) -> str:
    """The img-src entry for the tile provider's host (``{s}`` subdomains as ``*``)."""
    url = get_provider(tiles).url
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if "{s}" in parts.netloc:
        # e.g. webrd0{s}.is.autonavi.com: allow its sibling hosts, nothing wider.
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}"


def content_security_policy(nonce: str, tiles: str) -> str:
    img = " ".join(s for s in ("'self'", "data:", tile_sources(tiles)) if s)
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        f"img-src {img}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


#: For answers that are data, not pages (JSON, CSV, GeoJSON): nothing may load or run.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"


_FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


def _add_headers(response: Response) -> Response:
    headers = response.headers
    if response.mimetype == "text/html":
        policy = content_security_policy(csp_nonce(), get_settings().map_tiles)
    else:
        # A map pans with a request per move: no nonce or tile policy for data.
        policy = DATA_POLICY
    # Once over the headers, not a scan per header: this runs on every map pan.
    present = {key.lower() for key, _ in headers}
    wanted = [("Content-Security-Policy", policy), *_FIXED_HEADERS]
    if request.is_secure:
        wanted.append(("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE_S}"))
    for key, value in wanted:
        if key.lower() not in present:
            headers.add(key, value)
    return response


def init_http_security(app: Flask) -> None:
    app.after_request(_add_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
