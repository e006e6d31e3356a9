"""Helpers for the coverage tests on the seeded demo: tokens, the coverage the API
answers, and the real paths that change an AED's readiness."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import numpy as np
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy
from app.auth.tokens import issue_token
from app.demo.seed import DEVICE_ID
from app.devices import FactsConfig, RawMessage, apply_batch
from app.extensions import get_settings
from app.models import Asset, User
from tests.ingest.factory import telemetry


def token_for(db: Session, username: str) -> dict[str, str]:
    user = db.scalar(select(User).where(User.username == username))
    assert user is not None
    token = issue_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def aed(db: Session, code: str) -> Asset:
    found = db.scalar(select(Asset).where(Asset.external_id == code))
    assert found is not None, code
    return found


def covered_cells(body: dict[str, object]) -> set[int]:
    """The raster indices the API says are covered (its runs and bits decoded)."""
    runs = body["runs"]
    assert isinstance(runs, list)
    raster = np.concatenate([np.arange(s, s + n) for s, n in zip(runs[::2], runs[1::2],
                                                                   strict=True)])
    bits = np.unpackbits(np.frombuffer(base64.b64decode(str(body["covered_bits"])),
                                       dtype=np.uint8))[:len(raster)]
    return set(raster[bits.astype(bool)].tolist())


def aed_context(app: Flask) -> AedContext:
    return AedContext.of(get_settings(app), AlertPolicy())


def fail_self_test(app: Flask, db: Session, code: str, now: datetime, seq: int = 900
                   ) -> None:
    """The AED's cabinet reports a failed self-test, through the ingest writer's batch
    (the path MQTT messages take, without a broker)."""
    asset = aed(db, code)
    assert asset.device is not None, f"{code} has no device"
    gateway = asset.device.gateway_id
    cfg = FactsConfig(aeds=aed_context(app))
    topic, payload = telemetry(gw=gateway, dev=DEVICE_ID, seq=seq, session=7, ts=now,
                               self_test="fail", temp_c=20.0, battery_pct=90,
                               door="closed")
    out = apply_batch(db, [RawMessage(topic, payload, now, -1)], now, cfg)
    db.commit()
    assert out.total == 1


def api_coverage(client: FlaskClient, headers: dict[str, str], at: datetime
                 ) -> dict[str, Any]:
    resp = client.get("/api/v1/coverage", query_string={"at": at.isoformat()},
                      headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert isinstance(body, dict)
    return body
