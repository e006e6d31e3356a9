"""Desired gateway configuration: build it, version it, publish it retained.

The server is the source of truth for facts a volunteer records (pad and battery
expiry): after a change it bumps the gateway's desired config version, stores the
config and a PendingConfigPush row in the same transaction, and then publishes the
config retained with QoS 1 on `aed/v1/gw/{gw}/config`. The pending row is deleted only
after the broker's PUBACK, so a broker outage (or a crash in between) never loses a
config: `push_pending` publishes whatever is still listed.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import MqttUrl, ReadinessPolicy
from app.db import Database
from app.gateways.mqtt_client import new_client
from app.models import Asset, Device, Gateway, PendingConfigPush
from device_agent.protocol import (
    ConfigMessage,
    DeviceSettings,
    Thresholds,
    config_topic,
    encode,
)

log = logging.getLogger(__name__)


class PublishError(RuntimeError):
    """The broker did not confirm the publish (down, refused, or timed out)."""


@dataclass(frozen=True)
class PushResult:
    gateway_id: str
    version: int
    published: bool
    error: str | None = None


def build_config(
    session: Session, gateway: Gateway, version: int, policy: ReadinessPolicy, now: datetime
) -> ConfigMessage:
    rows = session.execute(
        select(Device.device_id, Asset.pad_expiry, Asset.battery_expiry)
        .join(Asset, Asset.device_pk == Device.id)
        .where(Device.gateway_id == gateway.id)
        .order_by(Device.device_id)
    ).all()
    devices = {
        device_id: DeviceSettings(pad_expiry=pad, battery_expiry=battery)
        for device_id, pad, battery in rows
    }
    return ConfigMessage(
        config_version=version,
        report_interval_s=float(gateway.report_interval_s),
        thresholds=Thresholds(
            temp_min_c=policy.temp_min_c, temp_max_c=policy.temp_max_c,
            battery_low_pct=policy.battery_low_pct,
        ),
        devices=devices,
        ts=now,
    )


def bump_desired_config(
    session: Session, gateway: Gateway, policy: ReadinessPolicy, now: datetime
) -> ConfigMessage:
    """New desired config version, stored and queued for publishing (not yet sent)."""
    version = (gateway.desired_config_version or 0) + 1
    message = build_config(session, gateway, version, policy, now)
    gateway.desired_config_version = version
    gateway.desired_config = message.model_dump(mode="json", exclude_none=True)
    pending = session.get(PendingConfigPush, gateway.id)
    if pending is None:
        session.add(PendingConfigPush(
            gateway_id=gateway.id, version=version, queued_at=now, attempts=0
        ))
    else:
        pending.version = version
        pending.queued_at = now
    return message


class ConfigPublisher:
    """Connects, publishes one retained QoS 1 message, waits for PUBACK, disconnects."""

    def __init__(self, mqtt_url: str, topic_root: str, timeout_s: float = 5.0) -> None:
        endpoint = MqttUrl.parse(mqtt_url)
        self.host, self.port, self.tls = endpoint.host, endpoint.port, endpoint.tls
        self.username, self.password = endpoint.username, endpoint.password
        self.topic_root = topic_root
        self.timeout_s = timeout_s

    def publish(self, gateway_id: str, payload: bytes) -> None:
        client = new_client(
            f"aed-web-config-{uuid.uuid4().hex[:12]}",
            username=self.username, password=self.password, tls=self.tls,
        )
        client.connect_timeout = self.timeout_s
        try:
            client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise PublishError(f"broker unreachable at {self.host}:{self.port}: {exc}") from exc
        client.loop_start()
        try:
            info = client.publish(
                config_topic(gateway_id, self.topic_root), payload, qos=1, retain=True
            )
            info.wait_for_publish(timeout=self.timeout_s)
            if not info.is_published():
                raise PublishError("broker did not acknowledge the config in time")
        except (RuntimeError, ValueError) as exc:
            if isinstance(exc, PublishError):
                raise
            raise PublishError(str(exc)) from exc
        finally:
            client.disconnect()
            client.loop_stop()


def push_pending(
    db: Database, publisher: ConfigPublisher, gateway_ids: list[str] | None = None
) -> list[PushResult]:
    """Publish the desired config of every pending gateway (or of `gateway_ids`)."""
    with db.session() as session:
        query = select(PendingConfigPush.gateway_id, PendingConfigPush.version)
        if gateway_ids is not None:
            query = query.where(PendingConfigPush.gateway_id.in_(gateway_ids))
        pending = session.execute(query).all()
        configs: dict[str, dict[str, Any] | None] = {
            gw.id: gw.desired_config
            for gw in session.scalars(
                select(Gateway).where(Gateway.id.in_([p[0] for p in pending]))
            )
        }
    results: list[PushResult] = []
    for gateway_id, version in pending:
        desired = configs.get(gateway_id)
        if desired is None:
            continue
        try:
            # Strict models accept ISO date strings only from JSON.
            payload = encode(ConfigMessage.model_validate_json(json.dumps(desired)))
            publisher.publish(gateway_id, payload)
        except PublishError as exc:
            log.warning("config v%s for %s not published: %s", version, gateway_id, exc)
            with db.session() as session:
                row = session.get(PendingConfigPush, gateway_id)
                if row is not None:
                    row.attempts += 1
                    row.last_error = str(exc)[:300]
            results.append(PushResult(gateway_id, version, False, str(exc)))
            continue
        with db.session() as session:
            row = session.get(PendingConfigPush, gateway_id)
            # A newer version queued meanwhile stays pending for the next push.
            if row is not None and row.version == version:
                session.delete(row)
        results.append(PushResult(gateway_id, version, True))
    return results
