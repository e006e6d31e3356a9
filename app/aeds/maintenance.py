"""Maintenance mode with an audit trail, and the job that ends it.

The rule itself (how long, what it sets) lives in `maintenance_mode` (used by the web
page); this module adds who/when to the audit log. Muting is a time check
(`asset_alerts.in_maintenance`), so it ends by itself the moment `maintenance_until`
passes; the job only tidies the column and records the end.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds import maintenance_mode
from app.models import Asset, AuditLog


def start_maintenance(session: Session, asset: Asset, user_id: int | None, minutes: int,
                      now: datetime) -> datetime:
    until = maintenance_mode.start_maintenance(asset, minutes, now)
    session.add(AuditLog(at=now, user_id=user_id, actor=f"user:{user_id}",
                         action="maintenance_start", entity_type="asset",
                         entity_id=str(asset.id), after={"until": until.isoformat()}))
    return until


def end_maintenance(session: Session, asset: Asset, user_id: int | None, now: datetime) -> None:
    if asset.maintenance_until is None:
        return
    session.add(AuditLog(at=now, user_id=user_id, actor=f"user:{user_id}" if user_id else "system",
                         action="maintenance_end", entity_type="asset", entity_id=str(asset.id),
                         before={"until": asset.maintenance_until.isoformat()}))
    maintenance_mode.end_maintenance(asset)


def end_expired_maintenance(session: Session, now: datetime) -> dict[str, int]:
    ended = session.scalars(
        select(Asset).where(Asset.maintenance_until.is_not(None), Asset.maintenance_until <= now)
    ).all()
    for asset in ended:
        end_maintenance(session, asset, None, now)
    return {"ended": len(ended)}
