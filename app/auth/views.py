from __future__ import annotations

import math
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select, update

from app import audit
from app.auth import throttle
from app.auth.blueprint import bp
from app.auth.identity import AuthUser
from app.auth.passwords import verify_password
from app.auth.safe_redirect import safe_target
from app.extensions import db_session
from app.i18n import SESSION_KEY, SUPPORTED_LOCALES
from app.models import User, utcnow


def _policy() -> throttle.ThrottlePolicy:
    # Our own keys (Flask defines neither), so .get sees these defaults.
    cfg = current_app.config
    return throttle.ThrottlePolicy(
        free_per_account_address=int(cfg.get("LOGIN_FREE_ATTEMPTS", 5)),
        free_per_address=int(cfg.get("LOGIN_FREE_ATTEMPTS_PER_ADDRESS", 30)),
        first_delay=timedelta(seconds=float(cfg.get("LOGIN_BACKOFF_FIRST_S", 1.0))),
    )


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return _("Too many attempts. Try again in %(seconds)d seconds.", seconds=seconds)
    return _("Too many failed attempts. Try again in %(minutes)d minutes.",
             minutes=-(-seconds // 60))


def safe_next(target: str | None) -> str:
    """Only same-site paths: an attacker's link must not bounce a login elsewhere."""
    return safe_target(target, url_for("web.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("web.dashboard"))
        return render_template("login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")
    next_url = request.form.get("next", "")
    dbs = db_session()
    now = utcnow()
    due = throttle.take_turn(dbs, username, request.remote_addr, now, _policy())
    # The counted turn is committed before the password is checked: a request that
    # dies half-way still used its try.
    dbs.commit()
    if due is not None:
        wait = max(1, math.ceil((due - now).total_seconds()))
        page = render_template("login.html", next=next_url, username=username,
                               error=_wait_text(wait))
        return page, 429, {"Retry-After": str(wait)}
    user = dbs.scalar(select(User).where(User.username == username)) if username else None
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return render_template(
            "login.html", next=next_url, username=username,
            error=_("Wrong username or password."),
        ), 401
    throttle.forgive(dbs, username, request.remote_addr)
    lang = session.get(SESSION_KEY)
    # A fresh session at login: nothing an attacker planted before survives.
    session.clear()
    if lang:
        session[SESSION_KEY] = lang
    session.permanent = True
    login_user(AuthUser.of(user))
    audit.attach_actor(dbs, audit.Actor(user.id, user.username))
    audit.record(dbs, "login", "user_account", str(user.id), None, {"ip": request.remote_addr})
    dbs.commit()
    if user.must_change_password:
        return redirect(url_for(PASSWORD_PAGE, next=safe_next(next_url)))
    return redirect(safe_next(next_url))


#: Where a person whose password someone else chose picks their own (app/web).
PASSWORD_PAGE = "web.account_password"  # noqa: S105 - an endpoint, not a secret
#: What such a person may still reach before they have.
_OPEN_BEFORE_PASSWORD_CHANGE = frozenset({
    PASSWORD_PAGE, "auth.logout", "auth.login", "auth.switch_language", "static",
    "web.healthz",
})


@bp.before_app_request
def _password_change_first() -> ResponseReturnValue | None:
    """A browser signed in with a password someone else chose reaches nothing but the
    change page (an API token is a credential of its own and is not held up)."""
    if request.endpoint in _OPEN_BEFORE_PASSWORD_CHANGE:
        return None
    if not current_user.must_change_password or getattr(current_user, "via_token", False):
        return None
    if request.path.startswith("/api/"):
        abort(403, description="Choose your own password at /account/password first.")
    return redirect(url_for(PASSWORD_PAGE, next=request.full_path.rstrip("?")))


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    dbs = db_session()
    user_id = current_user.id
    # Bumping the epoch invalidates every cookie issued so far, including copies.
    dbs.execute(
        update(User).where(User.id == user_id).values(session_epoch=User.session_epoch + 1)
    )
    audit.record(dbs, "logout", "user_account", str(user_id), None, None)
    dbs.commit()
    lang = session.get(SESSION_KEY)
    logout_user()
    session.clear()
    if lang:
        session[SESSION_KEY] = lang
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def switch_language(code: str) -> ResponseReturnValue:
    if code in SUPPORTED_LOCALES:
        session[SESSION_KEY] = code
    return redirect(safe_next(request.args.get("next")))


