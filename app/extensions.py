"""Per-app access to settings and the database, plus the request-scoped session."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["aed.settings"] = settings
    app.extensions["aed.db"] = Database(settings.database_url)
    app.teardown_appcontext(_close_session)


def get_settings(app: Flask | None = None) -> Settings:
    return (app or current_app).extensions["aed.settings"]


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["aed.db"]


def db_session() -> Session:
    """The session of this request or CLI command; closed when its app context ends."""
    if "db_session" not in g:
        g.db_session = get_db().session_factory()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
