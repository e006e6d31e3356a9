"""What a batch's facts mean for AEDs and alerts: every call from ingest into the AED
and alert services is made here.

Alerts and readiness follow changes of condition: a reading that only moves within the
same condition (21.0 -> 21.5 °C) costs no alert or readiness work, so a steady stream
of in-range readings loads no asset at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.status import refresh_statuses
from app.alerts.device_rules import evaluate_sensor_alerts, on_device_event
from app.alerts.lifecycle import AlertSpec, Subject, raise_alert, resolve_condition
from app.config import ReadinessPolicy
from app.devices.decode import Accepted
from app.devices.fold import StateChange
from app.devices.registry import Registry
from app.models import Asset, DeviceState, Gateway
from device_agent.protocol import Event as EventMsg

# The device facts alert rules and readiness look at, coarsened to what can change an
# alert or a status (not the exact temperature or charge); None: no state yet.
_Conditions = tuple[Any, ...] | None


class _Columns:
    """Attribute access to a dict of state columns, for _conditions."""

    __slots__ = ("_cols",)

    def __init__(self, cols: dict[str, Any]) -> None:
        self._cols = cols

    def __getattr__(self, name: str) -> Any:
        try:
            return self._cols[name]
        except KeyError:
            raise AttributeError(name) from None


def _conditions(state: Any | None, policy: ReadinessPolicy) -> _Conditions:
    if state is None:
        return None
    return (state.self_test, state.door, state.aed_present,
            policy.temp_out_of_range(state.temp_c), policy.battery_low(state.battery_pct),
            state.battery_pct is None, state.temp_c is None, state.pad_expiry,
            state.battery_expiry)


def alert_unregistered(
    session: Session, registry: Registry, items: Iterable[Accepted], now: datetime
) -> None:
    """An admin hears of each unregistered sender (one stray per gateway)."""
    for item in items:
        known = item.gateway_id in registry.gateways
        gateway = session.get(Gateway, item.gateway_id) if known else None
        # An unknown gateway has no row an alert could point at; its id is the subject.
        subject = Subject.of_gateway(gateway) if gateway else Subject("gateway", item.gateway_id)
        where = item.gateway_id + (f"/{item.device_id}" if item.device_id else "")
        raise_alert(session, subject, AlertSpec(
            "unregistered_device",
            f"未登记的网关或设备 {where} 正在发送数据 · unregistered gateway/device {where}",
            detail={"gateway_id": item.gateway_id, "device_id": item.device_id,
                    "topic": item.raw.topic},
        ), now)


def gateways_online(session: Session, gateways: Iterable[Gateway], now: datetime) -> None:
    for gateway in gateways:
        resolve_condition(session, Subject.of_gateway(gateway), "gateway_offline", now)


def refresh_assets(
    session: Session,
    registry: Registry,
    changes: Mapping[int, StateChange],
    events: list[Accepted],
    now: datetime,
    policy: ReadinessPolicy,
    tz: ZoneInfo,
) -> int:
    """Alerts and readiness of the AEDs bound to these devices; how many were refreshed.

    `changes`: device pk -> state before and after the batch; `events`: the new ones.
    """
    if not changes:
        return 0
    # Which assets need work is decided from plain rows; only those are loaded as
    # mapped objects.
    bound = {
        row.device_pk: (row.id, row.status)
        for row in session.execute(
            select(Asset.id, Asset.device_pk, Asset.status)
            .where(Asset.device_pk.in_(list(changes)))
        )
    }
    if not bound:
        return 0
    event_pks = {registry.device(i).id for i in events}
    changed: set[int] = set()
    needed: set[int] = set()
    for pk, (asset_id, status) in bound.items():
        before_state, after_cols = changes[pk]
        before = _conditions(before_state, policy)
        after = _conditions(_Columns(after_cols), policy)
        # A condition that stayed the same costs nothing, unless the asset was "unknown"
        # (silent) and this proves it alive, or an event of the batch needs its rule.
        if before is None or after != before:
            changed.add(pk)
            needed.add(asset_id)
        elif status == "unknown" or pk in event_pks:
            needed.add(asset_id)
    if not needed:
        return 0
    assets: dict[int, Asset] = {
        a.device_pk: a
        for a in session.scalars(
            select(Asset).where(Asset.id.in_(sorted(needed))).order_by(Asset.id)
        )
        if a.device_pk is not None
    }

    def event_ts(i: Accepted) -> datetime:
        return getattr(i.decoded.message, "ts")  # noqa: B009 - typed union

    stale: list[Asset] = []
    for item in sorted(events, key=event_ts):
        msg = item.decoded.message
        assert isinstance(msg, EventMsg)
        asset = assets.get(registry.device(item).id)
        if asset is not None:
            on_device_event(session, asset, msg.kind.value, msg.ts, now)
            stale.append(asset)
    if changed:
        # The rows were written with Core statements: load them fresh.
        states = {
            st.device_pk: st
            for st in session.scalars(
                select(DeviceState).where(DeviceState.device_pk.in_(sorted(changed)))
                .execution_options(populate_existing=True)
            )
        }
        for pk in sorted(changed):
            asset = assets[pk]
            evaluate_sensor_alerts(session, asset, states.get(pk), now, policy)
            stale.append(asset)
    for pk, asset in assets.items():
        if pk not in changed and asset.status == "unknown":
            stale.append(asset)
    session.flush()
    if not stale:
        return 0
    return len(refresh_statuses(
        session, list({a.id: a for a in stale}.values()), now, policy, tz,
    ))
