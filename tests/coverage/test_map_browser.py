"""The coverage layer in Debian's Chromium at 390×844 (zh-CN), served by werkzeug with the
seeded demo and tiles off: a coordinator turns it on, cells are painted on canvas from
the compact data, the slider moves over the week and the share follows the hour;
nothing leaves the machine and the page logs no error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Page

from tests.browser.conftest import ARTIFACTS
from tests.support.browsers import chromium, keep_local, live_flask, need_chromium
from tests.support.web_login import DEMO_PASSWORD

pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {**app_config, "MAP_TILES": "none"}


@pytest.fixture
def live_server(seeded: Flask, runner: FlaskCliRunner) -> Iterator[str]:
    assert runner.invoke(args=["jobs", "run-once", "coverage"]).exit_code == 0
    with live_flask(seeded) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium(need_chromium()) as b:
        yield b


def open_page(browser: Any, base: str, username: str) -> tuple[Page, list[str], list[str]]:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    outside: list[str] = []
    errors: list[str] = []
    keep_local(ctx, base, outside)
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    return page, outside, errors


def test_a_coordinator_reads_coverage_over_the_week(browser: Any, live_server: str) -> None:
    page, outside, errors = open_page(browser, live_server, "coordinator")
    page.goto(f"{live_server}/map")
    page.wait_for_function("() => window.aedCoverage")
    panel = page.locator(".aedcov-panel")
    assert panel.is_visible()
    box = panel.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.get_by_label("覆盖范围").check()
    page.wait_for_function("() => aedCoverage.state.share !== null && aedCoverage.state.drawn > 0")
    painted = page.evaluate("""() => [...document.querySelectorAll('.leaflet-tile-container canvas')]
        .some(c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                     for (let i = 3; i < d.length; i += 4) { if (d[i]) { return true; } }
                     return false; })""")
    assert painted, "no cell painted"

    slider = page.get_by_label("时段")
    shares = {}
    for hour in (2 * 24 + 3, 2 * 24 + 10):  # Wednesday 03:00 and 10:00
        slider.evaluate("(el, h) => { el.value = String(h); "
                        "el.dispatchEvent(new Event('input')); }", hour)
        page.wait_for_function("h => aedCoverage.state.hour === h", arg=hour)
        shares[hour] = page.evaluate("() => aedCoverage.state.share")
        assert page.locator(".aedcov-label").inner_text().startswith(
            "周三 03:00" if hour % 24 == 3 else "周三 10:00")
    assert shares[2 * 24 + 3] < shares[2 * 24 + 10]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "coverage-map.png"))
    page.get_by_role("button", name="现在").click()
    page.wait_for_function("() => aedCoverage.state.hour === null")
    assert outside == [] and errors == []


def test_a_volunteer_has_no_coverage_layer(browser: Any, live_server: str) -> None:
    page, outside, errors = open_page(browser, live_server, "volunteer")
    page.goto(f"{live_server}/map")
    page.wait_for_function("() => window.aedmapPage && window.aedmapPage.shown > 0")
    assert page.locator(".aedcov-panel").count() == 0
    assert page.evaluate("() => window.aedCoverage === undefined")
    assert outside == [] and errors == []
