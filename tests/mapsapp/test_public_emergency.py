"""The public map as an emergency tool, in Debian's Chromium at 390×844 with nothing
allowed beyond our own server: a passer-by granted a position sees a one-tap call to 120,
the nearest AED available now with its distance, where it hangs and walking navigation;
an AED in use or not ready nearer to them stays on the map as unavailable; "open now" is
on; the view holds the district's AEDs; record text stays text."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import SESSION_KEY
from app.models import Asset, Site
from maps.geo import distance_m, wgs84_to_gcj02
from tests.support.browsers import chromium, keep_local, live_flask, need_chromium

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
DOC_IMAGE = REPO / "docs" / "img" / "public-map-emergency.png"
# South of the riverside demo AEDs (the nearest is about 1.5 km away).
HERE = (31.2400, 121.5000)
M_LAT, M_LON = 1 / 110_900, 1 / 95_300
XSS = '<img src=x onerror="globalThis.pwned=1">'


def _at(north_m: float, east_m: float) -> tuple[float, float]:
    return HERE[0] + north_m * M_LAT, HERE[1] + east_m * M_LON


def _aeds(db: Session) -> dict[str, Asset]:
    lat, lon = _at(60, 0)
    site = Site(external_id="em-site", name="江边便民点", kind="riverside_point", lat=lat, lon=lon)
    db.add(site)
    db.flush()
    rows = {
        # Nearer, but a bystander cannot use them: shown as unavailable, never chosen.
        "in_use": Asset(external_id="em-in-use", kind="aed", site_id=site.id, name="码头 AED(使用中)",
                        status="in_use", access_hours="24/7", lat=_at(15, 0)[0], lon=HERE[1]),
        "not_ready": Asset(external_id="em-not-ready", kind="aed", site_id=site.id,
                           name="仓库 AED", status="not_ready", access_hours="24/7",
                           lat=_at(0, 25)[0], lon=_at(0, 25)[1]),
        "ready": Asset(external_id="em-ready", kind="aed", site_id=site.id,
                       name="江边便民点 AED", name_en="Riverside point AED",
                       status="ready", access_hours="24/7", cabinet="东侧入口柜内",
                       cabinet_en="In the cabinet at the east entrance", lat=lat, lon=lon),
        "far": Asset(external_id="em-far", kind="aed", site_id=site.id, name="远处 AED",
                     status="ready", access_hours="24/7", lat=_at(400, 0)[0], lon=HERE[1]),
    }
    db.add_all(rows.values())
    db.commit()
    return rows


def test_nearest_api_says_where_the_aed_hangs(seeded: Flask, db: Session,
                                              client: FlaskClient) -> None:
    aeds = _aeds(db)
    aeds["ready"].cabinet = "东侧入口柜内 " + XSS
    db.commit()
    query = {"lat": HERE[0], "lon": HERE[1], "n": 5, "status": "ready,attention",
             "coords": "gcj02", "view": "public"}
    items = client.get("/api/v1/nearest", query_string=query).get_json()
    assert [i["id"] for i in items[:2]] == [str(aeds["ready"].id), str(aeds["far"].id)]
    assert items[0]["location"] == "东侧入口柜内 " + XSS
    assert (items[0]["map_lat"], items[0]["map_lon"]) == tuple(
        round(v, 6) for v in wgs84_to_gcj02(aeds["ready"].lat, aeds["ready"].lon))
    with client.session_transaction() as chosen:
        chosen[SESSION_KEY] = "en"
    english = client.get("/api/v1/nearest", query_string=query).get_json()
    assert english[0]["location"] == "In the cabinet at the east entrance"


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium(need_chromium()) as b:
        yield b


@pytest.mark.sqlite_only
@pytest.mark.browser
@pytest.mark.slow
def test_passer_by_finds_the_nearest_available_aed_offline(seeded: Flask, db: Session,
                                                           browser: Any) -> None:
    aeds = _aeds(db)
    ready = aeds["ready"]
    with live_flask(seeded) as base:
        ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  permissions=["geolocation"],
                                  geolocation={"latitude": HERE[0], "longitude": HERE[1]})
        outside: list[str] = []
        keep_local(ctx, base, outside)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/map/public")

        call = page.locator("a.aedm-call")
        assert call.get_attribute("href") == "tel:120"
        box = call.bounding_box()
        assert box is not None and box["y"] < 60 and box["height"] >= 40, "one tap, at the top"
        assert page.locator(".aedm-nearest-btn").count() == 0, "one nearest-AED tool, not two"

        result = page.locator(".aedm-em-result")
        result.wait_for(state="visible")
        assert result.get_attribute("data-id") == str(ready.id)
        assert page.locator(".aedm-em-name").inner_text() == ready.name
        metres = distance_m(HERE[0], HERE[1], ready.lat, ready.lon)
        assert page.locator(".aedm-em-distance").inner_text() == f"距您约 {round(metres)} m"
        assert page.locator(".aedm-em-where").inner_text() == "位置: 东侧入口柜内"

        glat, glon = wgs84_to_gcj02(ready.lat, ready.lon)
        amap = urlsplit(page.locator("a.aedm-em-amap").get_attribute("href") or "")
        assert (amap.scheme, amap.netloc, amap.path) == ("https", "uri.amap.com", "/navigation")
        args = parse_qs(amap.query)
        assert args["mode"] == ["walk"] and args["coordinate"] == ["gaode"]
        lon_s, lat_s, name = args["to"][0].split(",", 2)
        assert (float(lat_s), float(lon_s)) == (round(glat, 6), round(glon, 6))
        assert name == ready.name
        baidu = page.locator("a.aedm-em-baidu").get_attribute("href") or ""
        assert baidu.startswith(f"baidumap://map/direction?destination=latlng:{glat:.6f},{glon:.6f}|name:")
        assert "mode=walking" in baidu and "coord_type=gcj02" in baidu
        assert unquote(baidu.split("|name:", 1)[1].split("&", 1)[0]) == ready.name

        # Open now is on; the unusable AEDs stay on the map, marked unavailable.
        assert page.locator(".aedm-open-now input").is_checked()
        page.wait_for_function("() => window.aedmapPage && window.aedmapPage.shown > 0")
        statuses = page.evaluate(
            "aedmapPage.items.filter(i => i.rec.kind === 'aed').map(i => i.rec.status)")
        assert {"in_use", "not_ready"} <= set(statuses)
        kinds = set(page.evaluate("aedmapPage.items.map(i => i.rec.kind)"))
        assert kinds <= {"aed", "station"}, "gateways are not public"
        assert "网关" not in page.locator(".leaflet-control-layers").inner_text()
        # The view holds every AED of the district.
        inside = page.evaluate("""() => { const b = aedmapPage.map.getBounds();
            return aedmapPage.items.filter(i => i.rec.kind === 'aed')
              .every(i => b.contains([i.rec.lat, i.rec.lon])); }""")
        assert inside

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / DOC_IMAGE.name
        page.screenshot(path=str(shot))
        # The guide's picture is refreshed on request, as the other browser flows do.
        if os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1":
            shutil.copyfile(shot, DOC_IMAGE)
        # Typed text stays text in the panel (and in the links).
        ready.name, ready.cabinet = "江边便民点 AED " + XSS, "东侧入口柜内 " + XSS
        db.commit()
        page.click(".aedm-em-retry")
        page.wait_for_function("n => document.querySelector('.aedm-em-name').textContent === n",
                               arg=ready.name)
        assert page.locator(".aedm-em-where").inner_text() == "位置: 东侧入口柜内 " + XSS
        assert page.locator(".aedm-emergency img").count() == 0
        assert page.evaluate("globalThis.pwned") is None
        assert outside == [], "nothing beyond our server"
        assert errors == []
        ctx.close()
    assert db.scalar(select(Asset.id).where(Asset.external_id == "em-ready")) == ready.id
