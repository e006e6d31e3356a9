"""AED and first-aid station tracker: the Flask application factory."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.config import ConfigError, load_settings

__version__ = "0.1.0"


def create_app(config_overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Settings: config/settings.toml < environment < `config_overrides`.

    Started from the command line (no overrides), a bad setting prints one line naming
    it and exits with status 2; called from code, it raises ConfigError.
    """
    try:
        settings = load_settings(config_overrides)
    except ConfigError as exc:
        if config_overrides is None:
            print(f"configuration error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        raise

    app = Flask(__name__, instance_path=str(settings.data_dir))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        AED_VERSION=__version__,
    )
    app.config.update(settings.extra)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    logging.getLogger("alembic").setLevel(logging.WARNING)

    from app import extensions

    extensions.init_app(app, settings)

    from app.auth import init_auth
    from app.i18n import init_i18n

    init_i18n(app, settings)
    init_auth(app)

    from app.api import bp as api_bp
    from app.web import bp as web_bp

    app.register_blueprint(web_bp)
    app.register_blueprint(api_bp)

    from app.cli import register_cli

    register_cli(app)
    return app
