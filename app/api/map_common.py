"""Parameters and context shared by the map endpoints (nearest AEDs, bbox features)."""

from __future__ import annotations

import math
from datetime import date

from flask import current_app, request
from flask_login import current_user

from app.alerts.policy import AlertPolicy, load_alert_policy
from app.api.common import bad_request, str_arg
from app.extensions import get_settings
from app.models import utcnow
from maps.payload import Coords

COORDS: tuple[Coords, ...] = ("wgs84", "gcj02")
_POLICY_KEY = "aed.map_alert_policy"


def float_arg(name: str, lo: float, hi: float) -> float:
    raw = str_arg(name, 40)
    if raw is None:
        raise bad_request(f"'{name}' is required.")
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"'{name}' must be a number.") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise bad_request(f"'{name}' must be between {lo:g} and {hi:g}.")
    return value


def coords_arg() -> Coords:
    raw = str_arg("coords", 10) or "wgs84"
    if raw not in COORDS:
        raise bad_request("'coords' must be wgs84 or gcj02.")
    return "gcj02" if raw == "gcj02" else "wgs84"


def public_view() -> bool:
    """Anonymous callers always get the public view; a signed-in page asks for it with
    ``view=public`` (the public map)."""
    view = str_arg("view", 10)
    if view not in (None, "public", "internal"):
        raise bad_request("'view' must be public or internal.")
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
    from app.i18n import current_locale_code

    return current_locale_code()


def query_flag(name: str) -> bool:
    return request.args.get(name) in ("1", "true")
