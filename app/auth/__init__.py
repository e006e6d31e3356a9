"""Accounts: login/logout, session hardening, CSRF, API tokens, the audit actor."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from app import audit
from app.auth import views  # noqa: F401  (routes register on import)
from app.auth.blueprint import bp
from app.auth.cookie_session import CookieSessionInterface
from app.auth.identity import Anonymous, AuthUser, load_session_user, load_token_user
from app.auth.tokens import bearer_token, hash_token
from app.extensions import db_session, get_settings

csrf = CSRFProtect()
login_manager = LoginManager()


def init_auth(app: Flask) -> None:
    # AED_SESSION_COOKIE_NAME is ours (Flask has no such key), so .get sees its default.
    app.config.update(
        SESSION_COOKIE_NAME=app.config.get("AED_SESSION_COOKIE_NAME", "aed_session"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = CookieSessionInterface()
    # Before CSRF's hook, which parses the form: a stranger's body is capped unread.
    app.before_request(_cap_anonymous_body)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(_load_from_request)
    login_manager.unauthorized_handler(_unauthorized)
    app.register_blueprint(bp)
    app.before_request(_attach_audit_actor)


def _load_from_request(req: object) -> AuthUser | None:
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        return None
    return load_token_user(hash_token(token))


def _unauthorized() -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _cap_anonymous_body() -> None:
    if not current_user.is_authenticated:
        limit = get_settings().anonymous_max_content_length
        if request.content_length is not None and request.content_length > limit:
            abort(413)
        request.max_content_length = limit


def _attach_audit_actor() -> None:
    if request.endpoint in (None, "static", "web.healthz"):
        return
    if current_user.is_authenticated:
        audit.attach_actor(
            db_session(), audit.Actor(current_user.id, current_user.username)
        )
