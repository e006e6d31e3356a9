"""Notification channels and routes as an operator configures them, for tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import NotificationChannel, NotificationRoute, Team


def email_channel(db: Session, port: int, team: Team | None, locale: str | None = None,
                  name: str | None = None, **route: object) -> NotificationChannel:
    config: dict[str, object] = {"host": "127.0.0.1", "port": port,
                                 "sender": "aed@yangpu-redcross.test",
                                 "to": ["coordinator@yangpu-redcross.test"]}
    if locale:
        config["locale"] = locale
    channel = NotificationChannel(name=name or f"mail-{port}", kind="email", config=config)
    channel.routes = [NotificationRoute(team_id=team.id if team else None, **route)]
    db.add(channel)
    return channel


def webhook_channel(db: Session, url: str, team: Team | None, fmt: str = "wecom",
                    locale: str | None = None, **route: object) -> NotificationChannel:
    config = {"url": url, "format": fmt, **({"locale": locale} if locale else {})}
    channel = NotificationChannel(name=f"hook-{url}", kind="webhook", config=config)
    channel.routes = [NotificationRoute(team_id=team.id if team else None, **route)]
    db.add(channel)
    return channel
