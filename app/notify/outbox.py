"""Turn alerts that need telling into notification rows (the outbox), once per round.

An active alert needs a notification while `last_notified_at` is NULL: when it opens,
when its expiry stage moves closer, when the escalation job asks for a repeat. Each such
round gets a number (notify_count + 1), and the log row key "alert:{id}:n{round}:c{ch}"
is unique, so however often this runs, a round reaches each channel once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.alerts.lifecycle import ACTIVE
from app.alerts.policy import AlertPolicy
from app.config import Settings
from app.models import Alert, NotificationLog, NotificationRoute, Site
from app.notify.routing import channels_for, is_urgent, quiet_until
from app.notify.texts import alert_body, alert_subject


def load_routes(session: Session) -> list[NotificationRoute]:
    return list(session.scalars(
        select(NotificationRoute).options(selectinload(NotificationRoute.channel))
    ))


def add_log(session: Session, row: NotificationLog) -> bool:
    """Insert unless that key exists already (a second run of the same round)."""
    if session.scalar(select(NotificationLog.id).where(
            NotificationLog.dedupe_key == row.dedupe_key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def enqueue_alert_notifications(session: Session, now: datetime, settings: Settings,
                                policy: AlertPolicy) -> dict[str, int]:
    routes = [r for r in load_routes(session) if not r.digest]
    pending = session.scalars(
        select(Alert).where(Alert.status.in_(ACTIVE), Alert.last_notified_at.is_(None))
        .order_by(Alert.id)
    ).all()
    if not pending:
        return {"alerts": 0, "messages": 0}
    site_ids = {a.site_id for a in pending if a.site_id is not None}
    sites = {s.id: s for s in session.scalars(select(Site).where(Site.id.in_(site_ids)))}
    messages = 0
    tz = settings.tz
    for alert in pending:
        site = sites.get(alert.site_id) if alert.site_id is not None else None
        team_id = alert.assigned_team_id or (site.team_id if site else None)
        where = (site.name if site else None) or alert.gateway_id or alert.subject_id
        round_no = alert.notify_count + 1
        urgent = is_urgent(alert)
        subject = alert_subject(alert.kind, alert.severity, where, round_no, alert.escalation_level,
                                alert.stage)
        opened = alert.opened_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        body = alert_body(alert.message or "", where, opened, alert.status, "")
        for channel in channels_for(alert, team_id, routes):
            wait = None if urgent else quiet_until(channel, now, tz)
            row = NotificationLog(
                dedupe_key=f"alert:{alert.id}:n{round_no}:c{channel.id}",
                channel_id=channel.id, alert_id=alert.id, team_id=team_id,
                event="opened" if round_no == 1 else "reminder", urgent=urgent,
                subject=subject[:300], body=body, status="deferred" if wait else "pending",
                attempts=0, next_attempt_at=wait or now, created_at=now,
            )
            if add_log(session, row):
                messages += 1
        alert.notify_count = round_no
        alert.last_notified_at = now
    return {"alerts": len(pending), "messages": messages}
