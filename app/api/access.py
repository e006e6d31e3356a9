"""Who may call an operation. Each route declares one level; the registry enforces it
before the request's input is read, and the OpenAPI document is written from it."""

from __future__ import annotations

from enum import Enum
from typing import cast

from flask_login import current_user

from app.api.problems import forbidden, unauthorized
from app.auth.identity import AuthUser


class Access(Enum):
    #: Anyone; anonymous callers get what app.mapping.public_policy allows.
    PUBLIC = "public"
    #: A bearer token or a signed-in browser session.
    READER = "reader"
    #: A bearer token of an account that may write (a cookie may not: no CSRF check here).
    WRITER = "writer"
    #: A coordinator's or an administrator's bearer token (they run the registry and
    #: hand alerts to teams).
    COORDINATOR = "coordinator"
    #: An administrator, by token or session.
    ADMIN = "admin"


def require(access: Access) -> None:
    if access is Access.PUBLIC:
        return
    if not current_user.is_authenticated:
        raise unauthorized("Send 'Authorization: Bearer <token>'.")
    if access in (Access.WRITER, Access.COORDINATOR):
        if not getattr(current_user, "via_token", False):
            raise unauthorized("Changes through the API need a bearer token.")
        if not current_user.can_write:
            raise forbidden("This account may only read.")
        if access is Access.COORDINATOR and current_user.role not in ("admin", "coordinator"):
            raise forbidden("Only coordinators and administrators may do this.")
    elif access is Access.ADMIN and not current_user.is_admin:
        raise forbidden("Only administrators may do this.")


def caller() -> AuthUser:
    """The signed-in caller of an operation whose access level made sure there is one."""
    assert current_user.is_authenticated, "caller() in an operation open to anyone"
    return cast(AuthUser, current_user)
