"""Which channels hear about an alert, in which language, and whether quiet hours hold a
message back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from app.alerts.catalogue import URGENT_KINDS, severity_rank
from app.i18n.words import Locale, locale_code
from app.models import Alert, NotificationChannel, NotificationRoute


class Rated(Protocol):
    """What urgency is judged from: an alert, or a change to one (app/alerts/apply.py)."""

    @property
    def kind(self) -> str: ...

    @property
    def severity(self) -> str: ...


def is_urgent(alert: Rated) -> bool:
    return alert.severity == "urgent" or alert.kind in URGENT_KINDS


def route_matches(route: NotificationRoute, alert: Alert, team_id: int | None) -> bool:
    if route.team_id is not None and route.team_id != team_id:
        return False
    if route.site_id is not None and route.site_id != alert.site_id:
        return False
    # Rank 0 is the most severe: an alert passes when at least as severe as the minimum.
    if severity_rank(alert.severity) > severity_rank(route.min_severity):
        return False
    if route.kinds:
        kinds = {k.strip() for k in route.kinds.split(",") if k.strip()}
        if alert.kind not in kinds:
            return False
    return route.escalation_level <= alert.escalation_level


def channel_locale(channel: NotificationChannel, default: str) -> Locale:
    """The language a channel's readers get (its ``locale`` setting, else ``default``)."""
    return locale_code(str(channel.config.get("locale") or ""), locale_code(default))


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
