"""Which channels hear about an alert, and whether quiet hours hold a message back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.models import Alert, NotificationChannel, NotificationRoute
from app.notify.texts import SEVERITY_RANK, URGENT_KINDS


def is_urgent(alert: Alert) -> bool:
    return alert.severity == "urgent" or alert.kind in URGENT_KINDS


def route_matches(route: NotificationRoute, alert: Alert, team_id: int | None) -> bool:
    if route.team_id is not None and route.team_id != team_id:
        return False
    if route.site_id is not None and route.site_id != alert.site_id:
        return False
    if SEVERITY_RANK.get(alert.severity, 0) < SEVERITY_RANK.get(route.min_severity, 0):
        return False
    if route.kinds:
        kinds = {k.strip() for k in route.kinds.split(",") if k.strip()}
        if alert.kind not in kinds:
            return False
    return route.escalation_level <= alert.escalation_level


def channels_for(alert: Alert, team_id: int | None,
                 routes: Iterable[NotificationRoute]) -> list[NotificationChannel]:
    seen: dict[int, NotificationChannel] = {}
    for route in routes:
        if route.channel.enabled and route_matches(route, alert, team_id):
            seen.setdefault(route.channel.id, route.channel)
    return list(seen.values())


def _hhmm(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def quiet_until(channel: NotificationChannel, now: datetime, tz: ZoneInfo) -> datetime | None:
    """End of the channel's quiet hours if `now` falls inside them, else None."""
    if not channel.quiet_start or not channel.quiet_end:
        return None
    start, end = _hhmm(channel.quiet_start), _hhmm(channel.quiet_end)
    local = now.astimezone(tz)
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_at = datetime.combine(local.date(), end, tz)
    if end_at <= local:
        end_at += timedelta(days=1)
    return end_at.astimezone(now.tzinfo)
