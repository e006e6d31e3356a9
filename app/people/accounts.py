"""Creating and editing accounts: the one check of what an account may hold, for the
web form, the API and the command line.

A password chosen by someone else (a new account made by a coordinator, a reset) must
be changed by its owner at the next login; the command line may set one its owner
chose (``must_change=False``), as an operator does for their own account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Self

from sqlalchemy.orm import Session

from app.i18n import SUPPORTED_LOCALES
from app.models import ROLES, Team, User
from app.people.authority import Manager, assignable_roles, may_manage_account
from app.people.contacts import check_contacts
from app.people.drafts import Draft, add_new, optional_text, save_changes
from app.people.invalid import N_, NotAllowed, Problems
from app.people.keys import NewKey
from app.people.passwords import password_hash

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
_USERNAME_KEY = NewKey("username", USERNAME, User.username, N_(
    "Use 2 to 64 letters, digits, dots, dashes or underscores, starting with a letter or "
    "digit."), N_("This username is taken."))
MAX_DISPLAY_NAME = 100


@dataclass(frozen=True)
class AccountDraft(Draft):
    """What a manager sets on an account (all but its username and password)."""

    display_name: str
    role: str
    team_id: int | None = None
    email: str | None = None
    phone: str | None = None
    locale: str = "zh_CN"

    @classmethod
    def of(cls, row: object) -> Self:
        draft = super().of(row)
        return replace(draft, locale=draft.locale or "zh_CN")

    def cleaned(self) -> AccountDraft:
        return replace(self, display_name=self.display_name.strip(),
                       email=optional_text(self.email), phone=optional_text(self.phone))


def _check_draft(session: Session, by: Manager, draft: AccountDraft,
                 problems: Problems) -> None:
    if not draft.display_name:
        problems.add("display_name", N_("Enter the person's name."))
    elif len(draft.display_name) > MAX_DISPLAY_NAME:
        problems.add("display_name", N_("At most %(max)d characters."), max=MAX_DISPLAY_NAME)
    if draft.role not in ROLES:
        problems.add("role", N_("Choose a role from the list."))
    elif draft.role not in assignable_roles(by):
        problems.add("role", N_("Only an administrator may give this role."))
    if draft.team_id is not None and session.get(Team, draft.team_id) is None:
        problems.add("team_id", N_("Choose a team from the list."))
    elif draft.team_id is None and draft.role == "volunteer":
        problems.add("team_id", N_("A volunteer needs a team: they act on their team's sites."))
    check_contacts(("phone", draft.phone), ("email", draft.email), problems)
    if draft.locale not in SUPPORTED_LOCALES:
        problems.add("locale", N_("Choose a language from the list."))


def create_account(session: Session, by: Manager, username: str, draft: AccountDraft,
                   password: str, must_change: bool = True) -> User:
    """A new active account; raises PeopleInvalid (nothing added) or NotAllowed."""
    if not assignable_roles(by):
        raise NotAllowed("only administrators and coordinators create accounts")
    draft = draft.cleaned()
    problems = Problems()
    username = _USERNAME_KEY.checked(session, username, problems)
    _check_draft(session, by, draft, problems)
    hashed = password_hash(password, "password", problems)
    problems.check()
    assert hashed is not None
    return add_new(session, User(username=username, password_hash=hashed, active=True,
                                 must_change_password=must_change), draft)


def update_account(session: Session, by: Manager, account: User, draft: AccountDraft) -> bool:
    """Change what a manager sets; False when nothing changed. A change of role or team
    takes effect on the person's next request (each request reads the account)."""
    if not may_manage_account(by, account):
        raise NotAllowed("this account is not one this person manages")
    draft = draft.cleaned()
    problems = Problems()
    _check_draft(session, by, draft, problems)
    problems.check()
    return save_changes(session, account, draft)
