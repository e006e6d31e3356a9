"""Maintenance mode: a volunteer at the cabinet mutes door and presence alerts for a
while. One operation for the web and the API, audited, and the job that ends it.

Muting is a time check in the evaluation (``maintenance_until`` in the future), so it
ends by itself the moment the time passes; ending it (by hand or by the job) also
closes the story of whatever the door did meanwhile (``presence_reset_at``), so a
volunteer's visit never raises an alert afterwards.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.aeds.refresh import AedContext, refresh_aeds
from app.models import Asset

MAX_MAINTENANCE_MINUTES = 8 * 60


class MaintenanceError(ValueError):
    pass


def start_maintenance(session: Session, asset: Asset, minutes: int, now: datetime,
                      ctx: AedContext) -> datetime:
    if not 1 <= minutes <= MAX_MAINTENANCE_MINUTES:
        raise MaintenanceError(f"maintenance lasts 1 to {MAX_MAINTENANCE_MINUTES} minutes")
    until = now + timedelta(minutes=minutes)
    asset.maintenance_until = until
    audit.record(session, "maintenance_start", "asset", str(asset.id), None,
                 {"until": until.isoformat(), "minutes": minutes})
    refresh_aeds(session, [asset.id], now, ctx)
    return until


SYSTEM = audit.Actor(None, "system")


def end_maintenance(session: Session, asset: Asset, now: datetime, ctx: AedContext,
                    actor: audit.Actor | None = None) -> bool:
    """End it now (``actor``: who, when not the session's person); False when it was
    not on."""
    if asset.maintenance_until is None:
        return False
    who = actor or audit.actor_of(session) or SYSTEM
    audit.record_as(session, who, "maintenance_end", "asset", str(asset.id),
                    {"until": asset.maintenance_until.isoformat()}, None)
    asset.maintenance_until = None
    asset.presence_reset_at = now
    refresh_aeds(session, [asset.id], now, ctx)
    return True


def end_expired_maintenance(session: Session, now: datetime, ctx: AedContext) -> dict[str, int]:
    """The job: maintenance windows that ran out end, with an audit row by "system"."""
    ended = list(session.scalars(
        select(Asset).where(Asset.maintenance_until.is_not(None), Asset.maintenance_until <= now)
    ))
    for asset in ended:
        end_maintenance(session, asset, now, ctx, actor=SYSTEM)
    return {"ended": len(ended)}
