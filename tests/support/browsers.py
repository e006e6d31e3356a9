"""Headless Debian Chromium and a live Flask server on a free port, for the tests and
benchmarks that drive the product in a browser."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from werkzeug.serving import make_server

from tests.support.services import need_service

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Browser, BrowserContext, Route

# Quiet, offline-friendly Chromium: no background fetches that would show up as
# requests leaving the machine in the tests that count them.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def chromium(path: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def live_flask(app: Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def need_chromium() -> str:
    """Debian's Chromium, or the test fails in CI and skips elsewhere."""
    path = chromium_path()
    if path is None:
        need_service("chromium not installed (apt-get install chromium)")
    assert path is not None
    return path


def keep_local(context: BrowserContext, base: str, outside: list[str]) -> None:
    """Abort every request that does not go to ``base`` and note its URL in ``outside``:
    the pages must work with nothing leaving the machine."""

    def route(r: Route) -> None:
        if r.request.url.startswith(base.rstrip("/") + "/"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
