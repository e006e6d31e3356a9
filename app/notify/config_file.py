"""Channels and routes as configuration: config/notifications.toml synced into the DB.

    [[channel]]
    name = "riverside-wecom"
    kind = "webhook"
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."
    format = "wecom"
    quiet_hours = "22:00-07:00"
    locale = "en"                 # the language its readers get; default: DEFAULT_LOCALE
      [[channel.route]]
      team = "riverside"          # team code; omit for all teams
      min_severity = "warning"
      kinds = ["pad_expired", "aed_in_use"]   # omit for all kinds
      escalation_level = 0
      digest = false

Channels named in the file are created or updated and their routes replaced; channels
not in the file (added in the web UI) are left alone. ``[feeds.<name>]`` tables name the
platforms the public feed pushes its changes to (app/feeds/platforms.py).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import ConfigError
from app.feeds.platforms import sync_platforms
from app.i18n import SUPPORTED_LOCALES
from app.models import NotificationChannel, NotificationRoute, Site, Team
from app.notify.channels import WEBHOOK_FORMATS

TRANSPORT_KEYS = {
    "email": ("host", "port", "sender", "to", "starttls", "ssl", "username", "password_env"),
    "webhook": ("url", "format", "secret_env"),
}


def _route(session: Session, raw: dict[str, Any], where: str) -> NotificationRoute:
    team_id = site_id = None
    if "team" in raw:
        team_id = session.scalar(select(Team.id).where(Team.code == raw["team"]))
        if team_id is None:
            raise ConfigError(where, f"unknown team code {raw['team']!r}")
    if "site" in raw:
        site_id = session.scalar(select(Site.id).where(Site.external_id == raw["site"]))
        if site_id is None:
            raise ConfigError(where, f"unknown site {raw['site']!r}")
    kinds = raw.get("kinds")
    return NotificationRoute(
        team_id=team_id, site_id=site_id, min_severity=str(raw.get("min_severity", "info")),
        kinds=",".join(kinds) if kinds else None,
        escalation_level=int(raw.get("escalation_level", 0)), digest=bool(raw.get("digest", False)),
    )


def sync_channels_file(session: Session, path: Path) -> int:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML ({exc})") from None
    count = 0
    for i, raw in enumerate(data.get("channel", [])):
        where = f"{path.name} channel #{i + 1}"
        kind = raw.get("kind")
        if kind not in TRANSPORT_KEYS or not raw.get("name"):
            raise ConfigError(where, "needs a name and kind = \"email\" or \"webhook\"")
        if kind == "webhook" and raw.get("format", "json") not in WEBHOOK_FORMATS:
            raise ConfigError(where, f"format must be one of {WEBHOOK_FORMATS}")
        config = {k: raw[k] for k in TRANSPORT_KEYS[kind] if k in raw}
        if "locale" in raw:
            # One language per message: the channel's readers get this one.
            if raw["locale"] not in SUPPORTED_LOCALES:
                raise ConfigError(where, f"locale must be one of {SUPPORTED_LOCALES}")
            config["locale"] = raw["locale"]
        quiet = str(raw.get("quiet_hours", "")).strip()
        start, _, end = quiet.partition("-")
        channel = session.scalar(select(NotificationChannel).where(
            NotificationChannel.name == raw["name"]))
        if channel is None:
            channel = NotificationChannel(name=raw["name"], kind=kind, config=config)
            session.add(channel)
        channel.kind, channel.config = kind, config
        channel.enabled = bool(raw.get("enabled", True))
        channel.quiet_start, channel.quiet_end = (start.strip() or None, end.strip() or None)
        channel.routes = [_route(session, r, where) for r in raw.get("route", [])]
        count += 1
    count += sync_platforms(session, data.get("feeds", {}), path.name)
    session.flush()
    return count
