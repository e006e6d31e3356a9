"""Gateway alerts follow the gateway's presence, and the AEDs behind it follow along.

A gateway that is down (its `offline` will, a clean stop, or silence past its window)
has one `gateway_offline` alert; its AEDs turn `unknown` in the same transaction (their
evaluation reads the same presence rule), without one `device_silent` each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.facts import aeds_behind
from app.aeds.refresh import AedContext, Refreshed, refresh_aeds
from app.alerts.apply import Applied, SubjectWants, Wanted, apply_wanted
from app.alerts.lifecycle import Subject
from app.gateways.presence import GatewayPresence, gateway_presence
from app.models import Gateway

GATEWAY_KINDS = frozenset({"gateway_offline"})


@dataclass
class GatewaysRefreshed:
    evaluated: int = 0
    alerts: Applied = field(default_factory=Applied)
    aeds: Refreshed = field(default_factory=Refreshed)


def presence_of(gateway: Gateway, now: datetime, ctx: AedContext) -> GatewayPresence:
    return gateway_presence(
        gateway.state, gateway.state_received_at, gateway.last_seen_at, gateway.created_at,
        ctx.policy.liveness_window(gateway.report_interval_s), ctx.policy.offline_grace, now)


def _wanted(gateway: Gateway, presence: GatewayPresence) -> list[Wanted]:
    if not presence.down:
        return []
    seen = gateway.last_seen_at.isoformat() if gateway.last_seen_at else None
    return [Wanted("gateway_offline", detail={"last_seen": seen, "cause": presence.cause})]


def refresh_gateways(session: Session, gateway_ids: Iterable[str] | None, now: datetime,
                     ctx: AedContext, *, with_aeds: bool = True) -> GatewaysRefreshed:
    """Evaluate these gateways (None: all that are not revoked), apply their alerts, and
    refresh the AEDs behind every gateway whose alert opened or resolved."""
    session.flush()
    stmt = select(Gateway).where(Gateway.revoked.is_(False)).order_by(Gateway.id)
    if gateway_ids is not None:
        stmt = stmt.where(Gateway.id.in_(sorted(set(gateway_ids))))
    gateways = list(session.scalars(stmt))
    wants = [SubjectWants(Subject.of_gateway(gw), _wanted(gw, presence_of(gw, now, ctx)))
             for gw in gateways]
    out = GatewaysRefreshed(evaluated=len(gateways))
    out.alerts = apply_wanted(session, "gateway", wants, GATEWAY_KINDS, now)
    moved = {a.gateway_id for a in (*out.alerts.opened, *out.alerts.resolved) if a.gateway_id}
    if with_aeds and moved:
        out.aeds = refresh_aeds(session, aeds_behind(session, moved), now, ctx)
    return out
