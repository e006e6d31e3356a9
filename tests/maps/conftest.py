"""Fixtures for map tests: a local HTTP server for built pages and maps/static, and a
headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from maps.assets import STATIC_DIR

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


@pytest.fixture
def page_server() -> Iterator[PageServer]:
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


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (required in CI)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Guard:
    """What a page did that it must not: leave 127.0.0.1, log errors, throw."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def guarded_context(browser: Any) -> Iterator[Callable[..., tuple[Any, Guard]]]:
    """Factory: a browser context that aborts and records any request not to
    127.0.0.1, and a page that records console errors and uncaught exceptions."""
    contexts: list[Any] = []

    def make(**context_options: Any) -> tuple[Any, Guard]:
        guard = Guard()
        ctx = browser.new_context(**context_options)
        contexts.append(ctx)

        def route(r: Any) -> None:
            host = urlsplit(r.request.url).hostname
            if r.request.url.startswith("data:") or host == "127.0.0.1":
                r.continue_()
            else:
                guard.outside.append(r.request.url)
                r.abort()

        ctx.route("**/*", route)
        page = ctx.new_page()
        page.on("console", lambda m: guard.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: guard.errors.append(f"pageerror: {e}"))
        return page, guard

    yield make
    for ctx in contexts:
        ctx.close()
