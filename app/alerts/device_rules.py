"""Alert rules for AEDs driven by device readings and events (called by ingest).

Date-driven kinds (expiry stages, inspections) belong to the scheduler's scans; this
module manages only what a device tells us, so the two never fight over a kind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.alerts.lifecycle import AlertSpec, Subject, raise_alert, sync_alerts
from app.config import ReadinessPolicy
from app.models import Alert, Asset, DeviceState

SENSOR_KINDS = frozenset({"self_test_failed", "temperature_out_of_range", "battery_low"})
# Door and presence alerts are muted while a volunteer has the asset in maintenance.
DOOR_KINDS = frozenset({"cabinet_opened", "aed_in_use", "door_open_too_long"})


def in_maintenance(asset: Asset, now: datetime) -> bool:
    return asset.maintenance_until is not None and asset.maintenance_until > now


def sensor_alert_specs(
    asset: Asset, state: DeviceState | None, policy: ReadinessPolicy
) -> list[AlertSpec]:
    if state is None:
        return []
    specs: list[AlertSpec] = []
    if state.self_test == "fail":
        specs.append(AlertSpec("self_test_failed", f"{asset.name}: 自检失败 · self-test failed"))
    if policy.temp_out_of_range(state.temp_c):
        specs.append(AlertSpec(
            "temperature_out_of_range",
            f"{asset.name}: 温度 {state.temp_c:.1f}°C 超出范围 · temperature out of range",
            detail={"temp_c": state.temp_c},
        ))
    if policy.battery_low(state.battery_pct):
        specs.append(AlertSpec(
            "battery_low", f"{asset.name}: 电量低 {state.battery_pct}% · battery low",
            detail={"battery_pct": state.battery_pct},
        ))
    return specs


def evaluate_sensor_alerts(
    session: Session,
    asset: Asset,
    state: DeviceState | None,
    now: datetime,
    policy: ReadinessPolicy,
) -> tuple[list[Alert], list[Alert]]:
    """Open/resolve the sensor-driven alerts of one AED from its latest state.

    Also opens the use incident when the cabinet is open and the AED is out; that
    incident is closed by a person, never by a reading.
    """
    opened, resolved = sync_alerts(
        session, Subject.of_asset(asset), sensor_alert_specs(asset, state, policy),
        SENSOR_KINDS, now,
    )
    if (state is not None and state.door == "open" and state.aed_present is False
            and not in_maintenance(asset, now)):
        alert = open_use_incident(session, asset, now, "cabinet_open_aed_removed")
        if alert is not None:
            opened.append(alert)
    return opened, resolved


def open_use_incident(
    session: Session, asset: Asset, now: datetime, cause: str
) -> Alert | None:
    """AED taken from its cabinet: urgent, and the AED counts as in use until restored."""
    if asset.in_use_since is None:
        asset.in_use_since = now
    alert, created = raise_alert(session, Subject.of_asset(asset), AlertSpec(
        "aed_in_use",
        f"{asset.name}: AED 已被取出,可能正在抢救 · AED removed, possibly in use",
        detail={"cause": cause},
    ), now)
    return alert if created else None


def on_device_event(
    session: Session, asset: Asset, kind: str, event_ts: datetime, now: datetime
) -> Alert | None:
    """React at once to a device event; returns a newly opened alert, if any."""
    if kind in {"door_opened", "aed_removed"} and in_maintenance(asset, now):
        return None
    if kind == "door_opened":
        alert, created = raise_alert(session, Subject.of_asset(asset), AlertSpec(
            "cabinet_opened",
            f"{asset.name}: 机柜门被打开 · cabinet opened",
            detail={"event_ts": event_ts.isoformat()},
        ), now)
        return alert if created else None
    if kind == "aed_removed":
        return open_use_incident(session, asset, now, "aed_removed")
    return None
