"""A coordinator adds an AED on a phone (390x844, zh-CN) in Debian's Chromium, against a
real server: its position by tapping the map (then dragging the marker), its hours
checked as they are typed, its dates; it shows on /map with the right status. A
volunteer then edits nothing (403 on the form and on the API). Retired, the AED leaves
/map, /map/public, the worklist and /api/v1/nearest, and its history stays on its page.
Screenshots for the user guide (docs/img/registry-*.png) with UPDATE_DOC_SCREENSHOTS=1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.tokens import issue_token
from app.models import Alert, Asset, User
from tests.browser.conftest import chromium_path, live_server  # noqa: F401 - fixtures
from tests.browser.test_volunteer_flows import assert_accessible_form, login, shot
from tests.factories import make_site, make_team
from tests.stock.factories import local_today, make_user
from tests.support.browsers import chromium, keep_local
from tests.support.no_broker import without_broker

pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser]


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    # Tiles off (nothing leaves the machine); no broker listens: nothing leaks to one.
    return {**without_broker(app_config, 1.0), "MAP_TILES": "none"}


@pytest.fixture
def people(app: Flask, db: Session) -> dict[str, Any]:
    team = make_team(db)
    site = make_site(db, team=team, address="杨浦滨江秦皇岛路码头", opening_hours="24/7")
    site.name = "秦皇岛路码头滨江点"
    coordinator = make_user(db, "coord-browser", "coordinator")
    volunteer = make_user(db, "vol-browser", "volunteer", team)
    db.commit()
    return {"site": site, "coordinator": coordinator, "volunteer": volunteer}


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Browser]:  # noqa: F811
    with chromium(chromium_path) as launched:
        yield launched


def phone(browser: Browser, base: str) -> Page:
    """A phone-sized page (390x844) in a zh-CN Chromium, kept on this machine."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  device_scale_factor=1)
    outside: list[str] = []
    keep_local(context, base, outside)
    page = context.new_page()
    page.outside = outside  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.errors = errors  # type: ignore[attr-defined]
    return page


def fits_the_phone(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def on_map(page: Page, base: str, path: str, asset_id: int) -> str | None:
    """The AED's status on the map page, or None when it is not there."""
    page.goto(base + path)
    page.wait_for_function("() => window.aedmapPage && window.aedmapPage.items")
    return page.evaluate("(key) => { const it = aedmapPage.byKey[key];"
                         " return it ? it.rec.status : null; }", f"aed/{asset_id}")


def token(db: Session, user: User) -> str:
    value = issue_token(db, user)
    db.commit()
    return value


def test_a_coordinator_adds_an_aed_a_volunteer_cannot_and_retiring_hides_it(
        live_server: str, browser: Browser, people: dict[str, Any], db: Session,  # noqa: F811
) -> None:
    base = live_server
    site = people["site"]
    today = local_today()
    page = phone(browser, base)
    login(page, base, "coord-browser")
    page.goto(f"{base}/registry")
    page.get_by_role("link", name="新增 AED 或急救包", exact=True).click()
    page.wait_for_url(f"{base}/registry/assets/new")

    # The site puts the marker at its position; a tap moves it to the AED's own.
    page.get_by_label("所在站点", exact=True).select_option(label="秦皇岛路码头滨江点")
    assert page.get_by_label("纬度 (WGS-84)", exact=True).input_value() == f"{site.lat:.6f}"
    page.get_by_label("名称(中文)", exact=True).fill("东侧入口AED")
    page.get_by_label("名称(英文)", exact=True).fill("East entrance AED")
    the_map = page.locator("#position-map")
    the_map.scroll_into_view_if_needed()
    box = the_map.bounding_box()
    assert box is not None
    the_map.click(position={"x": box["width"] * 0.7, "y": box["height"] * 0.3})
    tapped = (float(page.get_by_label("纬度 (WGS-84)", exact=True).input_value()),
              float(page.get_by_label("经度 (WGS-84)", exact=True).input_value()))
    assert tapped[0] > site.lat and tapped[1] > site.lon, "north-east of the site"
    assert page.locator(".leaflet-marker-icon").count() == 1
    shot(page, "registry-1-position")

    # Dragging the marker moves the position too.
    marker = page.locator(".leaflet-marker-icon").bounding_box()
    assert marker is not None
    x, y = marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 30, y + 20, steps=8)
    page.mouse.up()
    dragged = (float(page.get_by_label("纬度 (WGS-84)", exact=True).input_value()),
               float(page.get_by_label("经度 (WGS-84)", exact=True).input_value()))
    assert dragged[0] < tapped[0] and dragged[1] < tapped[1], (tapped, dragged)

    page.get_by_label("位于室内", exact=True).check()
    page.get_by_label("楼层", exact=True).fill("1")
    page.get_by_label("具体位置(中文)", exact=True).fill("东侧入口柜内")
    page.get_by_label("具体位置(英文)", exact=True).fill("In the cabinet at the east entrance")
    hours = page.get_by_label("开放时间", exact=True)
    check = page.locator("#access_hours-check")
    hours.fill("白天开放")
    page.wait_for_function("() => document.querySelector('#access_hours-check')"
                           ".textContent.startsWith('开放时间未知')")
    assert "hours-bad" in (check.get_attribute("class") or "")
    hours.fill("Mo-Su 00:00-24:00")
    page.wait_for_function("() => document.querySelector('#access_hours-check')"
                           ".textContent.startsWith('现在开放')")
    page.locator("#field-access_hours").scroll_into_view_if_needed()
    shot(page, "registry-2-hours")

    page.get_by_label("电极片有效期至", exact=True).fill((today + timedelta(days=700)).isoformat())
    page.get_by_label("电池有效期至", exact=True).fill((today + timedelta(days=1400)).isoformat())
    page.get_by_label("生产厂家", exact=True).fill("Mindray")
    page.get_by_label("型号", exact=True).fill("BeneHeart C2")
    page.get_by_label("序列号", exact=True).fill("MR-2026-0001")
    page.get_by_label("安装日期", exact=True).fill(today.isoformat())
    page.get_by_label("守护人姓名", exact=True).fill("李师傅")
    page.get_by_label("守护人电话", exact=True).fill("13800001111")
    assert_accessible_form(page)
    assert fits_the_phone(page)
    page.locator("#dates").scroll_into_view_if_needed()
    shot(page, "registry-3-dates")
    page.get_by_role("button", name="保存").click()

    page.wait_for_url(re.compile(rf"{re.escape(base)}/assets/\d+$"))
    asset_id = int(page.url.rsplit("/", 1)[1])
    assert "已新增" in page.locator(".flash-success").first.inner_text()
    assert page.locator(".status-line").get_attribute("data-status") == "ready"
    assert fits_the_phone(page)
    shot(page, "registry-4-saved")
    db.expire_all()
    asset = db.get(Asset, asset_id)
    assert asset is not None
    assert (round(asset.lat, 6), round(asset.lon, 6)) == dragged
    assert (asset.level, asset.cabinet, asset.access_hours, asset.indoor) == (
        "1", "东侧入口柜内", "Mo-Su 00:00-24:00", True)
    assert asset.status == "ready"
    assert on_map(page, base, "/map", asset_id) == "ready"
    shot(page, "registry-5-map")

    # A volunteer edits nothing: 403 on the form and on the API.
    volunteer = phone(browser, base)
    login(volunteer, base, "vol-browser")
    for path in (f"/registry/assets/{asset_id}/edit", "/registry/assets/new", "/registry"):
        assert volunteer.goto(base + path).status == 403, path  # type: ignore[union-attr]
    volunteer.errors.clear()  # type: ignore[attr-defined]  # Chromium logs each 403
    volunteer.goto(f"{base}/assets/{asset_id}")
    assert volunteer.locator("#edit-asset").count() == 0
    # API calls with a bearer token alone, from a context without the pages' cookies.
    api = browser.new_context().request
    bearer = {"Authorization": f"Bearer {token(db, people['volunteer'])}"}
    resp = api.patch(f"{base}/api/v1/assets/{asset_id}", headers=bearer,
                                   data={"name": "改名"})
    assert resp.status == 403
    resp = api.post(f"{base}/api/v1/assets/{asset_id}/retire", headers=bearer,
                                  data={"reason": "x"})
    assert resp.status == 403

    # Its pads found expired: an alert and the worklist; then it is retired.
    coord = {"Authorization": f"Bearer {token(db, people['coordinator'])}"}
    resp = api.patch(f"{base}/api/v1/assets/{asset_id}", headers=coord,
                              data={"pad_expiry": (today - timedelta(days=1)).isoformat()})
    assert resp.status == 200 and resp.json()["status"] == "not_ready"
    near = f"{base}/api/v1/nearest?lat={dragged[0]}&lon={dragged[1]}&n=1"
    assert [a["id"] for a in api.get(near).json()] == [str(asset_id)]
    page.goto(f"{base}/")
    assert page.locator(f"a[href='/assets/{asset_id}']").count() >= 1
    anonymous = phone(browser, base)
    assert on_map(anonymous, base, "/map/public", asset_id) == "not_ready"

    page.goto(f"{base}/assets/{asset_id}")
    page.locator("#edit-asset").click()
    page.get_by_role("link", name="停用 AED 或急救包").click()
    page.wait_for_url(f"{base}/registry/assets/{asset_id}/retire")
    with page.expect_navigation():
        page.get_by_role("button", name="停用 AED 或急救包").click()
    page.locator("#confirm-error").wait_for()  # no confirmation, no retirement
    page.errors.clear()  # type: ignore[attr-defined]  # Chromium logs the form's 400
    page.goto(f"{base}/registry/assets/{asset_id}/retire")
    page.get_by_label("停用原因", exact=True).fill("设备报废,由新机替换")
    page.get_by_label("我确认停用,且此操作不能撤销", exact=True).check()
    assert_accessible_form(page)
    shot(page, "registry-6-retire")
    page.get_by_role("button", name="停用 AED 或急救包").click()
    page.wait_for_url(f"{base}/assets/{asset_id}")
    assert "设备报废,由新机替换" in page.locator("#retired-notice").inner_text()
    history = page.locator("ul.history").first.inner_text()
    assert "电极片" in history, history  # the pad alert it had, now resolved
    page.locator("#retired-notice").scroll_into_view_if_needed()
    shot(page, "registry-7-retired")

    db.expire_all()
    alert = db.scalar(select(Alert).where(Alert.asset_id == asset_id,
                                          Alert.kind == "pad_expired"))
    assert alert is not None and (alert.status, alert.resolution) == (
        "resolved", "retired: 设备报废,由新机替换")
    assert on_map(page, base, "/map", asset_id) is None
    assert on_map(anonymous, base, "/map/public", asset_id) is None
    page.goto(f"{base}/")
    assert page.locator(f"a[href='/assets/{asset_id}']").count() == 0
    assert str(asset_id) not in [a["id"] for a in api.get(near).json()]
    for p in (page, volunteer, anonymous):
        assert p.errors == [], p.errors  # type: ignore[attr-defined]
        assert p.outside == [], p.outside  # type: ignore[attr-defined]
