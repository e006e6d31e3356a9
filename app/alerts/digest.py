"""Daily digest per team: what is still open at the team's stations, one message a day."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alerts.lifecycle import ACTIVE
from app.config import Settings
from app.models import Alert, NotificationLog, RestockTask, Site, Team
from app.notify.outbox import add_log, load_routes
from app.notify.texts import kind_text


def team_digest(session: Session, team: Team) -> tuple[str, int]:
    """(text, open alerts) for one team."""
    by_kind: Counter[str] = Counter(dict(session.execute(
        select(Alert.kind, func.count())
        .join(Site, Site.id == Alert.site_id)
        .where(Site.team_id == team.id, Alert.status.in_(ACTIVE))
        .group_by(Alert.kind)
    ).all()))
    tasks = session.scalar(select(func.count()).select_from(RestockTask).where(
        RestockTask.team_id == team.id, RestockTask.status == "open")) or 0
    lines = [f"{team.name} 每日汇总 · daily digest for {team.name_en or team.code}"]
    if not by_kind and not tasks:
        lines.append("没有未处理的告警 · no open alerts")
    for kind, n in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"- {kind_text(kind)}: {n}")
    if tasks:
        lines.append(f"- 待补货任务 · open restock tasks: {tasks}")
    return "\n".join(lines), sum(by_kind.values())


def enqueue_digests(session: Session, now: datetime, settings: Settings,
                    period: str) -> dict[str, int]:
    routes = [r for r in load_routes(session) if r.digest and r.channel.enabled]
    if not routes:
        return {"teams": 0, "messages": 0}
    day = now.astimezone(settings.tz).date().isoformat()
    messages = teams = 0
    for team in session.scalars(select(Team).order_by(Team.id)):
        wanted = {r.channel.id: r.channel for r in routes if r.team_id in (None, team.id)}
        if not wanted:
            continue
        teams += 1
        text, _open = team_digest(session, team)
        for channel in wanted.values():
            if add_log(session, NotificationLog(
                dedupe_key=f"digest:{team.id}:{period}:c{channel.id}", channel_id=channel.id,
                team_id=team.id, event="digest", urgent=False,
                subject=f"【每日汇总 daily digest】{team.name} {day}", body=text,
                status="pending", attempts=0, next_attempt_at=now, created_at=now,
            )):
                messages += 1
    return {"teams": teams, "messages": messages}
