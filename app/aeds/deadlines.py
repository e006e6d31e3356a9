"""Time-driven transitions, on time: a gateway or device falling silent, a will's grace
running out, a cabinet door open past its limit, a check falling due, an expiry stage.

Nothing arrives when a device goes quiet, so each evaluation stores when its answer
changes next with the facts unchanged (``Asset.reevaluate_at``), and the scheduler
wakes at the earliest such moment instead of polling: :func:`run_deadlines` evaluates
whatever fell due (one indexed query) and says when the next one is. Gateways, being
few, are judged by the same presence rule each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.aeds.refresh import NEVER, AedContext, refresh_aeds
from app.alerts.catalogue import ACTIVE_STATES
from app.gateways.liveness import refresh_gateways
from app.gateways.presence import gateway_presence
from app.models import Alert, Asset, Gateway


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


def _aeds_due(session: Session, now: datetime) -> tuple[list[int], datetime | None]:
    """AEDs whose answer may have changed by now (or that were never evaluated), and when
    the next one falls due: one indexed query each."""
    due = list(session.scalars(select(Asset.id).where(
        Asset.kind == "aed",
        or_(Asset.reevaluate_at.is_(None), Asset.reevaluate_at <= now))))
    upcoming = session.scalar(select(func.min(Asset.reevaluate_at)).where(
        Asset.kind == "aed", Asset.reevaluate_at > now, Asset.reevaluate_at < NEVER))
    return due, upcoming


def run_deadlines(session: Session, now: datetime, ctx: AedContext) -> DeadlineRun:
    gateways, gw_next = _gateways_due(session, now, ctx)
    aeds, aed_next = _aeds_due(session, now)
    opened = 0
    if gateways:
        opened += len(refresh_gateways(session, gateways, now, ctx).alerts.opened)
    if aeds:
        opened += len(refresh_aeds(session, aeds, now, ctx).alerts.opened)
    candidates = [t for t in (gw_next, aed_next) if t is not None]
    return DeadlineRun(len(gateways), len(aeds), opened,
                       min(candidates) if candidates else None)
