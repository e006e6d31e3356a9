"""Provisioning end to end: CLI → broker account → agent over TLS → ingest → the right asset.

Then the same gateway is rotated and revoked through the CLI, and a captured message is
replayed with the gateway's own credentials (deduplicated, stored once).
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.passwords import verify_password
from app.extensions import get_db, get_settings
from app.ingest.service import IngestOptions, IngestService
from app.models import Asset, Device, DeviceState, Gateway, Heartbeat, Site, Telemetry
from tests.security.conftest import TLS_PORT, AgentProcess, Clients, ingest_url
from tests.support.mosquitto import MosquittoBroker, TlsFiles
from tests.support.wait import wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
GW = "gw-sec-1"
TELEMETRY = f"aed/v1/gw/{GW}/dev/cab-1/telemetry"


@pytest.fixture
def app_config(app_config: dict[str, object], secure_broker: MosquittoBroker) -> dict[str, object]:
    from app.gateways.broker_admin import account_url

    admin = secure_broker.admin
    return {**app_config, "MQTT_ADMIN_URL": account_url(
        secure_broker.host, secure_broker.port, admin.username, admin.password)}


@pytest.fixture
def ingest(app: Flask, secure_broker: MosquittoBroker) -> Iterator[IngestService]:
    service = IngestService(get_settings(app), IngestOptions(client_id="aed-ingest-sec",
                                                             batch_ms=20.0),
                            mqtt_url=ingest_url(secure_broker))
    service.start()
    assert service.consumer.subscribed.wait(10), "ingest did not subscribe"
    yield service
    service.stop()


def seed(db: Session) -> None:
    site = Site(external_id="site-sec", name="滨江测试点", kind="riverside_point",
                lat=31.26, lon=121.53)
    db.add(site)
    for ext in ("AED-SEC-1", "AED-SEC-OTHER"):
        db.add(Asset(external_id=ext, kind="aed", site=site, name=ext, lat=31.26, lon=121.53,
                     pad_expiry=date(2028, 1, 1), battery_expiry=date(2029, 1, 1)))
    db.commit()


def count(app: Flask, model: type, **where: object) -> int:
    with get_db(app).session() as s:
        stmt = select(func.count()).select_from(model).filter_by(**where)
        return int(s.scalar(stmt) or 0)


def provision(runner: FlaskCliRunner, command: list[str], out: Path, broker: MosquittoBroker,
              tmp_path: Path, certs: TlsFiles) -> str:
    result = runner.invoke(args=["gateway", *command, "--host", "127.0.0.1",
                                 "--port", str(broker.ports[TLS_PORT]),
                                 "--ca-file", str(certs.cafile),
                                 "--state-dir", str(tmp_path / "agent-state"),
                                 "--simulated", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text()
    return next(line.split('"')[1] for line in text.splitlines() if line.startswith("password"))


def test_add_gateway_run_agent_readings_on_the_right_asset_then_rotate_and_revoke(
    app: Flask, db: Session, runner: FlaskCliRunner, secure_broker: MosquittoBroker,
    certs: TlsFiles, ingest: IngestService, clients: Clients, tmp_path: Path,
    agents: Callable[[Path], AgentProcess],
) -> None:
    seed(db)
    config = tmp_path / "agent.toml"
    password = provision(runner, ["add", GW, "--site", "site-sec", "--device",
                                  "cab-1=AED-SEC-1"], config, secure_broker, tmp_path, certs)

    gateway = db.get(Gateway, GW)
    assert gateway is not None and gateway.password_hash and not gateway.revoked
    assert password not in gateway.password_hash and len(password) >= 40
    assert verify_password(gateway.password_hash, password)

    # A raw copy of what the broker delivers, to replay later.
    tap = clients.connect(secure_broker.ingest.username, secure_broker.ingest.password)
    tap.subscribe("aed/v1/#")
    agent = agents(config)
    wait_for(lambda: count(app, Telemetry, gateway_id=GW, device_id="cab-1") >= 1, 30,
             message=lambda: agent.log()[-800:])
    with get_db(app).session() as s:
        asset = s.scalar(select(Asset).where(Asset.external_id == "AED-SEC-1"))
        other = s.scalar(select(Asset).where(Asset.external_id == "AED-SEC-OTHER"))
        assert asset is not None and other is not None and asset.device_pk is not None
        device = s.get(Device, asset.device_pk)
        assert device is not None and (device.gateway_id, device.device_id) == (GW, "cab-1")
        state = s.scalar(select(DeviceState).where(DeviceState.device_pk == asset.device_pk))
        assert state is not None and state.battery_pct is not None
        assert other.device_pk is None

    listing = runner.invoke(args=["gateway", "list", "--json"])
    row = next(r for r in json.loads(listing.output) if r["id"] == GW)
    assert row["site"] == "site-sec" and row["devices"] == ["cab-1"] and not row["revoked"]

    # Rotate: the running agent is dropped and refused with the old password (exit 3).
    config2 = tmp_path / "agent-rotated.toml"
    new_password = provision(runner, ["rotate", GW], config2, secure_broker, tmp_path, certs)
    assert new_password != password
    assert agent.wait_exit(30) == 3, agent.log()[-800:]
    db.expire_all()
    refreshed = db.get(Gateway, GW)
    assert refreshed is not None and verify_password(refreshed.password_hash, new_password)

    # Replay a captured telemetry message with the gateway's own (new) credentials.
    captured = next(p for t, p in tap.messages if t == TELEMETRY)
    msg_id = json.loads(captured)["msg_id"]
    thief = clients.connect(GW, new_password, f"aed-agent-{GW}")
    for _ in range(3):
        thief.publish(TELEMETRY, captured)
    barrier = json.dumps({"v": 1, "msg_id": "999-1", "session": 999, "seq": 1,
                          "ts": "2026-11-29T08:00:00Z", "replay": False, "uptime_s": 1,
                          "outbox_depth": 0, "config_version": 0}).encode()
    thief.publish(f"aed/v1/gw/{GW}/heartbeat", barrier)
    wait_for(lambda: count(app, Heartbeat, gateway_id=GW, msg_id="999-1") == 1, 20)
    assert count(app, Telemetry, gateway_id=GW, msg_id=msg_id) == 1
    thief.close()

    # The rotated config works; revoke drops that agent and it cannot come back.
    agent2 = agents(config2)
    before = count(app, Heartbeat, gateway_id=GW)
    wait_for(lambda: count(app, Heartbeat, gateway_id=GW) > before, 30,
             message=lambda: agent2.log()[-800:])
    result = runner.invoke(args=["gateway", "revoke", GW])
    assert result.exit_code == 0, result.output
    assert agent2.wait_exit(30) == 3, agent2.log()[-800:]
    db.expire_all()
    revoked = db.get(Gateway, GW)
    assert revoked is not None and revoked.revoked and revoked.password_hash is None
    refused = clients.connect(GW, new_password, f"aed-agent-{GW}", expect_ok=False)
    assert refused.connack.is_failure


def test_add_refuses_unknown_site_and_leaves_no_trace(
    app: Flask, db: Session, runner: FlaskCliRunner, secure_broker: MosquittoBroker
) -> None:
    result = runner.invoke(args=["gateway", "add", "gw-nowhere", "--site", "no-such-site"])
    assert result.exit_code != 0 and "no site" in result.output
    assert db.get(Gateway, "gw-nowhere") is None


def test_provisioning_page_for_admins_only_shows_the_config_once(
    app: Flask, db: Session, runner: FlaskCliRunner, secure_broker: MosquittoBroker,
    clients: Clients,
) -> None:
    import html
    import re

    from flask.testing import FlaskClient

    from tests.support.web_login import csrf_token, login

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    site = db.scalars(select(Site.external_id).order_by(Site.external_id)).first()
    path = "/gateways/provisioning"

    viewer: FlaskClient = app.test_client()
    login(viewer, "viewer")
    assert viewer.get(path).status_code == 403
    assert viewer.post(path, data={"action": "revoke", "gateway_id": "gw-yp-001",
                                   "csrf_token": csrf_token(viewer, "/")}).status_code == 403

    admin: FlaskClient = app.test_client()
    login(admin, "admin")
    assert "/gateways/provisioning" in admin.get("/gateways").get_data(as_text=True)
    assert admin.post(path, data={"action": "add", "gateway_id": "gw-web-1"}).status_code == 400
    assert db.get(Gateway, "gw-web-1") is None  # no CSRF token, nothing happened

    resp = admin.post(path, data={"action": "add", "gateway_id": "gw-web-1", "site": site,
                                  "devices": "cab-7", "csrf_token": csrf_token(admin, path)})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page[:500]
    assert resp.headers["Cache-Control"] == "no-store"
    match = re.search(r'password = "([^"]+)"', html.unescape(page))
    assert match, page[:1000]
    password = match.group(1)
    assert password not in admin.get(path).get_data(as_text=True)  # shown once
    clients.connect("gw-web-1", password, "aed-agent-gw-web-1")

    resp = admin.post(path, data={"action": "revoke", "gateway_id": "gw-web-1",
                                  "csrf_token": csrf_token(admin, path)})
    assert resp.status_code == 302
    refused = clients.connect("gw-web-1", password, "aed-agent-gw-web-1", expect_ok=False)
    assert refused.connack.is_failure
    db.expire_all()
    gateway = db.get(Gateway, "gw-web-1")
    assert gateway is not None and gateway.revoked
