"""Pad and battery replacement: new expiry dates, readiness, alerts, gateway config."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.aeds.refresh import AedContext, refresh_aeds
from app.alerts import lifecycle
from app.gateways.desired_config import bump_desired_config
from app.models import Alert, Asset, DeviceState, Gateway

PAD_ALERTS = ("pad_expiring", "pad_expired")
BATTERY_ALERTS = ("battery_expiring", "battery_expired")


class ReplacementError(ValueError):
    pass


@dataclass
class ReplacementOutcome:
    resolved: list[Alert] = field(default_factory=list)
    gateway_id: str | None = None
    config_version: int | None = None


def replace_consumables(
    session: Session, asset: Asset, user_id: int | None, now: datetime, ctx: AedContext, *,
    # By name only: three dates side by side are too easy to pass in the wrong order.
    pad_expiry: date | None = None,
    battery_expiry: date | None = None,
    paediatric_pad_expiry: date | None = None,
) -> ReplacementOutcome:
    """Record new pads and/or battery. The caller commits, then publishes the config."""
    if pad_expiry is None and battery_expiry is None and paediatric_pad_expiry is None:
        raise ReplacementError("nothing replaced")
    today = now.astimezone(ctx.tz).date()
    for value in (pad_expiry, battery_expiry, paediatric_pad_expiry):
        if value is not None and value <= today:
            raise ReplacementError("the new expiry date must be in the future")
    outcome = ReplacementOutcome()
    replaced_kinds: list[str] = []
    if pad_expiry is not None:
        asset.pad_expiry = pad_expiry
        replaced_kinds += PAD_ALERTS
    if paediatric_pad_expiry is not None:
        asset.paediatric_pad_expiry = paediatric_pad_expiry
    if battery_expiry is not None:
        asset.battery_expiry = battery_expiry
        replaced_kinds += BATTERY_ALERTS
    state = session.get(DeviceState, asset.device_pk) if asset.device_pk is not None else None
    if state is not None:
        # The device's last reading still shows the old dates; the agent adopts the new
        # ones from the config pushed below and reports them back, so mirror them now.
        if pad_expiry is not None:
            state.pad_expiry = pad_expiry
        if battery_expiry is not None:
            state.battery_expiry = battery_expiry
    subject = lifecycle.Subject.of_asset(asset)
    for kind in replaced_kinds:
        alert = lifecycle.active_alert(session, subject, kind)
        if alert is not None:
            outcome.resolved.append(lifecycle.resolve(session, alert, user_id, now, "replaced"))
    refresh_aeds(session, [asset.id], now, ctx)
    if asset.device is not None:
        gateway = session.get(Gateway, asset.device.gateway_id)
        if gateway is not None:
            message = bump_desired_config(session, gateway, ctx.readiness, now)
            outcome.gateway_id = gateway.id
            outcome.config_version = message.config_version
    return outcome
