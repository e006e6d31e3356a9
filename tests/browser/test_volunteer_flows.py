"""A volunteer and a coordinator on a phone (390x844, zh-CN) against a real server,
a real broker and Debian's Chromium. Screenshots go to test-artifacts/browser/ and the
useful ones to docs/img/ for the user guide."""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import date, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from flask import Flask
from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.refresh import refresh_aeds
from app.extensions import get_aed_context
from app.models import Alert, Asset, DeviceState, Gateway, utcnow
from tests.browser.conftest import ARTIFACTS, DOC_IMAGES
from tests.support.browsers import chromium
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

# Browser flows run once, on SQLite; the API and web tests cover PostgreSQL.
pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser]

PASSWORD = "demo-pass-2026"


def shot(page: Page, name: str, for_docs: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    # The guide's pictures are refreshed on request (UPDATE_DOC_SCREENSHOTS=1 make test),
    # so an ordinary run leaves the work tree clean.
    if for_docs and os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_IMAGES / f"{name}.png")


UNLABELLED_JS = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)
"""


def assert_accessible_form(page: Page) -> None:
    """Every visible control has a label; statuses carry a word, not colour alone."""
    assert page.evaluate(UNLABELLED_JS) == [], page.url
    for badge in page.locator(".status").all():
        assert badge.inner_text().strip(), "a status badge without text"


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def alert_for(db: Session, asset: Asset, kind: str, severity: str) -> Alert:
    """The asset's active alert of this kind (the demo's evaluation may have opened it)."""
    found = db.scalar(select(Alert).where(Alert.asset_id == asset.id, Alert.kind == kind,
                                          Alert.status != "resolved"))
    if found is not None:
        return found
    alert = Alert(kind=kind, severity=severity, subject_type="asset", subject_id=str(asset.id),
                  dedupe_key=f"asset:{asset.id}:{kind}", asset_id=asset.id,
                  site_id=asset.site_id, status="open",
                  auto_resolve=kind not in {"aed_in_use", "cabinet_opened"},
                  message=f"{asset.name}: {kind}", opened_at=utcnow())
    db.add(alert)
    return alert


@pytest.fixture
def scenario(app: Flask, db: Session) -> dict[str, int]:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    expired = date.today() - timedelta(days=3)
    pads = db.scalar(select(Asset).where(Asset.external_id == "aed-yp-001"))
    assert pads is not None and pads.device_pk is not None
    pads.pad_expiry = expired
    state = db.get(DeviceState, pads.device_pk)
    assert state is not None
    state.pad_expiry = expired
    refresh_aeds(db, [pads.id], utcnow(), get_aed_context(app))
    assert pads.status == "not_ready"
    alert_for(db, pads, "pad_expired", "critical")
    other = db.scalar(select(Asset).where(Asset.external_id == "aed-yp-002"))
    assert other is not None
    ack = alert_for(db, other, "battery_low", "warning")
    used = db.scalar(select(Asset).where(Asset.external_id == "aed-yp-013"))
    assert used is not None and used.in_use_since is not None
    incident = alert_for(db, used, "aed_in_use", "urgent")
    db.commit()
    return {"pads": pads.id, "ack": ack.id, "used": used.id, "incident": incident.id}


def watch_config(broker: MosquittoBroker, gateway_id: str) -> tuple[mqtt.Client, list[dict]]:
    got: list[dict] = []
    lock = threading.Lock()

    def on_message(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with lock:
            got.append({"retain": msg.retain, **json.loads(msg.payload)})

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="browser-test-watch")
    client.on_message = on_message
    client.connect(broker.host, broker.port)
    client.subscribe(f"aed/v1/gw/{gateway_id}/config", qos=1)
    client.loop_start()
    return client, got


@pytest.mark.browser
@pytest.mark.mqtt
@pytest.mark.slow
def test_volunteer_and_coordinator_on_a_phone(
    live_server: str, chromium_path: str, scenario: dict[str, int], db: Session,
    broker: MosquittoBroker,
) -> None:
    base = live_server
    new_pad = date.today() + timedelta(days=730)
    with chromium(chromium_path) as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844},
                                      locale="zh-CN", device_scale_factor=1)
        page = context.new_page()
        try:
            page.goto(f"{base}/login")
            shot(page, "01-login")
            assert_accessible_form(page)
            # Keyboard only: type, Tab to the next field, Enter submits.
            page.get_by_label("用户名").focus()
            page.keyboard.type("volunteer")
            page.keyboard.press("Tab")
            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{base}/")
            assert page.locator("html").get_attribute("lang") == "zh-CN"
            assert page.get_by_role("heading", name="现在需要我做什么").is_visible()
            items = page.locator("ol.worklist > li")
            assert items.filter(has_text="秦皇岛路码头AED").count() == 1
            shot(page, "02-worklist")

            page.get_by_role("link", name="秦皇岛路码头AED").first.click()
            assert page.locator(".status-line").get_attribute("data-status") == "not_ready"
            shot(page, "03-asset-not-ready")

            page.get_by_role("link", name="月度检查").click()
            for fieldset in page.locator("form.checklist fieldset").all():
                fieldset.get_by_label("正常").check()
            page.get_by_label("备注").fill("电极片已过期,已通知更换")
            assert_accessible_form(page)
            shot(page, "04-inspection")
            page.get_by_role("button", name="保存检查").click()
            assert page.locator(".flash-success").is_visible()

            page.get_by_role("link", name="更换电极片或电池").click()
            page.get_by_label("新电极片到期日").fill(new_pad.isoformat())
            assert_accessible_form(page)
            shot(page, "05-replace-pads")
            page.get_by_role("button", name="保存更换").click()
            assert page.locator(".status-line").get_attribute("data-status") == "ready"
            assert page.locator("#pad-expiry").inner_text() == new_pad.isoformat()
            assert "新设置已发送到网关 gw-yp-001" in page.locator("main").inner_text()
            shot(page, "06-asset-ready")

            page.goto(f"{base}/alerts/{scenario['ack']}")
            page.get_by_role("button", name="确认:我来处理").click()
            assert page.locator("#alert-status").get_attribute("data-status") == "acknowledged"
            shot(page, "07-alert-acknowledged")

            page.get_by_role("button", name="退出").click()
            page.wait_for_url(f"{base}/login")
            login(page, base, "coordinator")
            page.goto(f"{base}/alerts/{scenario['incident']}")
            shot(page, "08-use-incident-alert")
            page.get_by_role("link", name="使用后恢复").click()
            page.get_by_label("是,已使用").check()
            page.get_by_label("是,已装上新电极片").check()
            page.get_by_label("新电极片到期日").fill(new_pad.isoformat())
            page.get_by_label("是,AED 已放回,柜门已关,就绪灯亮").check()
            page.get_by_label("备注(送往医院、已移交患者等)").fill("患者已送医")
            assert_accessible_form(page)
            shot(page, "09-use-incident-form")
            page.get_by_role("button", name="标记就绪并关闭事件").click()
            assert page.locator(".status-line").get_attribute("data-status") != "in_use"
            shot(page, "10-after-incident")
            page.goto(f"{base}/lang/en?next=/")
            shot(page, "11-worklist-en")
        finally:
            context.close()

    db.expire_all()
    pads = db.get(Asset, scenario["pads"])
    assert pads is not None and pads.status == "ready" and pads.pad_expiry == new_pad
    assert pads.last_inspection_at is not None
    gateway = db.get(Gateway, "gw-yp-001")
    assert gateway is not None
    client, got = watch_config(broker, "gw-yp-001")
    try:
        payloads = wait_for(lambda: got, timeout=10, message="retained config on the broker")
        assert payloads[-1]["retain"] is True
        assert payloads[-1]["config_version"] == gateway.desired_config_version
        assert payloads[-1]["devices"]["cab-1"]["pad_expiry"] == new_pad.isoformat()
    finally:
        client.disconnect()
        client.loop_stop()
    ack = db.get(Alert, scenario["ack"])
    assert ack is not None and ack.status == "acknowledged"
    incident = db.get(Alert, scenario["incident"])
    assert incident is not None and incident.status == "resolved"
    used = db.get(Asset, scenario["used"])
    assert used is not None and used.in_use_since is None and used.status != "in_use"
    assert Path(ARTIFACTS / "06-asset-ready.png").stat().st_size > 1000
