"""A volunteer restocks a station on a phone (390x844, zh-CN) in Debian's Chromium,
against a real server: the station has an open restock task, a shortage and an expired
lot. Afterwards the task is done, the expired lot is gone, the station's stock alerts are
resolved and its page shows the new quantities, with no scheduler run in between."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Alert, RestockTask, StockLot, User
from tests.browser.conftest import chromium_path, live_server  # noqa: F401 - fixtures
from tests.browser.test_volunteer_flows import assert_accessible_form, login, shot
from tests.stock.factories import Restockable, days
from tests.support.browsers import chromium
from tests.support.mosquitto import free_port

pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser]


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    # Restocking publishes nothing; no broker listens here, so nothing leaks to one.
    return {**app_config, "MQTT_URL": f"mqtt://127.0.0.1:{free_port()}"}


def fits_the_phone(page: Page) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.fixture
def phone(chromium_path: str) -> Iterator[Page]:  # noqa: F811
    """A phone-sized page (390x844) in a zh-CN Chromium."""
    with chromium(chromium_path) as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844},
                                      locale="zh-CN", device_scale_factor=1)
        yield context.new_page()
        context.close()


def test_volunteer_restocks_a_station_on_a_phone(
    live_server: str, phone: Page, restockable: Restockable,  # noqa: F811
    volunteer: User, db: Session,
) -> None:
    base, page = live_server, phone
    site_id = restockable.site.id
    expired_id, expiring_id = restockable.expired_lot.id, restockable.expiring_lot.id
    login(page, base, volunteer.username)
    page.goto(f"{base}/sites/{site_id}")
    page.get_by_role("link", name="补充物资").click()
    page.wait_for_url(f"{base}/sites/{site_id}/restock")
    assert page.locator("#restock-task").is_visible()
    needs = page.locator('#needs tr[data-item="gauze"]')
    assert "16 片" in needs.inner_text()
    assert "已过期" in page.locator("#take-out").inner_text()
    assert fits_the_phone(page)
    shot(page, "restock-1-form")

    page.locator(f"#remove-{expired_id}").check()
    page.locator(f"#remove-{expiring_id}").check()
    row = page.locator("#delivery-0")
    assert row.get_by_label("物品", exact=True).input_value() == "gauze"
    row.get_by_label("补充数量", exact=True).fill("16")
    row.get_by_label("有效期至", exact=True).fill(days(1000).isoformat())
    row.get_by_label("批号(可选)", exact=True).fill("G-2029")
    assert_accessible_form(page)
    page.locator("#delivery-0").scroll_into_view_if_needed()
    shot(page, "restock-2-filled")
    page.get_by_role("button", name="保存补货").click()

    page.wait_for_url(f"{base}/sites/{site_id}")
    assert "补货已保存" in page.locator(".flash-success").first.inner_text()
    assert page.locator('tr[data-item="gauze"] td.qty').inner_text() == "20 片"
    assert page.locator('tr[data-item="iodine"] td.qty').inner_text() == "15 支"
    assert page.locator("#restock-task").count() == 0
    assert fits_the_phone(page)
    shot(page, "restock-3-done")

    db.expire_all()
    task = db.scalars(select(RestockTask).where(RestockTask.site_id == site_id)).one()
    assert task.status == "done"
    assert db.scalars(select(StockLot).where(StockLot.id.in_([expired_id, expiring_id]))
                      ).all() == []
    open_kinds = db.scalars(select(Alert.kind).where(
        Alert.site_id == site_id, Alert.status != "resolved")).all()
    assert open_kinds == []
    resolved = db.scalars(select(Alert.kind).where(
        Alert.site_id == site_id, Alert.status == "resolved")).all()
    assert sorted(resolved) == ["stock_expired", "stock_expiring", "stock_low"]
