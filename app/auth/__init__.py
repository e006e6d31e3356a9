"""Accounts: login/logout, session hardening, CSRF, API tokens, the audit actor."""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Blueprint, Flask, Response, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from app import audit
from app.auth.identity import Anonymous, AuthUser, load_session_user, load_token_user
from app.auth.tokens import bearer_token, hash_token
from app.extensions import db_session

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def init_auth(app: Flask) -> None:
    secure = app.config.get("SESSION_COOKIE_SECURE", os.environ.get("SESSION_COOKIE_SECURE", ""))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_truthy(secure),
        SESSION_COOKIE_NAME=app.config.get("AED_SESSION_COOKIE_NAME", "aed_session"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
        # Phones upload inspection photos; anything bigger is refused with 413.
        MAX_CONTENT_LENGTH=app.config.get("MAX_CONTENT_LENGTH", 32 * 1024 * 1024),
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(_load_from_request)
    login_manager.unauthorized_handler(_unauthorized)

    from app.auth import views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    app.before_request(_attach_audit_actor)
    app.after_request(_security_headers)


def _load_from_request(req: object) -> AuthUser | None:
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        return None
    return load_token_user(hash_token(token))


def _unauthorized() -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _attach_audit_actor() -> None:
    if request.endpoint in (None, "static", "web.healthz"):
        return
    if current_user.is_authenticated:
        audit.attach_actor(
            db_session(), audit.Actor(current_user.id, current_user.username)
        )


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response
