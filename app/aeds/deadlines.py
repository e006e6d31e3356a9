"""Time-driven transitions, on time: a gateway or device falling silent, a will's grace
running out, a cabinet door open past its limit.

Nothing arrives when a device goes quiet, so the scheduler wakes at the earliest such
deadline instead of polling once a minute: :func:`run_deadlines` evaluates whatever
fell due and says when the next one is. Each deadline uses the same rules as the
evaluation (:mod:`app.gateways.presence`, the AED liveness window, the door limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.evaluation import AedFacts, door_open_since
from app.aeds.refresh import AedContext, refresh_aeds
from app.alerts.catalogue import ACTIVE_STATES
from app.gateways.liveness import refresh_gateways
from app.gateways.presence import gateway_presence
from app.models import Alert, Asset, Device, DeviceState, Gateway


@dataclass(frozen=True)
class DeadlineRun:
    gateways: int
    aeds: int
    opened: int
    next_due: datetime | None


def _gateways_due(session: Session, now: datetime,
                  ctx: AedContext) -> tuple[list[str], datetime | None]:
    alarmed = set(session.scalars(select(Alert.gateway_id).where(
        Alert.kind == "gateway_offline", Alert.status.in_(ACTIVE_STATES))))
    due: list[str] = []
    upcoming: datetime | None = None
    for gw_id, state, state_at, seen, created, interval in session.execute(
        select(Gateway.id, Gateway.state, Gateway.state_received_at, Gateway.last_seen_at,
               Gateway.created_at, Gateway.report_interval_s)
        .where(Gateway.revoked.is_(False))
    ):
        presence = gateway_presence(state, state_at, seen, created,
                                    ctx.policy.liveness_window(interval),
                                    ctx.policy.offline_grace, now)
        if presence.down != (gw_id in alarmed):
            due.append(gw_id)
        if presence.due is not None and (upcoming is None or presence.due < upcoming):
            upcoming = presence.due
    return due, upcoming


def _aeds_due(session: Session, now: datetime,
              ctx: AedContext) -> tuple[list[int], datetime | None]:
    door_alarmed = set(session.scalars(select(Alert.asset_id).where(
        Alert.kind.in_(("door_open_too_long", "aed_in_use")),
        Alert.status.in_(ACTIVE_STATES))))
    due: list[int] = []
    upcoming: datetime | None = None
    limit = ctx.policy.door_open_limit
    for aid, status, seen, created, interval, door, door_at, reset in session.execute(
        select(Asset.id, Asset.status, Device.last_seen_at, Device.created_at,
               Gateway.report_interval_s, DeviceState.door, DeviceState.door_opened_at,
               Asset.presence_reset_at)
        .join(Device, Device.id == Asset.device_pk)
        .join(Gateway, Gateway.id == Device.gateway_id)
        .outerjoin(DeviceState, DeviceState.device_pk == Asset.device_pk)
        .where(Asset.kind == "aed", Gateway.revoked.is_(False))
    ):
        silent_at = (seen or created) + ctx.policy.liveness_window(interval)
        if silent_at <= now:
            if status != "unknown":
                due.append(aid)
        elif upcoming is None or silent_at < upcoming:
            upcoming = silent_at
        open_since = door_open_since(
            AedFacts(aid, door=door, door_opened_at=door_at, presence_reset_at=reset))
        if open_since is not None and aid not in door_alarmed:
            too_long_at = open_since + limit
            if too_long_at <= now:
                due.append(aid)
            elif upcoming is None or too_long_at < upcoming:
                upcoming = too_long_at
    return due, upcoming


def run_deadlines(session: Session, now: datetime, ctx: AedContext) -> DeadlineRun:
    gateways, gw_next = _gateways_due(session, now, ctx)
    aeds, aed_next = _aeds_due(session, now, ctx)
    opened = 0
    if gateways:
        opened += len(refresh_gateways(session, gateways, now, ctx).alerts.opened)
    if aeds:
        opened += len(refresh_aeds(session, aeds, now, ctx).alerts.opened)
    candidates = [t for t in (gw_next, aed_next) if t is not None]
    return DeadlineRun(len(gateways), len(aeds), opened,
                       min(candidates) if candidates else None)
