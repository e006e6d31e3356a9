"""Who is asking: the logged-in user behind a session cookie or an API token.

The session stores "user_id:session_epoch". Logout bumps the user's epoch in the
database, so every cookie issued before it stops matching and is treated as anonymous,
in every worker, even if someone kept a copy of the cookie.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import AnonymousUserMixin
from sqlalchemy import select

from app.extensions import db_session
from app.models import User

READ_ROLES = frozenset({"admin", "coordinator", "volunteer", "viewer"})
WRITE_ROLES = frozenset({"admin", "coordinator", "volunteer"})
ALL_SITES_ROLES = frozenset({"admin", "coordinator"})


@dataclass(frozen=True)
class AuthUser:
    """A detached, read-only view of the user for this request."""

    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None
    session_epoch: int
    locale: str | None
    via_token: bool = False
    #: A password someone else chose: the browser may only reach the change page.
    must_change_password: bool = False

    is_authenticated = True
    is_active = True
    is_anonymous = False

    @classmethod
    def of(cls, user: User, via_token: bool = False) -> AuthUser:
        return cls(
            id=user.id, username=user.username, display_name=user.display_name,
            role=user.role, team_id=user.team_id, session_epoch=user.session_epoch,
            locale=user.locale, via_token=via_token,
            must_change_password=user.must_change_password,
        )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def sees_everything(self) -> bool:
        return self.role in ALL_SITES_ROLES or self.role == "viewer"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Anonymous(AnonymousUserMixin):
    role = "anonymous"
    team_id = None
    can_write = False
    sees_everything = False
    is_admin = False
    display_name = ""
    username = ""
    locale = None
    must_change_password = False


def load_session_user(session_id: str) -> AuthUser | None:
    try:
        raw_id, raw_epoch = session_id.split(":", 1)
        user_id, epoch = int(raw_id), int(raw_epoch)
    except ValueError:
        return None
    user = db_session().get(User, user_id)
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return AuthUser.of(user)


def load_token_user(token_hash: str) -> AuthUser | None:
    user = db_session().scalar(select(User).where(User.api_token_hash == token_hash))
    if user is None or not user.active:
        return None
    return AuthUser.of(user, via_token=True)
