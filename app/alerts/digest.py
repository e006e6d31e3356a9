"""Daily digest per team: what is still open at the team's stations, one message a day,
in each channel's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alerts.catalogue import ACTIVE_STATES
from app.alerts.subjects import Name
from app.config import Settings
from app.i18n.when import local_day
from app.models import Alert, NotificationLog, RestockTask, Site, Team
from app.notify.outbox import add_log, load_routes
from app.notify.routing import channel_locale
from app.notify.texts import digest_body, digest_subject


@dataclass(frozen=True)
class TeamOpen:
    #: (kind, open alerts), most first.
    by_kind: list[tuple[str, int]]
    tasks: int


def team_open(session: Session, team: Team) -> TeamOpen:
    """What is still open at one team's stations."""
    rows = session.execute(
        select(Alert.kind, func.count())
        .join(Site, Site.id == Alert.site_id)
        .where(Site.team_id == team.id, Alert.status.in_(ACTIVE_STATES))
        .group_by(Alert.kind)
    ).all()
    tasks = session.scalar(select(func.count()).select_from(RestockTask).where(
        RestockTask.team_id == team.id, RestockTask.status == "open")) or 0
    by_kind = sorted(((str(k), int(n)) for k, n in rows), key=lambda kv: (-kv[1], kv[0]))
    return TeamOpen(by_kind, int(tasks))


def enqueue_digests(session: Session, now: datetime, settings: Settings,
                    period: str) -> dict[str, int]:
    routes = [r for r in load_routes(session) if r.digest and r.channel.enabled]
    if not routes:
        return {"teams": 0, "messages": 0}
    today = now.astimezone(settings.tz).date()
    messages = teams = 0
    for team in session.scalars(select(Team).order_by(Team.id)):
        wanted = {r.channel.id: r.channel for r in routes if r.team_id in (None, team.id)}
        if not wanted:
            continue
        teams += 1
        still_open = team_open(session, team)
        for channel in wanted.values():
            locale = channel_locale(channel, settings.default_locale)
            name = Name(team.name, team.name_en).in_(locale)
            if add_log(session, NotificationLog(
                dedupe_key=f"digest:{team.id}:{period}:c{channel.id}", channel_id=channel.id,
                team_id=team.id, event="digest", urgent=False,
                subject=digest_subject(name, local_day(today, locale, today), locale)[:300],
                body=digest_body(name, still_open.by_kind, still_open.tasks, locale),
                status="pending", attempts=0, next_attempt_at=now, created_at=now,
            )):
                messages += 1
    return {"teams": teams, "messages": messages}
