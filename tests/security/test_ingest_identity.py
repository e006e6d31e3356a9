"""Defence in depth in ingest: even if the broker let a message through, the topic's
gateway is the only identity, and it cannot reach another gateway's devices or assets."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy
from app.devices import FactsConfig, RawMessage, apply_batch
from app.extensions import get_settings
from app.models import DeadLetter, DeviceState, Gateway, QuarantinedMessage, Telemetry
from tests.ingest.factory import register, telemetry

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def apply(app: Flask, db: Session, *messages: tuple[str, bytes]) -> None:
    settings = get_settings(app)
    cfg = FactsConfig(aeds=AedContext.of(settings, AlertPolicy()))
    apply_batch(db, [RawMessage(t, p, NOW) for t, p in messages], NOW, cfg)
    db.commit()


def states(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(DeviceState)) or 0)


def test_a_gateway_topic_never_reaches_another_gateways_device(app: Flask, db: Session) -> None:
    register(db, "gw-a", ("cab-a",))
    register(db, "gw-b", ("cab-b",))
    # gw-a names gw-b's device under its own topic: not its device, quarantined.
    apply(app, db, telemetry("gw-a", "cab-b", seq=1, battery_pct=5))
    assert states(db) == 0
    quarantined = db.scalars(select(QuarantinedMessage)).all()
    assert [(q.gateway_id, q.reason) for q in quarantined] == [("gw-a", "unregistered_device")]


def test_payload_identity_that_contradicts_the_topic_is_dead_lettered(
    app: Flask, db: Session
) -> None:
    register(db, "gw-a", ("cab-a",))
    register(db, "gw-b", ("cab-b",))
    topic, payload = telemetry("gw-a", "cab-a", seq=1, battery_pct=5)
    forged = json.loads(payload) | {"gateway_id": "gw-b", "device_id": "cab-b"}
    apply(app, db, (topic, json.dumps(forged).encode()))
    assert db.scalar(select(func.count()).select_from(Telemetry)) == 0
    dead = db.scalars(select(DeadLetter)).all()
    assert [d.reason for d in dead] == ["topic_mismatch"]


def test_a_revoked_gateways_messages_are_quarantined_not_applied(
    app: Flask, db: Session
) -> None:
    register(db, "gw-a", ("cab-a",))
    gateway = db.get(Gateway, "gw-a")
    assert gateway is not None
    gateway.revoked = True
    db.commit()
    apply(app, db, telemetry("gw-a", "cab-a", seq=1, battery_pct=5))
    assert states(db) == 0
    reasons = db.scalars(select(QuarantinedMessage.reason)).all()
    assert reasons == ["revoked_gateway"]
