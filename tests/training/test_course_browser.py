"""A coordinator runs a course on a phone (390x844, zh-CN) in Debian's Chromium, against
a real server: records the course (a wrong field is shown beside it), checks the training
base's attendee list with a dry run, imports it, and reads the programme report. The
screenshots are the guide's ("running a course", "reading the programme report")."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import CourseAttendance, Responder
from tests.browser.conftest import chromium_path, live_server  # noqa: F401 - fixtures
from tests.browser.test_volunteer_flows import assert_accessible_form, shot
from tests.support.browsers import chromium
from tests.training.conftest import World
from tests.training.factories import PASSWORD, Row, csv_bytes, days, make_responder

pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser]


def fits_the_phone(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.fixture
def phone(chromium_path: str) -> Iterator[Page]:  # noqa: F811
    with chromium(chromium_path) as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844},
                                      locale="zh-CN", device_scale_factor=1)
        yield context.new_page()
        context.close()


def upload(page: Page, data: bytes, dry_run: bool) -> None:
    page.set_input_files("#file", files=[{"name": "学员名单.csv", "mimeType": "text/csv",
                                          "buffer": data}])
    page.locator('input[name="dry_run"]').set_checked(dry_run)
    page.get_by_role("button", name="上传").click()
    page.locator("#import-summary").wait_for()


def test_coordinator_runs_a_course_and_reads_the_report_on_a_phone(
        live_server: str, phone: Page, db: Session, world: World) -> None:  # noqa: F811
    base, page = live_server, phone
    known = make_responder(db, 1, days(200), team=world.team, sites=[world.station])
    db.commit()
    rows = [Row(known.name, certificate_number=known.certificate_number or ""),
            Row("王小明", phone="13711110001", organisation="定海路街道红十字会"),
            Row("李小红", phone="138-abc-0000"),  # line 4: not a phone number
            Row("张大伟", phone="13711110003", certificate_number="YP-2026-0003")]
    data = csv_bytes(rows)

    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(world.coordinator.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/trainings")
    page.get_by_role("link", name="新建课程").click()
    page.wait_for_url(f"{base}/trainings/new")
    page.locator("#course_type").select_option("awareness")
    page.locator("#training_base").select_option("central_hospital")
    page.locator("#organisation_id").select_option(str(world.org.id))
    page.locator("#trainer").fill("区中心医院急诊科")
    page.get_by_role("button", name="保存课程").click()
    # An awareness session is counted by its headcount: the problem is beside the field.
    assert "普及培训按人数统计" in page.locator("#headcount-error").inner_text()
    assert page.locator("#headcount").get_attribute("aria-invalid") == "true"
    assert page.locator("#trainer").input_value() == "区中心医院急诊科"  # nothing lost
    assert_accessible_form(page)
    assert fits_the_phone(page)
    page.locator("#headcount").scroll_into_view_if_needed()
    shot(page, "training-1-course-form")

    page.locator("#course_type").select_option("certificate")
    page.get_by_role("button", name="保存课程").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/trainings/\d+$"))
    assert "课程已保存" in page.locator(".flash-success").first.inner_text()

    upload(page, data, dry_run=True)
    assert "试运行" in page.locator("#import-report h2").inner_text()
    assert page.locator("#import-summary").inner_text() == (
        "新增 2 条,更新 1 条,未变 0 条,1 行有错误。")
    wrong = page.locator("#import-errors li")
    assert wrong.get_attribute("data-line") == "4"
    assert wrong.inner_text().startswith("第 4 行: 手机 请填写电话号码")  # the file's heading
    assert page.locator("#attendees tbody tr").count() == 1  # the "none" row: unchanged
    assert fits_the_phone(page)
    page.locator("#import-report").scroll_into_view_if_needed()
    shot(page, "training-2-dry-run")

    upload(page, data, dry_run=False)
    assert page.locator("#import-summary").inner_text() == (
        "新增 2 条,更新 1 条,未变 0 条,1 行有错误。")
    names = page.locator("#attendees tbody tr td:first-child").all_inner_texts()
    assert sorted(names) == sorted([known.name, "王小明", "张大伟"])
    assert page.locator("#listed").inner_text() == "3"
    assert fits_the_phone(page)
    page.locator("#import-report").scroll_into_view_if_needed()
    shot(page, "training-3-imported")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Responder)) == 3
    assert db.scalar(select(func.count()).select_from(CourseAttendance)) == 3

    page.goto(f"{base}/reports/programme")
    assert page.locator("#certificate-trainees").inner_text() == "3"
    assert page.locator("#awareness-reach").inner_text() == "0"
    branch = page.locator(f'#by-branch tr[data-branch="{world.org.id}"]')
    assert branch.locator('td[data-type="certificate"]').inner_text() == "3"
    assert page.locator("#years svg").count() >= 1  # the charts, as on the asset page
    assert fits_the_phone(page)
    shot(page, "training-4-report")
    page.locator("#branches").scroll_into_view_if_needed()
    shot(page, "training-5-report-branches")
