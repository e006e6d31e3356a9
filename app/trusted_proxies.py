"""Believe X-Forwarded-For/-Proto only from the reverse proxies named in TRUSTED_PROXIES.

Behind a proxy every client arrives from the proxy's address, so the per-address login
throttle would count them all as one; but a header any client can send must not pick
the address either. werkzeug's ProxyFix does the rewriting; this wrapper applies it only
to requests whose TCP peer is a trusted proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxyFix:
    def __init__(self, wsgi_app: Any, networks: Iterable[str]) -> None:
        self.wsgi_app = wsgi_app
        self.networks = tuple(ipaddress.ip_network(n, strict=False) for n in networks)
        self.fixed = ProxyFix(wsgi_app, x_for=1, x_proto=1)

    def _trusted(self, peer: str | None) -> bool:
        if not peer:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in net for net in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self._trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.wsgi_app(environ, start_response)
