"""The map pages of the real app in Debian's Chromium (Playwright), served by werkzeug on
127.0.0.1 with the seeded Yangpu demo and tiles off: nothing leaves the machine, markers
carry their status colours, popups link to the asset page, the nearest-AED control asks
the real API, and typed text never runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from geopy.distance import geodesic
from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo import yangpu
from app.models import Asset
from tests.support.browsers import chromium, live_flask, need_chromium
from tests.support.web_login import DEMO_PASSWORD

pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser, pytest.mark.slow]

XSS = [
    "${globalThis.x=1}",
    "`;globalThis.x=1;`",
    "\\`;globalThis.x=1//",
    "\\\\'\";globalThis.x=1//",
    '<img src=x onerror="globalThis.x=1">',
    "<script>globalThis.x=1</script>",
    "</script><script>globalThis.x=1</script>",
]
# Okabe-Ito colours of maps.status_style, as the browser reports them.
COLOURS = {"ready": "rgb(0, 158, 115)", "attention": "rgb(230, 159, 0)",
           "not_ready": "rgb(213, 94, 0)", "in_use": "rgb(204, 121, 167)",
           "unknown": "rgb(153, 153, 153)"}
RIVERSIDE = (31.2556, 121.5200)  # on the Yangpu riverside walk, near Renren house No.1


@dataclass
class Guard:
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def live_server(seeded: Flask) -> Iterator[str]:
    with live_flask(seeded) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium(need_chromium()) as b:
        yield b


def open_page(browser: Any, **context: Any) -> tuple[Page, Guard]:
    guard = Guard()
    ctx = browser.new_context(viewport={"width": 412, "height": 860}, locale="zh-CN", **context)

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith("data:") or urlsplit(url).hostname == "127.0.0.1":
            r.continue_()
        else:
            guard.outside.append(url)
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("console", lambda m: guard.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: guard.errors.append(f"pageerror: {e}"))
    return page, guard


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def wait_map(page: Page) -> None:
    page.wait_for_function("() => window.aedmapPage && window.aedmapPage.shown > 0")


SHOW = """([key, open]) => new Promise(done => {
    const it = aedmapPage.byKey[key];
    aedmapPage.map.closePopup();
    aedmapPage.groups[key.split('/')[0]].zoomToShowLayer(it.marker, () => {
        if (open) { it.marker.openPopup(); }
        const e = it.marker.getElement();
        done(e ? [getComputedStyle(e).backgroundColor, e.title] : null);
    });
})"""


def test_volunteer_map_colours_popup_and_nearest(seeded: Flask, db: Session, browser: Any,
                                                 live_server: str) -> None:
    page, guard = open_page(
        browser, permissions=["geolocation"],
        geolocation={"latitude": RIVERSIDE[0], "longitude": RIVERSIDE[1]})
    login(page, live_server, "volunteer")
    page.click("nav.mainnav >> text=地图")
    page.wait_for_url(f"{live_server}/map")
    wait_map(page)
    aeds = db.execute(select(Asset.id, Asset.name, Asset.status, Asset.lat, Asset.lon)
                      .where(Asset.kind == "aed")).all()
    assert page.evaluate("aedmapPage.items.filter(i => i.rec.kind === 'aed').length") \
        == len(aeds)
    one_per_status = {a.status: a for a in aeds}
    assert {"ready", "attention", "not_ready"} <= set(one_per_status)
    for status, asset in one_per_status.items():
        colour, title = page.evaluate(SHOW, [f"aed/{asset.id}", False])
        assert (status, colour, title) == (status, COLOURS[status], asset.name)

    ready = one_per_status["ready"]
    page.evaluate(SHOW, [f"aed/{ready.id}", False])
    page.locator(f".aedm-k-aed.aedm-s-ready[title='{ready.name}']").click()
    popup = page.locator(".leaflet-popup-content .aedm-popup")
    popup.wait_for()
    assert popup.locator(".aedm-popup-title").inner_text() == ready.name
    assert popup.locator(".aedm-status-text").inner_text() == "可用"
    href = popup.locator("a.aedm-popup-link").get_attribute("href")
    assert href == f"{live_server}/assets/{ready.id}"

    with page.expect_response(lambda r: "/api/v1/nearest?" in r.url) as answer:
        page.click(".aedm-nearest-btn")
    assert answer.value.status == 200
    page.wait_for_function("() => document.querySelectorAll('.aedm-nearest-item').length === 3")
    best = min((a for a in aeds if a.status == "ready"),
               key=lambda a: (geodesic(RIVERSIDE, (a.lat, a.lon)).m, a.id))
    labels = page.locator(".aedm-nearest-label").all_inner_texts()
    assert labels[0] == best.name
    first_link = page.locator("a.aedm-nearest-link").first.get_attribute("href")
    assert first_link == f"{live_server}/assets/{best.id}"
    assert guard.outside == []
    assert guard.errors == []


def test_xss_corpus_in_real_assets_runs_nothing(seeded: Flask, db: Session, browser: Any,
                                                live_server: str) -> None:
    assets = db.scalars(select(Asset).where(Asset.kind == "aed").order_by(Asset.id)).all()
    probes = dict(zip([a.id for a in assets], XSS, strict=False))
    for asset in assets:
        if asset.id in probes:
            asset.name = probes[asset.id]
            asset.description = probes[asset.id]
            asset.public = True
    db.commit()
    signed_in, guard_in = open_page(browser)
    login(signed_in, live_server, "coordinator")
    anonymous, guard_anon = open_page(browser)
    for page, url in ((signed_in, "/map"), (anonymous, "/map/public")):
        page.goto(live_server + url)
        if url == "/map/public":
            page.uncheck(".aedm-open-now input")  # on by default there; show every probe
        wait_map(page)
        for asset_id, probe in probes.items():
            _, title = page.evaluate(SHOW, [f"aed/{asset_id}", True])
            assert title == probe
            # The previous popup may still be fading out.
            page.wait_for_function(
                "() => document.querySelectorAll('.leaflet-popup').length === 1")
            popup = page.locator(".leaflet-popup-content .aedm-popup")
            assert popup.locator(".aedm-popup-title").text_content() == probe
            assert popup.locator(".aedm-popup-desc").text_content() == probe
            assert popup.locator("img, script").count() == 0
        assert page.evaluate("typeof globalThis.x") == "undefined", url
        text = page.locator("body").inner_text()
        if url == "/map/public":
            for leader in (t[-1] for t in yangpu.TEAMS):
                assert leader not in page.content()
                assert leader not in text
    assert guard_in.outside == [] and guard_anon.outside == []
    assert guard_in.errors == [] and guard_anon.errors == []
