"""Who may manage whom.

- Administrators and coordinators manage people: they see the accounts, teams and
  organisations, and create and edit teams.
- An administrator manages every account of any role; a coordinator only volunteers'
  and viewers' accounts, and may give only those two roles. So only an administrator
  creates, promotes, demotes, resets, deactivates or reactivates an administrator or a
  coordinator.
- Nobody manages their own account here: one's own role and access cannot be changed
  by oneself (the last administrator cannot lock everyone out), and one's own password
  is changed on the account page, with the current one.
- The command line is the operator of the installation and acts as an administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.audit import Actor
from app.models import ROLES, User

MANAGER_ROLES = ("admin", "coordinator")
_ASSIGNABLE: dict[str, tuple[str, ...]] = {
    "admin": ROLES,
    "coordinator": ("volunteer", "viewer"),
}


@dataclass(frozen=True)
class Manager:
    """The person acting: their account (None for the command line), role and name."""

    user_id: int | None
    role: str
    name: str

    @classmethod
    def of(cls, user: Any) -> Manager:
        """From the signed-in user of a request (or an account row)."""
        return cls(user.id, user.role, user.username)

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.name)


COMMAND_LINE = Manager(None, "admin", "cli")


def may_manage_people(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", True)) and (
        getattr(user, "role", None) in MANAGER_ROLES)


def assignable_roles(by: Manager) -> tuple[str, ...]:
    return _ASSIGNABLE.get(by.role, ())


def may_manage_account(by: Manager, account: User) -> bool:
    return account.id != by.user_id and account.role in assignable_roles(by)
