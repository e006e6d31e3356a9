"""Per-object authorisation: who may change what.

admin and coordinator act everywhere; a volunteer acts only on the sites of their own
team (and the assets, stock, alerts and gateways at those sites); a viewer reads only.
Every logged-in role may read everything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user

from app.models import Alert, Asset, Site

F = TypeVar("F", bound=Callable[..., Any])


def can_act_on_team(user: Any, team_id: int | None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role in {"admin", "coordinator"}:
        return True
    if user.role == "volunteer":
        return team_id is not None and user.team_id == team_id
    return False


def can_act_on_site(user: Any, site: Site | None) -> bool:
    return site is not None and can_act_on_team(user, site.team_id)


def can_act_on_asset(user: Any, asset: Asset) -> bool:
    return can_act_on_site(user, asset.site)


def can_act_on_alert(user: Any, alert: Alert, site: Site | None) -> bool:
    if getattr(user, "role", None) in {"admin", "coordinator"}:
        return True
    return can_act_on_site(user, site)


def can_see_personal_data(user: Any) -> bool:
    """Guardians' and contacts' names and phones: coordinators and admins only."""
    return getattr(user, "is_authenticated", False) and user.role in {"admin", "coordinator"}


def ensure(allowed: bool) -> None:
    """403 unless allowed (the caller is known to be logged in)."""
    if not allowed:
        abort(403)


def roles_required(*roles: str) -> Callable[[F], F]:
    wanted = frozenset(roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401)
            if current_user.role not in wanted:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
