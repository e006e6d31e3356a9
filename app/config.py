"""Settings: embedded defaults from config/settings.toml, overridden by environment.

A bad or missing setting raises :class:`ConfigError` naming the setting, so every entry
point can stop with one actionable line instead of a traceback.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from device_agent.protocol.broker import BrokerEndpoint
from device_agent.protocol.thresholds import (
    DEFAULT_BATTERY_LOW_PCT,
    DEFAULT_TEMP_MAX_C,
    DEFAULT_TEMP_MIN_C,
    battery_low,
    temp_out_of_range,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_FILE = PROJECT_ROOT / "config" / "settings.toml"
#: Names in maps.tiles.PROVIDERS (kept here so settings load without importing folium).
MAP_TILE_PROVIDERS = ("osm", "amap", "none")
#: Keys that were ever shipped in this repository or its docs: never accepted.
SHIPPED_SECRET_KEYS = frozenset({"dev-insecure-change-me", "change-me", "changeme", "secret"})
SECRET_KEY_MIN_LENGTH = 24
SECRET_KEY_HINT = (
    "set SECRET_KEY to a random value of 32+ characters, e.g. "  # noqa: S105 - advice
    "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))'); "
    "`make run` makes its own"
)


#: The layers every settings loader takes above its file: explicit values (tests, the
#: CLI), then the environment (None: os.environ).
Overrides = Mapping[str, Any] | None
Environ = Mapping[str, str] | None


class ConfigError(Exception):
    """A setting is missing or invalid; the message starts with the setting's name."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem


#: Field metadata of a readiness setting that may be below zero; no other one may.
SIGNED: Mapping[str, Any] = {"signed": True}


@dataclass(frozen=True)
class ReadinessPolicy:
    expiry_attention_days: int = 30
    battery_low_pct: int = DEFAULT_BATTERY_LOW_PCT
    temp_min_c: float = field(default=DEFAULT_TEMP_MIN_C, metadata=SIGNED)
    temp_max_c: float = field(default=DEFAULT_TEMP_MAX_C, metadata=SIGNED)
    inspection_interval_days: int = 30
    inspection_due_soon_days: int = 7
    liveness_intervals: int = 3
    default_report_interval_s: int = 300
    # A gateway's `offline` will counts once it has stood this long (reconnect flaps).
    offline_grace_s: int = 0

    # The tests themselves are the protocol's, so the agent reports at the same lines.
    def temp_out_of_range(self, temp_c: float | None) -> bool:
        return temp_out_of_range(temp_c, self.temp_min_c, self.temp_max_c)

    def battery_low(self, battery_pct: int | None) -> bool:
        return battery_low(battery_pct, self.battery_low_pct)


#: Most features in one page of the public feed (app/feeds).
MAX_FEED_PAGE = 10_000


@dataclass(frozen=True)
class FeedSettings:
    """The public AED feed (app/feeds, GET /api/v1/public/aeds): what it is licensed
    under, whom to credit, and its page size. The licence is the data owner's choice: the
    default, ODbL 1.0, is OpenStreetMap's own, so the data can go into OSM and into any
    platform that accepts OSM data; THE DISTRICT'S DECISION TO CONFIRM."""

    licence: str = "ODbL-1.0"
    licence_url: str = "https://opendatacommons.org/licenses/odbl/1-0/"
    attribution: str = "© 上海市杨浦区红十字会 Yangpu District Red Cross, Shanghai"
    page_size: int = MAX_FEED_PAGE


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    mqtt_url: str
    mqtt_topic_root: str
    #: Empty when none is configured: create_app decides whether that may start.
    secret_key: str
    default_locale: str
    timezone: str
    log_level: str
    readiness: ReadinessPolicy = field(default_factory=ReadinessPolicy)
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Map tile provider (maps.tiles): osm, amap (GCJ-02) or none (plain background).
    map_tiles: str = "osm"
    #: Largest request body in bytes (photos from phones); bigger gets 413 unread.
    max_content_length: int = 32 * 1024 * 1024
    #: Largest body an anonymous request may send (the login form, nothing else).
    anonymous_max_content_length: int = 64 * 1024
    session_cookie_secure: bool = False
    #: Addresses or networks of reverse proxies whose X-Forwarded-For/-Proto we believe.
    trusted_proxies: tuple[str, ...] = ()
    feed: FeedSettings = field(default_factory=FeedSettings)
    #: An imported AED this close to a registered one (with a compatible name or ref) is
    #: proposed as that AED, not created (app/importexport/matching.py).
    import_match_radius_m: float = 50.0

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _coerce(name: str, value: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(name.upper(), f"expected true or false, got {value!r}")
    if kind in (int, float):
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise ConfigError(
                name.upper(), f"expected a {kind.__name__}, got {value!r}"
            ) from None
    return str(value)


def _load_readiness(raw: Mapping[str, Any], env: Mapping[str, str]) -> ReadinessPolicy:
    values: dict[str, Any] = {}
    for f in fields(ReadinessPolicy):
        env_name = f"READINESS_{f.name.upper()}"
        kind = type(getattr(ReadinessPolicy, f.name))
        value = env.get(env_name, raw.get(f.name, getattr(ReadinessPolicy, f.name)))
        value = _coerce(env_name.lower(), value, kind)
        if isinstance(value, int | float) and value < 0 and not f.metadata.get("signed"):
            raise ConfigError(env_name, f"must not be negative, got {value}")
        values[f.name] = value
    policy = ReadinessPolicy(**values)
    if policy.temp_min_c >= policy.temp_max_c:
        raise ConfigError("READINESS_TEMP_MIN_C", "must be below READINESS_TEMP_MAX_C")
    return policy


def load_settings(overrides: Overrides = None, env: Environ = None,
                  defaults_file: Path = DEFAULTS_FILE) -> Settings:
    """Build settings from defaults, then environment, then explicit overrides."""
    env = os.environ if env is None else env
    overrides = dict(overrides or {})
    try:
        raw = tomllib.loads(defaults_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("config/settings.toml", "file is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config/settings.toml", f"not valid TOML ({exc})") from None

    def pick(key: str) -> Any:
        if key in overrides:
            return overrides[key]
        if key.upper() in overrides:
            return overrides[key.upper()]
        if key.upper() in env:
            return env[key.upper()]
        if key not in raw:
            raise ConfigError(key.upper(), "missing (no default in config/settings.toml)")
        return raw[key]

    data_dir = Path(str(pick("data_dir")))
    if not data_dir.is_absolute():
        data_dir = PROJECT_ROOT / data_dir
    database_url = str(pick("database_url")).strip()
    if not database_url:
        database_url = f"sqlite:///{data_dir / 'aed.sqlite3'}"
    _check_database_url(database_url)
    mqtt_url = str(pick("mqtt_url")).strip()
    _check_mqtt_url(mqtt_url)
    secret_key = _check_secret_key(str(pick("secret_key")).strip())
    timezone = str(pick("timezone"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("TIMEZONE", f"unknown time zone {timezone!r}") from None
    locale = str(pick("default_locale"))
    if locale not in {"zh_CN", "en"}:
        raise ConfigError("DEFAULT_LOCALE", f"must be zh_CN or en, got {locale!r}")
    log_level = str(pick("log_level")).upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("LOG_LEVEL", f"must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    root = str(pick("mqtt_topic_root")).strip("/")
    if not root or "#" in root or "+" in root:
        raise ConfigError("MQTT_TOPIC_ROOT", f"not a usable topic prefix: {root!r}")
    map_tiles = str(overrides.get("map_tiles", overrides.get(
        "MAP_TILES", env.get("MAP_TILES", raw.get("map_tiles", "osm"))))).strip().lower()
    if map_tiles not in MAP_TILE_PROVIDERS:
        raise ConfigError("MAP_TILES", f"must be one of {', '.join(MAP_TILE_PROVIDERS)}, "
                          f"got {map_tiles!r}")
    max_body = _positive_int("MAX_CONTENT_LENGTH", pick("max_content_length"))
    anon_body = _positive_int("ANONYMOUS_MAX_CONTENT_LENGTH", pick("anonymous_max_content_length"))
    cookie_secure = _coerce("session_cookie_secure", pick("session_cookie_secure"), bool)
    proxies = _trusted_proxies(pick("trusted_proxies"))
    known = {f.name for f in fields(Settings)} | {f.name.upper() for f in fields(Settings)}
    extra = {k: v for k, v in overrides.items() if k not in known}
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        mqtt_url=mqtt_url,
        mqtt_topic_root=root,
        secret_key=secret_key,
        default_locale=locale,
        timezone=timezone,
        log_level=log_level,
        readiness=_load_readiness(raw.get("readiness", {}), env),
        extra=extra,
        map_tiles=map_tiles,
        max_content_length=max_body,
        anonymous_max_content_length=min(anon_body, max_body),
        session_cookie_secure=cookie_secure,
        trusted_proxies=proxies,
        feed=_load_feed(raw.get("feed", {}), env, overrides),
        import_match_radius_m=_match_radius(pick("import_match_radius_m")),
    )


def _match_radius(value: Any) -> float:
    radius = float(_coerce("import_match_radius_m", value, float))
    if not 0 < radius <= 1000:
        raise ConfigError("IMPORT_MATCH_RADIUS_M", f"must be between 0 and 1000 metres, got {radius}")
    return radius


def _load_feed(raw: Mapping[str, Any], env: Mapping[str, str],
               overrides: Mapping[str, Any]) -> FeedSettings:
    """FEED_<KEY> from the overrides or the environment, else ``[feed]`` in the settings
    file, else FeedSettings' default."""
    values: dict[str, Any] = {}
    for f in fields(FeedSettings):
        name = f"FEED_{f.name.upper()}"
        value = overrides.get(name, env.get(name, raw.get(f.name, getattr(FeedSettings, f.name))))
        values[f.name] = _coerce(name.lower(), value, type(getattr(FeedSettings, f.name)))
    feed = FeedSettings(**values)
    if not 1 <= feed.page_size <= MAX_FEED_PAGE:
        raise ConfigError("FEED_PAGE_SIZE", f"must be between 1 and {MAX_FEED_PAGE}, "
                          f"got {feed.page_size}")
    if not feed.licence.strip():
        raise ConfigError("FEED_LICENCE", "must name the licence of the public feed, "
                          "e.g. ODbL-1.0")
    if feed.licence_url and not feed.licence_url.startswith(("https://", "http://")):
        raise ConfigError("FEED_LICENCE_URL", f"must be an http(s) URL, got {feed.licence_url!r}")
    return feed


def _check_secret_key(key: str) -> str:
    """The key as given, or "" when none is set; a weak key is refused here."""
    if not key:
        return ""
    if key.lower() in SHIPPED_SECRET_KEYS:
        raise ConfigError("SECRET_KEY", f"is a published default; {SECRET_KEY_HINT}")
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < 8:
        raise ConfigError(
            "SECRET_KEY", f"too short or too plain (needs {SECRET_KEY_MIN_LENGTH}+ characters, "
            f"8+ different); {SECRET_KEY_HINT}")
    return key


def _positive_int(name: str, value: Any) -> int:
    number = _coerce(name.lower(), value, int)
    if number <= 0:
        raise ConfigError(name, f"must be a positive number of bytes, got {value!r}")
    return int(number)


def _trusted_proxies(value: Any) -> tuple[str, ...]:
    """A list (TOML) or a comma-separated string (environment) of IPs or CIDR networks."""
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    out: list[str] = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError(
                "TRUSTED_PROXIES", f"{item!r} is not an IP address or network (e.g. 10.0.0.5, "
                "10.0.0.0/24)") from None
    return tuple(out)


def _check_database_url(url: str) -> None:
    scheme = url.split(":", 1)[0]
    if not scheme.startswith(("sqlite", "postgresql")):
        raise ConfigError(
            "DATABASE_URL",
            f"unsupported database {scheme!r}: use sqlite:///PATH or postgresql+psycopg://...",
        )
    if scheme.startswith("postgresql") and "://" not in url:
        raise ConfigError("DATABASE_URL", "malformed PostgreSQL URL")


#: An mqtt:// URL's endpoint (`MqttUrl.parse(settings.mqtt_url)`), as the agent has it too.
MqttUrl = BrokerEndpoint


def _check_mqtt_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in {"mqtt", "mqtts"}:
        raise ConfigError("MQTT_URL", f"must start with mqtt:// or mqtts://, got {url!r}")
    if not parsed.hostname:
        raise ConfigError("MQTT_URL", f"has no host: {url!r}")
    try:
        parsed.port  # noqa: B018 - raises on a non-numeric port
    except ValueError:
        raise ConfigError("MQTT_URL", f"has a bad port: {url!r}") from None
