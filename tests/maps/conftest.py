"""Fixtures for map tests: a local HTTP server for built pages and maps/static, and a
headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.maps.pageserver import PageServer, serve
from tests.support.browsers import chromium, need_chromium


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    with serve() as state:
        yield state


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(need_chromium()) as b:
        yield b


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
