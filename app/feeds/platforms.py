"""Platforms as configuration: ``[feeds.<name>]`` tables of the channels file
(config/notifications.toml), synced into the database with the channels.

    [feeds.shanghai-aed-platform]
    url = "https://aed.example.gov.cn/hooks/yangpu"
    secret_env = "AED_PLATFORM_SECRET"    # or secret = "..." (kept in the database)
    enabled = true                         # optional

Each platform is a notification channel of kind "platform" named ``feed:<name>``. One
that left the file is disabled (its queued pushes wait, in order, until it is back).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import ConfigError
from app.models import NotificationChannel
from app.notify.platform import KIND

PREFIX = "feed:"
_KEYS = frozenset({"url", "secret", "secret_env", "enabled"})


def channel_name(feed: str) -> str:
    return PREFIX + feed


def _config(name: str, raw: Any, where: str) -> dict[str, Any]:
    place = f"{where} [feeds.{name}]"
    if not isinstance(raw, Mapping):
        raise ConfigError(place, "must be a table with url and secret_env (or secret)")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(place, f"unknown keys {unknown}; known: {sorted(_KEYS)}")
    url = raw.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ConfigError(place, f"url must be an http(s) URL, got {url!r}")
    secret, secret_env = raw.get("secret"), raw.get("secret_env")
    if bool(secret) == bool(secret_env):
        raise ConfigError(place, "needs exactly one of secret_env (the name of an environment "
                          "variable holding the secret) or secret")
    if not isinstance(secret or secret_env, str):
        raise ConfigError(place, "secret and secret_env are text")
    if not isinstance(raw.get("enabled", True), bool):
        raise ConfigError(place, "enabled is true or false")
    config: dict[str, Any] = {"url": url, "feed": name}
    config["secret_env" if secret_env else "secret"] = secret_env or secret
    return config


def sync_platforms(session: Session, tables: Any, where: str) -> int:
    """Create or update the platform channel of each ``[feeds.<name>]`` table; disable
    those no longer named. Returns how many the file names."""
    if not isinstance(tables, Mapping):
        raise ConfigError(f"{where} [feeds]", "must hold one table per platform")
    configs = {channel_name(str(name)): (raw, _config(str(name), raw, where))
               for name, raw in tables.items()}
    known = {c.name: c for c in session.scalars(select(NotificationChannel).where(
        (NotificationChannel.kind == KIND) | NotificationChannel.name.in_(configs)))}
    for name, (raw, config) in configs.items():
        channel = known.get(name)
        if channel is not None and channel.kind != KIND:
            raise ConfigError(f"{where} [feeds.{name.removeprefix(PREFIX)}]",
                              f"a {channel.kind} channel is named {name!r} already")
        if channel is None:
            channel = NotificationChannel(name=name, kind=KIND, config=config)
            session.add(channel)
        channel.config = config
        channel.enabled = bool(raw.get("enabled", True))
    for name, channel in known.items():
        if name not in configs:
            channel.enabled = False
    session.flush()
    return len(configs)
