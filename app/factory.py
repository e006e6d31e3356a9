"""The Flask application factory: settings, extensions, blueprints, commands."""

from __future__ import annotations

import logging
import secrets
import sys
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask

from app import extensions
from app.api import bp as api_bp
from app.auth import init_auth
from app.cli import register_cli
from app.config import SECRET_KEY_HINT, ConfigError, Settings, load_settings
from app.heap import settle_long_lived
from app.http_security import init_http_security
from app.i18n import init_i18n
from app.trusted_proxies import TrustedProxyFix
from app.version import __version__
from app.web import bp as web_bp


def create_app(config_overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Settings: config/settings.toml < environment < `config_overrides`.

    Started from the command line (no overrides), a bad setting prints one line naming
    it and exits with status 2; called from code, it raises ConfigError.
    """
    try:
        settings = load_settings(config_overrides)
        secret_key = settings.secret_key or _key_for_command_line()
    except ConfigError as exc:
        if config_overrides is None:
            print(f"configuration error: {exc}", file=sys.stderr, flush=True)
            raise SystemExit(_config_error_status()) from None
        raise

    app = Flask(__name__, instance_path=str(settings.data_dir))
    app.config.update(settings.extra)
    _apply_settings(app, settings, secret_key)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    logging.getLogger("alembic").setLevel(logging.WARNING)

    extensions.init_app(app, settings)
    init_i18n(app, settings)
    init_auth(app)
    init_http_security(app)
    app.register_blueprint(web_bp)
    app.register_blueprint(api_bp)
    register_cli(app)
    if _under_gunicorn():
        # A web worker: the imports and this app live as long as it does; full
        # collections rescanning them stall every request in flight.
        settle_long_lived()
    return app


def _apply_settings(app: Flask, settings: Settings, secret_key: str) -> None:
    """Our settings into the keys Flask reads. Set, never ``setdefault``/``get``: Flask
    predefines these keys (MAX_CONTENT_LENGTH None, SESSION_COOKIE_SECURE False), so a
    default given to ``app.config.get`` would never apply."""
    app.config.update(
        SECRET_KEY=secret_key,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        AED_VERSION=__version__,
    )
    if settings.trusted_proxies:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]


#: gunicorn's code for "worker failed to boot": any other exit makes it start the
#: worker again, forever, instead of stopping with the message.
GUNICORN_BOOT_ERROR = 3


def _under_gunicorn() -> bool:
    return "gunicorn.arbiter" in sys.modules


def _config_error_status() -> int:
    return GUNICORN_BOOT_ERROR if _under_gunicorn() else 2


def _key_for_command_line() -> str:
    """With no SECRET_KEY, only a `flask` command other than `run` may start: commands
    sign nothing, so a throwaway key does. A web server (gunicorn, `flask run`) refuses."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.info_name != "run":
        return secrets.token_urlsafe(32)
    raise ConfigError("SECRET_KEY", f"not set; {SECRET_KEY_HINT}")
