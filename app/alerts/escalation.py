"""Repeat, then escalate, alerts nobody has acknowledged.

An open (unacknowledged) alert is repeated once `repeat_after_min[severity]` has passed
since its last notification; after `escalate_after_repeats` repeats at one level it moves
up a level, which brings in the escalation routes. Clearing `last_notified_at` hands the
alert back to the notifier, which numbers each round so none is sent twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.policy import AlertPolicy
from app.models import Alert


def run_escalation(session: Session, now: datetime, policy: AlertPolicy) -> dict[str, int]:
    repeated = escalated = 0
    for alert in session.scalars(
        select(Alert).where(Alert.status == "open", Alert.last_notified_at.is_not(None))
    ):
        minutes = float(policy.repeat_after_min.get(alert.severity, 0))
        if minutes <= 0 or alert.last_notified_at is None:
            continue
        if now - alert.last_notified_at < timedelta(minutes=minutes):
            continue
        repeats = max(0, alert.notify_count - 1)
        level_due = repeats // max(1, policy.escalate_after_repeats)
        if level_due > alert.escalation_level:
            alert.escalation_level = level_due
            escalated += 1
        alert.last_notified_at = None
        repeated += 1
    return {"repeated": repeated, "escalated": escalated}
