"""Small helpers shared by the page modules."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from flask import abort, current_app, flash
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.permissions import ensure, roles_required
from app.config import ReadinessPolicy
from app.extensions import db_session, get_db, get_settings
from app.gateways.desired_config import ConfigPublisher, push_pending
from app.models import utcnow
from app.models.base import Base
from app.web.blueprint import bp

M = TypeVar("M", bound=Base)
View = Callable[..., ResponseReturnValue]


def form_page(rule: str, roles: tuple[str, ...]) -> Callable[[View], View]:
    """A page for signed-in callers of ``roles``: GET shows it, POST acts."""
    def register(view: View) -> View:
        return bp.route(rule, methods=["GET", "POST"])(
            login_required(roles_required(*roles)(view)))
    return register


def now() -> datetime:
    return utcnow()


def policy() -> ReadinessPolicy:
    return get_settings().readiness


def get_or_404(model: type[M], ident: object) -> M:
    row = db_session().get(model, ident)
    if row is None:
        abort(404)
    return row


def acting_on(
    model: type[M], may_act: Callable[[Any, M], bool]
) -> Callable[[Callable[[M], ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    """For a page that acts on one row, whose id is its rule's only variable: the user is
    signed in, the row exists (else 404) and the user may act on it (else 403). The view
    is given the row."""

    def decorate(view: Callable[[M], ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        @functools.wraps(view)
        def wrapper(**view_args: Any) -> ResponseReturnValue:
            (ident,) = view_args.values()
            row = get_or_404(model, ident)
            ensure(may_act(current_user, row))
            return view(row)

        return login_required(wrapper)

    return decorate


def parse_date(text: str | None) -> date | None:
    if not text or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def publisher() -> ConfigPublisher:
    settings = get_settings()
    timeout = float(current_app.config.get("CONFIG_PUBLISH_TIMEOUT_S", 3.0))
    return ConfigPublisher(settings.mqtt_url, settings.mqtt_topic_root, timeout)


def push_config_and_report(gateway_id: str | None) -> bool | None:
    """After commit: send the new desired config now, and tell the volunteer what happened."""
    if gateway_id is None:
        return None
    results = push_pending(get_db(), publisher(), [gateway_id])
    if results and all(r.published for r in results):
        flash(_("New settings sent to gateway %(gw)s.", gw=gateway_id), "success")
        return True
    flash(_("The gateway %(gw)s could not be reached just now; the new settings are saved "
            "and will be sent automatically later.", gw=gateway_id), "warning")
    return False
