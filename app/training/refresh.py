"""The training alerts follow the facts: every writer (a responder saved or erased, an
attendee list imported, a site's minimum changed) re-checks what it touched in its own
transaction, and the hourly job re-checks everything (certificates expire as days pass).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ResponderSite
from app.training.alerts import sync_certificate_alerts
from app.training.cover import sync_cover_alerts
from app.training.policy import TrainingPolicy


@dataclass(frozen=True)
class TrainingContext:
    policy: TrainingPolicy
    tz: ZoneInfo


def sites_served(session: Session, responder_ids: Iterable[int]) -> set[int]:
    ids = list(responder_ids)
    if not ids:
        return set()
    return set(session.scalars(select(ResponderSite.site_id).where(
        ResponderSite.responder_id.in_(ids))))


def check_training(session: Session, now: datetime, ctx: TrainingContext,
                   responder_ids: Iterable[int] | None = None,
                   site_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Certificate alerts of ``responder_ids`` and the cover of ``site_ids`` plus the
    sites those responders serve now (None for both: everyone, every site). A writer
    that took a responder off a site passes that site too."""
    today = now.astimezone(ctx.tz).date()
    if responder_ids is None and site_ids is None:
        certificates = sync_certificate_alerts(session, today, now, ctx.policy.reminder_lead_days)
        cover = sync_cover_alerts(session, today, now, ctx.policy)
    else:
        people = sorted(set(responder_ids or ()))
        places = sorted(set(site_ids or ()) | sites_served(session, people))
        certificates = sync_certificate_alerts(session, today, now,
                                               ctx.policy.reminder_lead_days, people)
        cover = sync_cover_alerts(session, today, now, ctx.policy, places)
    return {"certificate_opened": len(certificates.opened),
            "certificate_staged": len(certificates.updated),
            "certificate_resolved": len(certificates.resolved),
            "cover_opened": len(cover.opened), "cover_resolved": len(cover.resolved)}
