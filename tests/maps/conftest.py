"""Fixtures for map tests: a local HTTP server for built pages and maps/static, and a
headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.maps.pageserver import CHROMIUM_ARGS, PageServer, chromium_path, serve


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    with serve() as state:
        yield state


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
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
