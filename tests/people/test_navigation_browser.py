"""The navigation on a phone (390×844, zh-CN) in Debian's Chromium against a live
server: a coordinator reaches every page of theirs and of the coordination menu, a
volunteer sees only theirs, nothing is wider than the screen; and a coordinator makes an
account whose owner must choose a password before anything else."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page

from tests.people.conftest import FIRST_PASSWORD, OWN_PASSWORD
from tests.support.browsers import chromium, live_flask, need_chromium
from tests.support.web_login import DEMO_PASSWORD

# One backend is enough for the browser; the web and API tests cover PostgreSQL.
pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
DOC_IMAGES = REPO / "docs" / "img"
PHONE = {"width": 390, "height": 844}
MAIN_LINKS = ("我的任务", "告警", "全部 AED", "地图", "网关", "我的密码")
COORDINATION_LINKS = {"台账": "/registry", "导入": "/import", "培训": "/trainings",
                      "救护员": "/responders", "项目报告": "/reports/programme",
                      "人员": "/people", "队伍": "/teams", "组织架构": "/organisations"}
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth - window.innerWidth"
LINKS_OFF_SCREEN = """() => [...document.querySelectorAll('nav.mainnav a, nav.mainnav button')]
  .filter(el => { const r = el.getBoundingClientRect();
                  return r.left < 0 || r.right > window.innerWidth || r.width === 0; })
  .map(el => el.textContent.trim())"""


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium(need_chromium()) as launched:
        yield launched


@pytest.fixture
def base(seeded: Flask) -> Iterator[str]:
    with live_flask(seeded) as url:
        yield url


def phone(browser: Browser) -> Page:
    return browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                               has_touch=True, locale="zh-CN").new_page()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    # The guide's pictures change only on request (UPDATE_DOC_SCREENSHOTS=1).
    if os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_IMAGES / f"{name}.png")


def log_in(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def assert_fits_the_screen(page: Page) -> None:
    assert page.evaluate(WIDER_THAN_SCREEN) <= 0, page.url
    assert page.evaluate(LINKS_OFF_SCREEN) == [], page.url


def test_a_coordinator_finds_every_page_in_the_navigation(browser: Browser, base: str) -> None:
    page = phone(browser)
    log_in(page, base, "coordinator")
    page.wait_for_url(f"{base}/")
    main = page.get_by_role("navigation", name="主导航")
    for text in MAIN_LINKS:
        assert main.get_by_role("link", name=text, exact=True).is_visible(), text
    coordination = page.get_by_role("navigation", name="管理")
    for text, path in COORDINATION_LINKS.items():
        link = coordination.get_by_role("link", name=text, exact=True)
        assert link.is_visible() and link.get_attribute("href") == path, text
    assert_fits_the_screen(page)
    shot(page, "people-nav-coordinator")
    for text, heading in (("人员", "人员"), ("队伍", "队伍"), ("组织架构", "组织架构")):
        page.get_by_role("navigation", name="管理").get_by_role(
            "link", name=text, exact=True).click()
        page.wait_for_url(f"{base}{COORDINATION_LINKS[text]}")
        assert page.get_by_role("heading", level=1).inner_text() == heading
        current = page.locator("nav.mainnav a[aria-current=page]")
        assert current.inner_text() == text
        assert_fits_the_screen(page)
    shot(page, "people-organisations")
    page.get_by_role("link", name="我的密码").click()
    page.wait_for_url(f"{base}/account/password")
    assert_fits_the_screen(page)


def test_a_volunteer_sees_only_their_links(browser: Browser, base: str) -> None:
    page = phone(browser)
    log_in(page, base, "volunteer")
    page.wait_for_url(f"{base}/")
    main = page.get_by_role("navigation", name="主导航")
    for text in MAIN_LINKS:
        assert main.get_by_role("link", name=text, exact=True).is_visible(), text
    assert page.get_by_role("navigation", name="管理").count() == 0
    for text in COORDINATION_LINKS:
        assert page.get_by_role("link", name=text, exact=True).count() == 0, text
    assert_fits_the_screen(page)
    shot(page, "people-nav-volunteer")
    main.get_by_role("link", name="告警", exact=True).click()
    page.wait_for_url(f"{base}/alerts")
    assert page.goto(f"{base}/people").status == 403


def test_a_new_account_must_choose_its_password_first(browser: Browser, base: str) -> None:
    coordinator = phone(browser)
    log_in(coordinator, base, "coordinator")
    coordinator.goto(f"{base}/people")
    coordinator.get_by_role("link", name="新建账号").click()
    coordinator.get_by_label("用户名").fill("zhao.yun")
    coordinator.get_by_label("姓名").fill("赵芸")
    coordinator.get_by_label("角色").select_option("volunteer")
    coordinator.get_by_role("button", name="保存").click()
    # Errors stand beside their fields; nothing is saved.
    assert coordinator.locator("#team_id-error").is_visible()
    assert coordinator.locator("#password-error").is_visible()
    assert_fits_the_screen(coordinator)
    shot(coordinator, "people-new-account-errors")
    coordinator.get_by_label("队伍").select_option(label="善馨红十字应急志愿服务队 · 杨浦区红十字会")
    coordinator.get_by_label("初始密码", exact=True).fill(FIRST_PASSWORD)
    coordinator.get_by_label("再次输入初始密码").fill(FIRST_PASSWORD)
    coordinator.get_by_role("button", name="保存").click()
    coordinator.wait_for_url(f"{base}/people")
    assert coordinator.locator('[data-username="zhao.yun"]').is_visible()

    person = phone(browser)
    log_in(person, base, "zhao.yun", FIRST_PASSWORD)
    person.wait_for_url(f"{base}/account/password**")
    assert person.locator("#must-change").is_visible()
    assert_fits_the_screen(person)
    shot(person, "people-first-login")
    assert person.get_by_role("link", name="告警", exact=True).count() == 0
    person.goto(f"{base}/alerts")
    assert "/account/password" in person.url
    person.get_by_label("当前密码").fill(FIRST_PASSWORD)
    person.get_by_label("新密码", exact=True).fill(OWN_PASSWORD)
    person.get_by_label("再次输入新密码").fill(OWN_PASSWORD)
    person.get_by_role("button", name="修改密码").click()
    person.wait_for_url(f"{base}/alerts")
    assert person.get_by_role("link", name="告警", exact=True).is_visible()
