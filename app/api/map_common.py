"""Context shared by the map endpoints (nearest AEDs, bbox features) and the map pages."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_login import current_user

from app.alerts.policy import AlertPolicy, load_alert_policy
from app.extensions import get_settings
from app.i18n import current_locale_code
from app.models import utcnow

_POLICY_KEY = "aed.map_alert_policy"


def public_audience(view: str | None) -> bool:
    """Anonymous callers always get the public view; a signed-in page asks for it with
    ``view=public`` (the public map)."""
    return view == "public" or not current_user.is_authenticated


def restock_policy() -> AlertPolicy:
    """The scheduler's alert policy (restock lead time), read once per app."""
    cached: AlertPolicy | None = current_app.extensions.get(_POLICY_KEY)
    if cached is None:
        cached = current_app.extensions[_POLICY_KEY] = load_alert_policy(current_app.config)
    return cached


def local_today() -> date:
    return utcnow().astimezone(get_settings().tz).date()


def request_locale() -> str:
    return current_locale_code()
