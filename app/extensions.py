"""Per-app access to settings and the database, plus the request-scoped session."""

from __future__ import annotations

import atexit
import threading

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy, load_alert_policy
from app.config import Settings
from app.db import Database
from app.notify.now import Notifier


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["aed.settings"] = settings
    app.extensions["aed.db"] = Database(settings.database_url)
    app.teardown_appcontext(_close_session)


def get_settings(app: Flask | None = None) -> Settings:
    return (app or current_app).extensions["aed.settings"]


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["aed.db"]


def get_alert_policy(app: Flask | None = None) -> AlertPolicy:
    """The alert policy (config/alerts.toml < environment < the app's overrides), read
    once per app."""
    app = app or current_app
    policy: AlertPolicy | None = app.extensions.get("aed.alert_policy")
    if policy is None:
        policy = app.extensions["aed.alert_policy"] = load_alert_policy(app.config)
    return policy


def get_aed_context(app: Flask | None = None) -> AedContext:
    """What the AED evaluation needs, for entry points that change facts."""
    app = app or current_app
    ctx: AedContext | None = app.extensions.get("aed.aed_context")
    if ctx is None:
        ctx = app.extensions["aed.aed_context"] = AedContext.of(
            get_settings(app), get_alert_policy(app))
    return ctx


NOTIFIER = "aed.notifier"
_notifier_lock = threading.Lock()


def wake_notifier(app: Flask | None = None) -> None:
    """After a commit that opened or resolved something people are told about: tell
    them now, through this process's notifier (started on first use), not at the
    scheduler's next notify run."""
    app = app or current_app
    with _notifier_lock:
        notifier: Notifier | None = app.extensions.get(NOTIFIER)
        if notifier is None or not notifier.alive:
            notifier = Notifier(get_db(app), get_settings(app), get_alert_policy(app)).start()
            app.extensions[NOTIFIER] = notifier
            atexit.register(notifier.stop)
    notifier.wake()


def db_session() -> Session:
    """The session of this request or CLI command; closed when its app context ends."""
    if "db_session" not in g:
        g.db_session = get_db().session_factory()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
