"""A tiny threaded HTTP server on 127.0.0.1 for map pages (tests and benchmarks):
built pages, ``maps/static`` under /static/maps/, and fake JSON endpoints."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from maps.assets import STATIC_DIR
from tests.support.browsers import CHROMIUM_ARGS, chromium_path

__all__ = ["CHROMIUM_ARGS", "PageServer", "chromium_path", "serve"]

Handler = Callable[[dict[str, list[str]]], Any]


@dataclass
class PageServer:
    """Serves ``pages`` (path -> HTML), ``maps/static`` under /static/maps/, and JSON
    endpoints (path -> function of the query dict returning a JSON-able value)."""

    pages: dict[str, str] = field(default_factory=dict)
    json_routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _make_handler(state: PageServer) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, ctype: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            state.requests.append(self.path)
            if parts.path in state.pages:
                self._send(200, "text/html; charset=utf-8", state.pages[parts.path].encode())
                return
            if parts.path in state.json_routes:
                value = state.json_routes[parts.path](parse_qs(parts.query))
                self._send(200, "application/json", json.dumps(value).encode())
                return
            prefix = "/static/maps/"
            if parts.path.startswith(prefix):
                target = (STATIC_DIR / parts.path[len(prefix):]).resolve()
                if target.is_file() and STATIC_DIR in target.parents:
                    ctype = {
                        ".js": "text/javascript", ".css": "text/css", ".png": "image/png",
                    }.get(target.suffix, "application/octet-stream")
                    self._send(200, ctype, target.read_bytes())
                    return
            self._send(404, "text/plain", b"not found")

    return H


@contextlib.contextmanager
def serve() -> Iterator[PageServer]:
    state = PageServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
